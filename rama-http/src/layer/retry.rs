//! [`HttpRetryPolicy`]: the HTTP policy for rama_core's
//! [`RetryLayer`](rama_core::layer::retry::RetryLayer): retry idempotent requests after a
//! connection error or a `502`/`503`/`504`, waiting as a
//! [`Backoff`] says.
//!
//! # Which requests can be replayed
//!
//! A [`Body`] is read as it is sent and cannot be cloned, so a request is served again only
//! when its body can be rebuilt ([`try_clone_request`]):
//! - the body is empty (`GET`, `HEAD`, ... as usually sent), or
//! - the request carries a [`BufferedBody`] extension holding the bytes of its body:
//!   [`buffer_request_body`] reads the body (up to a limit) and sets both.
//!
//! Any other request is served once and its result is final. The same rule decides whether
//! a `307`/`308` redirect can be followed (see `follow_redirect`).
//!
//! A `Retry-After` header (in seconds) on a retried response makes the wait at least that
//! long; one beyond [`HttpRetryPolicy::with_max_retry_after`] (default 60 s) ends the retries.
//!
//! By default only idempotent methods (RFC 9110 section 9.2.2: `GET`, `HEAD`, `OPTIONS`,
//! `PUT`, `DELETE`, `TRACE`) are retried; [`HttpRetryPolicy::with_methods`] widens or
//! narrows the set.
//!
//! ```
//! use rama_core::layer::retry::{ExponentialBackoff, RetryLayer};
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::retry::HttpRetryPolicy;
//! use rama_http::{Body, Request, Response, StatusCode};
//! use std::convert::Infallible;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! static CALLS: AtomicU32 = AtomicU32::new(0);
//! let flaky = service_fn(async |_req: Request<Body>| {
//!     let mut res = Response::new(Body::empty());
//!     if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
//!         *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
//!     }
//!     Ok::<_, Infallible>(res)
//! });
//! let backoff = ExponentialBackoff::new(Duration::from_millis(50), Duration::from_secs(1), 3);
//! let svc = RetryLayer::new(HttpRetryPolicy::new(backoff)).into_layer(flaky);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(CALLS.load(Ordering::SeqCst), 2);
//! # }
//! ```

use crate::body::CollectError;
use crate::{Body, Method, Request, Response, StatusCode};
use bytes::Bytes;
use http_body::Body as _;
use rama_core::layer::retry::{Backoff, Decision, Policy};
use std::sync::Arc;
use std::time::Duration;

/// The bytes of a request's body, kept in its extensions so that the request can be sent
/// again; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedBody(pub Bytes);

/// Reads `req`'s body (at most `limit` bytes) and returns the request with the same bytes as
/// body and as a [`BufferedBody`] extension, making it replayable.
///
/// # Errors
/// The body is larger than `limit`, or failed while being read.
pub async fn buffer_request_body(
    req: Request<Body>,
    limit: usize,
) -> Result<Request<Body>, CollectError> {
    let (mut parts, body) = req.into_parts();
    let bytes = body.collect_bytes(limit).await?;
    parts.extensions.insert(BufferedBody(bytes.clone()));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A copy of `req` when its body can be rebuilt (empty, or a [`BufferedBody`] extension);
/// `None` otherwise.
#[must_use]
pub fn try_clone_request(req: &Request<Body>) -> Option<Request<Body>> {
    let body = match req.extensions().get::<BufferedBody>() {
        Some(BufferedBody(bytes)) => Body::from(bytes.clone()),
        None if req.body().is_end_stream() || req.body().size_hint().exact() == Some(0) => {
            Body::empty()
        }
        None => return None,
    };
    let mut copy = Request::new(body);
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    Some(copy)
}

/// The idempotent methods of RFC 9110 section 9.2.2.
pub const IDEMPOTENT_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::OPTIONS,
    Method::PUT,
    Method::DELETE,
    Method::TRACE,
];

/// The statuses retried by default: `502`, `503` and `504`.
pub const RETRY_STATUSES: [StatusCode; 3] = [
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
    StatusCode::GATEWAY_TIMEOUT,
];

/// The longest `Retry-After` waited for by default: 60 s.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A `Retry-After` in delta-seconds (an HTTP date is not honoured).
fn retry_after(res: &Response<Body>) -> Option<Duration> {
    let v = res
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The HTTP retry [`Policy`]; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct HttpRetryPolicy<B> {
    backoff: B,
    methods: Arc<[Method]>,
    statuses: Arc<[StatusCode]>,
    retry_errors: bool,
    max_retry_after: Duration,
}

impl<B> HttpRetryPolicy<B> {
    /// Retries idempotent requests after an error or a `502`/`503`/`504`, with `backoff`
    /// deciding the delay and the number of attempts.
    #[must_use]
    pub fn new(backoff: B) -> Self {
        Self {
            backoff,
            methods: Arc::new(IDEMPOTENT_METHODS),
            statuses: Arc::new(RETRY_STATUSES),
            retry_errors: true,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }

    /// Retry requests with these methods (instead of the idempotent ones).
    #[must_use]
    pub fn with_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Retry responses with these statuses (instead of `502`, `503`, `504`).
    #[must_use]
    pub fn with_statuses(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// Whether errors of the inner service (connection refused or reset, ...) are retried
    /// (default `true`).
    #[must_use]
    pub const fn with_retry_errors(mut self, on: bool) -> Self {
        self.retry_errors = on;
        self
    }

    /// Honour a response's `Retry-After` (in seconds) up to `max`: wait at least that long
    /// before the retry; a longer `Retry-After` ends the retries (default
    /// [`DEFAULT_MAX_RETRY_AFTER`]; `Duration::ZERO` ignores the header).
    #[must_use]
    pub const fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The backoff.
    pub const fn backoff(&self) -> &B {
        &self.backoff
    }

    /// The methods retried.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The statuses retried.
    pub fn statuses(&self) -> &[StatusCode] {
        &self.statuses
    }
}

impl<B: Backoff, E> Policy<Request<Body>, Response<Body>, E> for HttpRetryPolicy<B> {
    fn clone_input(&self, req: &Request<Body>) -> Option<Request<Body>> {
        if !self.methods.contains(req.method()) {
            return None;
        }
        try_clone_request(req)
    }

    fn decide(&self, attempts: u32, result: &Result<Response<Body>, E>) -> Decision {
        let retry = match result {
            Ok(res) => self.statuses.contains(&res.status()),
            Err(_) => self.retry_errors,
        };
        if !retry {
            return Decision::Stop;
        }
        let Some(mut after) = self.backoff.delay(attempts) else {
            return Decision::Stop;
        };
        if let Ok(res) = result
            && !self.max_retry_after.is_zero()
            && let Some(wait) = retry_after(res)
        {
            if wait > self.max_retry_after {
                return Decision::Stop;
            }
            after = after.max(wait);
        }
        Decision::Retry { after }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::error::BoxError;
    use rama_core::layer::retry::{ExponentialBackoff, RetryLayer};
    use rama_core::{Layer, Service, service_fn};
    use std::sync::Mutex;

    /// A service answering from a script of outcomes (`Err` for a connection error, else the
    /// status), recording the body each call saw.
    fn flaky(
        script: Vec<Result<u16, &'static str>>,
        seen: Arc<Mutex<Vec<String>>>,
    ) -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
        let script = Arc::new(Mutex::new(script.into_iter()));
        service_fn(move |req: Request<Body>| {
            let script = script.clone();
            let seen = seen.clone();
            async move {
                let body = req.into_body().collect_string(1024).await?;
                seen.lock().unwrap().push(body);
                let next = script.lock().unwrap().next().unwrap_or(Ok(200));
                match next {
                    Err(e) => Err(BoxError::from(e)),
                    Ok(code) => {
                        let mut res = Response::new(Body::empty());
                        *res.status_mut() = StatusCode::from_u16(code)?;
                        Ok(res)
                    }
                }
            }
        })
    }

    fn policy() -> HttpRetryPolicy<ExponentialBackoff> {
        HttpRetryPolicy::new(
            ExponentialBackoff::new(Duration::from_millis(10), Duration::from_secs(1), 4)
                .without_jitter(),
        )
    }

    fn req(method: Method, body: &'static str) -> Request<Body> {
        let mut r = Request::new(Body::from(body));
        *r.method_mut() = method;
        r
    }

    /// (method, body buffered?, script, final status or error, calls made)
    type Case = (
        Method,
        bool,
        Vec<Result<u16, &'static str>>,
        Result<u16, ()>,
        usize,
    );

    #[tokio::test(start_paused = true)]
    async fn retry_table() {
        let cases: Vec<Case> = vec![
            (
                Method::GET,
                false,
                vec![Err("refused"), Ok(200)],
                Ok(200),
                2,
            ),
            (
                Method::GET,
                false,
                vec![Ok(503), Ok(502), Ok(200)],
                Ok(200),
                3,
            ),
            (Method::GET, false, vec![Ok(500)], Ok(500), 1),
            (Method::GET, false, vec![Ok(503); 9], Ok(503), 4),
            (Method::DELETE, false, vec![Ok(504), Ok(204)], Ok(204), 2),
            (Method::POST, false, vec![Ok(503)], Ok(503), 1),
            (Method::POST, true, vec![Ok(503)], Ok(503), 1),
            (Method::PUT, true, vec![Ok(503), Ok(201)], Ok(201), 2),
            (Method::PUT, false, vec![Ok(503), Ok(201)], Ok(503), 1),
        ];
        for (method, buffered, script, want, calls) in cases {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let svc = RetryLayer::new(policy()).into_layer(flaky(script.clone(), seen.clone()));
            let body = if method == Method::GET || method == Method::DELETE {
                ""
            } else {
                "payload"
            };
            let mut r = req(method.clone(), body);
            if buffered {
                r = buffer_request_body(r, 1024).await.unwrap();
            }
            let got = svc
                .serve(r)
                .await
                .map(|res| res.status().as_u16())
                .map_err(|_| ());
            assert_eq!(got, want, "{method} buffered={buffered} {script:?}");
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), calls, "{method} buffered={buffered} {script:?}");
            assert!(seen.iter().all(|b| b == body), "every attempt got the body");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn statuses_methods_and_errors_are_configurable() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let p = policy()
            .with_statuses([StatusCode::TOO_MANY_REQUESTS])
            .with_methods([Method::POST])
            .with_retry_errors(false);
        let svc = RetryLayer::new(p).into_layer(flaky(
            vec![Ok(429), Ok(503), Err("reset"), Ok(429)],
            seen.clone(),
        ));
        let r = buffer_request_body(req(Method::POST, "x"), 10)
            .await
            .unwrap();
        assert_eq!(
            svc.serve(r).await.unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert!(svc.serve(req(Method::POST, "")).await.is_err());
        assert_eq!(seen.lock().unwrap().len(), 3);
        // GET is no longer retried
        let res = svc.serve(req(Method::GET, "")).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn buffering_respects_the_limit_and_cloning_needs_a_replayable_body() {
        assert!(
            buffer_request_body(req(Method::POST, "too long"), 3)
                .await
                .is_err()
        );
        assert!(try_clone_request(&req(Method::POST, "streamed")).is_none());
        let (_tx, body) = Body::channel();
        assert!(try_clone_request(&Request::new(body)).is_none());
        let mut original = buffer_request_body(req(Method::PUT, "abc"), 3)
            .await
            .unwrap();
        original.headers_mut().insert("x-a", "1".parse().unwrap());
        let copy = try_clone_request(&original).unwrap();
        assert_eq!(copy.method(), Method::PUT);
        assert_eq!(copy.headers()["x-a"], "1");
        assert_eq!(copy.into_body().collect_string(10).await.unwrap(), "abc");
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<HttpRetryPolicy<ExponentialBackoff>>();
        assert_send_sync::<BufferedBody>();
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_up_to_the_cap() {
        /// 503 with the given Retry-After on the first call, then 200.
        fn once_503(
            retry_after: &'static str,
            calls: Arc<Mutex<u32>>,
        ) -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
            service_fn(move |_req: Request<Body>| {
                let calls = calls.clone();
                async move {
                    let mut n = calls.lock().unwrap();
                    *n += 1;
                    let mut res = Response::new(Body::empty());
                    if *n == 1 {
                        *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                        res.headers_mut()
                            .insert(http::header::RETRY_AFTER, retry_after.parse().unwrap());
                    }
                    Ok(res)
                }
            })
        }
        // (Retry-After, cap, expected calls, expected wait)
        let cases = [
            ("5", DEFAULT_MAX_RETRY_AFTER, 2, Duration::from_secs(5)),
            (
                "junk",
                DEFAULT_MAX_RETRY_AFTER,
                2,
                Duration::from_millis(10),
            ),
            ("120", DEFAULT_MAX_RETRY_AFTER, 1, Duration::ZERO),
            ("5", Duration::ZERO, 2, Duration::from_millis(10)),
        ];
        for (header, cap, want_calls, want_wait) in cases {
            let calls = Arc::new(Mutex::new(0));
            let svc = RetryLayer::new(policy().with_max_retry_after(cap))
                .into_layer(once_503(header, calls.clone()));
            let start = tokio::time::Instant::now();
            svc.serve(req(Method::GET, "")).await.unwrap();
            assert_eq!(*calls.lock().unwrap(), want_calls, "{header} {cap:?}");
            assert_eq!(start.elapsed(), want_wait, "{header} {cap:?}");
        }
    }
}
