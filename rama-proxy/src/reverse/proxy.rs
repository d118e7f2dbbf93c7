//! [`ReverseProxy`]: the service that forwards each request to one of its upstreams.

use super::balance::{Balance, Balancer};
use super::error::{ErrorKind, ReverseProxyError};
use super::headers::{self, ForwardedHeaders, Hop, HostHeader};
use super::health::{self, ActiveHealthCheck, PassiveHealth};
use super::per_thread::PerThread;
use super::retry::{self, RetryPolicy};
use super::upgrade;
use super::upstream::{Upstream, UpstreamSet, UpstreamState, UpstreamStatus};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version, header};
use rama_core::Service;
use rama_core::error::{BoxError, OpaqueError};
use rama_core::graceful::{Executor, ShutdownSignal};
use rama_http::Body;
use rama_http::client::http1::OnClientUpgrade;
use rama_http::connection::ConnectionExtensions;
use rama_http::server::upgrade::OnUpgrade;
use rama_http::wire::OriginalHeaderNames;
use rama_net::protocol::Protocol;
use rama_net::stream::{ForwardConfig, SocketInfo};
use rama_tls::negotiated::NegotiatedTlsParameters;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::task::JoinHandle;

/// A reverse proxy: a `Service<Request<Body>>` that sends each request to one of its
/// upstreams through the HTTP client `C` and streams the answer back. It always answers:
/// failures become `502`/`503`/`504` responses (see [`ReverseProxyError`]).
///
/// See the [module docs](super) for the request flow and an example.
pub struct ReverseProxy<C> {
    client: C,
    per_thread: Option<PerThread<C>>,
    upstreams: Arc<UpstreamSet>,
    balancer: Balancer,
    host: HostHeader,
    forwarded: ForwardedHeaders,
    forwarded_by: bool,
    response_head_timeout: Option<Duration>,
    retry: RetryPolicy,
    passive: PassiveHealth,
    upgrade: ForwardConfig,
}

impl<C> std::fmt::Debug for ReverseProxy<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReverseProxy")
            .field("upstreams", &self.upstreams.states)
            .field("balance", self.balancer.balance())
            .field("host", &self.host)
            .field("forwarded", &self.forwarded)
            .field("response_head_timeout", &self.response_head_timeout)
            .field("retry", &self.retry)
            .field("passive", &self.passive)
            .finish_non_exhaustive()
    }
}

impl<C> ReverseProxy<C> {
    /// A proxy in front of `upstreams` that sends requests with `client` (for example a
    /// `rama_http::client::EasyHttpWebClient`, which keeps connections alive per upstream).
    ///
    /// Defaults: round robin, `Host` preserved, `Forwarded` added (with `by`), 60 s
    /// response-head timeout, up to 3 attempts for idempotent requests, passive ejection
    /// after 3 failures in a row for 10 s.
    ///
    /// # Errors
    ///
    /// `upstreams` is empty.
    pub fn new(
        client: C,
        upstreams: impl IntoIterator<Item = Upstream>,
    ) -> Result<Self, OpaqueError> {
        let upstreams = Arc::new(UpstreamSet::new(upstreams));
        if upstreams.states.is_empty() {
            return Err(OpaqueError::from_display(
                "a reverse proxy needs at least one upstream",
            ));
        }
        let balancer = Balancer::new(Balance::RoundRobin, &upstreams.states);
        Ok(Self {
            client,
            per_thread: None,
            upstreams,
            balancer,
            host: HostHeader::Preserve,
            forwarded: ForwardedHeaders::Forwarded,
            forwarded_by: true,
            response_head_timeout: Some(Duration::from_secs(60)),
            retry: RetryPolicy::new(),
            passive: PassiveHealth::new(),
            upgrade: ForwardConfig::new(),
        })
    }

    /// Sends requests with a client per OS thread, made by `make_client` on a thread's first
    /// request (the client given to [`new`](Self::new) still runs the health checks).
    ///
    /// Use it when the server runs a single-threaded runtime per core (as `rama serve`
    /// does): each exchange then stays on the thread that serves the connection, instead of
    /// crossing threads twice when a pooled upstream connection belongs to another runtime.
    /// `make_client` should return a client with its own pool.
    #[must_use]
    pub fn with_client_per_thread(
        mut self,
        make_client: impl Fn() -> C + Send + Sync + 'static,
    ) -> Self {
        self.per_thread = Some(PerThread::new(make_client));
        self
    }

    /// Sets the balancing strategy.
    #[must_use]
    pub fn with_balance(mut self, balance: Balance) -> Self {
        self.balancer = Balancer::new(balance, &self.upstreams.states);
        self
    }

    /// Sets whose `Host` the upstream sees.
    #[must_use]
    pub const fn with_host_header(mut self, host: HostHeader) -> Self {
        self.host = host;
        self
    }

    /// Sets which forwarding headers are added.
    #[must_use]
    pub const fn with_forwarded_headers(mut self, forwarded: ForwardedHeaders) -> Self {
        self.forwarded = forwarded;
        self
    }

    /// Whether `Forwarded` names this proxy's address (`by=`); on by default.
    #[must_use]
    pub const fn with_forwarded_by(mut self, by: bool) -> Self {
        self.forwarded_by = by;
        self
    }

    /// Sets how long to wait for an upstream's response head, connecting included (`None`:
    /// as long as the client allows). Past it the client gets `504`.
    ///
    /// This bound costs a timer per request. A client that bounds the wait itself answers
    /// the same `504` through its timeout error: `EasyHttpWebClient` does, with the
    /// response-head timeouts of its `Http1ClientConfig` and `H2ClientConfig` (30 s each by
    /// default; an HTTP/1 connection keeps one timer for its life). With such a client,
    /// `None` here saves the per-request timer, as `rama serve reverse` does.
    #[must_use]
    pub const fn with_response_head_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.response_head_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub const fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the passive health settings.
    #[must_use]
    pub const fn with_passive_health(mut self, passive: PassiveHealth) -> Self {
        self.passive = passive;
        self
    }

    /// Sets the buffer size and idle timeout of upgraded (WebSocket) connections.
    #[must_use]
    pub const fn with_upgrade_config(mut self, config: ForwardConfig) -> Self {
        self.upgrade = config;
        self
    }

    /// The balancing strategy.
    #[must_use]
    pub const fn balance(&self) -> &Balance {
        self.balancer.balance()
    }

    /// The HTTP client requests go out with (unless
    /// [`with_client_per_thread`](Self::with_client_per_thread)), and health checks.
    #[must_use]
    pub const fn client(&self) -> &C {
        &self.client
    }

    /// What the proxy knows about each upstream now, in configuration order.
    #[must_use]
    pub fn upstream_status(&self) -> Vec<UpstreamStatus> {
        let clock = &self.upstreams.clock;
        self.upstreams
            .states
            .iter()
            .map(|s| s.status(clock))
            .collect()
    }

    /// Starts the active health checks: one task per upstream, spawned on `executor`. With
    /// a graceful executor they end when its shutdown begins; in any case once this proxy is
    /// dropped (at the next probe).
    pub fn spawn_health_checks(
        &self,
        check: &ActiveHealthCheck,
        executor: &Executor,
    ) -> Vec<JoinHandle<()>>
    where
        C: Service<Request<Body>, Output = Response<Body>> + Clone,
        C::Error: Into<BoxError>,
    {
        (0..self.upstreams.states.len())
            .map(|index| {
                executor.spawn_task(health::run(
                    Arc::downgrade(&self.upstreams),
                    index,
                    self.client.clone(),
                    check.clone(),
                    executor.guard().cloned(),
                ))
            })
            .collect()
    }
}

impl<C> Service<Request<Body>> for ReverseProxy<C>
where
    C: Service<Request<Body>, Output = Response<Body>>,
    C::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = Infallible;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, Infallible> {
        if req.method() == Method::CONNECT {
            return Ok(connect_refused());
        }
        Ok(match self.forward(req).await {
            Ok(res) => res,
            Err(err) => {
                if err.kind() == ErrorKind::ClientBody {
                    tracing::debug!("reverse proxy: {err:#}");
                } else {
                    tracing::warn!("reverse proxy: {err:#}");
                }
                err.to_response()
            }
        })
    }
}

/// The copy of a request head that retries start from.
struct Template {
    method: Method,
    headers: HeaderMap,
    record: Option<OriginalHeaderNames>,
}

impl Template {
    fn of(parts: &Parts) -> Self {
        Self {
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            record: parts.extensions.get::<OriginalHeaderNames>().cloned(),
        }
    }

    fn parts(&self) -> Parts {
        let (mut parts, ()) = Request::new(()).into_parts();
        parts.method = self.method.clone();
        parts.version = Version::HTTP_11;
        parts.headers = self.headers.clone();
        if let Some(record) = &self.record {
            parts.extensions.insert(record.clone());
        }
        parts
    }
}

impl<C> ReverseProxy<C>
where
    C: Service<Request<Body>, Output = Response<Body>>,
    C::Error: Into<BoxError>,
{
    async fn forward(&self, req: Request<Body>) -> Result<Response<Body>, ReverseProxyError> {
        let (mut parts, body) = req.into_parts();
        let on_upgrade = parts.extensions.remove::<OnUpgrade>();
        let upgrading = on_upgrade.is_some();
        let key = self.balancer.key(&parts);

        let socket = parts.connection_get::<SocketInfo>();
        let hop = Hop {
            peer: socket.map(SocketInfo::peer_addr),
            local: socket.and_then(SocketInfo::local_addr),
            proto: if parts.connection_get::<NegotiatedTlsParameters>().is_some() {
                Protocol::Https
            } else {
                Protocol::Http
            },
            authority: parts
                .uri
                .authority()
                .filter(|_| !parts.headers.contains_key(header::HOST))
                .cloned(),
        };
        let shutdown = upgrading
            .then(|| parts.connection_get::<ShutdownSignal>().cloned())
            .flatten();
        headers::strip_hop_by_hop(&mut parts.headers, upgrading);
        headers::add_forwarded(&mut parts.headers, self.forwarded, self.forwarded_by, &hop);
        let authority = parts.uri.authority().cloned();
        let path_and_query = parts.uri.path_and_query().cloned();
        parts.version = Version::HTTP_11;

        let (body, replay) = retry::replayable(&self.retry, &parts.method, body)
            .await
            .map_err(|e| ReverseProxyError::new(ErrorKind::ClientBody, None).with_source(e))?;
        let states = &self.upstreams.states;
        let attempts = match &replay {
            Some(_) if states.len() > 1 => self.retry.max_attempts(),
            _ => 1,
        };
        let template = (attempts > 1).then(|| Template::of(&parts));
        let mut first = Some((parts, body));
        let mut tried: Vec<usize> = Vec::new();
        let mut last_err = None;
        for attempt in 0..attempts {
            let clock = &self.upstreams.clock;
            let Some(index) = self.balancer.pick(states, key, &tried, clock) else {
                break;
            };
            let state = &states[index];
            let (mut parts, body) = match (first.take(), &template, &replay) {
                (Some(first), _, _) => first,
                (None, Some(template), Some(replay)) => (template.parts(), replay.body()),
                // unreachable: more than one attempt needs a template and a replay
                _ => break,
            };
            headers::set_host(
                &mut parts.headers,
                self.host,
                authority.as_ref(),
                state.upstream.host_value(),
            );
            parts.uri = state
                .upstream
                .uri_for(path_and_query.clone())
                .map_err(|e| {
                    ReverseProxyError::new(ErrorKind::Internal, Some(authority_of(state)))
                        .with_source(e)
                })?;
            let in_flight = self
                .balancer
                .counts_in_flight()
                .then(|| InFlight::start(&self.upstreams, index));
            match self.send(Request::from_parts(parts, body), state).await {
                Ok(res) => {
                    state.record_success();
                    return self.respond(res, on_upgrade, in_flight, shutdown, state);
                }
                Err(err) => {
                    drop(in_flight);
                    if err.kind().is_upstream_failure()
                        && state.record_failure(
                            self.passive.max_failures(),
                            self.passive.cool_down(),
                            clock,
                        )
                    {
                        tracing::warn!(
                            upstream = %state.upstream,
                            "upstream ejected for {:?} after {} failures in a row",
                            self.passive.cool_down(),
                            self.passive.max_failures()
                        );
                    }
                    if !err.is_retryable() || attempt + 1 >= attempts {
                        return Err(err);
                    }
                    tracing::debug!("retrying on another upstream: {err:#}");
                    tried.push(index);
                    last_err = Some(err);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| ReverseProxyError::new(ErrorKind::NoHealthyUpstream, None)))
    }

    /// One exchange with one upstream, bounded by the response-head timeout.
    async fn send(
        &self,
        req: Request<Body>,
        state: &UpstreamState,
    ) -> Result<Response<Body>, ReverseProxyError> {
        let local;
        let client = match &self.per_thread {
            Some(per_thread) => {
                local = per_thread.get();
                &*local
            }
            None => &self.client,
        };
        let exchange = client.serve(req);
        let result = match self.response_head_timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(ReverseProxyError::new(
                        ErrorKind::Timeout,
                        Some(authority_of(state)),
                    ));
                }
            },
            None => exchange.await,
        };
        result.map_err(|e| ReverseProxyError::from_client(e.into(), authority_of(state)))
    }

    /// The upstream's answer made ready for the client: hop-by-hop headers out, an upgrade
    /// relayed, the in-flight count kept until the body ends.
    fn respond(
        &self,
        res: Response<Body>,
        on_upgrade: Option<OnUpgrade>,
        in_flight: Option<InFlight>,
        shutdown: Option<ShutdownSignal>,
        state: &UpstreamState,
    ) -> Result<Response<Body>, ReverseProxyError> {
        let (mut parts, body) = res.into_parts();
        if parts.status == StatusCode::SWITCHING_PROTOCOLS {
            let upstream_io = parts.extensions.remove::<OnClientUpgrade>();
            let (Some(client), Some(upstream_io)) = (on_upgrade, upstream_io) else {
                return Err(
                    ReverseProxyError::new(ErrorKind::Upstream, Some(authority_of(state)))
                        .with_source(
                            "101 Switching Protocols to a request that did not ask to upgrade",
                        ),
                );
            };
            headers::strip_hop_by_hop(&mut parts.headers, true);
            upgrade::spawn_relay(client, upstream_io, self.upgrade, shutdown);
            return Ok(Response::from_parts(parts, Body::empty()));
        }
        headers::strip_hop_by_hop(&mut parts.headers, false);
        let body = match in_flight {
            Some(guard) => Body::new(InFlightBody {
                inner: body,
                _guard: guard,
            }),
            None => body,
        };
        Ok(Response::from_parts(parts, body))
    }
}

fn authority_of(state: &UpstreamState) -> &str {
    state.upstream.authority().as_str()
}

/// `405` for `CONNECT`: a reverse proxy serves its upstreams, it does not open tunnels.
fn connect_refused() -> Response<Body> {
    let mut res = Response::new(Body::from(
        "405 Method Not Allowed: CONNECT is not served by a reverse proxy\n",
    ));
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// One request in flight at an upstream, counted until dropped.
#[derive(Debug)]
struct InFlight {
    upstreams: Arc<UpstreamSet>,
    index: usize,
}

impl InFlight {
    fn start(upstreams: &Arc<UpstreamSet>, index: usize) -> Self {
        upstreams.states[index]
            .in_flight
            .fetch_add(1, Ordering::Relaxed);
        Self {
            upstreams: upstreams.clone(),
            index,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.upstreams.states[self.index]
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted in flight until it ends or is dropped.
struct InFlightBody {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for InFlightBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use std::sync::Mutex;

    type Seen = Arc<Mutex<Vec<(String, HeaderMap)>>>;

    /// A client that answers in place of the upstreams and records what it was sent.
    fn recording_client(
        seen: Seen,
    ) -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> + Clone {
        service_fn(move |req: Request<Body>| {
            let seen = seen.clone();
            async move {
                let authority = req.uri().authority().unwrap().to_string();
                seen.lock()
                    .unwrap()
                    .push((req.uri().to_string(), req.headers().clone()));
                if authority.ends_with(":1") {
                    return Err::<Response<Body>, BoxError>(
                        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused")
                            .into(),
                    );
                }
                let mut res = Response::new(Body::from(authority));
                res.headers_mut()
                    .insert("connection", HeaderValue::from_static("keep-alive"));
                res.headers_mut()
                    .insert("keep-alive", HeaderValue::from_static("timeout=5"));
                Ok(res)
            }
        })
    }

    fn upstreams(ports: &[u16]) -> Vec<Upstream> {
        ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}").parse().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn rewrites_the_request_and_cleans_the_response() {
        let seen = Seen::default();
        let proxy = ReverseProxy::new(recording_client(seen.clone()), upstreams(&[2]))
            .unwrap()
            .with_host_header(HostHeader::Rewrite);
        let req = Request::get("/a/b?c=1")
            .header("host", "client.example")
            .header("connection", "x-hop")
            .header("x-hop", "1")
            .header("x-keep", "2")
            .body(Body::empty())
            .unwrap();
        let res = proxy.serve(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("connection").is_none());
        assert!(res.headers().get("keep-alive").is_none());
        let (uri, headers) = seen.lock().unwrap().pop().unwrap();
        assert_eq!(uri, "http://127.0.0.1:2/a/b?c=1");
        assert_eq!(headers["host"], "127.0.0.1:2");
        assert_eq!(headers["x-keep"], "2");
        assert!(headers.get("x-hop").is_none());
        // no socket: for=unknown; the client's Host in the hop
        assert_eq!(
            headers["forwarded"],
            "for=unknown;host=client.example;proto=http"
        );
    }

    #[tokio::test]
    async fn retries_idempotent_requests_on_the_next_upstream() {
        let seen = Seen::default();
        let proxy = ReverseProxy::new(recording_client(seen.clone()), upstreams(&[1, 2]))
            .unwrap()
            .with_passive_health(PassiveHealth::disabled());
        for _ in 0..4 {
            let res = proxy
                .serve(Request::get("/").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body = res.into_body().collect_string(64).await.unwrap();
            assert_eq!(body, "127.0.0.1:2");
        }
        // a POST is not retried: it gets the 502
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let res = proxy
                .serve(Request::post("/").body(Body::from("x")).unwrap())
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
        }
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 502]);
    }

    #[tokio::test]
    async fn all_ejected_is_503_and_connect_is_405() {
        let seen = Seen::default();
        let proxy = ReverseProxy::new(recording_client(seen.clone()), upstreams(&[1]))
            .unwrap()
            .with_passive_health(
                PassiveHealth::new()
                    .with_max_failures(2)
                    .with_cool_down(Duration::from_secs(60)),
            );
        let get = || Request::get("/").body(Body::empty()).unwrap();
        let statuses = [
            proxy.serve(get()).await.unwrap().status().as_u16(),
            proxy.serve(get()).await.unwrap().status().as_u16(),
            proxy.serve(get()).await.unwrap().status().as_u16(),
        ];
        assert_eq!(statuses, [502, 502, 503]);
        assert!(proxy.upstream_status()[0].ejected);
        let res = proxy
            .serve(
                Request::builder()
                    .method(Method::CONNECT)
                    .uri("example.com:443")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        let err = ReverseProxy::new(recording_client(seen), []).unwrap_err();
        assert!(err.to_string().contains("at least one upstream"));
    }

    #[tokio::test]
    async fn a_client_per_thread_is_made_once_per_thread() {
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = Seen::default();
        let counter = made.clone();
        let shared_seen = Seen::default();
        let proxy = ReverseProxy::new(recording_client(shared_seen.clone()), upstreams(&[2]))
            .unwrap()
            .with_client_per_thread(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                recording_client(seen.clone())
            });
        for _ in 0..3 {
            let res = proxy
                .serve(Request::get("/").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(
            shared_seen.lock().unwrap().is_empty(),
            "the shared client is not used"
        );
    }

    #[tokio::test]
    async fn least_conn_counts_until_the_body_is_dropped() {
        let proxy = ReverseProxy::new(recording_client(Seen::default()), upstreams(&[2, 3]))
            .unwrap()
            .with_balance(Balance::LeastConn);
        let get = || Request::get("/").body(Body::empty()).unwrap();
        let first = proxy.serve(get()).await.unwrap();
        let second = proxy.serve(get()).await.unwrap();
        let loads: Vec<usize> = proxy
            .upstream_status()
            .iter()
            .map(|s| s.in_flight)
            .collect();
        assert_eq!(loads, [1, 1]);
        drop(first);
        let third = proxy.serve(get()).await.unwrap();
        let loads: Vec<usize> = proxy
            .upstream_status()
            .iter()
            .map(|s| s.in_flight)
            .collect();
        assert_eq!(loads, [1, 1]);
        drop((second, third));
        let loads: Vec<usize> = proxy
            .upstream_status()
            .iter()
            .map(|s| s.in_flight)
            .collect();
        assert_eq!(loads, [0, 0]);
    }
}
