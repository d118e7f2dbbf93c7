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
//!
//! [`SetRequestHeaderLayer::with_fn`] and [`SetResponseHeaderLayer::with_fn`] make the value
//! per message from its headers instead.

use crate::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use rama_core::{Layer, Service};
use std::fmt;
use std::sync::Arc;

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

type MakeValue = Arc<dyn Fn(&HeaderMap) -> Option<HeaderValue> + Send + Sync>;

/// Where the value comes from: fixed, or made per message.
#[derive(Clone)]
enum ValueSource {
    Fixed(HeaderValue),
    Make(MakeValue),
}

impl fmt::Debug for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(v) => v.fmt(f),
            Self::Make(_) => f.write_str("<fn>"),
        }
    }
}

/// A header name, value and [`InsertHeaderMode`].
#[derive(Debug, Clone)]
struct HeaderSpec {
    name: HeaderName,
    value: ValueSource,
    mode: InsertHeaderMode,
}

impl HeaderSpec {
    fn value_for(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        match &self.value {
            ValueSource::Fixed(v) => Some(v.clone()),
            ValueSource::Make(f) => f(headers),
        }
    }

    fn apply(&self, headers: &mut HeaderMap) {
        if self.mode == InsertHeaderMode::IfNotPresent && headers.contains_key(&self.name) {
            return;
        }
        let Some(value) = self.value_for(headers) else {
            return;
        };
        match self.mode {
            InsertHeaderMode::Override | InsertHeaderMode::IfNotPresent => {
                headers.insert(self.name.clone(), value);
            }
            InsertHeaderMode::Append => {
                headers.append(self.name.clone(), value);
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
                    spec: HeaderSpec {
                        name,
                        value: ValueSource::Fixed(value),
                        mode,
                    },
                }
            }

            #[doc = concat!("Sets `name` on each ", $what, " to the value `f` makes from its headers, as `mode` says; `None` sets nothing.")]
            #[must_use]
            pub fn with_fn(
                name: HeaderName,
                mode: InsertHeaderMode,
                f: impl Fn(&HeaderMap) -> Option<HeaderValue> + Send + Sync + 'static,
            ) -> Self {
                Self {
                    spec: HeaderSpec {
                        name,
                        value: ValueSource::Make(Arc::new(f)),
                        mode,
                    },
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

            /// The header value set; `None` when a function makes it.
            pub const fn value(&self) -> Option<&HeaderValue> {
                match &self.spec.value {
                    ValueSource::Fixed(v) => Some(v),
                    ValueSource::Make(_) => None,
                }
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

    #[tokio::test]
    async fn value_made_per_message() {
        let inner = service_fn(async |req: Request<Body>| {
            let mut res = Response::new(Body::empty());
            *res.headers_mut() = req.headers().clone();
            Ok::<_, Infallible>(res)
        });
        // response: the length of the request's x-test value; absent x-test: nothing set
        let svc = SetResponseHeaderLayer::with_fn(
            HeaderName::from_static("x-len"),
            InsertHeaderMode::Override,
            |h: &HeaderMap| Some(HeaderValue::from(h.get(X)?.len())),
        )
        .into_layer(inner);
        let mut req = Request::new(Body::empty());
        req.headers_mut()
            .insert(X, HeaderValue::from_static("four"));
        let res = svc.serve(req).await.unwrap();
        assert_eq!(res.headers()["x-len"], "4");
        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert!(res.headers().get("x-len").is_none());
        assert_eq!(
            SetResponseHeaderLayer::with_fn(X, InsertHeaderMode::Append, |_: &HeaderMap| None)
                .into_layer(())
                .value(),
            None
        );
    }
}
