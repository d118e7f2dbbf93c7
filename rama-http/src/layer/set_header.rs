//! [`SetRequestHeaderLayer`] and [`SetResponseHeaderLayer`]: put a fixed header on every
//! request or response, [overriding](InsertHeaderMode::Override) what is there, only
//! [if not present](InsertHeaderMode::IfNotPresent), or [appending](InsertHeaderMode::Append)
//! another value.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
//! use rama_http::{Body, HeaderValue, Request, Response, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     assert_eq!(req.headers()[header::USER_AGENT], "rama");
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! });
//! let svc = (
//!     SetRequestHeaderLayer::overriding(header::USER_AGENT, HeaderValue::from_static("rama")),
//!     SetResponseHeaderLayer::if_not_present(
//!         header::CACHE_CONTROL,
//!         HeaderValue::from_static("no-store"),
//!     ),
//! )
//!     .into_layer(inner);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
//! # }
//! ```

use crate::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use rama_core::{Layer, Service};

/// How a header is put into a header map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertHeaderMode {
    /// Replace every existing value of the header.
    Override,
    /// Set the header only when it is absent.
    IfNotPresent,
    /// Add a value after the existing ones.
    Append,
}

/// A header name, value and [`InsertHeaderMode`].
#[derive(Debug, Clone)]
struct HeaderSpec {
    name: HeaderName,
    value: HeaderValue,
    mode: InsertHeaderMode,
}

impl HeaderSpec {
    fn apply(&self, headers: &mut HeaderMap) {
        match self.mode {
            InsertHeaderMode::Override => {
                headers.insert(self.name.clone(), self.value.clone());
            }
            InsertHeaderMode::IfNotPresent => {
                if !headers.contains_key(&self.name) {
                    headers.insert(self.name.clone(), self.value.clone());
                }
            }
            InsertHeaderMode::Append => {
                headers.append(self.name.clone(), self.value.clone());
            }
        }
    }
}

macro_rules! set_header_layer {
    ($layer:ident, $svc:ident, $what:literal) => {
        #[doc = concat!("A [`Layer`] that sets a header on every ", $what, "; see the [module docs](self).")]
        #[derive(Debug, Clone)]
        pub struct $layer {
            spec: HeaderSpec,
        }

        impl $layer {
            #[doc = concat!("Sets `name: value` on each ", $what, " as `mode` says.")]
            #[must_use]
            pub const fn new(name: HeaderName, value: HeaderValue, mode: InsertHeaderMode) -> Self {
                Self {
                    spec: HeaderSpec { name, value, mode },
                }
            }

            #[doc = concat!("Sets `name: value` on each ", $what, ", replacing existing values.")]
            #[must_use]
            pub const fn overriding(name: HeaderName, value: HeaderValue) -> Self {
                Self::new(name, value, InsertHeaderMode::Override)
            }

            #[doc = concat!("Sets `name: value` on each ", $what, " that lacks the header.")]
            #[must_use]
            pub const fn if_not_present(name: HeaderName, value: HeaderValue) -> Self {
                Self::new(name, value, InsertHeaderMode::IfNotPresent)
            }

            #[doc = concat!("Appends `value` to the values of `name` on each ", $what, ".")]
            #[must_use]
            pub const fn appending(name: HeaderName, value: HeaderValue) -> Self {
                Self::new(name, value, InsertHeaderMode::Append)
            }
        }

        impl<S> Layer<S> for $layer {
            type Service = $svc<S>;

            fn layer(&self, inner: S) -> $svc<S> {
                $svc {
                    inner,
                    spec: self.spec.clone(),
                }
            }

            fn into_layer(self, inner: S) -> $svc<S> {
                $svc {
                    inner,
                    spec: self.spec,
                }
            }
        }

        #[doc = concat!("A service that sets a header on every ", $what, "; see [`", stringify!($layer), "`].")]
        #[derive(Debug, Clone)]
        pub struct $svc<S> {
            inner: S,
            spec: HeaderSpec,
        }

        impl<S> $svc<S> {
            /// The inner service.
            pub const fn inner(&self) -> &S {
                &self.inner
            }

            /// The header name set.
            pub const fn name(&self) -> &HeaderName {
                &self.spec.name
            }

            /// The header value set.
            pub const fn value(&self) -> &HeaderValue {
                &self.spec.value
            }

            /// How the header is set.
            pub const fn mode(&self) -> InsertHeaderMode {
                self.spec.mode
            }
        }
    };
}

set_header_layer!(SetRequestHeaderLayer, SetRequestHeader, "request");
set_header_layer!(SetResponseHeaderLayer, SetResponseHeader, "response");

impl<S, B, R> Service<Request<B>> for SetRequestHeader<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        self.spec.apply(req.headers_mut());
        self.inner.serve(req).await
    }
}

impl<S, B, R> Service<Request<B>> for SetResponseHeader<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, req: Request<B>) -> Result<Response<R>, S::Error> {
        let mut res = self.inner.serve(req).await?;
        self.spec.apply(res.headers_mut());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use rama_core::service_fn;
    use std::convert::Infallible;

    const X: HeaderName = HeaderName::from_static("x-test");

    fn values(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(X)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// (mode, values already present, values expected after)
    const CASES: &[(InsertHeaderMode, &[&str], &[&str])] = &[
        (InsertHeaderMode::Override, &[], &["new"]),
        (InsertHeaderMode::Override, &["a", "b"], &["new"]),
        (InsertHeaderMode::IfNotPresent, &[], &["new"]),
        (InsertHeaderMode::IfNotPresent, &["a"], &["a"]),
        (InsertHeaderMode::Append, &[], &["new"]),
        (InsertHeaderMode::Append, &["a"], &["a", "new"]),
    ];

    #[tokio::test]
    async fn request_header_modes() {
        for &(mode, before, after) in CASES {
            let inner = service_fn(async |req: Request<Body>| {
                let seen: Vec<String> = values(req.headers())
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                Ok::<_, Infallible>(Response::new(seen))
            });
            let svc = SetRequestHeaderLayer::new(X, HeaderValue::from_static("new"), mode)
                .into_layer(inner);
            let mut req = Request::new(Body::empty());
            for v in before {
                req.headers_mut().append(X, HeaderValue::from_static(v));
            }
            let res = svc.serve(req).await.unwrap();
            assert_eq!(res.body(), after, "{mode:?} with {before:?}");
        }
    }

    #[tokio::test]
    async fn response_header_modes() {
        for &(mode, before, after) in CASES {
            let inner = service_fn(move |_req: Request<Body>| async move {
                let mut res = Response::new(Body::empty());
                for v in before {
                    res.headers_mut().append(X, HeaderValue::from_static(v));
                }
                Ok::<_, Infallible>(res)
            });
            let svc = SetResponseHeaderLayer::new(X, HeaderValue::from_static("new"), mode)
                .into_layer(inner);
            let res = svc.serve(Request::new(Body::empty())).await.unwrap();
            assert_eq!(values(res.headers()), after, "{mode:?} with {before:?}");
        }
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<SetRequestHeaderLayer>();
        assert_send_sync::<SetRequestHeader<()>>();
        assert_send_sync::<SetResponseHeaderLayer>();
        assert_send_sync::<SetResponseHeader<()>>();
    }
}
