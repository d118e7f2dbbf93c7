//! [`HttpForwardProxy`]: the forward proxy service (absolute-form requests and CONNECT).

use super::connect::{ConnectTarget, TunnelMode};
use super::error::{UpstreamError, text_response};
use super::hop_by_hop::remove_hop_by_hop_headers;
use rama_core::Service;
use rama_core::error::BoxError;
use rama_core::future::MapFuture;
use rama_core::graceful::Executor;
use rama_core::service::Either;
use rama_http::server::upgrade::OnUpgrade;
use rama_http::{Body, Method, Request, Response, StatusCode, Version, header};
use rama_net::client::ConnectorService;
use rama_net::stream::ForwardConfig;
use rama_tcp::client::TcpRequest;
use std::convert::Infallible;
use std::future::{Future, ready};
use std::time::Duration;

/// The default time to connect to a CONNECT target: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP forward proxy: a `Service<Request<Body>>` to put behind
/// [`HttpServer`](rama_http::server::HttpServer) (HTTP/1.1 and h2).
///
/// - `GET http://host/path` (absolute-form, plain HTTP): hop-by-hop headers are removed,
///   `Host` is set from the URL, and the request goes out through the HTTP `client`
///   (`H`, a `Service<Request<Body>>`, e.g. rama-http's `EasyHttpWebClient`); the response
///   streams back, hop-by-hop headers removed.
/// - `CONNECT host:port`: the target is connected through `connector` (`C`, a
///   `Service<TcpRequest>` such as a [`PolicyConnector`](crate::policy::PolicyConnector))
///   within the connect timeout, **before** the proxy answers `200`; then bytes flow both
///   ways ([`forward_bidirectional`](rama_net::stream::forward_bidirectional) for HTTP/1.1,
///   the stream's DATA frames for h2 CONNECT, RFC 9113 §8.5). A
///   [`ProxyAddress`](rama_net::address::ProxyAddress), [`UsernameLabels`](crate::username::UsernameLabels)
///   and [`UserId`](rama_net::user::UserId) found in the request's (or connection's)
///   extensions are copied into the `TcpRequest`'s extensions, so a proxy-DB layer in front
///   chains the tunnel through the upstream it picked.
/// - Anything else (an origin-form request such as `GET /`) gets `400` with the reason.
///
/// Failures answer the status in the table of [`UpstreamError`]: `403` for a target the
/// policy refuses, `502` when it cannot be reached, `504` when it does not answer in time.
/// The service never fails: its error type is [`Infallible`].
///
/// ```
/// use rama_http::client::EasyHttpWebClient;
/// use rama_net::dns::InMemoryDns;
/// use rama_proxy::http::server::HttpForwardProxy;
/// use rama_proxy::policy::{PolicyConnector, TargetPolicy};
/// use std::time::Duration;
///
/// let policy = TargetPolicy::public_only();
/// let connector = PolicyConnector::tcp(InMemoryDns::new(), policy);
/// let client = EasyHttpWebClient::with_connector(connector.clone());
/// let proxy = HttpForwardProxy::new(connector, client)
///     .with_connect_timeout(Duration::from_secs(5));
/// assert_eq!(proxy.connect_timeout(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct HttpForwardProxy<C, H> {
    connector: C,
    client: H,
    connect_timeout: Duration,
    tunnel: ForwardConfig,
    executor: Executor,
}

impl<C, H> HttpForwardProxy<C, H> {
    /// A proxy that opens CONNECT tunnels with `connector` and sends absolute-form requests
    /// with `client`.
    #[must_use]
    pub const fn new(connector: C, client: H) -> Self {
        Self {
            connector,
            client,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tunnel: ForwardConfig::new(),
            executor: Executor::new(),
        }
    }

    /// Spawns tunnel tasks with `executor`: with [`Executor::graceful`], a graceful
    /// shutdown waits (up to its deadline) for open tunnels. By default tunnels are plain
    /// `tokio::spawn` tasks that shutdown does not wait for.
    #[must_use]
    pub fn with_executor(mut self, executor: Executor) -> Self {
        self.executor = executor;
        self
    }

    /// How long a CONNECT may take to reach its target (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]); past it the client gets `504`.
    #[must_use]
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How tunnels copy bytes: buffer size and idle timeout (default
    /// [`ForwardConfig::new`]: 64 KiB, 10 minutes).
    #[must_use]
    pub const fn with_tunnel_config(mut self, config: ForwardConfig) -> Self {
        self.tunnel = config;
        self
    }

    /// See [`with_connect_timeout`](Self::with_connect_timeout).
    #[must_use]
    pub const fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// See [`with_tunnel_config`](Self::with_tunnel_config).
    #[must_use]
    pub const fn tunnel_config(&self) -> &ForwardConfig {
        &self.tunnel
    }

    /// The CONNECT connector.
    #[must_use]
    pub const fn connector(&self) -> &C {
        &self.connector
    }

    /// The HTTP client for absolute-form requests.
    #[must_use]
    pub const fn client(&self) -> &H {
        &self.client
    }
}

impl<C, H> Service<Request<Body>> for HttpForwardProxy<C, H>
where
    C: ConnectorService<TcpRequest>,
    H: Service<Request<Body>, Output = Response<Body>>,
    H::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = Infallible;

    fn serve(
        &self,
        req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send {
        if req.method() == Method::CONNECT {
            // boxed: the connect future is large and only CONNECTs need it; inline it would
            // be copied with every absolute-form request's future
            Either::A(MapFuture::new(Box::pin(self.tunnel(req)), Ok))
        } else {
            Either::B(self.forward(req))
        }
    }
}

impl<C, H> HttpForwardProxy<C, H>
where
    C: ConnectorService<TcpRequest>,
    H: Service<Request<Body>, Output = Response<Body>>,
    H::Error: Into<BoxError>,
{
    /// An absolute-form request: through the HTTP client. The request is checked and
    /// prepared here, before any future exists; the future is the client's call with the
    /// answer's mapping, or the refusal (no `async fn` state holding the request twice next
    /// to the client's future).
    ///
    /// Its output is already the service's `Result`: one mapping level less for the
    /// response to be moved through.
    fn forward(
        &self,
        req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send {
        let uri = req.uri();
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Either::A(ready(Ok(text_response(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "this proxy forwards http:// URLs; for {other}:// ask for a tunnel with CONNECT"
                    ),
                ))));
            }
            None => {
                return Either::A(ready(Ok(text_response(
                    StatusCode::BAD_REQUEST,
                    "not a proxy request: the request target must be an absolute http:// URL, \
                     or the method CONNECT",
                ))));
            }
        }
        let Some(authority) = uri.authority() else {
            return Either::A(ready(Ok(text_response(
                StatusCode::BAD_REQUEST,
                "the request URL has no host",
            ))));
        };
        if authority.as_str().contains('@') {
            return Either::A(ready(Ok(text_response(
                StatusCode::BAD_REQUEST,
                "user info in the request URL is not forwarded",
            ))));
        }
        // without user info the host is what comes before the port: empty when the text
        // is, or starts with the port's colon (`Authority::host` would split the text again,
        // about 400 instructions)
        if authority.as_str().is_empty() || authority.as_str().starts_with(':') {
            return Either::A(ready(Ok(text_response(
                StatusCode::BAD_REQUEST,
                "the request URL has no host",
            ))));
        }
        // shares the URI's bytes: no copy unless an error names it
        let target = authority.clone();
        let (mut parts, body) = req.into_parts();
        remove_hop_by_hop_headers(&mut parts.headers);
        // the URL's authority is the target (RFC 9112 §3.2.2); the client writes Host from it
        parts.headers.remove(header::HOST);
        // the next hop speaks HTTP/1.1 whatever the client spoke to us
        parts.version = Version::HTTP_11;
        parts.extensions.remove::<OnUpgrade>();
        let call = self.client.serve(Request::from_parts(parts, body));
        Either::B(MapFuture::new(
            call,
            move |result: Result<Response<Body>, H::Error>| match result {
                Ok(mut res) => {
                    remove_hop_by_hop_headers(res.headers_mut());
                    Ok(res)
                }
                Err(err) => {
                    let err: BoxError = err.into();
                    let answer = UpstreamError::classify(&target, &err);
                    tracing::debug!(%target, status = %answer.status(), "forward failed: {err:#}");
                    Ok(answer.into_response())
                }
            },
        ))
    }

    /// A CONNECT request: connect eagerly, then tunnel.
    async fn tunnel(&self, mut req: Request<Body>) -> Response<Body> {
        let target = match ConnectTarget::from_request(&req) {
            Ok(target) => target,
            Err(reason) => return text_response(StatusCode::BAD_REQUEST, reason),
        };
        let Some(mode) = TunnelMode::of(&mut req) else {
            return text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "CONNECT is not available on this connection (the server offers no upgrade)",
            );
        };
        let authority = target.request.authority.clone();
        let connect = self.connector.connect(target.request);
        let conn = match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(established)) => established.conn,
            Ok(Err(err)) => {
                let err: BoxError = err.into();
                let answer = UpstreamError::classify(&authority, &err);
                tracing::debug!(target = %authority, status = %answer.status(), "CONNECT failed: {err:#}");
                return answer.into_response();
            }
            Err(_elapsed) => {
                tracing::debug!(target = %authority, "CONNECT timed out");
                return UpstreamError::timeout(&authority, self.connect_timeout).into_response();
            }
        };
        mode.start(
            conn,
            authority,
            req.into_body(),
            self.tunnel,
            &self.executor,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use rama_net::client::EstablishedClientConnection;

    fn proxy() -> HttpForwardProxy<
        impl Service<
            TcpRequest,
            Output = EstablishedClientConnection<tokio::io::DuplexStream, TcpRequest>,
            Error = BoxError,
        >,
        impl Service<Request<Body>, Output = Response<Body>, Error = BoxError>,
    > {
        let connector = service_fn(async |req: TcpRequest| -> Result<_, BoxError> {
            Err(format!("no route to {}", req.authority).into())
        });
        let client = service_fn(async |req: Request<Body>| -> Result<_, BoxError> {
            // the client sees what the proxy forwards: echo the interesting parts
            let names: Vec<&str> = req.headers().keys().map(|k| k.as_str()).collect();
            let text = format!(
                "{} {} {:?} [{}]",
                req.method(),
                req.uri(),
                req.version(),
                names.join(",")
            );
            let mut res = Response::new(Body::from(text));
            res.headers_mut().insert("connection", "x-hop".parse()?);
            res.headers_mut().insert("x-hop", "1".parse()?);
            res.headers_mut().insert("x-end", "1".parse()?);
            Ok(res)
        });
        HttpForwardProxy::new(connector, client)
    }

    /// Method, target, extra headers, status, what the body contains.
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u16, &'a str);

    #[tokio::test]
    async fn request_table() {
        let proxy = proxy();
        let cases: &[Case<'_>] = &[
            (
                "GET",
                "http://origin.test/a?b",
                &[
                    ("host", "origin.test"),
                    ("proxy-connection", "keep-alive"),
                    ("accept", "*/*"),
                    ("proxy-authorization", "Basic eDp5"),
                ],
                200,
                "GET http://origin.test/a?b HTTP/1.1 [accept]",
            ),
            ("GET", "/", &[], 400, "not a proxy request"),
            ("GET", "https://origin.test/", &[], 400, "CONNECT"),
            ("GET", "ftp://origin.test/", &[], 400, "CONNECT"),
            ("GET", "http://u:p@origin.test/", &[], 400, "user info"),
            ("GET", "http://:80/", &[], 400, "no host"),
            ("GET", "http://u@:80/", &[], 400, "user info"),
            (
                "CONNECT",
                "origin.test:443",
                &[],
                502,
                "origin.test:443: request failed",
            ),
        ];
        for (method, target, headers, status, body) in cases {
            let mut req = Request::builder().method(*method).uri(*target);
            for (k, v) in *headers {
                req = req.header(*k, *v);
            }
            if *method == "CONNECT" {
                // h2 CONNECT: no upgrade needed
                req = req.version(Version::HTTP_2);
            }
            let req = req.body(Body::empty()).unwrap();
            let res = proxy.serve(req).await.unwrap();
            assert_eq!(res.status().as_u16(), *status, "{method} {target}");
            if *status == 200 {
                assert!(
                    !res.headers().contains_key("x-hop") && res.headers().contains_key("x-end")
                );
            }
            let text = res.into_body().collect_string(4096).await.unwrap();
            assert!(text.contains(body), "{method} {target}: {text}");
        }
    }

    #[tokio::test]
    async fn http1_connect_without_upgrade_is_refused_before_connecting() {
        let req = Request::builder()
            .method("CONNECT")
            .uri("origin.test:443")
            .body(Body::empty())
            .unwrap();
        let res = proxy().serve(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn connect_targets_must_be_host_and_port() {
        for target in ["origin.test:0", "[::1:80"] {
            let Ok(req) = Request::builder()
                .method("CONNECT")
                .uri(target)
                .version(Version::HTTP_2)
                .body(Body::empty())
            else {
                continue; // the http crate already refuses it
            };
            let res = proxy().serve(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{target}");
        }
    }
}
