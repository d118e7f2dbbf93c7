//! [`FollowRedirectLayer`]: client-side middleware that follows `301`, `302`, `303`, `307`
//! and `308` redirects, up to a maximum (default 10).
//!
//! # Rules
//! - **Method** (as browsers do, RFC 9110 section 15.4): `303` turns any method but `HEAD`
//!   into `GET`; `301` and `302` turn `POST` into `GET`; `307` and `308` keep the method
//!   and the body. A request turned into `GET` loses its body and its `Content-*` headers.
//! - **Body replay**: a body is kept for the next hop only when it can be rebuilt: it is
//!   empty, or the request carries a [`retry::BufferedBody`](super::retry::BufferedBody)
//!   (see [`retry::buffer_request_body`](super::retry::buffer_request_body)). A `307`/`308` for a
//!   request whose body cannot be rebuilt is not followed: that redirect response is returned.
//! - **Credentials**: when the next hop has another origin (scheme, host or port),
//!   `Authorization`, `Proxy-Authorization` and `Cookie` are removed, and so is `Host`.
//! - **Location**: resolved against the current URI as RFC 3986 section 5.2 says (relative
//!   paths, `..`, `//authority`, query-only references); the fragment is dropped. A redirect
//!   without a usable `Location`, or to a scheme other than `http`/`https`, is returned as
//!   the response.
//! - **History**: the final response carries a [`RedirectHistory`] extension listing every
//!   URI requested, the original first.
//! - After the maximum number of redirects, one more redirect fails with [`TooManyRedirects`]
//!   (a [`BoxError`] you can downcast).
//! - **Connection reuse**: the body of a redirect that is followed is read to its end and
//!   dropped before the next hop is sent, so that its HTTP/1 connection goes back to a pool
//!   instead of closing; bounded by [`DRAIN_MAX_BYTES`] and [`DRAIN_TIMEOUT`] (a larger or
//!   slower body is dropped unread, which closes its connection).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::follow_redirect::{FollowRedirectLayer, RedirectHistory};
//! use rama_http::{Body, Request, Response, StatusCode, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let origin = service_fn(async |req: Request<Body>| {
//!     let mut res = Response::new(Body::empty());
//!     if req.uri().path() == "/old" {
//!         *res.status_mut() = StatusCode::MOVED_PERMANENTLY;
//!         res.headers_mut().insert(header::LOCATION, "new".parse().unwrap());
//!     }
//!     Ok::<_, Infallible>(res)
//! });
//! let client = FollowRedirectLayer::new().into_layer(origin);
//! let req = Request::builder().uri("http://example.test/old").body(Body::empty()).unwrap();
//! let res = client.serve(req).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! let history = res.extensions().get::<RedirectHistory>().unwrap();
//! assert_eq!(history.uris()[1], "http://example.test/new");
//! # }
//! ```

use super::retry::{BufferedBody, try_clone_request};
use crate::{Body, HeaderMap, Method, Request, Response, StatusCode, Uri, header};
use http::uri::{Authority, PathAndQuery, Scheme};
use rama_core::error::BoxError;
use rama_core::{Layer, Service};
use std::fmt;
use std::time::Duration;

/// The default maximum number of redirects followed.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// The most bytes of a followed redirect's body read (and discarded) to free its connection.
pub const DRAIN_MAX_BYTES: u64 = 64 * 1024;

/// The longest a followed redirect's body is read (and discarded) to free its connection.
pub const DRAIN_TIMEOUT: Duration = Duration::from_millis(250);

/// Reads `body` to its end and discards it, so that its connection can be reused; gives up
/// (dropping the rest) after [`DRAIN_MAX_BYTES`], [`DRAIN_TIMEOUT`] or an error. Returns
/// whether the body was read to its end.
async fn drain(mut body: Body) -> bool {
    use http_body::Body as _;
    if body.size_hint().lower() > DRAIN_MAX_BYTES {
        return false;
    }
    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    let mut read = 0u64;
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => return true,
            Ok(Some(Ok(frame))) => {
                read += frame.data_ref().map_or(0, |d| d.len() as u64);
                if read > DRAIN_MAX_BYTES {
                    return false;
                }
            }
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
}

/// The URIs requested while following redirects, the original first; an extension of the
/// final response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectHistory(Vec<Uri>);

impl RedirectHistory {
    /// The URIs requested, in order.
    #[must_use]
    pub fn uris(&self) -> &[Uri] {
        &self.0
    }

    /// How many redirects were followed.
    #[must_use]
    pub fn redirects(&self) -> usize {
        self.0.len().saturating_sub(1)
    }
}

/// The error when a request is redirected more often than allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyRedirects {
    max: usize,
}

impl TooManyRedirects {
    /// The maximum that was exceeded.
    #[must_use]
    pub const fn max(&self) -> usize {
        self.max
    }
}

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "too many redirects (more than {})", self.max)
    }
}

impl std::error::Error for TooManyRedirects {}

/// A [`Layer`] producing [`FollowRedirect`] services.
#[derive(Debug, Clone, Copy)]
pub struct FollowRedirectLayer {
    max_redirects: usize,
}

impl FollowRedirectLayer {
    /// Follow up to [`DEFAULT_MAX_REDIRECTS`] redirects.
    #[must_use]
    pub const fn new() -> Self {
        Self::with_max_redirects(DEFAULT_MAX_REDIRECTS)
    }

    /// Follow up to `max` redirects (`0`: every redirect is an error).
    #[must_use]
    pub const fn with_max_redirects(max: usize) -> Self {
        Self { max_redirects: max }
    }
}

impl Default for FollowRedirectLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for FollowRedirectLayer {
    type Service = FollowRedirect<S>;

    fn layer(&self, inner: S) -> FollowRedirect<S> {
        FollowRedirect {
            inner,
            max_redirects: self.max_redirects,
        }
    }
}

/// A service following redirects; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct FollowRedirect<S> {
    inner: S,
    max_redirects: usize,
}

impl<S> FollowRedirect<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The most redirects followed.
    pub const fn max_redirects(&self) -> usize {
        self.max_redirects
    }
}

/// What a redirect status asks of the next request.
fn next_method(status: StatusCode, method: &Method) -> Option<Method> {
    match status.as_u16() {
        303 if *method != Method::HEAD => Some(Method::GET),
        301 | 302 if *method == Method::POST => Some(Method::GET),
        301 | 302 | 303 | 307 | 308 => Some(method.clone()),
        _ => None,
    }
}

/// `(scheme, host, port)` with the default port filled in.
fn origin(uri: &Uri) -> (Option<&str>, Option<String>, Option<u16>) {
    let scheme = uri.scheme_str();
    let port = uri.port_u16().or(match scheme {
        Some("http" | "ws") => Some(80),
        Some("https" | "wss") => Some(443),
        _ => None,
    });
    (scheme, uri.host().map(str::to_ascii_lowercase), port)
}

fn drop_body_headers(headers: &mut HeaderMap) {
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::CONTENT_LANGUAGE,
        header::CONTENT_LOCATION,
        header::TRANSFER_ENCODING,
    ] {
        headers.remove(name);
    }
}

impl<S> Service<Request<Body>> for FollowRedirect<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let mut req = req;
        let mut history = vec![req.uri().clone()];
        loop {
            // what the next hop needs, taken before the request is moved into the service
            let replay = try_clone_request(&req);
            let mut head = Request::new(());
            *head.method_mut() = req.method().clone();
            *head.uri_mut() = req.uri().clone();
            *head.version_mut() = req.version();
            *head.headers_mut() = req.headers().clone();
            *head.extensions_mut() = req.extensions().clone();

            let mut res = self.inner.serve(req).await.map_err(Into::into)?;
            let Some(method) = next_method(res.status(), head.method()) else {
                res.extensions_mut().insert(RedirectHistory(history));
                return Ok(res);
            };
            let next_uri = res
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| resolve_reference(head.uri(), loc))
                .filter(|uri| matches!(uri.scheme_str(), None | Some("http" | "https")));
            let Some(next_uri) = next_uri else {
                res.extensions_mut().insert(RedirectHistory(history));
                return Ok(res);
            };
            let keeps_body = method == *head.method();
            let body = match (keeps_body, replay) {
                (false, _) => Body::empty(),
                (true, Some(r)) => r.into_body(),
                (true, None) => {
                    tracing::debug!(uri = %next_uri, "redirect not followed: body cannot be replayed");
                    res.extensions_mut().insert(RedirectHistory(history));
                    return Ok(res);
                }
            };
            if history.len() > self.max_redirects {
                return Err(TooManyRedirects {
                    max: self.max_redirects,
                }
                .into());
            }
            // read the redirect's body off its connection, so that a pool can reuse it
            let (_, redirect_body) = res.into_parts();
            if !drain(redirect_body).await {
                tracing::debug!(uri = %next_uri, "redirect body not drained; its connection closes");
            }
            let mut next = head.map(|()| body);
            if !keeps_body {
                drop_body_headers(next.headers_mut());
                next.extensions_mut().remove::<BufferedBody>();
            }
            if origin(next.uri()) != origin(&next_uri) {
                for name in [
                    header::AUTHORIZATION,
                    header::PROXY_AUTHORIZATION,
                    header::COOKIE,
                    header::HOST,
                ] {
                    next.headers_mut().remove(name);
                }
            }
            *next.method_mut() = method;
            *next.uri_mut() = next_uri.clone();
            history.push(next_uri);
            req = next;
        }
    }
}

/// Resolves `reference` (a `Location` value) against `base` (RFC 3986 section 5.2.2);
/// `None` when the result is not a valid URI. The fragment is dropped.
#[must_use]
pub fn resolve_reference(base: &Uri, reference: &str) -> Option<Uri> {
    let reference = reference.split('#').next().unwrap_or_default();
    let (before_query, query) = match reference.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (reference, None),
    };
    let has_scheme = before_query
        .split_once(':')
        .is_some_and(|(scheme, _)| is_scheme(scheme) && !scheme.contains('/'));

    let (scheme, authority, path, query): (
        Option<Scheme>,
        Option<Authority>,
        String,
        Option<&str>,
    ) = if has_scheme {
        let uri: Uri = reference.parse().ok()?;
        let parts = uri.into_parts();
        let path = parts
            .path_and_query
            .as_ref()
            .map_or("/", PathAndQuery::path)
            .to_owned();
        return build(
            parts.scheme,
            parts.authority,
            &remove_dot_segments(&path),
            query,
        );
    } else if let Some(rest) = before_query.strip_prefix("//") {
        let (auth, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        (
            base.scheme().cloned(),
            Some(auth.parse().ok()?),
            remove_dot_segments(path),
            query,
        )
    } else if before_query.is_empty() {
        (
            base.scheme().cloned(),
            base.authority().cloned(),
            base.path().to_owned(),
            query.or(base.query()),
        )
    } else if before_query.starts_with('/') {
        (
            base.scheme().cloned(),
            base.authority().cloned(),
            remove_dot_segments(before_query),
            query,
        )
    } else {
        let base_path = base.path();
        let merged = if base.authority().is_some() && base_path.is_empty() {
            format!("/{before_query}")
        } else {
            let dir = base_path.rfind('/').map_or("", |i| &base_path[..=i]);
            format!("{dir}{before_query}")
        };
        (
            base.scheme().cloned(),
            base.authority().cloned(),
            remove_dot_segments(&merged),
            query,
        )
    };
    build(scheme, authority, &path, query)
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn build(
    scheme: Option<Scheme>,
    authority: Option<Authority>,
    path: &str,
    query: Option<&str>,
) -> Option<Uri> {
    let path = if path.is_empty() { "/" } else { path };
    let pq = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = http::uri::Parts::default();
    parts.scheme = scheme;
    parts.authority = authority;
    parts.path_and_query = Some(pq.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut out = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            let cut = out.rfind('/').unwrap_or(0);
            out.truncate(cut);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            out.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HeaderValue;
    use crate::layer::retry::buffer_request_body;
    use rama_core::service_fn;
    use std::convert::Infallible;
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    #[tokio::test]
    async fn drain_reads_small_bodies_and_gives_up_on_large_or_slow_ones() {
        assert!(drain(Body::empty()).await);
        assert!(drain(Body::from("moved")).await);
        // known to be too large: not read at all
        let big = vec![b'x'; usize::try_from(DRAIN_MAX_BYTES).unwrap() + 1];
        assert!(!drain(Body::from(big)).await);
        // too large, size unknown: read up to the cap
        let (tx, body) = Body::channel();
        let feeder = tokio::spawn(async move {
            let mut sent = 0;
            while tx.send_data(vec![b'x'; 8 * 1024]).await.is_ok() {
                sent += 1;
            }
            sent
        });
        assert!(!drain(body).await);
        let sent = feeder.await.unwrap();
        assert!(sent * 8 * 1024 > DRAIN_MAX_BYTES, "{sent}");
        assert!(sent * 8 * 1024 <= DRAIN_MAX_BYTES + 3 * 8 * 1024, "{sent}");
        // never ends: given up after the time cap
        let (tx, body) = Body::channel();
        let start = std::time::Instant::now();
        assert!(!drain(body).await);
        let took = start.elapsed();
        assert!(
            took >= DRAIN_TIMEOUT && took < DRAIN_TIMEOUT * 8,
            "{took:?}"
        );
        drop(tx);
        // a slow but small body within the time cap is read to its end
        let (tx, body) = Body::channel();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send_data("moved").await;
        });
        assert!(drain(body).await);
    }

    #[test]
    fn rfc3986_reference_resolution() {
        let base: Uri = "http://a/b/c/d;p?q".parse().unwrap();
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            (
                "https://other.test:8443/x/../y?z",
                "https://other.test:8443/y?z",
            ),
        ];
        for (reference, want) in cases {
            let got = resolve_reference(&base, reference).map(|u| u.to_string());
            assert_eq!(got.as_deref(), Some(want), "{reference:?}");
        }
        // not a URI: not followed
        assert_eq!(resolve_reference(&base, "http://bad host/"), None);
        assert_eq!(resolve_reference(&base, "//bad host/x"), None);
    }

    /// An origin: `a.test` and `b.test` with a few redirecting paths; other paths answer
    /// `200` with a summary of the request.
    fn origin_service(
        calls: Arc<AtomicUsize>,
    ) -> impl Service<Request<Body>, Output = Response<Body>, Error = Infallible> {
        service_fn(move |req: Request<Body>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let redirect = |status: u16, to: &str| {
                    let mut res = Response::new(Body::empty());
                    *res.status_mut() = StatusCode::from_u16(status).unwrap();
                    res.headers_mut()
                        .insert(header::LOCATION, HeaderValue::from_str(to).unwrap());
                    Ok(res)
                };
                let host = req.uri().host().unwrap_or_default().to_owned();
                match (host.as_str(), req.uri().path()) {
                    (_, "/301") => redirect(301, "/final"),
                    (_, "/302") => redirect(302, "final"),
                    (_, "/303") => redirect(303, "/final"),
                    (_, "/307") => redirect(307, "/final"),
                    (_, "/308") => redirect(308, "/final"),
                    ("a.test", "/cross") => redirect(307, "http://b.test/x/../final?from=a"),
                    ("a.test", "/cross-relative") => redirect(302, "//b.test/final"),
                    (_, "/loop") => redirect(302, "/loop"),
                    ("a.test", "/chain") => redirect(302, "/chain/2"),
                    ("a.test", "/chain/2") => redirect(303, "https://b.test/deep/chain/3"),
                    ("b.test", "/deep/chain/3") => redirect(307, "../4?x=1#frag"),
                    ("b.test", "/deep/4") => redirect(308, "http://a.test/final"),
                    (_, "/ftp") => redirect(302, "ftp://a.test/file"),
                    (_, "/no-location") => {
                        let mut res = Response::new(Body::empty());
                        *res.status_mut() = StatusCode::FOUND;
                        Ok(res)
                    }
                    _ => {
                        let summary = {
                            let h = |n| {
                                req.headers()
                                    .get(n)
                                    .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
                                    .unwrap_or_else(|| "-".to_owned())
                            };
                            let summary = format!(
                                "{} {} auth={} cookie={} type={}",
                                req.method(),
                                req.uri(),
                                h(header::AUTHORIZATION),
                                h(header::COOKIE),
                                h(header::CONTENT_TYPE),
                            );
                            summary
                        };
                        let body = req.into_body().collect_string(1024).await.unwrap();
                        Ok(Response::new(Body::from(format!("{summary} body={body}"))))
                    }
                }
            }
        })
    }

    async fn send(
        method: Method,
        uri: &str,
        body: Option<&'static str>,
        max: usize,
    ) -> (Result<(StatusCode, String, Vec<String>), BoxError>, usize) {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc =
            FollowRedirectLayer::with_max_redirects(max).into_layer(origin_service(calls.clone()));
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, "Bearer secret")
            .header(header::COOKIE, "sid=1")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        if body.is_some() {
            req = buffer_request_body(req, 1024).await.unwrap();
        }
        let out = match svc.serve(req).await {
            Ok(res) => {
                let status = res.status();
                let history = res
                    .extensions()
                    .get::<RedirectHistory>()
                    .unwrap()
                    .uris()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                let text = res.into_body().collect_string(4096).await.unwrap();
                Ok((status, text, history))
            }
            Err(e) => Err(e),
        };
        (out, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn method_rules() {
        let final_same = "http://a.test/final";
        // (method, path, body, expected summary of the final request)
        let cases = [
            ("POST", "/301", Some("data"), "GET", "type=- body="),
            ("POST", "/302", Some("data"), "GET", "type=- body="),
            (
                "PUT",
                "/302",
                Some("data"),
                "PUT",
                "type=text/plain body=data",
            ),
            ("POST", "/303", Some("data"), "GET", "type=- body="),
            ("PUT", "/303", Some("data"), "GET", "type=- body="),
            ("HEAD", "/303", None, "HEAD", "type=text/plain body="),
            ("GET", "/303", None, "GET", "type=text/plain body="),
            (
                "POST",
                "/307",
                Some("data"),
                "POST",
                "type=text/plain body=data",
            ),
            (
                "POST",
                "/308",
                Some("data"),
                "POST",
                "type=text/plain body=data",
            ),
            ("DELETE", "/308", None, "DELETE", "type=text/plain body="),
        ];
        for (method, path, body, want_method, want_tail) in cases {
            let uri = format!("http://a.test{path}");
            let (out, calls) = send(method.parse().unwrap(), &uri, body, 10).await;
            let (status, text, history) = out.unwrap();
            assert_eq!(status, StatusCode::OK, "{method} {path}");
            assert_eq!(calls, 2, "{method} {path}");
            assert_eq!(
                text,
                format!("{want_method} {final_same} auth=Bearer secret cookie=sid=1 {want_tail}"),
                "{method} {path}"
            );
            assert_eq!(history, [uri.as_str(), final_same]);
        }
    }

    #[tokio::test]
    async fn cross_origin_strips_credentials_and_resolves_location() {
        let (out, _) = send(Method::POST, "http://a.test/cross", Some("data"), 10).await;
        let (_, text, history) = out.unwrap();
        assert_eq!(
            text,
            "POST http://b.test/final?from=a auth=- cookie=- type=text/plain body=data"
        );
        assert_eq!(
            history,
            ["http://a.test/cross", "http://b.test/final?from=a"]
        );

        let (out, _) = send(Method::GET, "http://a.test/cross-relative", None, 10).await;
        let (_, text, _) = out.unwrap();
        assert!(
            text.starts_with("GET http://b.test/final auth=- cookie=-"),
            "{text}"
        );

        // another port is another origin too; the default port is the same origin
        assert_ne!(
            origin(&"http://a.test/".parse().unwrap()),
            origin(&"http://a.test:8080/".parse().unwrap())
        );
        assert_eq!(
            origin(&"http://A.test/".parse().unwrap()),
            origin(&"http://a.test:80/x".parse().unwrap())
        );
    }

    #[tokio::test]
    async fn max_redirects_is_an_error() {
        let (out, calls) = send(Method::GET, "http://a.test/loop", None, 3).await;
        let err = out.unwrap_err();
        assert_eq!(err.downcast_ref::<TooManyRedirects>().unwrap().max(), 3);
        assert_eq!(calls, 4, "the original request and three redirects");

        let (out, calls) = send(Method::GET, "http://a.test/301", None, 0).await;
        assert!(out.unwrap_err().is::<TooManyRedirects>());
        assert_eq!(calls, 1);

        let (out, _) = send(Method::GET, "http://a.test/301", None, 1).await;
        assert_eq!(out.unwrap().0, StatusCode::OK);
    }

    #[tokio::test]
    async fn unreplayable_body_and_missing_location_end_the_chain() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = FollowRedirectLayer::new().into_layer(origin_service(calls.clone()));
        let req = Request::builder()
            .method(Method::POST)
            .uri("http://a.test/307")
            .body(Body::from("not buffered"))
            .unwrap();
        let res = svc.serve(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        for path in ["/no-location", "/ftp"] {
            let (out, calls) = send(Method::GET, &format!("http://a.test{path}"), None, 10).await;
            assert_eq!(out.unwrap().0, StatusCode::FOUND, "{path}");
            assert_eq!(calls, 1, "{path}");
        }
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<FollowRedirectLayer>();
        assert_send_sync::<FollowRedirect<()>>();
        assert_send_sync::<RedirectHistory>();
        assert_send_sync::<TooManyRedirects>();
    }

    #[tokio::test]
    async fn a_chain_across_origins() {
        let (out, calls) = send(Method::POST, "http://a.test/chain", Some("data"), 10).await;
        let (status, text, history) = out.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(calls, 5);
        assert_eq!(
            history,
            [
                "http://a.test/chain",
                "http://a.test/chain/2",
                "https://b.test/deep/chain/3",
                "https://b.test/deep/4?x=1",
                "http://a.test/final",
            ]
        );
        // 302 turned POST into GET (body and Content-Type gone); credentials were stripped
        // on the way to b.test and do not come back on the return to a.test
        assert_eq!(text, "GET http://a.test/final auth=- cookie=- type=- body=");
        // four redirects: a maximum of three stops the chain
        let (out, calls) = send(Method::GET, "http://a.test/chain", None, 3).await;
        assert!(out.unwrap_err().is::<TooManyRedirects>());
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn add_authorization_outside_is_stripped_across_origins() {
        use crate::layer::add_authorization::AddAuthorizationLayer;
        use rama_net::user::Bearer;

        let auth = || AddAuthorizationLayer::bearer(Bearer::new("tok").unwrap());
        let request = || {
            Request::builder()
                .uri("http://a.test/cross-relative")
                .body(Body::empty())
                .unwrap()
        };
        let calls = Arc::new(AtomicUsize::new(0));

        // the order the book recommends: credentials added once, stripped on the new origin
        let svc = (auth(), FollowRedirectLayer::new()).into_layer(origin_service(calls.clone()));
        let text = svc.serve(request()).await.unwrap().into_body();
        let text = text.collect_string(1024).await.unwrap();
        assert!(text.contains("auth=-"), "{text}");

        // the other order adds them on every hop: the other origin receives the token
        let svc = (FollowRedirectLayer::new(), auth()).into_layer(origin_service(calls));
        let text = svc.serve(request()).await.unwrap().into_body();
        let text = text.collect_string(1024).await.unwrap();
        assert!(text.contains("auth=Bearer tok"), "{text}");
    }
}
