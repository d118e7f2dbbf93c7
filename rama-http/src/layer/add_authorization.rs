//! [`AddAuthorizationLayer`]: put `Basic` or `Bearer` credentials
//! ([`rama_net::user`]) on every outgoing request, as a sensitive `Authorization` (or
//! `Proxy-Authorization`) header so that traces and debug output do not show it.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::add_authorization::AddAuthorizationLayer;
//! use rama_http::{Body, Request, Response, header};
//! use rama_net::user::Basic;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     let auth = &req.headers()[header::AUTHORIZATION];
//!     assert_eq!(auth, "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
//!     assert!(auth.is_sensitive());
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! });
//! let creds = Basic::new("aladdin", "opensesame").unwrap();
//! let svc = AddAuthorizationLayer::basic(creds).into_layer(inner);
//! svc.serve(Request::new(Body::empty())).await.unwrap();
//! # }
//! ```

use crate::{HeaderName, HeaderValue, Request, Response, header};
use rama_core::{Layer, Service};
use rama_net::user::{Basic, Bearer, Credentials};
use std::fmt;

/// A [`Layer`] producing [`AddAuthorization`] services.
#[derive(Clone)]
pub struct AddAuthorizationLayer {
    header: HeaderName,
    value: HeaderValue,
    if_not_present: bool,
}

impl AddAuthorizationLayer {
    /// Adds `credentials` as the `Authorization` header, replacing any value there.
    #[must_use]
    pub fn new(credentials: impl Into<Credentials>) -> Self {
        let text = credentials.into().to_header_value();
        // Basic is base64 and Bearer a token68: always a valid header value.
        let mut value =
            HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        Self {
            header: header::AUTHORIZATION,
            value,
            if_not_present: false,
        }
    }

    /// Adds `Basic` credentials.
    #[must_use]
    pub fn basic(credentials: Basic) -> Self {
        Self::new(credentials)
    }

    /// Adds a `Bearer` token.
    #[must_use]
    pub fn bearer(token: Bearer) -> Self {
        Self::new(token)
    }

    /// Set `Proxy-Authorization` instead of `Authorization` (credentials for a forward proxy).
    #[must_use]
    pub fn for_proxy(mut self) -> Self {
        self.header = header::PROXY_AUTHORIZATION;
        self
    }

    /// Keep a header the request already has instead of replacing it.
    #[must_use]
    pub const fn if_not_present(mut self) -> Self {
        self.if_not_present = true;
        self
    }
}

impl fmt::Debug for AddAuthorizationLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddAuthorizationLayer")
            .field("header", &self.header)
            .field("value", &self.value)
            .field("if_not_present", &self.if_not_present)
            .finish()
    }
}

impl<S> Layer<S> for AddAuthorizationLayer {
    type Service = AddAuthorization<S>;

    fn layer(&self, inner: S) -> AddAuthorization<S> {
        self.clone().into_layer(inner)
    }

    fn into_layer(self, inner: S) -> AddAuthorization<S> {
        AddAuthorization {
            inner,
            header: self.header,
            value: self.value,
            if_not_present: self.if_not_present,
        }
    }
}

/// A service adding credentials to requests; see [`AddAuthorizationLayer`].
#[derive(Clone)]
pub struct AddAuthorization<S> {
    inner: S,
    header: HeaderName,
    value: HeaderValue,
    if_not_present: bool,
}

impl<S> AddAuthorization<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The header set (`Authorization` or `Proxy-Authorization`).
    pub const fn header(&self) -> &HeaderName {
        &self.header
    }
}

impl<S: fmt::Debug> fmt::Debug for AddAuthorization<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddAuthorization")
            .field("inner", &self.inner)
            .field("header", &self.header)
            .field("value", &self.value)
            .finish()
    }
}

impl<S, B, R> Service<Request<B>> for AddAuthorization<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        if !(self.if_not_present && req.headers().contains_key(&self.header)) {
            req.headers_mut()
                .insert(self.header.clone(), self.value.clone());
        }
        self.inner.serve(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use rama_core::service_fn;
    use std::convert::Infallible;

    fn echo_auth() -> impl Service<Request<Body>, Output = Response<String>, Error = Infallible> {
        service_fn(async |req: Request<Body>| {
            let h = |name| {
                req.headers()
                    .get(name)
                    .map(|v: &HeaderValue| {
                        format!(
                            "{}{}",
                            v.to_str().unwrap(),
                            if v.is_sensitive() { "*" } else { "" }
                        )
                    })
                    .unwrap_or_default()
            };
            Ok::<_, Infallible>(Response::new(format!(
                "{}|{}",
                h(header::AUTHORIZATION),
                h(header::PROXY_AUTHORIZATION)
            )))
        })
    }

    #[tokio::test]
    async fn sets_credentials_as_sensitive_headers() {
        let basic = || Basic::new("user", "pw").unwrap();
        let bearer = || Bearer::new("tok").unwrap();
        let cases = [
            (
                AddAuthorizationLayer::basic(basic()),
                None,
                "Basic dXNlcjpwdw==*|",
            ),
            (
                AddAuthorizationLayer::bearer(bearer()),
                None,
                "Bearer tok*|",
            ),
            (
                AddAuthorizationLayer::bearer(bearer()),
                Some("Bearer old"),
                "Bearer tok*|",
            ),
            (
                AddAuthorizationLayer::bearer(bearer()).if_not_present(),
                Some("Bearer old"),
                "Bearer old|",
            ),
            (
                AddAuthorizationLayer::basic(basic()).for_proxy(),
                None,
                "|Basic dXNlcjpwdw==*",
            ),
        ];
        for (layer, existing, want) in cases {
            let svc = layer.into_layer(echo_auth());
            let mut req = Request::new(Body::empty());
            if let Some(v) = existing {
                req.headers_mut()
                    .insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            }
            assert_eq!(svc.serve(req).await.unwrap().body(), want);
        }
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let layer = AddAuthorizationLayer::bearer(Bearer::new("s3cret").unwrap());
        assert!(!format!("{layer:?}").contains("s3cret"));
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<AddAuthorizationLayer>();
        assert_send_sync::<AddAuthorization<()>>();
    }
}
