//! [`TimeoutLayer`]: answer `408 Request Timeout` when the inner service does not produce a
//! response within a fixed duration.
//!
//! Built on [`rama_core::layer::Timeout`]: the inner call is dropped (cancelled) when the
//! time is up, and its [`Elapsed`] error is turned into a response; other errors pass
//! through unchanged (as [`BoxError`]).
//!
//! # Why 408 and not 504
//!
//! This layer is meant for the server side, around the application: the server gave up
//! on *this request*, which is what `408 Request Timeout` says (the client may retry it).
//! `504 Gateway Timeout` means an *upstream* did not answer a gateway in time; a proxy that
//! wants that status sets it with [`TimeoutLayer::with_status`]. The response carries
//! `Connection: close` for 408 (RFC 9110 §15.5.9: the server intends to close; the HTTP/1
//! server then closes after the response, the h2 server drops the connection-specific header). Only the
//! time until the response head is bounded, not the streaming of its body.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::timeout::TimeoutLayer;
//! use rama_http::{Body, Request, Response, StatusCode};
//! use std::{convert::Infallible, time::Duration};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let slow = service_fn(async |_req: Request<Body>| {
//!     tokio::time::sleep(Duration::from_secs(60)).await;
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! });
//! let svc = TimeoutLayer::new(Duration::from_secs(5)).into_layer(slow);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
//! # }
//! ```

use crate::{Body, Response, StatusCode, header};
use http::HeaderValue;
use rama_core::error::BoxError;
use rama_core::layer::{Elapsed, Timeout as CoreTimeout};
use rama_core::{Layer, Service};
use std::time::Duration;

/// A [`Layer`] producing [`Timeout`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutLayer {
    duration: Duration,
    status: StatusCode,
}

impl TimeoutLayer {
    /// Answer `408` when the inner service takes longer than `duration`.
    #[must_use]
    pub const fn new(duration: Duration) -> Self {
        Self {
            duration,
            status: StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// Answer with `status` instead (`504 Gateway Timeout` for a proxy, say).
    #[must_use]
    pub const fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// How long the inner service may take.
    #[must_use]
    pub const fn duration(&self) -> Duration {
        self.duration
    }

    /// The status answered on timeout.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.status
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner: CoreTimeout::new(inner, self.duration),
            status: self.status,
        }
    }
}

/// A service answering `408` (or the configured status) on timeout; see [`TimeoutLayer`].
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: CoreTimeout<S>,
    status: StatusCode,
}

impl<S> Timeout<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        self.inner.inner()
    }

    /// How long the inner service may take.
    pub const fn duration(&self) -> Duration {
        self.inner.duration()
    }

    /// The status answered on timeout.
    pub const fn status(&self) -> StatusCode {
        self.status
    }
}

impl<S, Input> Service<Input> for Timeout<S>
where
    S: Service<Input, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    Input: Send + 'static,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, input: Input) -> Result<Response<Body>, BoxError> {
        match self.inner.serve(input).await {
            Ok(res) => Ok(res),
            Err(err) => match err.downcast_ref::<Elapsed>() {
                Some(elapsed) => {
                    tracing::debug!(?elapsed, status = %self.status, "request timed out");
                    let mut res = Response::new(Body::empty());
                    *res.status_mut() = self.status;
                    if self.status == StatusCode::REQUEST_TIMEOUT {
                        res.headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    Ok(res)
                }
                None => Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;
    use rama_core::service::service_fn;

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<TimeoutLayer>();
        assert_send_sync::<Timeout<()>>();
    };

    fn sleeper() -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
        service_fn(async |req: Request<Body>| {
            let ms: u64 = req.uri().path()[1..].parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if ms == 1 {
                return Err::<Response<Body>, BoxError>("inner failed".into());
            }
            Ok(Response::new(Body::from("done")))
        })
    }

    fn req(path: &str) -> Request<Body> {
        Request::builder().uri(path).body(Body::empty()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn slow_gets_408_fast_passes_errors_pass() {
        let svc = TimeoutLayer::new(Duration::from_millis(100)).into_layer(sleeper());
        let res = svc.serve(req("/500")).await.unwrap();
        assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(res.headers()[header::CONNECTION], "close");

        let res = svc.serve(req("/50")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        let err = svc.serve(req("/1")).await.unwrap_err();
        assert_eq!(err.to_string(), "inner failed");
    }

    #[tokio::test(start_paused = true)]
    async fn status_is_configurable() {
        let svc = TimeoutLayer::new(Duration::from_millis(10))
            .with_status(StatusCode::GATEWAY_TIMEOUT)
            .into_layer(sleeper());
        let res = svc.serve(req("/20")).await.unwrap();
        assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
        assert!(res.headers().get(header::CONNECTION).is_none());
        assert_eq!(svc.duration(), Duration::from_millis(10));
    }
}
