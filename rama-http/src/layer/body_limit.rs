//! [`BodyLimitLayer`]: cap the size of request bodies.
//!
//! - A request whose `Content-Length` (or exact/lower size hint) already exceeds the limit is
//!   answered `413 Content Too Large` at once; the inner service is not called.
//! - Otherwise the body is wrapped: reading past the limit yields a [`BodyTooLarge`] error
//!   from the body. When the inner service then fails with an error whose chain holds that
//!   [`BodyTooLarge`] (as a [`CollectError`](crate::body::CollectError) from
//!   `collect_bytes` does), this layer answers `413` instead.
//!
//! Once the inner service has *started a response* (it returned `Ok`, say while streaming
//! the request body into the response body), the status cannot change any more: the
//! response body ends with the [`BodyTooLarge`] error and the server aborts that response
//! (HTTP/1: the connection is closed before the body completes; h2: the stream is reset).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::error::BoxError;
//! use rama_http::layer::body_limit::BodyLimitLayer;
//! use rama_http::{Body, Request, Response, StatusCode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let echo = service_fn(async |req: Request<Body>| {
//!     let data = req.into_body().collect_bytes(usize::MAX).await?;
//!     Ok::<_, BoxError>(Response::new(Body::from(data)))
//! });
//! let svc = BodyLimitLayer::new(4).into_layer(echo);
//! let res = svc.serve(Request::new(Body::from("12345"))).await.unwrap();
//! assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
//! let res = svc.serve(Request::new(Body::from("1234"))).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! # }
//! ```

use crate::body::{Frame, SizeHint};
use crate::{Body, Request, Response, StatusCode, header};
use bytes::Bytes;
use http::HeaderValue;
use rama_core::error::{BoxError, find_in_chain};
use rama_core::{Layer, Service};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A request body was larger than the [`BodyLimitLayer`]'s limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    limit: u64,
}

impl BodyTooLarge {
    /// The limit, in bytes, that was exceeded.
    #[must_use]
    pub const fn limit(&self) -> u64 {
        self.limit
    }
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request body larger than the limit of {} bytes",
            self.limit
        )
    }
}

impl std::error::Error for BodyTooLarge {}

/// A [`Layer`] producing [`BodyLimit`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimitLayer {
    limit: u64,
}

impl BodyLimitLayer {
    /// Limit request bodies to `limit` bytes.
    #[must_use]
    pub const fn new(limit: u64) -> Self {
        Self { limit }
    }

    /// The limit in bytes.
    #[must_use]
    pub const fn limit(&self) -> u64 {
        self.limit
    }
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyLimit {
            inner,
            limit: self.limit,
        }
    }
}

/// A service limiting request body size; see [`BodyLimitLayer`].
#[derive(Debug, Clone)]
pub struct BodyLimit<S> {
    inner: S,
    limit: u64,
}

impl<S> BodyLimit<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The limit in bytes.
    pub const fn limit(&self) -> u64 {
        self.limit
    }
}

fn too_large() -> Response<Body> {
    let mut res = Response::new(Body::from("Content Too Large\n"));
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// The declared length: `Content-Length` if present and valid, else the hint's lower bound.
fn declared_len(req: &Request<Body>) -> u64 {
    let header_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let hint = http_body::Body::size_hint(req.body()).lower();
    header_len.unwrap_or(0).max(hint)
}

impl<S> Service<Request<Body>> for BodyLimit<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let limit = self.limit;
        if declared_len(&req) > limit {
            tracing::debug!(limit, "request body declared larger than the limit: 413");
            return Ok(too_large());
        }
        let req = req.map(|body| {
            Body::new(Limited {
                inner: body,
                remaining: limit,
                limit,
            })
        });
        match self.inner.serve(req).await {
            Ok(res) => Ok(res),
            Err(err) => {
                let err: BoxError = err.into();
                if find_in_chain::<BodyTooLarge>(&*err).is_some() {
                    tracing::debug!(limit, "request body exceeded the limit while read: 413");
                    Ok(too_large())
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// A body that fails with [`BodyTooLarge`] once more than `limit` bytes were read.
struct Limited {
    inner: Body,
    remaining: u64,
    limit: u64,
}

impl http_body::Body for Limited {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.remaining {
                        this.remaining = 0;
                        return Poll::Ready(Some(Err(Box::new(BodyTooLarge {
                            limit: this.limit,
                        }))));
                    }
                    this.remaining -= len;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower().min(self.remaining));
        hint.set_upper(inner.upper().unwrap_or(self.remaining).min(self.remaining));
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service::service_fn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<BodyLimitLayer>();
        assert_send_sync::<BodyLimit<()>>();
        assert_send_sync::<BodyTooLarge>();
    };

    fn echo(
        calls: Arc<AtomicUsize>,
    ) -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
        service_fn(move |req: Request<Body>| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let data = req.into_body().collect_bytes(usize::MAX).await?;
                Ok::<_, BoxError>(Response::new(Body::from(data)))
            }
        })
    }

    fn streamed(chunks: &'static [&'static str]) -> Body {
        let (tx, body) = Body::channel();
        tokio::spawn(async move {
            for c in chunks {
                if tx.send_data(*c).await.is_err() {
                    return;
                }
            }
        });
        body
    }

    #[tokio::test]
    async fn declared_too_large_is_rejected_without_calling_inner() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = BodyLimitLayer::new(10).into_layer(echo(calls.clone()));
        // by Content-Length header, body unknown length
        let req = Request::builder()
            .header("content-length", "11")
            .body(streamed(&["x"]))
            .unwrap();
        assert_eq!(
            svc.serve(req).await.unwrap().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // by exact size hint
        let req = Request::new(Body::from("0123456789a"));
        assert_eq!(
            svc.serve(req).await.unwrap().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn streamed_body_over_the_limit_gets_413_at_limit_passes() {
        let calls = Arc::new(AtomicUsize::new(0));
        let svc = BodyLimitLayer::new(10).into_layer(echo(calls.clone()));
        let res = svc
            .serve(Request::new(streamed(&["01234", "56789", "a"])))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let res = svc
            .serve(Request::new(streamed(&["01234", "56789"])))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.into_body().collect_bytes(100).await.unwrap(),
            "0123456789"
        );
    }

    #[tokio::test]
    async fn body_streamed_into_the_response_ends_with_the_error() {
        let svc = BodyLimitLayer::new(3).into_layer(service_fn(async |req: Request<Body>| {
            Ok::<_, BoxError>(Response::new(req.into_body()))
        }));
        let res = svc
            .serve(Request::new(streamed(&["ab", "cd"])))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let err = res.into_body().collect_bytes(100).await.unwrap_err();
        let err: BoxError = Box::new(err);
        assert_eq!(
            find_in_chain::<BodyTooLarge>(&*err).map(BodyTooLarge::limit),
            Some(3)
        );
    }

    #[tokio::test]
    async fn other_errors_pass_through() {
        let svc = BodyLimitLayer::new(3).into_layer(service_fn(async |_: Request<Body>| {
            Err::<Response<Body>, BoxError>("nope".into())
        }));
        let err = svc.serve(Request::new(Body::empty())).await.unwrap_err();
        assert_eq!(err.to_string(), "nope");
    }
}
