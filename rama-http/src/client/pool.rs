//! [`Pool`]: keeps client connections for reuse, keyed by [`PoolKey`].
//!
//! Rules (see the "For a pool" notes in [`client`](super)):
//!
//! - **HTTP/1**: a list of parked handles per key. A request takes a handle that
//!   [`is_ready`](super::http1::SendRequest::is_ready) (open, no body in flight) out of the
//!   list and puts it back once the response head arrived; it is ready again once that
//!   response body was read to its end. At most
//!   [`max_idle_per_host`](PoolConfig::with_max_idle_per_host) handles are parked per key
//!   (more are closed after their response); a handle idle longer than
//!   [`idle_timeout`](PoolConfig::with_idle_timeout) and closed handles are dropped when the
//!   key is next used.
//! - **h2**: one shared handle per key, cloned for each request while it is not
//!   [`is_closed`](super::h2::SendRequest::is_closed). Concurrent first requests wait for one
//!   connection rather than each opening one.
//! - **Retry**: when a request on a *reused* HTTP/1 connection fails with
//!   [`Error::is_closed`](super::Error::is_closed) (the server closed the idle connection
//!   while the request was sent; nothing of a response arrived) and the request is
//!   idempotent (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`) with an empty body, it
//!   is sent once more on a new connection.
//! - **Metrics**: [`PoolCounters`] counts connections created, reused and evicted;
//!   [`Pool::idle_count`] tells how many are idle now.
//!
//! ```
//! use rama_http::client::pool::{Pool, PoolConfig};
//! use std::time::Duration;
//!
//! let pool = Pool::new(PoolConfig::new().with_idle_timeout(Duration::from_secs(30)));
//! assert_eq!(pool.idle_count(), 0);
//! assert_eq!(pool.counters().created(), 0);
//! ```

use super::{Error, h2, http1};
use crate::{Body, Method, Request, Response};
use bytes::Bytes;
use http_body::Frame;
use rama_core::error::BoxError;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The HTTP version a pooled connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolVersion {
    /// HTTP/1.x: one request at a time per connection.
    Http1,
    /// h2: many concurrent streams on one connection.
    H2,
}

/// What a connection was made for: requests with the same key may share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// `http` or `https`.
    pub scheme: String,
    /// `host:port` of the origin.
    pub authority: String,
    /// The proxy the connection goes through, if any (its address, as text).
    pub proxy: Option<String>,
    /// The HTTP version spoken on it.
    pub version: PoolVersion,
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    max_idle_per_host: usize,
    idle_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolConfig {
    /// At most 32 parked HTTP/1 connections per key, idle timeout 90 s.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_idle_per_host: 32,
            idle_timeout: Duration::from_secs(90),
        }
    }

    /// How many HTTP/1 connections are kept per key (0 disables HTTP/1 reuse).
    #[must_use]
    pub const fn with_max_idle_per_host(mut self, max: usize) -> Self {
        self.max_idle_per_host = max;
        self
    }

    /// How long an idle HTTP/1 connection is kept.
    #[must_use]
    pub const fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The maximum of parked HTTP/1 connections per key.
    #[must_use]
    pub const fn max_idle_per_host(&self) -> usize {
        self.max_idle_per_host
    }

    /// The idle timeout.
    #[must_use]
    pub const fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }
}

/// Counters of a [`Pool`]; read them with [`Pool::counters`].
#[derive(Debug, Default)]
pub struct PoolCounters {
    created: AtomicU64,
    reused: AtomicU64,
    evicted: AtomicU64,
}

impl PoolCounters {
    /// Connections opened (HTTP/1 and h2).
    pub fn created(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }

    /// Requests sent on a connection taken from the pool.
    pub fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// Connections dropped from the pool: closed, idle too long or over the per-key maximum.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// How long a checkout waits (yielding) for a handle whose response body ended to become
/// ready: its connection task finishes the exchange right after, usually within microseconds.
const READY_WAIT: Duration = Duration::from_millis(5);

struct Parked {
    handle: http1::SendRequest,
    since: Instant,
    /// set when the response body sent last on this handle ended
    body_done: Arc<AtomicBool>,
}

impl Parked {
    fn is_idle(&self) -> bool {
        self.body_done.load(Ordering::Acquire)
    }
}

pin_project_lite::pin_project! {
    /// A response body that flags its end, so that the pool knows its connection is free.
    struct TrackedBody {
        #[pin]
        inner: Body,
        done: Arc<AtomicBool>,
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.inner.is_end_stream() {
            this.done.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let end = self.inner.is_end_stream();
        if end {
            self.done.store(true, Ordering::Release);
        }
        end
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Wraps the body of `res` so that `done` is set at its end; the response says whether its
/// connection may be reused.
fn track(res: Response<Body>, done: &Arc<AtomicBool>) -> Response<Body> {
    let (parts, body) = res.into_parts();
    if http_body::Body::is_end_stream(&body) {
        done.store(true, Ordering::Release);
        return Response::from_parts(parts, body);
    }
    let body = Body::new(TrackedBody {
        inner: body,
        done: done.clone(),
    });
    Response::from_parts(parts, body)
}

type H2Slot = Arc<tokio::sync::Mutex<Option<h2::SendRequest>>>;

#[derive(Default)]
struct Inner {
    config: PoolConfig,
    http1: Mutex<HashMap<PoolKey, Vec<Parked>>>,
    h2: Mutex<HashMap<PoolKey, H2Slot>>,
    counters: PoolCounters,
}

/// A connection pool for HTTP/1 and h2 client handles; cheap to clone (clones share it).
#[derive(Clone, Default)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.inner.config)
            .field("idle", &self.idle_count())
            .field("counters", &self.inner.counters)
            .finish()
    }
}

impl Pool {
    /// An empty pool with `config`.
    #[must_use]
    pub fn new(config: PoolConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// The counters (created, reused, evicted).
    #[must_use]
    pub fn counters(&self) -> &PoolCounters {
        &self.inner.counters
    }

    /// Connections idle now: open parked HTTP/1 handles whose last response body ended, and
    /// open h2 handles.
    #[must_use]
    pub fn idle_count(&self) -> usize {
        let h1 = self
            .inner
            .http1
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .flatten()
            .filter(|p| p.is_idle() && !p.handle.is_closed())
            .count();
        let h2 = self
            .inner
            .h2
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|slot| {
                slot.try_lock()
                    .is_ok_and(|h| h.as_ref().is_some_and(|h| !h.is_closed()))
            })
            .count();
        h1 + h2
    }

    /// Takes an HTTP/1 handle for `key` out of the pool that is
    /// [`is_ready`](http1::SendRequest::is_ready), dropping closed and expired ones on the way.
    /// A handle whose last response body was read to its end is waited for briefly (its
    /// connection task marks it ready right after) and then taken as well. Give it back with
    /// [`checkin_http1`](Self::checkin_http1).
    pub async fn checkout_http1(&self, key: &PoolKey) -> Option<http1::SendRequest> {
        loop {
            let parked = self.take_parked(key)?;
            let deadline = Instant::now() + READY_WAIT;
            while !parked.handle.is_ready()
                && !parked.handle.is_closed()
                && Instant::now() < deadline
            {
                tokio::task::yield_now().await;
            }
            // not ready yet but its exchange is over (the body ended): the request queues on
            // the connection and is written as soon as its task loops; should the connection
            // close instead, the request fails with `is_closed` and is retried
            if parked.handle.is_ready() || (parked.is_idle() && !parked.handle.is_closed()) {
                PoolCounters::add(&self.inner.counters.reused);
                return Some(parked.handle);
            }
            // closed: drop it and look again
            PoolCounters::add(&self.inner.counters.evicted);
        }
    }

    /// Removes closed and expired handles of `key` and takes out the best candidate: a
    /// ready one, else one whose response body ended.
    fn take_parked(&self, key: &PoolKey) -> Option<Parked> {
        let mut map = self
            .inner
            .http1
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let list = map.get_mut(key)?;
        let timeout = self.inner.config.idle_timeout;
        let now = Instant::now();
        let before = list.len();
        list.retain(|p| {
            let expired = p.is_idle() && now.duration_since(p.since) > timeout;
            !(p.handle.is_closed() || expired)
        });
        for _ in list.len()..before {
            PoolCounters::add(&self.inner.counters.evicted);
        }
        let found = list
            .iter()
            .rposition(|p| p.handle.is_ready())
            .or_else(|| list.iter().rposition(Parked::is_idle));
        let parked = found.map(|i| list.swap_remove(i));
        if list.is_empty() {
            map.remove(key);
        }
        parked
    }

    /// Parks an HTTP/1 handle for `key` (dropped, closing its connection after the response
    /// in flight, when closed or when the key already has the maximum).
    ///
    /// `body_done` must be set once the response body sent on this handle ended (the pool
    /// prefers such handles and waits briefly for them to become ready).
    pub fn checkin_http1(
        &self,
        key: &PoolKey,
        handle: http1::SendRequest,
        body_done: Arc<AtomicBool>,
    ) {
        if handle.is_closed() {
            PoolCounters::add(&self.inner.counters.evicted);
            return;
        }
        let mut map = self
            .inner
            .http1
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let list = map.entry(key.clone()).or_default();
        if list.len() >= self.inner.config.max_idle_per_host {
            PoolCounters::add(&self.inner.counters.evicted);
            return;
        }
        list.push(Parked {
            handle,
            since: Instant::now(),
            body_done,
        });
    }

    /// Sends `req` on a pooled HTTP/1 connection for `key`, or on a new one from `connect`
    /// (which must spawn the connection future and return the handle); retries once on a
    /// new connection as the module docs describe.
    pub async fn send_http1<F, Fut>(
        &self,
        key: &PoolKey,
        req: Request<Body>,
        connect: F,
    ) -> Result<Response<Body>, BoxError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<http1::SendRequest, BoxError>>,
    {
        if let Some(handle) = self.checkout_http1(key).await {
            let replay = replayable(&req);
            match handle.send_request(req).await {
                Ok(res) => return Ok(self.park(key, handle, res)),
                Err(err) => match replay {
                    Some(again) if err.is_closed() => {
                        PoolCounters::add(&self.inner.counters.evicted);
                        tracing::debug!(%err, "pooled connection closed; retrying on a new one");
                        return self.send_http1_fresh(key, again, &connect).await;
                    }
                    _ => return Err(err.into()),
                },
            }
        }
        self.send_http1_fresh(key, req, &connect).await
    }

    async fn send_http1_fresh<F, Fut>(
        &self,
        key: &PoolKey,
        req: Request<Body>,
        connect: &F,
    ) -> Result<Response<Body>, BoxError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<http1::SendRequest, BoxError>>,
    {
        let handle = connect().await?;
        PoolCounters::add(&self.inner.counters.created);
        let res = handle.send_request(req).await.map_err(BoxError::from)?;
        Ok(self.park(key, handle, res))
    }

    /// Parks `handle` unless `res` ends its connection; returns `res` with a tracked body.
    fn park(
        &self,
        key: &PoolKey,
        handle: http1::SendRequest,
        res: Response<Body>,
    ) -> Response<Body> {
        let done = Arc::new(AtomicBool::new(false));
        let res = track(res, &done);
        if !closes_connection(&res) {
            self.checkin_http1(key, handle, done);
        }
        res
    }

    /// The shared h2 handle for `key`: the pooled one while open, else a new one from
    /// `connect` (which must spawn the connection future). Concurrent callers for the same
    /// key wait for one `connect`.
    pub async fn h2_handle<F, Fut>(
        &self,
        key: &PoolKey,
        connect: F,
    ) -> Result<h2::SendRequest, BoxError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<h2::SendRequest, BoxError>>,
    {
        let slot = self
            .inner
            .h2
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone();
        let mut guard = slot.lock().await;
        if let Some(handle) = guard.as_ref() {
            if !handle.is_closed() {
                PoolCounters::add(&self.inner.counters.reused);
                return Ok(handle.clone());
            }
            PoolCounters::add(&self.inner.counters.evicted);
            *guard = None;
        }
        let handle = connect().await?;
        PoolCounters::add(&self.inner.counters.created);
        *guard = Some(handle.clone());
        Ok(handle)
    }

    /// Sends `req` on the shared h2 connection for `key` (see [`h2_handle`](Self::h2_handle)).
    pub async fn send_h2<F, Fut>(
        &self,
        key: &PoolKey,
        req: Request<Body>,
        connect: F,
    ) -> Result<Response<Body>, BoxError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<h2::SendRequest, BoxError>>,
    {
        let handle = self.h2_handle(key, connect).await?;
        handle
            .send_request(req)
            .await
            .map_err(|e: Error| BoxError::from(e))
    }
}

/// Whether the response ends its connection (`Connection: close`, or HTTP/1.0 without
/// `keep-alive`).
fn closes_connection(res: &Response<Body>) -> bool {
    let has = |token: &str| {
        res.headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if res.version() == http::Version::HTTP_10 {
        !has("keep-alive")
    } else {
        has("close")
    }
}

/// A copy of `req` to send again, when it is idempotent and has an empty body.
fn replayable(req: &Request<Body>) -> Option<Request<Body>> {
    let idempotent = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    );
    if !idempotent || !http_body::Body::is_end_stream(req.body()) {
        return None;
    }
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    Some(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_close_table() {
        let cases = [
            (http::Version::HTTP_11, None, false),
            (http::Version::HTTP_11, Some("close"), true),
            (http::Version::HTTP_11, Some("Keep-Alive, Close"), true),
            (http::Version::HTTP_10, None, true),
            (http::Version::HTTP_10, Some("keep-alive"), false),
        ];
        for (version, header, closes) in cases {
            let mut res = Response::new(Body::empty());
            *res.version_mut() = version;
            if let Some(h) = header {
                res.headers_mut()
                    .insert(http::header::CONNECTION, h.parse().unwrap());
            }
            assert_eq!(closes_connection(&res), closes, "{version:?} {header:?}");
        }
    }

    #[tokio::test]
    async fn tracked_body_flags_its_end() {
        let done = Arc::new(AtomicBool::new(false));
        let res = track(Response::new(Body::from("abc")), &done);
        assert!(!done.load(Ordering::Acquire));
        let data = res.into_body().collect_bytes(10).await.unwrap();
        assert_eq!(data, "abc");
        assert!(done.load(Ordering::Acquire));
        let done = Arc::new(AtomicBool::new(false));
        let _res = track(Response::new(Body::empty()), &done);
        assert!(done.load(Ordering::Acquire));
    }

    #[test]
    fn replay_only_idempotent_empty_requests() {
        let cases = [
            (Method::GET, Body::empty(), true),
            (Method::DELETE, Body::empty(), true),
            (Method::POST, Body::empty(), false),
            (Method::GET, Body::from("x"), false),
        ];
        for (method, body, expected) in cases {
            let mut req = Request::new(body);
            *req.method_mut() = method.clone();
            assert_eq!(replayable(&req).is_some(), expected, "{method}");
        }
    }

    #[tokio::test]
    async fn empty_pool_has_nothing_to_check_out() {
        let pool = Pool::new(PoolConfig::new());
        let key = PoolKey {
            scheme: "http".into(),
            authority: "a:80".into(),
            proxy: None,
            version: PoolVersion::Http1,
        };
        assert!(pool.checkout_http1(&key).await.is_none());
        assert_eq!(pool.idle_count(), 0);
    }
}
