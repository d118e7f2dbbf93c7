//! [`TowerService`]: a tower service served as a rama service.

use crate::Body;
use bytes::Bytes;
use http::{Request, Response};
use rama_core::Service;
use rama_core::error::BoxError;

/// A `tower_service::Service<Request<Body>>` (an axum `Router`, say) as a rama
/// `Service<Request<Body>>`, for [`HttpServer`](crate::server::HttpServer).
///
/// Each request clones the tower service, awaits its `poll_ready`, then calls it: the
/// tower convention for a shared service, since `call` takes `&mut self` and readiness
/// belongs to the clone that reserved it. The response body, any `http_body::Body` with
/// [`Bytes`] data, becomes a [`Body`]; errors become a [`BoxError`] (which the server turns
/// into a `500`).
///
/// The tower service must be `Clone + Send + Sync` (rama services are shared across
/// threads): an axum `Router` is; a boxed tower stack should use tower's
/// `BoxCloneSyncService` rather than `BoxCloneService`, which is not `Sync`.
///
/// ```no_run
/// use rama_core::graceful::Shutdown;
/// use rama_http::{server::HttpServer, tower::TowerService};
/// use rama_tcp::server::TcpListener;
///
/// # async fn run(router: impl tower_service::Service<rama_http::Request<rama_http::Body>,
/// #     Response = rama_http::Response<rama_http::Body>, Error = std::convert::Infallible,
/// #     Future: Send> + Clone + Send + Sync + 'static) -> Result<(), Box<dyn std::error::Error>> {
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// let shutdown = Shutdown::default();
/// let service = HttpServer::auto().service(TowerService::new(router));
/// shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
/// shutdown.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TowerService<T> {
    inner: T,
}

impl<T> TowerService<T> {
    /// Wraps a tower service.
    pub const fn new(inner: T) -> Self {
        Self { inner }
    }

    /// The wrapped tower service.
    pub const fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Unwraps the tower service.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T, ResBody> Service<Request<Body>> for TowerService<T>
where
    T: tower_service::Service<Request<Body>, Response = Response<ResBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    T::Future: Send,
    T::Error: Into<BoxError>,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let mut service = self.inner.clone();
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        let res = service.call(req).await.map_err(Into::into)?;
        Ok(res.map(Body::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::future::{Ready, ready};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    /// Not ready on its first poll (per clone), counts calls; answers with the path.
    #[derive(Clone)]
    struct Echo {
        polled: bool,
        ready_polls: Arc<AtomicUsize>,
    }

    impl tower_service::Service<Request<Body>> for Echo {
        type Response = Response<Body>;
        type Error = Infallible;
        type Future = Ready<Result<Response<Body>, Infallible>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            self.ready_polls.fetch_add(1, Ordering::SeqCst);
            if self.polled {
                Poll::Ready(Ok(()))
            } else {
                self.polled = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }

        fn call(&mut self, req: Request<Body>) -> Self::Future {
            assert!(self.polled, "called before ready");
            ready(Ok(Response::new(Body::from(req.uri().path().to_owned()))))
        }
    }

    #[tokio::test]
    async fn awaits_readiness_of_a_fresh_clone_per_call() {
        let ready_polls = Arc::new(AtomicUsize::new(0));
        let svc = TowerService::new(Echo {
            polled: false,
            ready_polls: ready_polls.clone(),
        });
        for path in ["/a", "/b"] {
            let req = Request::get(path).body(Body::empty()).unwrap();
            let res = svc.serve(req).await.unwrap();
            assert_eq!(res.into_body().collect_string(64).await.unwrap(), path);
        }
        // each call got its own clone, which was pending once, then ready
        assert_eq!(ready_polls.load(Ordering::SeqCst), 4);
    }

    #[derive(Clone)]
    struct Failing;

    impl tower_service::Service<Request<Body>> for Failing {
        type Response = Response<Body>;
        type Error = std::io::Error;
        type Future = Ready<Result<Response<Body>, std::io::Error>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
            Poll::Ready(Err(std::io::Error::other("overloaded")))
        }

        fn call(&mut self, _req: Request<Body>) -> Self::Future {
            ready(Ok(Response::new(Body::empty())))
        }
    }

    #[tokio::test]
    async fn readiness_error_is_the_error() {
        let err = TowerService::new(Failing)
            .serve(Request::new(Body::empty()))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "overloaded");
    }
}
