//! The URL to send to: parsed the way curl reads it (a missing scheme means `http://`), and
//! `Location` values resolved against it.

use super::exit::{Failure, MALFORMED_URL, UNSUPPORTED_PROTOCOL};
use rama::http::Uri;
use rama::net::address::Authority;

/// An `http://` or `https://` URL split into what a connection and a request need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The full URL (`http://host:port/path?query`), with the scheme filled in.
    pub(crate) uri: Uri,
    /// Where to connect: host and port (80, or 443 for https, when the URL has none).
    pub(crate) authority: Authority,
    /// The `Host` header value: the URL's host, with the port only when it is not the
    /// scheme's default.
    pub(crate) host_header: String,
    /// Whether the URL is `https://` (TLS before HTTP).
    pub(crate) tls: bool,
}

impl Target {
    /// Parse `input` as curl does: `host:port/path` is `http://host:port/path`; `http` and
    /// `https` are supported.
    pub(crate) fn parse(input: &str) -> Result<Self, Failure> {
        let input = input.trim();
        let with_scheme = match input.find("://") {
            Some(_) => input.to_owned(),
            None => format!("http://{input}"),
        };
        let uri: Uri = with_scheme
            .parse()
            .map_err(|e| Failure::new(MALFORMED_URL, format!("URL `{input}`: {e}")))?;
        let tls = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            other => {
                return Err(Failure::new(
                    UNSUPPORTED_PROTOCOL,
                    format!(
                        "`{input}`: protocol `{}` not supported",
                        other.unwrap_or_default()
                    ),
                ));
            }
        };
        let auth = uri
            .authority()
            .ok_or_else(|| Failure::new(MALFORMED_URL, format!("URL `{input}` has no host")))?;
        let host = auth.host();
        if host.is_empty() {
            return Err(Failure::new(
                MALFORMED_URL,
                format!("URL `{input}` has no host"),
            ));
        }
        let default_port = if tls { 443 } else { 80 };
        let port = auth.port_u16().unwrap_or(default_port);
        let authority: Authority = format!("{host}:{port}")
            .parse()
            .map_err(|e| Failure::new(MALFORMED_URL, format!("URL `{input}`: host: {e}")))?;
        let host_header = if port == default_port {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        // normalise: an empty path is `/`
        let uri = if uri.path().is_empty() {
            let mut parts = uri.into_parts();
            parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
            Uri::from_parts(parts)
                .map_err(|e| Failure::new(MALFORMED_URL, format!("URL `{input}`: {e}")))?
        } else {
            uri
        };
        Ok(Self {
            uri,
            authority,
            host_header,
            tls,
        })
    }

    /// The URL a `Location` value points to, relative to this one (RFC 3986 §5.2, the
    /// forms servers send: absolute, `//authority/..`, `/path`, `path`, `?query`).
    pub(crate) fn join(&self, location: &str) -> Result<Self, Failure> {
        let location = location.trim();
        let scheme = if self.tls { "https" } else { "http" };
        let authority = self.uri.authority().map_or("", |a| a.as_str());
        let joined = if location.contains("://") {
            location.to_owned()
        } else if let Some(rest) = location.strip_prefix("//") {
            format!("{scheme}://{rest}")
        } else if location.starts_with('/') {
            format!("{scheme}://{authority}{location}")
        } else if location.starts_with('?') {
            format!("{scheme}://{authority}{}{location}", self.uri.path())
        } else {
            let path = self.uri.path();
            let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
            format!("{scheme}://{authority}{dir}{location}")
        };
        Self::parse(&joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases = [
            (
                "http://127.0.0.1:8080/a?b",
                "http://127.0.0.1:8080/a?b",
                "127.0.0.1:8080",
                "127.0.0.1:8080",
            ),
            (
                "http://example.com",
                "http://example.com/",
                "example.com:80",
                "example.com",
            ),
            (
                "localhost:3000/x",
                "http://localhost:3000/x",
                "localhost:3000",
                "localhost:3000",
            ),
            (
                "http://[::1]:81/",
                "http://[::1]:81/",
                "[::1]:81",
                "[::1]:81",
            ),
            (
                "https://example.com/a",
                "https://example.com/a",
                "example.com:443",
                "example.com",
            ),
            (
                "https://127.0.0.1:8443",
                "https://127.0.0.1:8443/",
                "127.0.0.1:8443",
                "127.0.0.1:8443",
            ),
        ];
        for (input, uri, authority, host) in cases {
            let t = Target::parse(input).unwrap();
            assert_eq!(t.uri.to_string(), uri, "{input}");
            assert_eq!(t.authority.to_string(), authority, "{input}");
            assert_eq!(t.host_header, host, "{input}");
            assert_eq!(t.tls, input.starts_with("https"), "{input}");
        }
    }

    #[test]
    fn parse_errors_have_curl_codes() {
        let cases = [
            ("gopher://example.com/", UNSUPPORTED_PROTOCOL),
            ("ftp://example.com/", UNSUPPORTED_PROTOCOL),
            ("http://", MALFORMED_URL),
            ("http://exa mple.com/", MALFORMED_URL),
        ];
        for (input, code) in cases {
            assert_eq!(Target::parse(input).unwrap_err().code, code, "{input}");
        }
    }

    #[test]
    fn join_table() {
        let base = Target::parse("http://a.test:8080/dir/page?q=1").unwrap();
        let cases = [
            ("http://b.test/x", "http://b.test/x"),
            ("//c.test:81/y", "http://c.test:81/y"),
            ("/root", "http://a.test:8080/root"),
            ("next", "http://a.test:8080/dir/next"),
            ("?q=2", "http://a.test:8080/dir/page?q=2"),
            ("https://s.test/z", "https://s.test/z"),
        ];
        for (location, want) in cases {
            assert_eq!(
                base.join(location).unwrap().uri.to_string(),
                want,
                "{location}"
            );
        }
    }
}
