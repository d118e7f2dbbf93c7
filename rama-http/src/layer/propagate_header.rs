//! [`PropagateHeaderLayer`]: copy a header of the request onto its response (a correlation
//! id, say), replacing any value the inner service set.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::propagate_header::PropagateHeaderLayer;
//! use rama_http::{Body, HeaderName, Request, Response};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |_req: Request<Body>| Ok::<_, Infallible>(Response::new(Body::empty())));
//! let svc = PropagateHeaderLayer::new(HeaderName::from_static("x-correlation-id")).into_layer(inner);
//! let req = Request::builder().header("x-correlation-id", "abc").body(Body::empty()).unwrap();
//! let res = svc.serve(req).await.unwrap();
//! assert_eq!(res.headers()["x-correlation-id"], "abc");
//! # }
//! ```

use crate::{HeaderName, HeaderValue, Request, Response};
use rama_core::{Layer, Service};

/// A [`Layer`] producing [`PropagateHeader`] services.
#[derive(Debug, Clone)]
pub struct PropagateHeaderLayer {
    name: HeaderName,
}

impl PropagateHeaderLayer {
    /// Copies the request's `name` header (all its values) to the response.
    #[must_use]
    pub const fn new(name: HeaderName) -> Self {
        Self { name }
    }
}

impl<S> Layer<S> for PropagateHeaderLayer {
    type Service = PropagateHeader<S>;

    fn layer(&self, inner: S) -> PropagateHeader<S> {
        PropagateHeader {
            inner,
            name: self.name.clone(),
        }
    }

    fn into_layer(self, inner: S) -> PropagateHeader<S> {
        PropagateHeader {
            inner,
            name: self.name,
        }
    }
}

/// A service copying a request header onto the response; see [`PropagateHeaderLayer`].
#[derive(Debug, Clone)]
pub struct PropagateHeader<S> {
    inner: S,
    name: HeaderName,
}

impl<S> PropagateHeader<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The header propagated.
    pub const fn name(&self) -> &HeaderName {
        &self.name
    }
}

impl<S, B, R> Service<Request<B>> for PropagateHeader<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, req: Request<B>) -> Result<Response<R>, S::Error> {
        let values: Vec<HeaderValue> = req.headers().get_all(&self.name).iter().cloned().collect();
        let mut res = self.inner.serve(req).await?;
        if !values.is_empty() {
            res.headers_mut().remove(&self.name);
            for v in values {
                res.headers_mut().append(self.name.clone(), v);
            }
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use rama_core::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn copies_request_values_over_the_inner_ones() {
        let name = HeaderName::from_static("x-id");
        let inner = service_fn(async |_req: Request<Body>| {
            let mut res = Response::new(Body::empty());
            res.headers_mut()
                .insert("x-id", HeaderValue::from_static("inner"));
            Ok::<_, Infallible>(res)
        });
        let svc = PropagateHeaderLayer::new(name.clone()).into_layer(inner);
        // (request values, response values)
        let cases: &[(&[&str], &[&str])] = &[
            (&["a"], &["a"]),
            (&["a", "b"], &["a", "b"]),
            (&[], &["inner"]),
        ];
        for (sent, want) in cases {
            let mut req = Request::new(Body::empty());
            for v in *sent {
                req.headers_mut()
                    .append(name.clone(), HeaderValue::from_static(v));
            }
            let res = svc.serve(req).await.unwrap();
            let got: Vec<&str> = res
                .headers()
                .get_all(&name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            assert_eq!(got, *want, "sent {sent:?}");
        }
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<PropagateHeaderLayer>();
        assert_send_sync::<PropagateHeader<()>>();
    }
}
