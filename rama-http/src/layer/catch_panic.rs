//! [`CatchPanicLayer`]: a panic in the inner service (while it is called or while its future
//! runs) becomes a `500 Internal Server Error` response instead of a dropped connection.
//!
//! The panic message is logged at error level, never sent to the client. Panics while the
//! *response body* is streamed are not caught here (the body is read later, by the server).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::catch_panic::CatchPanicLayer;
//! use rama_http::{Body, Request, Response, StatusCode};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let svc = CatchPanicLayer::new().into_layer(service_fn(async |_req: Request<Body>| {
//!     if true {
//!         panic!("bug");
//!     }
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! }));
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
//! # }
//! ```

use crate::{Body, Response, StatusCode, header};
use http::HeaderValue;
use rama_core::{Layer, Service};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A [`Layer`] producing [`CatchPanic`] services.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatchPanicLayer {
    _priv: (),
}

impl CatchPanicLayer {
    /// Panics become `500` responses.
    #[must_use]
    pub const fn new() -> Self {
        Self { _priv: () }
    }
}

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CatchPanic { inner }
    }
}

/// A service answering `500` when its inner service panics; see [`CatchPanicLayer`].
#[derive(Debug, Clone)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S> CatchPanic<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, Input> Service<Input> for CatchPanic<S>
where
    S: Service<Input, Output = Response<Body>>,
    Input: Send + 'static,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, input: Input) -> Result<Response<Body>, S::Error> {
        // a panic while creating the future (before its first poll) is caught too
        let future = match catch_unwind(AssertUnwindSafe(|| self.inner.serve(input))) {
            Ok(future) => future,
            Err(payload) => return Ok(panic_response(payload.as_ref())),
        };
        match (CatchUnwind {
            inner: Box::pin(future),
        })
        .await
        {
            Ok(result) => result,
            Err(payload) => Ok(panic_response(payload.as_ref())),
        }
    }
}

/// Polls a future, turning a panic during a poll into `Err(payload)`.
struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

fn panic_response(payload: &(dyn Any + Send)) -> Response<Body> {
    tracing::error!(
        panic = panic_message(payload),
        "service panicked, answering 500"
    );
    let mut res = Response::new(Body::from("Internal Server Error\n"));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;
    use rama_core::service::service_fn;
    use std::convert::Infallible;

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<CatchPanicLayer>();
        assert_send_sync::<CatchPanic<()>>();
    };

    fn req(path: &str) -> Request<Body> {
        Request::builder().uri(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn panic_after_an_await_becomes_500_without_the_message() {
        let svc = CatchPanicLayer::new().into_layer(service_fn(async |req: Request<Body>| {
            tokio::task::yield_now().await;
            if req.uri().path() == "/boom" {
                panic!("secret internals {}", 42);
            }
            Ok::<_, Infallible>(Response::new(Body::from("ok")))
        }));
        let res = svc.serve(req("/boom")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = res.into_body().collect_string(1024).await.unwrap();
        assert!(!body.contains("secret"), "{body}");

        // the service still works after a panic
        let res = svc.serve(req("/fine")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    struct PanicsWhenCalled;
    impl Service<Request<Body>> for PanicsWhenCalled {
        type Output = Response<Body>;
        type Error = Infallible;
        fn serve(
            &self,
            _: Request<Body>,
        ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send {
            panic!("before the future exists");
            #[expect(unreachable_code, reason = "gives the fn its return type")]
            std::future::ready(Ok(Response::new(Body::empty())))
        }
    }

    #[tokio::test]
    async fn panic_when_called_becomes_500() {
        let svc = CatchPanicLayer::new().into_layer(PanicsWhenCalled);
        let res = svc.serve(req("/")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn message_of_str_and_string_payloads() {
        assert_eq!(panic_message(&"a"), "a");
        assert_eq!(panic_message(&String::from("b")), "b");
        assert_eq!(panic_message(&7u8), "(non-string panic payload)");
    }
}
