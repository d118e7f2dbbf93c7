//! [`RequestIdLayer`]: give every request an id (`x-request-id` by default) when it has none,
//! record it as a [`RequestId`] extension, and put it on the response.
//!
//! Ids are 128 random bits in lowercase hex (32 characters) unless you give a generator
//! ([`RequestIdLayer::with_generator`]). An id already on the request is kept, so one id
//! follows a request through a chain of services. The response gets the id unless the inner
//! service set the header itself.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::request_id::{RequestId, RequestIdLayer};
//! use rama_http::{Body, Request, Response};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     let id = req.extensions().get::<RequestId>().unwrap().clone();
//!     Ok::<_, Infallible>(Response::new(Body::from(id.as_str().to_owned())))
//! });
//! let svc = RequestIdLayer::new().into_layer(inner);
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
//! assert_eq!(id.len(), 32);
//! assert_eq!(res.into_body().collect_string(64).await.unwrap(), id);
//! # }
//! ```

use crate::{HeaderName, HeaderValue, Request, Response};
use rama_core::{Layer, Service};
use std::fmt;
use std::sync::Arc;

/// The default request id header, `x-request-id`.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, as found in or set on its id header; a request extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// An id from a header value.
    #[must_use]
    pub const fn new(value: HeaderValue) -> Self {
        Self(value)
    }

    /// The header value.
    #[must_use]
    pub const fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The id as text; empty if it is not visible ASCII.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// A random 128-bit id in lowercase hex.
#[must_use]
pub fn random_request_id() -> HeaderValue {
    let hex = format!("{:032x}", fastrand::u128(..));
    HeaderValue::try_from(hex).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

type Generator = Arc<dyn Fn() -> HeaderValue + Send + Sync>;

/// A [`Layer`] producing [`SetRequestId`] services.
#[derive(Clone)]
pub struct RequestIdLayer {
    header: HeaderName,
    generator: Option<Generator>,
}

impl RequestIdLayer {
    /// `x-request-id` with random 128-bit hex ids.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            header: X_REQUEST_ID,
            generator: None,
        }
    }

    /// Use `header` instead of `x-request-id`.
    #[must_use]
    pub fn with_header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }

    /// Make ids with `f` instead of at random.
    #[must_use]
    pub fn with_generator(mut self, f: impl Fn() -> HeaderValue + Send + Sync + 'static) -> Self {
        self.generator = Some(Arc::new(f));
        self
    }
}

impl Default for RequestIdLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RequestIdLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestIdLayer")
            .field("header", &self.header)
            .field("custom_generator", &self.generator.is_some())
            .finish()
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = SetRequestId<S>;

    fn layer(&self, inner: S) -> SetRequestId<S> {
        self.clone().into_layer(inner)
    }

    fn into_layer(self, inner: S) -> SetRequestId<S> {
        SetRequestId {
            inner,
            header: self.header,
            generator: self.generator,
        }
    }
}

/// A service that sets and propagates request ids; see [`RequestIdLayer`].
#[derive(Clone)]
pub struct SetRequestId<S> {
    inner: S,
    header: HeaderName,
    generator: Option<Generator>,
}

impl<S> SetRequestId<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The id header.
    pub const fn header(&self) -> &HeaderName {
        &self.header
    }
}

impl<S: fmt::Debug> fmt::Debug for SetRequestId<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetRequestId")
            .field("inner", &self.inner)
            .field("header", &self.header)
            .field("custom_generator", &self.generator.is_some())
            .finish()
    }
}

impl<S, B, R> Service<Request<B>> for SetRequestId<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        let id = match req.headers().get(&self.header) {
            Some(v) => v.clone(),
            None => {
                let v = self
                    .generator
                    .as_ref()
                    .map_or_else(random_request_id, |g| g());
                req.headers_mut().insert(self.header.clone(), v.clone());
                v
            }
        };
        req.extensions_mut().insert(RequestId(id.clone()));
        let mut res = self.inner.serve(req).await?;
        if !res.headers().contains_key(&self.header) {
            res.headers_mut().insert(self.header.clone(), id);
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
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Answers with the id header the request had when it reached it.
    fn echo_id() -> impl Service<Request<Body>, Output = Response<Body>, Error = Infallible> {
        service_fn(async |req: Request<Body>| {
            let seen = req
                .headers()
                .get(X_REQUEST_ID)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            assert_eq!(
                req.extensions().get::<RequestId>().map(RequestId::as_str),
                Some(seen.as_str())
            );
            Ok::<_, Infallible>(Response::new(Body::from(seen)))
        })
    }

    #[tokio::test]
    async fn sets_random_ids_and_propagates_them() {
        let svc = RequestIdLayer::new().into_layer(echo_id());
        let mut ids = Vec::new();
        for _ in 0..3 {
            let res = svc.serve(Request::new(Body::empty())).await.unwrap();
            let header = res.headers()[X_REQUEST_ID].to_str().unwrap().to_owned();
            let seen = res.into_body().collect_string(100).await.unwrap();
            assert_eq!(header, seen);
            assert_eq!(header.len(), 32);
            assert!(header.bytes().all(|b| b.is_ascii_hexdigit()));
            ids.push(header);
        }
        ids.dedup();
        assert_eq!(ids.len(), 3, "ids must differ");
    }

    #[tokio::test]
    async fn keeps_an_existing_id_and_uses_the_generator() {
        let n = Arc::new(AtomicU32::new(0));
        let counter = n.clone();
        let svc = RequestIdLayer::new()
            .with_generator(move || HeaderValue::from(counter.fetch_add(1, Ordering::SeqCst)))
            .into_layer(echo_id());
        let req = Request::builder()
            .header(X_REQUEST_ID, "given")
            .body(Body::empty())
            .unwrap();
        let res = svc.serve(req).await.unwrap();
        assert_eq!(res.headers()[X_REQUEST_ID], "given");
        assert_eq!(n.load(Ordering::SeqCst), 0);

        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert_eq!(res.headers()[X_REQUEST_ID], "0");
        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert_eq!(res.headers()[X_REQUEST_ID], "1");
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<RequestIdLayer>();
        assert_send_sync::<SetRequestId<()>>();
        assert_send_sync::<RequestId>();
    }
}
