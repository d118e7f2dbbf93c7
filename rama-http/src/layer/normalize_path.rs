//! [`NormalizePathLayer`]: normalize the request path before routing: runs of `/` collapse
//! into one, and a trailing `/` is [trimmed](NormalizePathLayer::trim_trailing_slash) or
//! [appended](NormalizePathLayer::append_trailing_slash). The query is kept as it was; the
//! root path stays `/`.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::normalize_path::NormalizePathLayer;
//! use rama_http::{Body, Request, Response};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::from(req.uri().to_string())))
//! });
//! let svc = NormalizePathLayer::trim_trailing_slash().into_layer(inner);
//! let req = Request::builder().uri("/api//users/?page=2").body(Body::empty()).unwrap();
//! let res = svc.serve(req).await.unwrap();
//! assert_eq!(res.into_body().collect_string(64).await.unwrap(), "/api/users?page=2");
//! # }
//! ```

use crate::{Request, Response, Uri};
use http::uri::PathAndQuery;
use rama_core::{Layer, Service};

/// What to do with a trailing `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailingSlash {
    /// Remove it (`/a/` → `/a`).
    Trim,
    /// Add it (`/a` → `/a/`).
    Append,
    /// Leave it as it is (only collapse `//`).
    Keep,
}

/// A [`Layer`] producing [`NormalizePath`] services.
#[derive(Debug, Clone, Copy)]
pub struct NormalizePathLayer {
    trailing: TrailingSlash,
}

impl NormalizePathLayer {
    /// Collapse `//` and handle a trailing `/` as `trailing` says.
    #[must_use]
    pub const fn new(trailing: TrailingSlash) -> Self {
        Self { trailing }
    }

    /// Collapse `//` and remove a trailing `/`.
    #[must_use]
    pub const fn trim_trailing_slash() -> Self {
        Self::new(TrailingSlash::Trim)
    }

    /// Collapse `//` and add a trailing `/`.
    #[must_use]
    pub const fn append_trailing_slash() -> Self {
        Self::new(TrailingSlash::Append)
    }
}

impl<S> Layer<S> for NormalizePathLayer {
    type Service = NormalizePath<S>;

    fn layer(&self, inner: S) -> NormalizePath<S> {
        NormalizePath {
            inner,
            trailing: self.trailing,
        }
    }
}

/// A service normalizing request paths; see [`NormalizePathLayer`].
#[derive(Debug, Clone)]
pub struct NormalizePath<S> {
    inner: S,
    trailing: TrailingSlash,
}

impl<S> NormalizePath<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The trailing-slash rule.
    pub const fn trailing_slash(&self) -> TrailingSlash {
        self.trailing
    }
}

/// The normalized form of `path`.
#[must_use]
pub fn normalize_path(path: &str, trailing: TrailingSlash) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(segment);
    }
    let had_trailing = path.len() > 1 && path.ends_with('/');
    match trailing {
        TrailingSlash::Trim => {}
        TrailingSlash::Append => {
            if !out.ends_with('/') {
                out.push('/');
            }
        }
        TrailingSlash::Keep => {
            if had_trailing && !out.ends_with('/') {
                out.push('/');
            }
        }
    }
    out
}

fn normalize_uri(uri: &Uri, trailing: TrailingSlash) -> Option<Uri> {
    let path = normalize_path(uri.path(), trailing);
    if path == uri.path() {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(pq).ok()?);
    Uri::from_parts(parts).ok()
}

impl<S, B, R> Service<Request<B>> for NormalizePath<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        if let Some(uri) = normalize_uri(req.uri(), self.trailing) {
            *req.uri_mut() = uri;
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

    #[test]
    fn path_table() {
        use TrailingSlash::{Append, Keep, Trim};
        let cases = [
            ("/", Trim, "/"),
            ("/", Append, "/"),
            ("//", Trim, "/"),
            ("/a/", Trim, "/a"),
            ("/a", Trim, "/a"),
            ("/a//b///", Trim, "/a/b"),
            ("/a", Append, "/a/"),
            ("/a//b", Append, "/a/b/"),
            ("/a/", Append, "/a/"),
            ("/a//b/", Keep, "/a/b/"),
            ("//a//b", Keep, "/a/b"),
            ("", Trim, "/"),
        ];
        for (input, rule, want) in cases {
            assert_eq!(normalize_path(input, rule), want, "{input:?} {rule:?}");
        }
    }

    #[tokio::test]
    async fn service_rewrites_uri_keeping_query_and_authority() {
        let inner = service_fn(async |req: Request<Body>| {
            Ok::<_, Infallible>(Response::new(req.uri().to_string()))
        });
        let cases = [
            ("/x//y/?q=a//b", "/x/y?q=a//b"),
            ("http://h.test//x/", "http://h.test/x"),
            ("/ok", "/ok"),
        ];
        let svc = NormalizePathLayer::trim_trailing_slash().into_layer(inner);
        for (uri, want) in cases {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            assert_eq!(svc.serve(req).await.unwrap().body(), want, "{uri}");
        }
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<NormalizePathLayer>();
        assert_send_sync::<NormalizePath<()>>();
    }
}
