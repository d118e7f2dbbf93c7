//! [`CorsLayer`]: Cross-Origin Resource Sharing (the Fetch standard's CORS protocol).
//!
//! - A **preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   here with `204 No Content`; the inner service is not called. An allowed origin gets
//!   `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`, `-Max-Age` and
//!   `-Allow-Credentials` as configured; a refused origin gets none of them (the browser
//!   then blocks the real request).
//! - Any other request with an `Origin` goes to the inner service; an allowed origin gets
//!   `Access-Control-Allow-Origin`, `-Allow-Credentials` and `-Expose-Headers` added to the
//!   response.
//! - `Vary: Origin` is added whenever the answer depends on the origin (every mode but "any
//!   origin, no credentials"); preflights also vary on the request method and headers.
//!
//! Credentials are never combined with `*`: with [`CorsLayer::allow_credentials`] on, "any
//! origin" echoes the request's origin, and "any header" echoes the requested headers (the
//! Fetch standard treats `*` literally in credentialed responses).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::cors::{AllowOrigin, CorsLayer};
//! use rama_http::{Body, Method, Request, Response, StatusCode, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let cors = CorsLayer::new()
//!     .allow_origin(AllowOrigin::list(["https://app.example"]))
//!     .allow_methods([Method::GET, Method::POST]);
//! let svc = cors.into_layer(service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! }));
//! let preflight = Request::builder()
//!     .method(Method::OPTIONS)
//!     .header(header::ORIGIN, "https://app.example")
//!     .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
//!     .body(Body::empty())
//!     .unwrap();
//! let res = svc.serve(preflight).await.unwrap();
//! assert_eq!(res.status(), StatusCode::NO_CONTENT);
//! assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example");
//! # }
//! ```

use crate::{Body, Method, Request, Response, StatusCode, header};
use http::{HeaderMap, HeaderName, HeaderValue};
use rama_core::{Layer, Service};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

type OriginPredicate = dyn Fn(&HeaderValue) -> bool + Send + Sync;

/// Which origins are allowed.
#[derive(Clone, Default)]
pub enum AllowOrigin {
    /// None (the default): no CORS headers are ever added.
    #[default]
    None,
    /// Any origin: `*`, or the request's origin echoed when credentials are allowed.
    Any,
    /// Exactly these origins (compared byte for byte, as the browser sends them).
    List(Arc<[HeaderValue]>),
    /// Origins for which the function returns `true`.
    Predicate(Arc<OriginPredicate>),
}

impl AllowOrigin {
    /// Exactly these origins; values that are not valid header values are skipped.
    pub fn list<I>(origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::List(
            origins
                .into_iter()
                .filter_map(|o| HeaderValue::from_str(o.as_ref()).ok())
                .collect(),
        )
    }

    /// Origins for which `f` returns `true`.
    pub fn predicate(f: impl Fn(&HeaderValue) -> bool + Send + Sync + 'static) -> Self {
        Self::Predicate(Arc::new(f))
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        match self {
            Self::None => false,
            Self::Any => true,
            Self::List(list) => list.contains(origin),
            Self::Predicate(f) => f(origin),
        }
    }
}

impl fmt::Debug for AllowOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Any => f.write_str("Any"),
            Self::List(l) => f.debug_tuple("List").field(l).finish(),
            Self::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

/// A [`Layer`] producing [`Cors`] services; see the module docs. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CorsLayer {
    config: Arc<Config>,
}

#[derive(Debug, Clone, Default)]
struct Config {
    origin: AllowOrigin,
    methods: Vec<Method>,
    any_method: bool,
    headers: Vec<HeaderName>,
    any_header: bool,
    expose: Vec<HeaderName>,
    credentials: bool,
    max_age: Option<Duration>,
}

impl CorsLayer {
    /// Allows nothing yet: add origins, methods and headers with the builder methods.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Any origin, any method, any request header; no credentials.
    #[must_use]
    pub fn permissive() -> Self {
        Self::new()
            .allow_origin(AllowOrigin::Any)
            .allow_any_method()
            .allow_any_header()
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// Which origins are allowed.
    #[must_use]
    pub fn allow_origin(self, origin: AllowOrigin) -> Self {
        self.edit(|c| c.origin = origin)
    }

    /// Methods allowed by preflights.
    #[must_use]
    pub fn allow_methods(self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.edit(|c| c.methods = methods.into_iter().collect())
    }

    /// Allow whatever method a preflight asks for.
    #[must_use]
    pub fn allow_any_method(self) -> Self {
        self.edit(|c| c.any_method = true)
    }

    /// Request headers allowed by preflights.
    #[must_use]
    pub fn allow_headers(self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.edit(|c| c.headers = headers.into_iter().collect())
    }

    /// Allow whatever request headers a preflight asks for.
    #[must_use]
    pub fn allow_any_header(self) -> Self {
        self.edit(|c| c.any_header = true)
    }

    /// Response headers the page may read (`Access-Control-Expose-Headers`).
    #[must_use]
    pub fn expose_headers(self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.edit(|c| c.expose = headers.into_iter().collect())
    }

    /// Allow credentials (cookies, auth); `*` is then never sent (see the module docs).
    #[must_use]
    pub fn allow_credentials(self, allow: bool) -> Self {
        self.edit(|c| c.credentials = allow)
    }

    /// How long a browser may cache a preflight answer (`Access-Control-Max-Age`).
    #[must_use]
    pub fn max_age(self, max_age: Duration) -> Self {
        self.edit(|c| c.max_age = Some(max_age))
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Cors {
            inner,
            config: self.config.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        Cors {
            inner,
            config: self.config,
        }
    }
}

/// A service applying CORS; see [`CorsLayer`].
#[derive(Debug, Clone)]
pub struct Cors<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> Cors<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

fn join<T: AsRef<str>>(items: &[T]) -> Option<HeaderValue> {
    let joined = items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&joined).ok()
}

impl Config {
    /// Whether the answer to this origin depends on the origin.
    fn varies(&self) -> bool {
        !matches!(self.origin, AllowOrigin::Any) || self.credentials
    }

    /// `Access-Control-Allow-Origin` and `-Credentials` for an allowed origin.
    fn origin_headers(&self, origin: &HeaderValue, out: &mut HeaderMap) {
        let value = if matches!(self.origin, AllowOrigin::Any) && !self.credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    fn preflight(&self, req: &Request<Body>, origin: &HeaderValue) -> Response<Body> {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NO_CONTENT;
        let h = res.headers_mut();
        for vary in [
            "origin",
            "access-control-request-method",
            "access-control-request-headers",
        ] {
            h.append(header::VARY, HeaderValue::from_static(vary));
        }
        if !self.origin.allows(origin) {
            return res;
        }
        self.origin_headers(origin, h);
        let methods = if self.any_method {
            req.headers()
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .cloned()
        } else {
            join(&self.methods)
        };
        if let Some(m) = methods.filter(|m| !m.is_empty()) {
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, m);
        }
        let headers = if self.any_header {
            let requested = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS);
            match requested {
                Some(r) if self.credentials => Some(r.clone()),
                Some(_) => Some(HeaderValue::from_static("*")),
                None => None,
            }
        } else {
            join(&self.headers)
        };
        if let Some(v) = headers.filter(|v| !v.is_empty()) {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        if let Some(age) = self.max_age {
            h.insert(header::ACCESS_CONTROL_MAX_AGE, age.as_secs().into());
        }
        res
    }
}

impl<S> Service<Request<Body>> for Cors<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, S::Error> {
        let config = &*self.config;
        let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
            let mut res = self.inner.serve(req).await?;
            if config.varies() {
                res.headers_mut()
                    .append(header::VARY, HeaderValue::from_static("origin"));
            }
            return Ok(res);
        };
        if req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Ok(config.preflight(&req, &origin));
        }
        let mut res = self.inner.serve(req).await?;
        let h = res.headers_mut();
        if config.varies() {
            h.append(header::VARY, HeaderValue::from_static("origin"));
        }
        if config.origin.allows(&origin) {
            config.origin_headers(&origin, h);
            if let Some(v) = join(&config.expose).filter(|v| !v.is_empty()) {
                h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
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
        assert_send_sync::<CorsLayer>();
        assert_send_sync::<Cors<()>>();
        assert_send_sync::<AllowOrigin>();
    };

    struct Case {
        name: &'static str,
        layer: fn() -> CorsLayer,
        method: Method,
        headers: &'static [(&'static str, &'static str)],
        status: u16,
        inner_called: bool,
        /// expected header values; `None` means absent
        want: &'static [(&'static str, Option<&'static str>)],
    }

    fn listed() -> CorsLayer {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(["https://a.test"]))
            .allow_methods([Method::GET, Method::PUT])
            .allow_headers([HeaderName::from_static("x-token")])
            .expose_headers([HeaderName::from_static("x-total")])
            .max_age(Duration::from_secs(600))
    }

    fn any_with_credentials() -> CorsLayer {
        CorsLayer::permissive().allow_credentials(true)
    }

    fn predicate() -> CorsLayer {
        CorsLayer::new().allow_origin(AllowOrigin::predicate(|o| {
            o.as_bytes().ends_with(b".trusted.test")
        }))
    }

    const ACAO: &str = "access-control-allow-origin";
    const ACAC: &str = "access-control-allow-credentials";
    const ACAM: &str = "access-control-allow-methods";
    const ACAH: &str = "access-control-allow-headers";

    const CASES: &[Case] = &[
        Case {
            name: "preflight from listed origin",
            layer: listed,
            method: Method::OPTIONS,
            headers: &[
                ("origin", "https://a.test"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "x-token"),
            ],
            status: 204,
            inner_called: false,
            want: &[
                (ACAO, Some("https://a.test")),
                (ACAM, Some("GET, PUT")),
                (ACAH, Some("x-token")),
                ("access-control-max-age", Some("600")),
                (ACAC, None),
            ],
        },
        Case {
            name: "preflight from other origin gets no cors headers",
            layer: listed,
            method: Method::OPTIONS,
            headers: &[
                ("origin", "https://evil.test"),
                ("access-control-request-method", "PUT"),
            ],
            status: 204,
            inner_called: false,
            want: &[(ACAO, None), (ACAM, None)],
        },
        Case {
            name: "simple request from listed origin",
            layer: listed,
            method: Method::GET,
            headers: &[("origin", "https://a.test")],
            status: 200,
            inner_called: true,
            want: &[
                (ACAO, Some("https://a.test")),
                ("access-control-expose-headers", Some("x-total")),
                ("vary", Some("origin")),
            ],
        },
        Case {
            name: "simple request from other origin",
            layer: listed,
            method: Method::GET,
            headers: &[("origin", "https://evil.test")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, None), ("vary", Some("origin"))],
        },
        Case {
            name: "plain OPTIONS is not a preflight",
            layer: listed,
            method: Method::OPTIONS,
            headers: &[("origin", "https://a.test")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, Some("https://a.test"))],
        },
        Case {
            name: "no origin: untouched but varies",
            layer: listed,
            method: Method::GET,
            headers: &[],
            status: 200,
            inner_called: true,
            want: &[(ACAO, None), ("vary", Some("origin"))],
        },
        Case {
            name: "permissive: star, no vary",
            layer: CorsLayer::permissive,
            method: Method::GET,
            headers: &[("origin", "https://x.test")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, Some("*")), ("vary", None)],
        },
        Case {
            name: "permissive preflight: star headers, echoed method",
            layer: CorsLayer::permissive,
            method: Method::OPTIONS,
            headers: &[
                ("origin", "https://x.test"),
                ("access-control-request-method", "DELETE"),
                ("access-control-request-headers", "x-a, x-b"),
            ],
            status: 204,
            inner_called: false,
            want: &[(ACAO, Some("*")), (ACAM, Some("DELETE")), (ACAH, Some("*"))],
        },
        Case {
            name: "credentials never with star",
            layer: any_with_credentials,
            method: Method::OPTIONS,
            headers: &[
                ("origin", "https://x.test"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-a"),
            ],
            status: 204,
            inner_called: false,
            want: &[
                (ACAO, Some("https://x.test")),
                (ACAC, Some("true")),
                (ACAH, Some("x-a")),
            ],
        },
        Case {
            name: "credentials on actual request",
            layer: any_with_credentials,
            method: Method::POST,
            headers: &[("origin", "https://x.test")],
            status: 200,
            inner_called: true,
            want: &[
                (ACAO, Some("https://x.test")),
                (ACAC, Some("true")),
                ("vary", Some("origin")),
            ],
        },
        Case {
            name: "predicate allows",
            layer: predicate,
            method: Method::GET,
            headers: &[("origin", "https://api.trusted.test")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, Some("https://api.trusted.test"))],
        },
        Case {
            name: "predicate refuses",
            layer: predicate,
            method: Method::GET,
            headers: &[("origin", "https://trusted.test.evil")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, None)],
        },
        Case {
            name: "default layer allows nothing",
            layer: CorsLayer::new,
            method: Method::GET,
            headers: &[("origin", "https://a.test")],
            status: 200,
            inner_called: true,
            want: &[(ACAO, None)],
        },
    ];

    #[tokio::test]
    async fn table() {
        for case in CASES {
            let svc = (case.layer)().into_layer(service_fn(async |_req: Request<Body>| {
                let mut res = Response::new(Body::empty());
                res.headers_mut()
                    .insert("x-inner", HeaderValue::from_static("1"));
                Ok::<_, Infallible>(res)
            }));
            let mut req = Request::builder().method(case.method.clone());
            for (n, v) in case.headers {
                req = req.header(*n, *v);
            }
            let res = svc.serve(req.body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(res.status().as_u16(), case.status, "{}", case.name);
            assert_eq!(
                res.headers().contains_key("x-inner"),
                case.inner_called,
                "{}",
                case.name
            );
            for (name, want) in case.want {
                let got = res.headers().get(*name).map(|v| v.to_str().unwrap());
                assert_eq!(got, *want, "{}: header {name}", case.name);
            }
        }
    }
}
