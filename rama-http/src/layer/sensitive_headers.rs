//! [`SetSensitiveRequestHeadersLayer`] and [`SetSensitiveResponseHeadersLayer`]: mark header
//! values as sensitive ([`HeaderValue::set_sensitive`]) so that they are not indexed by HPACK
//! and are redacted wherever rama prints headers.
//!
//! The set of names is a [`SensitiveHeaders`] value: cheap to clone, shared by the layers and
//! consulted by others that record headers (the [`trace`](super::trace) layer redacts any
//! header in its set, and any value already marked sensitive). The default set is
//! `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`.
//!
//! The request layer also inserts its [`SensitiveHeaders`] into the request's extensions, so
//! that inner layers and services can find the set in use.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::sensitive_headers::{SensitiveHeaders, SetSensitiveRequestHeadersLayer};
//! use rama_http::{Body, Request, Response, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     let auth = &req.headers()[header::AUTHORIZATION];
//!     assert!(auth.is_sensitive());
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! });
//! let svc = SetSensitiveRequestHeadersLayer::new(SensitiveHeaders::default()).into_layer(inner);
//! let req = Request::builder()
//!     .header(header::AUTHORIZATION, "Bearer secret")
//!     .body(Body::empty())
//!     .unwrap();
//! svc.serve(req).await.unwrap();
//! # }
//! ```

use crate::{Body, Request, Response, header};
use http::{HeaderMap, HeaderName, HeaderValue};
use rama_core::{Layer, Service};
use std::fmt;
use std::sync::Arc;

/// A shared, immutable set of header names whose values are sensitive.
///
/// [`Default`] is `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`.
#[derive(Clone, PartialEq, Eq)]
pub struct SensitiveHeaders {
    names: Arc<[HeaderName]>,
}

impl SensitiveHeaders {
    /// A set of exactly these names.
    pub fn new(names: impl IntoIterator<Item = HeaderName>) -> Self {
        let mut names: Vec<HeaderName> = names.into_iter().collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names.dedup();
        Self {
            names: names.into(),
        }
    }

    /// The default set extended with `names`.
    pub fn default_with(names: impl IntoIterator<Item = HeaderName>) -> Self {
        Self::new(Self::default().iter().cloned().chain(names))
    }

    /// Whether `name` is in the set.
    #[must_use]
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.names.contains(name)
    }

    /// Whether a header must not be recorded: its name is in the set or its value is
    /// already marked sensitive.
    #[must_use]
    pub fn is_redacted(&self, name: &HeaderName, value: &HeaderValue) -> bool {
        value.is_sensitive() || self.contains(name)
    }

    /// The names in the set.
    pub fn iter(&self) -> impl Iterator<Item = &HeaderName> {
        self.names.iter()
    }

    /// Marks the values of every header in the set as sensitive.
    pub fn mark(&self, headers: &mut HeaderMap) {
        for name in self.names.iter() {
            if let header::Entry::Occupied(mut entry) = headers.entry(name) {
                for value in entry.iter_mut() {
                    value.set_sensitive(true);
                }
            }
        }
    }
}

impl Default for SensitiveHeaders {
    fn default() -> Self {
        Self::new([
            header::AUTHORIZATION,
            header::PROXY_AUTHORIZATION,
            header::COOKIE,
            header::SET_COOKIE,
        ])
    }
}

impl fmt::Debug for SensitiveHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names.iter()).finish()
    }
}

/// A [`Layer`] producing [`SetSensitiveRequestHeaders`] services.
#[derive(Debug, Clone, Default)]
pub struct SetSensitiveRequestHeadersLayer {
    headers: SensitiveHeaders,
}

impl SetSensitiveRequestHeadersLayer {
    /// Mark the request headers in `headers` as sensitive.
    #[must_use]
    pub const fn new(headers: SensitiveHeaders) -> Self {
        Self { headers }
    }

    /// The set of names marked.
    #[must_use]
    pub const fn headers(&self) -> &SensitiveHeaders {
        &self.headers
    }
}

impl<S> Layer<S> for SetSensitiveRequestHeadersLayer {
    type Service = SetSensitiveRequestHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetSensitiveRequestHeaders {
            inner,
            headers: self.headers.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        SetSensitiveRequestHeaders {
            inner,
            headers: self.headers,
        }
    }
}

/// Marks request header values sensitive before calling the inner service; see
/// [`SetSensitiveRequestHeadersLayer`].
#[derive(Debug, Clone)]
pub struct SetSensitiveRequestHeaders<S> {
    inner: S,
    headers: SensitiveHeaders,
}

impl<S> SetSensitiveRequestHeaders<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The set of names marked.
    pub const fn headers(&self) -> &SensitiveHeaders {
        &self.headers
    }
}

impl<S> Service<Request<Body>> for SetSensitiveRequestHeaders<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    fn serve(
        &self,
        mut req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, S::Error>> + Send {
        self.headers.mark(req.headers_mut());
        req.extensions_mut().insert(self.headers.clone());
        self.inner.serve(req)
    }
}

/// A [`Layer`] producing [`SetSensitiveResponseHeaders`] services.
#[derive(Debug, Clone, Default)]
pub struct SetSensitiveResponseHeadersLayer {
    headers: SensitiveHeaders,
}

impl SetSensitiveResponseHeadersLayer {
    /// Mark the response headers in `headers` as sensitive.
    #[must_use]
    pub const fn new(headers: SensitiveHeaders) -> Self {
        Self { headers }
    }

    /// The set of names marked.
    #[must_use]
    pub const fn headers(&self) -> &SensitiveHeaders {
        &self.headers
    }
}

impl<S> Layer<S> for SetSensitiveResponseHeadersLayer {
    type Service = SetSensitiveResponseHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetSensitiveResponseHeaders {
            inner,
            headers: self.headers.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        SetSensitiveResponseHeaders {
            inner,
            headers: self.headers,
        }
    }
}

/// Marks response header values sensitive after the inner service answered; see
/// [`SetSensitiveResponseHeadersLayer`].
#[derive(Debug, Clone)]
pub struct SetSensitiveResponseHeaders<S> {
    inner: S,
    headers: SensitiveHeaders,
}

impl<S> SetSensitiveResponseHeaders<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The set of names marked.
    pub const fn headers(&self) -> &SensitiveHeaders {
        &self.headers
    }
}

impl<S, Input> Service<Input> for SetSensitiveResponseHeaders<S>
where
    S: Service<Input, Output = Response<Body>>,
    Input: Send + 'static,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, input: Input) -> Result<Response<Body>, S::Error> {
        let mut res = self.inner.serve(input).await?;
        self.headers.mark(res.headers_mut());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service::service_fn;
    use std::convert::Infallible;

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<SensitiveHeaders>();
        assert_send_sync::<SetSensitiveRequestHeadersLayer>();
        assert_send_sync::<SetSensitiveRequestHeaders<()>>();
        assert_send_sync::<SetSensitiveResponseHeadersLayer>();
        assert_send_sync::<SetSensitiveResponseHeaders<()>>();
    };

    fn sensitivity(headers: &HeaderMap) -> Vec<(String, bool)> {
        headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.is_sensitive()))
            .collect()
    }

    #[tokio::test]
    async fn request_headers_in_the_set_are_marked_others_not() {
        let svc = SetSensitiveRequestHeadersLayer::new(SensitiveHeaders::default()).into_layer(
            service_fn(async |req: Request<Body>| {
                assert!(req.extensions().get::<SensitiveHeaders>().is_some());
                let mut res = Response::new(Body::empty());
                for (name, sensitive) in sensitivity(req.headers()) {
                    res.headers_mut().append(
                        HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        HeaderValue::from_static(if sensitive { "yes" } else { "no" }),
                    );
                }
                Ok::<_, Infallible>(res)
            }),
        );
        let req = Request::builder()
            .header("authorization", "Basic eDp5")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("user-agent", "t")
            .body(Body::empty())
            .unwrap();
        let res = svc.serve(req).await.unwrap();
        let h = res.headers();
        assert_eq!(h["authorization"], "yes");
        assert_eq!(
            h.get_all("cookie").iter().collect::<Vec<_>>(),
            vec!["yes", "yes"]
        );
        assert_eq!(h["user-agent"], "no");
    }

    #[tokio::test]
    async fn response_headers_in_a_custom_set_are_marked() {
        let set = SensitiveHeaders::default_with([HeaderName::from_static("x-api-key")]);
        let svc =
            SetSensitiveResponseHeadersLayer::new(set).into_layer(service_fn(async |_: ()| {
                let mut res = Response::new(Body::empty());
                res.headers_mut()
                    .insert("x-api-key", HeaderValue::from_static("k"));
                res.headers_mut()
                    .insert("set-cookie", HeaderValue::from_static("s=1"));
                res.headers_mut()
                    .insert("x-other", HeaderValue::from_static("o"));
                Ok::<_, Infallible>(res)
            }));
        let res = svc.serve(()).await.unwrap();
        assert!(res.headers()["x-api-key"].is_sensitive());
        assert!(res.headers()["set-cookie"].is_sensitive());
        assert!(!res.headers()["x-other"].is_sensitive());
    }

    #[test]
    fn set_dedups_and_redacts_marked_values() {
        let set = SensitiveHeaders::new([header::COOKIE, header::COOKIE]);
        assert_eq!(set.iter().count(), 1);
        let mut v = HeaderValue::from_static("x");
        assert!(!set.is_redacted(&header::USER_AGENT, &v));
        assert!(set.is_redacted(&header::COOKIE, &v));
        v.set_sensitive(true);
        assert!(set.is_redacted(&header::USER_AGENT, &v));
    }
}
