//! [`RamaService`]: a rama HTTP service served as a tower service.

use crate::Body;
use bytes::Bytes;
use http::{Request, Response};
use rama_core::Service;
use rama_core::error::BoxError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A rama `Service<Request<Body>, Output = Response<Body>>` as a
/// `tower_service::Service<Request<B>>`, for any request body `B` with [`Bytes`]-convertible
/// data (hyper's `Incoming`, axum's `Body`, …).
///
/// Always ready; each call converts the request body into a [`Body`] and serves the shared
/// rama service (held in an [`Arc`], so clones are cheap). Errors become a [`BoxError`].
/// Wrap it in `hyper_util::service::TowerToHyperService` to serve it with hyper-util; see
/// the [module docs](super).
pub struct RamaService<S> {
    inner: Arc<S>,
}

impl<S> RamaService<S> {
    /// Wraps a rama HTTP service.
    pub fn new(inner: S) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The wrapped rama service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S> Clone for RamaService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for RamaService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RamaService").finish_non_exhaustive()
    }
}

/// The future of [`RamaService`]'s `call`.
pub type RamaServiceFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

impl<S, B> tower_service::Service<Request<B>> for RamaService<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = RamaServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let service = self.inner.clone();
        Box::pin(async move { service.serve(req.map(Body::new)).await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service::service_fn;
    use tower_service::Service as _;

    #[tokio::test]
    async fn serves_any_body_type_through_the_rama_service() {
        let echo = service_fn(async |req: Request<Body>| {
            let body = req.into_body().collect_bytes(1024).await?;
            Ok::<_, BoxError>(Response::new(Body::from(body)))
        });
        let mut tower = RamaService::new(echo);
        // a body type other than rama's
        let body = http_body_util::Full::new(Bytes::from_static(b"ping"));
        std::future::poll_fn(|cx| {
            tower_service::Service::<Request<http_body_util::Full<Bytes>>>::poll_ready(
                &mut tower, cx,
            )
        })
        .await
        .unwrap();
        let res = tower.call(Request::new(body)).await.unwrap();
        assert_eq!(
            &res.into_body().collect_bytes(64).await.unwrap()[..],
            b"ping"
        );
    }

    #[tokio::test]
    async fn service_error_is_the_error() {
        let failing = service_fn(async |_req: Request<Body>| {
            Err::<Response<Body>, _>(std::io::Error::other("broken"))
        });
        let err = RamaService::new(failing)
            .call(Request::new(Body::empty()))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "broken");
    }
}
