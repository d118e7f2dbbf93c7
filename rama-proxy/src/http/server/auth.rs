//! [`ProxyAuthLayer`]: HTTP proxy authentication with `Proxy-Authorization: Basic`.

use crate::username::UsernameLabels;
use rama_core::service::Either;
use rama_core::{Layer, Service};
use rama_http::{Body, HeaderValue, Request, Response, StatusCode, header};
use rama_net::user::{Basic, UserId};
use std::fmt;
use std::future::{Future, ready};
use std::sync::Arc;

/// Requires `Proxy-Authorization: Basic` credentials of one of the configured users
/// (RFC 9110 §11.7.2), answering `407 Proxy Authentication Required` with
/// `Proxy-Authenticate: Basic realm="rama"` when they are missing or wrong.
///
/// - Credentials are compared in constant time ([`Basic::ct_eq`]), against every configured
///   user, and never logged.
/// - The authenticated user goes into the request's extensions as a
///   [`UserId::Username`]; `Proxy-Authorization` is removed before the inner service sees
///   the request, so it is never forwarded.
/// - Label mode ([`ProxyAuthLayer::with_username_labels`]): the username is split with
///   [`UsernameLabels`] (`john-country-us` → `john` + `["country", "us"]`), the base name is
///   authenticated and the labels go into the extensions for a proxy-DB layer.
///
/// ```
/// use rama_core::{Layer, Service, service_fn};
/// use rama_http::{Body, Request, Response, StatusCode};
/// use rama_net::user::{Basic, UserId};
/// use rama_proxy::http::server::ProxyAuthLayer;
/// use rama_proxy::username::UsernameLabels;
/// use std::convert::Infallible;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let inner = service_fn(async |req: Request<Body>| {
///     let user = req.extensions().get::<UserId>().cloned();
///     let labels = req.extensions().get::<UsernameLabels>().map(|l| l.labels().join(","));
///     Ok::<_, Infallible>(Response::new(Body::from(format!("{user:?} {labels:?}"))))
/// });
/// let svc = ProxyAuthLayer::new([Basic::new("john", "secret")?])
///     .with_username_labels('-')
///     .into_layer(inner);
///
/// let res = svc.serve(Request::new(Body::empty())).await?;
/// assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
///
/// let login = Basic::new("john-country-us", "secret")?.to_header_value();
/// let req = Request::builder().header("proxy-authorization", login).body(Body::empty())?;
/// let res = svc.serve(req).await?;
/// let text = res.into_body().collect_string(1024).await?;
/// assert_eq!(text, r#"Some(Username("john")) Some("country,us")"#);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ProxyAuthLayer {
    config: Arc<AuthConfig>,
}

struct AuthConfig {
    users: Vec<Basic>,
    separator: Option<char>,
    challenge: HeaderValue,
}

impl fmt::Debug for ProxyAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // user names only: the passwords are never shown
        let names: Vec<&str> = self.config.users.iter().map(Basic::username).collect();
        f.debug_struct("ProxyAuthLayer")
            .field("users", &names)
            .field("label_separator", &self.config.separator)
            .finish()
    }
}

impl ProxyAuthLayer {
    /// Accepts the given users (realm `rama`, no labels).
    #[must_use]
    pub fn new(users: impl IntoIterator<Item = Basic>) -> Self {
        Self {
            config: Arc::new(AuthConfig {
                users: users.into_iter().collect(),
                separator: None,
                challenge: HeaderValue::from_static("Basic realm=\"rama\""),
            }),
        }
    }

    fn edit(self, f: impl FnOnce(&mut AuthConfig)) -> Self {
        let mut config = Arc::try_unwrap(self.config).unwrap_or_else(|shared| AuthConfig {
            users: shared.users.clone(),
            separator: shared.separator,
            challenge: shared.challenge.clone(),
        });
        f(&mut config);
        Self {
            config: Arc::new(config),
        }
    }

    /// Label mode: usernames are split at `separator` ([`UsernameLabels`]); the base name
    /// is authenticated and the [`UsernameLabels`] go into the request's extensions.
    #[must_use]
    pub fn with_username_labels(self, separator: char) -> Self {
        self.edit(|c| c.separator = Some(separator))
    }

    /// The realm named in the `Proxy-Authenticate` challenge; quotes and backslashes in it
    /// are dropped, and a realm that is not a valid header value keeps the previous one.
    #[must_use]
    pub fn with_realm(self, realm: &str) -> Self {
        let clean: String = realm.chars().filter(|c| *c != '"' && *c != '\\').collect();
        match HeaderValue::from_str(&format!("Basic realm=\"{clean}\"")) {
            Ok(challenge) => self.edit(|c| c.challenge = challenge),
            Err(_) => self,
        }
    }
}

impl<S> Layer<S> for ProxyAuthLayer {
    type Service = ProxyAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProxyAuth {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`ProxyAuthLayer`].
pub struct ProxyAuth<S> {
    inner: S,
    config: Arc<AuthConfig>,
}

impl<S: fmt::Debug> fmt::Debug for ProxyAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyAuth")
            .field("inner", &self.inner)
            .field("users", &self.config.users.len())
            .finish_non_exhaustive()
    }
}

impl<S: Clone> Clone for ProxyAuth<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

/// Who the credentials of a `Proxy-Authorization` value belong to, if anyone.
fn authenticate(
    config: &AuthConfig,
    value: Option<&HeaderValue>,
) -> Option<(UserId, Option<UsernameLabels>)> {
    let given = Basic::from_header_value(value?.to_str().ok()?).ok()?;
    let (candidate, labels) = match config.separator {
        Some(sep) => {
            let labels = UsernameLabels::parse(given.username(), sep).ok()?;
            let base = Basic::new(labels.base(), given.password()).ok()?;
            (base, Some(labels))
        }
        None => (given, None),
    };
    // every user is compared, so the time taken does not say which one matched
    let matched = config
        .users
        .iter()
        .fold(false, |found, user| user.ct_eq(&candidate) | found);
    matched.then(|| (UserId::Username(candidate.username().to_owned()), labels))
}

fn challenge(config: &AuthConfig) -> Response<Body> {
    let mut res = super::error::text_response(
        StatusCode::PROXY_AUTHENTICATION_REQUIRED,
        "proxy authentication required",
    );
    res.headers_mut()
        .insert(header::PROXY_AUTHENTICATE, config.challenge.clone());
    res
}

impl<S> Service<Request<Body>> for ProxyAuth<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    // the check runs here, before any future exists; the future is the inner call or the
    // answer (no `async fn` state holding the request next to the inner future)
    fn serve(
        &self,
        mut req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, S::Error>> + Send {
        let value = req.headers_mut().remove(header::PROXY_AUTHORIZATION);
        match authenticate(&self.config, value.as_ref()) {
            Some((user, labels)) => {
                req.extensions_mut().insert(user);
                if let Some(labels) = labels {
                    req.extensions_mut().insert(labels);
                }
                Either::A(self.inner.serve(req))
            }
            None => {
                tracing::debug!(
                    had_credentials = value.is_some(),
                    "proxy authentication failed: answering 407"
                );
                Either::B(ready(Ok(challenge(&self.config))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use std::convert::Infallible;

    fn svc() -> impl Service<Request<Body>, Output = Response<Body>, Error = Infallible> {
        let inner = service_fn(async |req: Request<Body>| {
            assert!(!req.headers().contains_key(header::PROXY_AUTHORIZATION));
            let user = match req.extensions().get::<UserId>() {
                Some(UserId::Username(name)) => name.clone(),
                _ => "?".to_owned(),
            };
            let labels = req
                .extensions()
                .get::<UsernameLabels>()
                .map_or("-".to_owned(), |l| l.labels().join(","));
            Ok::<_, Infallible>(Response::new(Body::from(format!("{user} {labels}"))))
        });
        ProxyAuthLayer::new([
            Basic::new("john", "secret").unwrap(),
            Basic::new("mary", "p:w").unwrap(),
        ])
        .with_username_labels('-')
        .into_layer(inner)
    }

    #[tokio::test]
    async fn credentials_table() {
        let basic = |u: &str, p: &str| Basic::new(u, p).unwrap().to_header_value();
        // (Proxy-Authorization value, expected body or None for 407)
        let cases: Vec<(Option<String>, Option<&str>)> = vec![
            (None, None),
            (Some(basic("john", "secret")), Some("john ")),
            (Some(basic("mary", "p:w")), Some("mary ")),
            (
                Some(basic("john-country-us-session-1", "secret")),
                Some("john country,us,session,1"),
            ),
            (Some(basic("john", "Secret")), None),
            (Some(basic("john-country-us", "wrong")), None),
            (Some(basic("mary", "secret")), None),
            (Some(basic("-john", "secret")), None),
            (Some(basic("john--us", "secret")), None),
            (Some("Bearer abc".to_owned()), None),
            (Some("Basic !!!".to_owned()), None),
            (Some("Basic".to_owned()), None),
        ];
        let svc = svc();
        for (value, want) in cases {
            let mut req = Request::new(Body::empty());
            if let Some(v) = &value {
                req.headers_mut()
                    .insert(header::PROXY_AUTHORIZATION, v.parse().unwrap());
            }
            let res = svc.serve(req).await.unwrap();
            match want {
                Some(body) => {
                    assert_eq!(res.status(), StatusCode::OK, "{value:?}");
                    let text = res.into_body().collect_string(1024).await.unwrap();
                    assert_eq!(text.trim_end(), body.trim_end(), "{value:?}");
                }
                None => {
                    assert_eq!(
                        res.status(),
                        StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                        "{value:?}"
                    );
                    assert_eq!(
                        res.headers()[header::PROXY_AUTHENTICATE],
                        "Basic realm=\"rama\""
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn without_labels_the_whole_name_is_the_user() {
        let inner = service_fn(async |req: Request<Body>| {
            let n = req.extensions().get::<UserId>().cloned();
            Ok::<_, Infallible>(Response::new(Body::from(format!("{n:?}"))))
        });
        let svc = ProxyAuthLayer::new([Basic::new("a-b", "x").unwrap()])
            .with_realm("my \"proxy\"")
            .into_layer(inner);
        let mut req = Request::new(Body::empty());
        let v = Basic::new("a-b", "x").unwrap().to_header_value();
        req.headers_mut()
            .insert(header::PROXY_AUTHORIZATION, v.parse().unwrap());
        let res = svc.serve(req).await.unwrap();
        assert_eq!(
            res.into_body().collect_string(99).await.unwrap(),
            "Some(Username(\"a-b\"))"
        );
        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert_eq!(
            res.headers()[header::PROXY_AUTHENTICATE],
            "Basic realm=\"my proxy\""
        );
    }

    #[test]
    fn debug_hides_passwords() {
        let layer = ProxyAuthLayer::new([Basic::new("john", "hunter2").unwrap()]);
        let text = format!("{layer:?}");
        assert!(text.contains("john") && !text.contains("hunter2"), "{text}");
    }
}
