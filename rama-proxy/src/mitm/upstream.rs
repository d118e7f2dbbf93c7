//! The HTTP service on a decrypted tunnel: each request gets the tunnel's absolute
//! `https://host:port` URI, loses its hop-by-hop headers, and goes to the MITM's client
//! (inspection included); a failure becomes a `502` that says what failed.

use crate::http::server::remove_hop_by_hop_headers;
use rama_core::{Service, error::BoxError};
use rama_http::{Body, HeaderMap, Request, Response, StatusCode, Uri, Version, header};
use rama_net::address::Authority;
use std::sync::Arc;

/// What the MITM knows about the tunnel a decrypted request came through. Each intercepted
/// request carries it in its extensions (`req.extensions().get::<MitmTunnel>()`), as does
/// the decrypted connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MitmTunnel {
    /// The CONNECT target: where requests are forwarded.
    pub target: Authority,
    /// The SNI the client sent, if any.
    pub server_name: Option<String>,
}

impl MitmTunnel {
    /// A tunnel to `target`, with the client's SNI.
    #[must_use]
    pub const fn new(target: Authority, server_name: Option<String>) -> Self {
        Self {
            target,
            server_name,
        }
    }
}

/// Serves the requests of one decrypted tunnel with the MITM's client.
pub(crate) struct TunnelService<C> {
    pub(crate) client: Arc<C>,
    pub(crate) tunnel: Arc<MitmTunnel>,
    /// What the CONNECT request carried (the proxy user, username labels, an upstream
    /// `ProxyAddress` picked by a proxy database layer): each decrypted request gets a copy,
    /// under its own entries.
    pub(crate) connect_extensions: http::Extensions,
}

impl<C> Service<Request<Body>> for TunnelService<C>
where
    C: Service<Request<Body>, Output = Response<Body>>,
    C::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let target = &self.tunnel.target;
        let mut req = match upstream_request(req, target) {
            Ok(req) => req,
            Err(err) => return Ok(error_response(StatusCode::BAD_REQUEST, &err)),
        };
        if !self.connect_extensions.is_empty() {
            let own = std::mem::take(req.extensions_mut());
            let mut merged = self.connect_extensions.clone();
            merged.extend(own);
            *req.extensions_mut() = merged;
        }
        req.extensions_mut().insert((*self.tunnel).clone());
        let (method, uri) = (req.method().clone(), req.uri().clone());
        match self.client.serve(req).await {
            Ok(mut res) => {
                strip_hop_by_hop(res.headers_mut());
                Ok(res)
            }
            Err(err) => {
                let err: BoxError = err.into();
                tracing::debug!(%method, %uri, "MITM upstream request failed: {err:#}");
                Ok(error_response(
                    StatusCode::BAD_GATEWAY,
                    &format!("upstream {uri} failed: {err:#}"),
                ))
            }
        }
    }
}

/// The extensions of a CONNECT request worth handing to the requests of its tunnel: all but
/// the upgrade handle, the outer connection's extensions and the CONNECT's header record.
pub(crate) fn connect_extensions(mut extensions: http::Extensions) -> http::Extensions {
    extensions.remove::<rama_http::server::upgrade::OnUpgrade>();
    extensions.remove::<rama_core::extensions::Extensions>();
    extensions.remove::<rama_http::wire::OriginalHeaderNames>();
    extensions
}

/// `req` made ready for the client: the URI `https://TARGET` + its path and query, HTTP/1.1
/// (the client then picks h2 or HTTP/1.1 by ALPN with the target, whatever the client of
/// the MITM spoke), hop-by-hop headers removed.
pub(crate) fn upstream_request(
    req: Request<Body>,
    target: &Authority,
) -> Result<Request<Body>, String> {
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    if !path.starts_with('/') {
        return Err(format!(
            "the MITM serves origin-form requests only, not {:?}",
            parts.uri.to_string()
        ));
    }
    let uri: Uri = format!("https://{target}{path}")
        .parse()
        .map_err(|e| format!("build the upstream URI for {target}{path}: {e}"))?;
    parts.uri = uri;
    parts.version = Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    Ok(Request::from_parts(parts, body))
}

/// Remove the headers that belong to one connection (RFC 9110 §7.6.1), as the forward
/// proxy does ([`remove_hop_by_hop_headers`]), except that `TE: trailers` stays (the one `TE`
/// value h2 allows, and what a gRPC client needs the origin to see).
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let te_trailers = headers
        .get(header::TE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("trailers"))
        });
    remove_hop_by_hop_headers(headers);
    if te_trailers {
        headers.insert(header::TE, header::HeaderValue::from_static("trailers"));
    }
}

/// A plain-text error answer from the MITM itself.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response<Body> {
    let mut res = Response::new(Body::from(format!("rama MITM: {message}\n")));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;

    #[test]
    fn upstream_request_table() {
        // (request URI, version, target, expected URI or error part)
        let cases: [(&str, Version, &str, Result<&str, &str>); 6] = [
            (
                "/",
                Version::HTTP_11,
                "a.test:443",
                Ok("https://a.test:443/"),
            ),
            (
                "/p?q=1",
                Version::HTTP_11,
                "a.test:8443",
                Ok("https://a.test:8443/p?q=1"),
            ),
            // h2 requests come absolute: the path is kept, the host is the tunnel's
            (
                "https://other.test/x",
                Version::HTTP_2,
                "a.test:443",
                Ok("https://a.test:443/x"),
            ),
            (
                "/v6",
                Version::HTTP_11,
                "[::1]:8443",
                Ok("https://[::1]:8443/v6"),
            ),
            ("*", Version::HTTP_11, "a.test:443", Err("origin-form")),
            (
                "/",
                Version::HTTP_10,
                "127.0.0.1:1",
                Ok("https://127.0.0.1:1/"),
            ),
        ];
        for (uri, version, target, expected) in cases {
            let req = Request::builder()
                .uri(uri)
                .version(version)
                .body(Body::empty())
                .unwrap();
            let target: Authority = target.parse().unwrap();
            match (upstream_request(req, &target), expected) {
                (Ok(req), Ok(want)) => {
                    assert_eq!(req.uri().to_string(), want, "{uri}");
                    assert_eq!(req.version(), Version::HTTP_11, "{uri}");
                }
                (Err(err), Err(part)) => assert!(err.contains(part), "{uri}: {err}"),
                (got, want) => panic!("{uri}: {:?} vs {want:?}", got.map(|r| r.uri().clone())),
            }
        }
    }

    #[test]
    fn hop_by_hop_headers_go() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("transfer-encoding", "chunked"),
            ("te", "gzip, trailers"),
            ("upgrade", "websocket"),
            ("x-kept", "yes"),
            ("host", "a.test"),
        ] {
            h.append(k, v.parse().unwrap());
        }
        strip_hop_by_hop(&mut h);
        let mut names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["host", "te", "x-kept"]);
        assert_eq!(h["te"], "trailers");
    }

    /// What a proxy-auth layer would have put on the CONNECT request.
    #[derive(Debug, Clone, PartialEq)]
    struct ProxyUser(&'static str);

    #[tokio::test]
    async fn client_errors_become_502_and_requests_carry_the_tunnel() {
        let tunnel = Arc::new(MitmTunnel::new("a.test:443".parse().unwrap(), None));
        let client = service_fn(async |req: Request<Body>| {
            if req.uri().path() == "/fail" {
                return Err::<Response<Body>, BoxError>("certificate not trusted".into());
            }
            let seen = req
                .extensions()
                .get::<MitmTunnel>()
                .map(|t| t.target.to_string());
            // the CONNECT's entries fill in, the request's own win
            let user = req.extensions().get::<ProxyUser>().map(|u| u.0);
            let own = req.extensions().get::<u8>();
            Ok(Response::new(Body::from(format!(
                "{} {seen:?} {user:?} {own:?}",
                req.uri()
            ))))
        });
        let mut on_connect = http::Extensions::new();
        on_connect.insert(ProxyUser("john"));
        on_connect.insert(7u8);
        on_connect.insert(rama_core::extensions::Extensions::new());
        let svc = TunnelService {
            client: Arc::new(client),
            tunnel,
            connect_extensions: connect_extensions(on_connect),
        };
        assert!(
            svc.connect_extensions
                .get::<rama_core::extensions::Extensions>()
                .is_none()
        );
        let mut req = Request::get("/ok").body(Body::empty()).unwrap();
        req.extensions_mut().insert(9u8);
        let res = svc.serve(req).await.unwrap();
        let body = res.into_body().collect_bytes(1024).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "https://a.test:443/ok Some(\"a.test:443\") Some(\"john\") Some(9)"
        );

        let res = svc
            .serve(Request::get("/fail").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
        let body = res.into_body().collect_bytes(1024).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("certificate not trusted"), "{text}");
        assert!(text.contains("https://a.test:443/fail"), "{text}");
    }
}
