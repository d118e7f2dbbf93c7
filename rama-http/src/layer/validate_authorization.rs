//! [`ValidateAuthorizationLayer`]: let a request through only when its `Authorization`
//! header holds accepted credentials; answer `401 Unauthorized` with a `WWW-Authenticate`
//! challenge otherwise.
//!
//! Accepted `Basic` and `Bearer` credentials ([`rama_net::user`]) are compared in constant
//! time, and every configured credential is compared (no early exit), so the time taken does
//! not tell which one nearly matched. On success the request carries the caller's
//! [`UserId`] as an extension. A [custom](ValidateAuthorizationLayer::custom) validator
//! decides by itself. [`for_proxy`](ValidateAuthorizationLayer::for_proxy) checks
//! `Proxy-Authorization` instead and answers `407` with `Proxy-Authenticate`.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::validate_authorization::ValidateAuthorizationLayer;
//! use rama_http::{Body, Request, Response, StatusCode, header};
//! use rama_net::user::Bearer;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |_req: Request<Body>| Ok::<_, Infallible>(Response::new(Body::empty())));
//! let svc = ValidateAuthorizationLayer::bearer(Bearer::new("s3cret").unwrap()).into_layer(inner);
//!
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
//!
//! let req = Request::builder().header(header::AUTHORIZATION, "Bearer s3cret").body(Body::empty()).unwrap();
//! assert_eq!(svc.serve(req).await.unwrap().status(), StatusCode::OK);
//! # }
//! ```

use crate::{Body, HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use rama_core::{Layer, Service};
use rama_net::user::{Basic, Bearer, Credentials, UserId};
use std::fmt;
use std::sync::Arc;

type CustomFn = Arc<dyn Fn(&HeaderMap) -> Option<UserId> + Send + Sync>;

#[derive(Clone)]
enum Validator {
    Credentials(Arc<[Credentials]>),
    Custom(CustomFn),
}

impl Validator {
    fn check(&self, headers: &HeaderMap, name: &HeaderName) -> Option<UserId> {
        match self {
            Self::Credentials(accepted) => {
                let given: Credentials = headers.get(name)?.to_str().ok()?.parse().ok()?;
                let mut ok = false;
                for c in accepted.iter() {
                    ok |= c.ct_eq(&given);
                }
                ok.then(|| given.user_id())
            }
            Self::Custom(f) => f(headers),
        }
    }
}

/// A [`Layer`] producing [`ValidateAuthorization`] services.
#[derive(Clone)]
pub struct ValidateAuthorizationLayer {
    validator: Validator,
    challenge: HeaderValue,
    proxy: bool,
}

impl ValidateAuthorizationLayer {
    /// Accepts exactly these `Basic` credentials; challenge `Basic realm="rama"`.
    #[must_use]
    pub fn basic(credentials: Basic) -> Self {
        Self::any_of([Credentials::Basic(credentials)])
    }

    /// Accepts exactly this `Bearer` token; challenge `Bearer`.
    #[must_use]
    pub fn bearer(token: Bearer) -> Self {
        Self::any_of([Credentials::Bearer(token)])
    }

    /// Accepts any of these credentials; the challenge is `Basic realm="rama"` when a
    /// `Basic` one is among them, else `Bearer`.
    #[must_use]
    pub fn any_of(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        let accepted: Arc<[Credentials]> = credentials.into_iter().collect();
        let challenge = if accepted.iter().any(|c| matches!(c, Credentials::Basic(_))) {
            HeaderValue::from_static("Basic realm=\"rama\"")
        } else {
            HeaderValue::from_static("Bearer")
        };
        Self {
            validator: Validator::Credentials(accepted),
            challenge,
            proxy: false,
        }
    }

    /// Decides with `f`: `Some(user)` lets the request through (with `user` as extension),
    /// `None` answers `401`. The default challenge is `Bearer`.
    #[must_use]
    pub fn custom(f: impl Fn(&HeaderMap) -> Option<UserId> + Send + Sync + 'static) -> Self {
        Self {
            validator: Validator::Custom(Arc::new(f)),
            challenge: HeaderValue::from_static("Bearer"),
            proxy: false,
        }
    }

    /// Act as a proxy: read `Proxy-Authorization`, and refuse with `407 Proxy Authentication
    /// Required` and a `Proxy-Authenticate` challenge.
    #[must_use]
    pub const fn for_proxy(mut self) -> Self {
        self.proxy = true;
        self
    }

    /// Send `challenge` as the `WWW-Authenticate` value of a `401`.
    #[must_use]
    pub fn with_challenge(mut self, challenge: HeaderValue) -> Self {
        self.challenge = challenge;
        self
    }
}

impl fmt::Debug for ValidateAuthorizationLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidateAuthorizationLayer")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for ValidateAuthorizationLayer {
    type Service = ValidateAuthorization<S>;

    fn layer(&self, inner: S) -> ValidateAuthorization<S> {
        self.clone().into_layer(inner)
    }

    fn into_layer(self, inner: S) -> ValidateAuthorization<S> {
        ValidateAuthorization {
            inner,
            validator: self.validator,
            challenge: self.challenge,
            proxy: self.proxy,
        }
    }
}

/// A service that checks credentials first; see [`ValidateAuthorizationLayer`].
#[derive(Clone)]
pub struct ValidateAuthorization<S> {
    inner: S,
    validator: Validator,
    challenge: HeaderValue,
    proxy: bool,
}

impl<S> ValidateAuthorization<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The `WWW-Authenticate` challenge sent with a `401`.
    pub const fn challenge(&self) -> &HeaderValue {
        &self.challenge
    }
}

impl<S: fmt::Debug> fmt::Debug for ValidateAuthorization<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidateAuthorization")
            .field("inner", &self.inner)
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for ValidateAuthorization<S>
where
    S: Service<Request<B>, Output = Response<Body>>,
    B: Send + 'static,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<Body>, S::Error> {
        let (credentials, status, challenge) = if self.proxy {
            (
                header::PROXY_AUTHORIZATION,
                StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                header::PROXY_AUTHENTICATE,
            )
        } else {
            (
                header::AUTHORIZATION,
                StatusCode::UNAUTHORIZED,
                header::WWW_AUTHENTICATE,
            )
        };
        match self.validator.check(req.headers(), &credentials) {
            Some(user) => {
                req.extensions_mut().insert(user);
                self.inner.serve(req).await
            }
            None => {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = status;
                res.headers_mut().insert(challenge, self.challenge.clone());
                Ok(res)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use std::convert::Infallible;

    fn user_echo() -> impl Service<Request<Body>, Output = Response<Body>, Error = Infallible> {
        service_fn(async |req: Request<Body>| {
            let user = format!("{:?}", req.extensions().get::<UserId>());
            Ok::<_, Infallible>(Response::new(Body::from(user)))
        })
    }

    async fn call(
        svc: &impl Service<Request<Body>, Output = Response<Body>, Error = Infallible>,
        auth: Option<&'static str>,
    ) -> (StatusCode, Option<HeaderValue>) {
        let mut req = Request::new(Body::empty());
        if let Some(a) = auth {
            req.headers_mut()
                .insert(header::AUTHORIZATION, HeaderValue::from_static(a));
        }
        let res = svc.serve(req).await.unwrap();
        (
            res.status(),
            res.headers().get(header::WWW_AUTHENTICATE).cloned(),
        )
    }

    #[tokio::test]
    async fn basic_good_bad_missing() {
        let svc = ValidateAuthorizationLayer::basic(Basic::new("user", "pw").unwrap())
            .into_layer(user_echo());
        let challenge = Some(HeaderValue::from_static("Basic realm=\"rama\""));
        let cases = [
            (Some("Basic dXNlcjpwdw=="), StatusCode::OK, None), // user:pw
            (Some("basic dXNlcjpwdw=="), StatusCode::OK, None), // scheme case
            (
                Some("Basic dXNlcjpweA=="),
                StatusCode::UNAUTHORIZED,
                challenge.clone(),
            ), // user:px
            (
                Some("Basic dXNlcjpwdw"),
                StatusCode::UNAUTHORIZED,
                challenge.clone(),
            ), // bad base64
            (
                Some("Bearer dXNlcjpwdw=="),
                StatusCode::UNAUTHORIZED,
                challenge.clone(),
            ),
            (None, StatusCode::UNAUTHORIZED, challenge.clone()),
        ];
        for (auth, status, www) in cases {
            assert_eq!(call(&svc, auth).await, (status, www), "{auth:?}");
        }
    }

    #[tokio::test]
    async fn bearer_any_of_and_user_extension() {
        let svc = ValidateAuthorizationLayer::any_of([
            Bearer::new("one").unwrap().into(),
            Bearer::new("two").unwrap().into(),
        ])
        .into_layer(user_echo());
        for (auth, status) in [
            (Some("Bearer one"), StatusCode::OK),
            (Some("Bearer two"), StatusCode::OK),
            (Some("Bearer three"), StatusCode::UNAUTHORIZED),
            (Some("Bearer on"), StatusCode::UNAUTHORIZED),
            (None, StatusCode::UNAUTHORIZED),
        ] {
            assert_eq!(call(&svc, auth).await.0, status, "{auth:?}");
        }
        let req = Request::builder()
            .header(header::AUTHORIZATION, "Bearer two")
            .body(Body::empty())
            .unwrap();
        let body = svc.serve(req).await.unwrap().into_body();
        assert!(body.collect_string(200).await.unwrap().starts_with("Some("));
    }

    #[tokio::test]
    async fn custom_validator() {
        let svc = ValidateAuthorizationLayer::custom(|h: &HeaderMap| {
            (h.get("x-api-key")? == "k").then_some(UserId::Anonymous)
        })
        .with_challenge(HeaderValue::from_static("ApiKey"))
        .into_layer(user_echo());
        let req = Request::builder()
            .header("x-api-key", "k")
            .body(Body::empty())
            .unwrap();
        assert_eq!(svc.serve(req).await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            call(&svc, None).await,
            (
                StatusCode::UNAUTHORIZED,
                Some(HeaderValue::from_static("ApiKey"))
            )
        );
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ValidateAuthorizationLayer>();
        assert_send_sync::<ValidateAuthorization<()>>();
    }

    #[tokio::test]
    async fn proxy_mode_reads_proxy_authorization() {
        let svc = ValidateAuthorizationLayer::basic(Basic::new("user", "pw").unwrap())
            .for_proxy()
            .into_layer(user_echo());
        // credentials in Authorization are for the origin, not for the proxy
        let (status, _) = call(&svc, Some("Basic dXNlcjpwdw==")).await;
        assert_eq!(status, StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert_eq!(
            res.headers()[header::PROXY_AUTHENTICATE],
            "Basic realm=\"rama\""
        );
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        let req = Request::builder()
            .header(header::PROXY_AUTHORIZATION, "Basic dXNlcjpwdw==")
            .body(Body::empty())
            .unwrap();
        let res = svc.serve(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let user = res.into_body().collect_string(100).await.unwrap();
        assert_eq!(user, "Some(Username(\"user\"))");
    }
}
