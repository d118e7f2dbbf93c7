//! [`MapRequestBodyLayer`] and [`MapResponseBodyLayer`]: transform the body of every request
//! or response with a function (wrap it, count it, replace it).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::map_body::MapResponseBodyLayer;
//! use rama_http::{Body, Request, Response};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new("hello"))
//! });
//! let svc = MapResponseBodyLayer::new(Body::from).into_layer(inner);
//! let res: Response<Body> = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.into_body().collect_string(64).await.unwrap(), "hello");
//! # }
//! ```

use crate::{Request, Response};
use rama_core::{Layer, Service};
use std::fmt;

macro_rules! map_body_layer {
    ($layer:ident, $svc:ident, $what:literal) => {
        #[doc = concat!("A [`Layer`] mapping the body of every ", $what, " with a function; see the [module docs](self).")]
        #[derive(Clone, Copy)]
        pub struct $layer<F> {
            f: F,
        }

        impl<F> $layer<F> {
            #[doc = concat!("Maps each ", $what, " body with `f`.")]
            #[must_use]
            pub const fn new(f: F) -> Self {
                Self { f }
            }
        }

        impl<F> fmt::Debug for $layer<F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($layer))
                    .field("f", &std::any::type_name::<F>())
                    .finish()
            }
        }

        impl<S, F: Clone> Layer<S> for $layer<F> {
            type Service = $svc<S, F>;

            fn layer(&self, inner: S) -> $svc<S, F> {
                $svc {
                    inner,
                    f: self.f.clone(),
                }
            }

            fn into_layer(self, inner: S) -> $svc<S, F> {
                $svc { inner, f: self.f }
            }
        }

        #[doc = concat!("A service mapping the body of every ", $what, "; see [`", stringify!($layer), "`].")]
        #[derive(Clone)]
        pub struct $svc<S, F> {
            inner: S,
            f: F,
        }

        impl<S, F> $svc<S, F> {
            /// The inner service.
            pub const fn inner(&self) -> &S {
                &self.inner
            }

            /// The body function.
            pub const fn mapper(&self) -> &F {
                &self.f
            }
        }

        impl<S: fmt::Debug, F> fmt::Debug for $svc<S, F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($svc))
                    .field("inner", &self.inner)
                    .field("f", &std::any::type_name::<F>())
                    .finish()
            }
        }
    };
}

map_body_layer!(MapRequestBodyLayer, MapRequestBody, "request");
map_body_layer!(MapResponseBodyLayer, MapResponseBody, "response");

impl<S, F, B, B2, R> Service<Request<B>> for MapRequestBody<S, F>
where
    S: Service<Request<B2>, Output = Response<R>>,
    F: Fn(B) -> B2 + Send + Sync + 'static,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, req: Request<B>) -> Result<Response<R>, S::Error> {
        self.inner.serve(req.map(&self.f)).await
    }
}

impl<S, F, B, R, R2> Service<Request<B>> for MapResponseBody<S, F>
where
    S: Service<Request<B>, Output = Response<R>>,
    F: Fn(R) -> R2 + Send + Sync + 'static,
    B: Send + 'static,
    R2: Send + 'static,
{
    type Output = Response<R2>;
    type Error = S::Error;

    async fn serve(&self, req: Request<B>) -> Result<Response<R2>, S::Error> {
        Ok(self.inner.serve(req).await?.map(&self.f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use rama_core::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn maps_request_and_response_bodies() {
        let inner = service_fn(async |req: Request<String>| {
            Ok::<_, Infallible>(Response::new(format!("got {}", req.into_body())))
        });
        let svc = (
            MapResponseBodyLayer::new(|s: String| Body::from(s.to_uppercase())),
            MapRequestBodyLayer::new(|n: u32| (n * 2).to_string()),
        )
            .into_layer(inner);
        let res = svc.serve(Request::new(21_u32)).await.unwrap();
        assert_eq!(res.into_body().collect_string(64).await.unwrap(), "GOT 42");
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<MapRequestBodyLayer<fn(Body) -> Body>>();
        assert_send_sync::<MapRequestBody<(), fn(Body) -> Body>>();
        assert_send_sync::<MapResponseBodyLayer<fn(Body) -> Body>>();
        assert_send_sync::<MapResponseBody<(), fn(Body) -> Body>>();
    }
}
