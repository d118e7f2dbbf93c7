//! [`ErrorHandlerLayer`]: turn the inner service's errors into responses, so a client always
//! gets a status instead of a dropped request.
//!
//! By default an error becomes `500 Internal Server Error` with a short text body (the
//! error itself is logged at warn level, not sent: it may hold internals). Give a function to
//! choose the response yourself.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::error::BoxError;
//! use rama_http::layer::error_handler::ErrorHandlerLayer;
//! use rama_http::{Body, Request, Response, StatusCode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let failing = service_fn(async |_req: Request<Body>| {
//!     Err::<Response<Body>, BoxError>("database down".into())
//! });
//!
//! let svc = ErrorHandlerLayer::new().into_layer(failing);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
//!
//! let failing = service_fn(async |_req: Request<Body>| {
//!     Err::<Response<Body>, BoxError>("database down".into())
//! });
//! let svc = ErrorHandlerLayer::with_fn(|_err: BoxError| {
//!     let mut res = Response::new(Body::from("try later"));
//!     *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
//!     res
//! })
//! .into_layer(failing);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
//! # }
//! ```

use crate::{Body, Response, StatusCode, header};
use http::HeaderValue;
use rama_core::error::BoxError;
use rama_core::{Layer, Service};
use std::convert::Infallible;
use std::fmt;

/// The default error response: `500 Internal Server Error`, `text/plain` body.
#[must_use]
pub fn internal_server_error(err: BoxError) -> Response<Body> {
    tracing::warn!("service error, answering 500: {err:#}");
    let mut res = Response::new(Body::from("Internal Server Error\n"));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// A [`Layer`] producing [`ErrorHandler`] services.
#[derive(Clone, Copy)]
pub struct ErrorHandlerLayer<F = fn(BoxError) -> Response<Body>> {
    f: F,
}

impl ErrorHandlerLayer {
    /// Errors become [`internal_server_error`] responses.
    #[must_use]
    pub fn new() -> Self {
        Self {
            f: internal_server_error,
        }
    }
}

impl Default for ErrorHandlerLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> ErrorHandlerLayer<F> {
    /// Errors become the response `f` makes of them.
    #[must_use]
    pub const fn with_fn(f: F) -> Self {
        Self { f }
    }
}

impl<F> fmt::Debug for ErrorHandlerLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorHandlerLayer")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F: Clone> Layer<S> for ErrorHandlerLayer<F> {
    type Service = ErrorHandler<S, F>;

    fn layer(&self, inner: S) -> Self::Service {
        ErrorHandler {
            inner,
            f: self.f.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        ErrorHandler { inner, f: self.f }
    }
}

/// A service whose errors are turned into responses; see [`ErrorHandlerLayer`].
#[derive(Clone)]
pub struct ErrorHandler<S, F> {
    inner: S,
    f: F,
}

impl<S, F> ErrorHandler<S, F> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: fmt::Debug, F> fmt::Debug for ErrorHandler<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorHandler")
            .field("inner", &self.inner)
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F, Input> Service<Input> for ErrorHandler<S, F>
where
    S: Service<Input, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    F: Fn(BoxError) -> Response<Body> + Send + Sync + 'static,
    Input: Send + 'static,
{
    type Output = Response<Body>;
    type Error = Infallible;

    async fn serve(&self, input: Input) -> Result<Response<Body>, Infallible> {
        match self.inner.serve(input).await {
            Ok(res) => Ok(res),
            Err(err) => Ok((self.f)(err.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;
    use rama_core::service::service_fn;

    #[tokio::test]
    async fn ok_passes_error_becomes_response() {
        let svc = ErrorHandlerLayer::new().into_layer(service_fn(async |req: Request<Body>| {
            if req.uri().path() == "/fail" {
                Err::<Response<Body>, BoxError>("boom".into())
            } else {
                Ok(Response::new(Body::from("fine")))
            }
        }));
        let ok = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.into_body().collect_bytes(100).await.unwrap(), "fine");

        let req = Request::builder().uri("/fail").body(Body::empty()).unwrap();
        let failed = svc.serve(req).await.unwrap();
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            failed.into_body().collect_bytes(100).await.unwrap(),
            "Internal Server Error\n"
        );
    }

    #[tokio::test]
    async fn custom_fn_sees_the_error() {
        let svc = ErrorHandlerLayer::with_fn(|err: BoxError| {
            let mut res = Response::new(Body::from(err.to_string()));
            *res.status_mut() = StatusCode::BAD_GATEWAY;
            res
        })
        .into_layer(service_fn(async |_: ()| {
            Err::<Response<Body>, BoxError>("upstream refused".into())
        }));
        let res = svc.serve(()).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            res.into_body().collect_bytes(100).await.unwrap(),
            "upstream refused"
        );
    }
}
