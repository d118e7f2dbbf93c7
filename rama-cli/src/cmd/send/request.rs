//! What to send, built from the flags the way curl builds it, and turned into a request for
//! each hop of a redirect chain.
//!
//! Header order as curl writes it: `Host`, `Authorization` (from `-u`), `User-Agent`,
//! `Accept`, the `-H` headers in the order given, `Content-Length`, `Content-Type`. A `-H`
//! header replaces a default of the same name; `-H 'Name:'` removes it; `-H 'Name;'` sends
//! it with an empty value. `--json` adds `Content-Type` and `Accept: application/json` as if
//! given with `-H` (in that order, before the other `-H` headers), as curl does.

use super::exit::{Failure, MALFORMED_URL, READ_ERROR};
use super::target::Target;
use base64::Engine as _;
use rama::http::{Body, HeaderMap, HeaderName, HeaderValue, Method, Request, Version, header};
use std::io::Read as _;

/// The `User-Agent` rama sends unless `-H 'User-Agent: ..'` says otherwise.
pub(crate) const USER_AGENT: &str = concat!("rama/", env!("CARGO_PKG_VERSION"));

/// The request as the flags describe it, independent of the URL.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    /// The method (GET, POST when there is a body, or `-X`).
    pub(crate) method: Method,
    /// Whether `-X` chose the method (then redirects keep it, as in curl).
    pub(crate) method_forced: bool,
    /// The body, if any.
    pub(crate) body: Option<Vec<u8>>,
    /// `user:password` from `-u`.
    pub(crate) basic_auth: Option<String>,
    /// Default headers after `User-Agent`, replaced or removed by `-H`.
    pub(crate) accept: Option<String>,
    /// `Content-Type` for the body.
    pub(crate) content_type: Option<String>,
    /// `-H` values in order: (name, Some(value)) to send, (name, None) to remove.
    pub(crate) extra: Vec<(HeaderName, Option<HeaderValue>)>,
    /// HTTP/1.1 or HTTP/2.
    pub(crate) version: Version,
}

/// The request-shaping flags, as given.
#[derive(Debug, Default)]
pub(crate) struct SpecInput<'a> {
    pub(crate) method: Option<&'a str>,
    pub(crate) headers: &'a [String],
    pub(crate) data: &'a [String],
    pub(crate) data_binary: &'a [String],
    pub(crate) json: &'a [String],
    pub(crate) user: Option<&'a str>,
    pub(crate) http2: bool,
}

impl RequestSpec {
    /// Build the spec from the flags; `@FILE` (or `@-` for stdin) in `-d`, `--data-binary`
    /// and `--json` reads a file (`-d` strips its CR and LF, as curl does).
    pub(crate) fn from_flags(input: &SpecInput<'_>) -> Result<Self, Failure> {
        let mut body: Option<Vec<u8>> = None;
        let mut content_type = None;
        let mut accept = Some("*/*".to_owned());
        let mut push = |part: Vec<u8>, sep: &[u8]| {
            let b = body.get_or_insert_with(Vec::new);
            if !b.is_empty() {
                b.extend_from_slice(sep);
            }
            b.extend_from_slice(&part);
        };
        for d in input.data {
            let mut part = read_value(d)?;
            if d.starts_with('@') {
                part.retain(|&c| c != b'\r' && c != b'\n');
            }
            push(part, b"&");
            content_type = Some("application/x-www-form-urlencoded".to_owned());
        }
        for d in input.data_binary {
            push(read_value(d)?, b"&");
            content_type = Some("application/x-www-form-urlencoded".to_owned());
        }
        for j in input.json {
            push(read_value(j)?, b"");
            // curl writes these two as if given with -H, before Content-Length
            content_type = None;
            accept = None;
        }
        let mut extra = Vec::new();
        if !input.json.is_empty() {
            for (name, value) in [
                (header::CONTENT_TYPE, "application/json"),
                (header::ACCEPT, "application/json"),
            ] {
                if !input.headers.iter().any(|h| {
                    h.split([':', ';'])
                        .next()
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(name.as_str()))
                }) {
                    extra.push((name, Some(HeaderValue::from_static(value))));
                }
            }
        }
        for h in input.headers {
            extra.push(parse_header(h)?);
        }
        let method = match input.method {
            Some(m) => Method::from_bytes(m.as_bytes())
                .map_err(|_| Failure::new(MALFORMED_URL, format!("-X `{m}` is not a method")))?,
            None if body.is_some() => Method::POST,
            None => Method::GET,
        };
        Ok(Self {
            method,
            method_forced: input.method.is_some(),
            body,
            basic_auth: input.user.map(str::to_owned),
            accept,
            content_type,
            extra,
            version: if input.http2 {
                Version::HTTP_2
            } else {
                Version::HTTP_11
            },
        })
    }

    /// The headers for `target`, in curl's order.
    pub(crate) fn headers(&self, target: &Target, send_auth: bool) -> HeaderMap {
        let mut defaults: Vec<(HeaderName, String)> = Vec::new();
        defaults.push((header::HOST, target.host_header.clone()));
        if let (true, Some(user)) = (send_auth, &self.basic_auth) {
            let token = base64::engine::general_purpose::STANDARD.encode(user.as_bytes());
            defaults.push((header::AUTHORIZATION, format!("Basic {token}")));
        }
        defaults.push((header::USER_AGENT, USER_AGENT.to_owned()));
        if let Some(a) = &self.accept {
            defaults.push((header::ACCEPT, a.clone()));
        }
        let mut tail: Vec<(HeaderName, String)> = Vec::new();
        if let Some(b) = &self.body {
            tail.push((header::CONTENT_LENGTH, b.len().to_string()));
            if let Some(ct) = &self.content_type {
                tail.push((header::CONTENT_TYPE, ct.clone()));
            }
        }
        let overridden = |name: &HeaderName| self.extra.iter().any(|(n, _)| n == name);
        let mut map = HeaderMap::new();
        for (name, value) in &defaults {
            if !overridden(name)
                && let Ok(v) = HeaderValue::from_str(value)
            {
                map.append(name.clone(), v);
            }
        }
        for (name, value) in &self.extra {
            if let Some(v) = value {
                map.append(name.clone(), v.clone());
            }
        }
        for (name, value) in &tail {
            if !overridden(name)
                && let Ok(v) = HeaderValue::from_str(value)
            {
                map.append(name.clone(), v);
            }
        }
        map
    }

    /// The request for `target`: absolute URI, headers in curl's order, the body.
    pub(crate) fn build(&self, target: &Target, send_auth: bool) -> Request<Body> {
        let body = self.body.clone().map_or_else(Body::empty, Body::from);
        let mut req = Request::new(body);
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = target.uri.clone();
        *req.version_mut() = self.version;
        *req.headers_mut() = self.headers(target, send_auth);
        req
    }
}

fn read_value(v: &str) -> Result<Vec<u8>, Failure> {
    match v.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::new(READ_ERROR, format!("read stdin: {e}")))?;
            Ok(buf)
        }
        Some(path) => {
            std::fs::read(path).map_err(|e| Failure::new(READ_ERROR, format!("read `{path}`: {e}")))
        }
        None => Ok(v.as_bytes().to_vec()),
    }
}

/// `Name: value` → send; `Name:` → remove the default; `Name;` → send empty.
fn parse_header(h: &str) -> Result<(HeaderName, Option<HeaderValue>), Failure> {
    let bad = |why: &str| Failure::new(MALFORMED_URL, format!("-H `{h}`: {why}"));
    if let Some(name) = h.strip_suffix(';')
        && !name.contains(':')
    {
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("bad name"))?;
        return Ok((name, Some(HeaderValue::from_static(""))));
    }
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| bad("expected `Name: value`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("bad name"))?;
    let value = value.trim();
    if value.is_empty() {
        return Ok((name, None));
    }
    let value = HeaderValue::from_str(value).map_err(|_| bad("bad value"))?;
    Ok((name, Some(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(map: &HeaderMap) -> Vec<String> {
        map.iter()
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn parse_header_table() {
        let cases = [
            ("X-A: 1", Some("x-a"), Some(Some("1"))),
            ("X-A:", Some("x-a"), Some(None)),
            ("X-A;", Some("x-a"), Some(Some(""))),
            ("no colon", None, None),
            ("bad name: 1", None, None),
        ];
        for (input, name, value) in cases {
            match parse_header(input) {
                Ok((n, v)) => {
                    assert_eq!(Some(n.as_str()), name, "{input}");
                    assert_eq!(
                        Some(v.as_ref().map(|v| v.to_str().unwrap())),
                        value,
                        "{input}"
                    );
                }
                Err(_) => assert!(name.is_none(), "{input}"),
            }
        }
    }

    #[test]
    fn curl_order_and_overrides() {
        let target = Target::parse("http://h.test:81/").unwrap();
        let headers = [
            "Accept:".to_owned(),
            "X-B: 2".to_owned(),
            "User-Agent: me".to_owned(),
        ];
        let data = ["a=1".to_owned(), "b=2".to_owned()];
        let spec = RequestSpec::from_flags(&SpecInput {
            headers: &headers,
            data: &data,
            user: Some("u:p"),
            ..SpecInput::default()
        })
        .unwrap();
        assert_eq!(spec.method, Method::POST);
        assert_eq!(spec.body.as_deref(), Some(&b"a=1&b=2"[..]));
        assert_eq!(
            names(&spec.headers(&target, true)),
            [
                "host: h.test:81",
                "authorization: Basic dTpw",
                "x-b: 2",
                "user-agent: me",
                "content-length: 7",
                "content-type: application/x-www-form-urlencoded",
            ]
        );
        assert!(
            !spec
                .headers(&target, false)
                .contains_key(header::AUTHORIZATION)
        );
    }

    #[test]
    fn json_sets_types_and_x_overrides_method() {
        let json = [r#"{"a":1}"#.to_owned()];
        let spec = RequestSpec::from_flags(&SpecInput {
            json: &json,
            method: Some("PUT"),
            ..SpecInput::default()
        })
        .unwrap();
        let target = Target::parse("http://h.test/").unwrap();
        let h = spec.headers(&target, true);
        assert_eq!(spec.method, Method::PUT);
        assert_eq!(h[header::CONTENT_TYPE], "application/json");
        assert_eq!(h[header::ACCEPT], "application/json");
    }
}
