//! [`ProxyDBLayer`]: pick an upstream proxy for each request or connection and put its
//! [`ProxyAddress`](rama_net::address::ProxyAddress) into the input's extensions, where the client stack (and
//! [`ProxyConnector`](crate::client::ProxyConnector)) finds it and connects through it.
//!
//! The filter is, first found wins: a [`ProxyFilter`] in the extensions, the
//! [`UsernameLabels`] the proxy authentication layer put there (read as described in
//! [`filter`](super::filter)), or no filter at all (any proxy). The picked [`Proxy`] record
//! is inserted too, for logs and metrics.
//!
//! | input | bad labels | nothing matches |
//! |---|---|---|
//! | HTTP `Request` (in front of a forward proxy) | `407` with `Proxy-Authenticate` | `503` |
//! | `TcpRequest` (around a connector) | error, [`ProxyDBError::is_bad_filter`] | error, [`ProxyDBError::is_no_match`] |
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_net::address::ProxyAddress;
//! use rama_proxy::proxydb::{MemoryProxyDB, ProxyDBLayer};
//! use rama_proxy::username::UsernameLabels;
//! use rama_tcp::client::TcpRequest;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = MemoryProxyDB::from_json(r#"[
//!     {"id": "us", "address": "http://127.0.0.1:3128", "country": "us"},
//!     {"id": "de", "address": "socks5h://127.0.0.1:1080", "country": "de"}
//! ]"#)?;
//! // the inner connector just reports which proxy it was asked to use
//! let connector = ProxyDBLayer::new(db).into_layer(service_fn(async |req: TcpRequest| {
//!     let proxy = req.extensions.get::<ProxyAddress>().map(ToString::to_string);
//!     Ok::<_, std::convert::Infallible>(proxy)
//! }));
//!
//! let mut req = TcpRequest::new("example.com:443".parse()?);
//! req.extensions.insert(UsernameLabels::parse("john-country-de", '-')?);
//! let used = connector.serve(req).await.map_err(|e| e.to_string())?;
//! assert_eq!(used.as_deref(), Some("socks5h://127.0.0.1:1080"));
//! # Ok(())
//! # }
//! ```

use super::db::MemoryProxyDB;
use super::error::ProxyDBError;
use super::filter::ProxyFilter;
use super::record::Proxy;
use crate::username::UsernameLabels;
use rama_core::error::BoxError;
use rama_core::extensions::Extensions;
use rama_core::service::Either;
use rama_core::{Layer, Service};
use rama_http::connection::ConnectionExtensions;
use rama_http::{Body, Request, Response, StatusCode};
use rama_tcp::client::TcpRequest;
use std::future::{Future, ready};

/// Picks an upstream proxy per input; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct ProxyDBLayer {
    db: MemoryProxyDB,
}

impl ProxyDBLayer {
    /// Pick from `db`.
    #[must_use]
    pub const fn new(db: MemoryProxyDB) -> Self {
        Self { db }
    }
}

impl<S> Layer<S> for ProxyDBLayer {
    type Service = ProxyDBService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProxyDBService {
            inner,
            db: self.db.clone(),
        }
    }
}

/// The service made by [`ProxyDBLayer`].
#[derive(Debug, Clone)]
pub struct ProxyDBService<S> {
    inner: S,
    db: MemoryProxyDB,
}

impl<S> ProxyDBService<S> {
    /// The database it picks from.
    #[must_use]
    pub const fn db(&self) -> &MemoryProxyDB {
        &self.db
    }

    fn pick(
        &self,
        filter: Option<&ProxyFilter>,
        labels: Option<&UsernameLabels>,
    ) -> Result<Proxy, ProxyDBError> {
        let parsed;
        let filter = match (filter, labels) {
            (Some(filter), _) => filter,
            (None, Some(labels)) => {
                parsed = ProxyFilter::from_labels(labels)?;
                &parsed
            }
            (None, None) => &ProxyFilter::default(),
        };
        let proxy = self.db.select(filter)?;
        tracing::debug!(proxy = %proxy.id, "picked upstream proxy");
        Ok(proxy.clone())
    }
}

impl<S> Service<TcpRequest> for ProxyDBService<S>
where
    S: Service<TcpRequest, Error: Into<BoxError>>,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, mut req: TcpRequest) -> Result<Self::Output, Self::Error> {
        let ext: &Extensions = &req.extensions;
        let proxy = self.pick(ext.get::<ProxyFilter>(), ext.get::<UsernameLabels>())?;
        req.extensions.insert(proxy.address.clone());
        req.extensions.insert(proxy);
        self.inner.serve(req).await.map_err(Into::into)
    }
}

impl<S> Service<Request<Body>> for ProxyDBService<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    // picked before any future exists: the future is the inner call or the refusal
    fn serve(
        &self,
        mut req: Request<Body>,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send {
        let picked = self.pick(
            req.connection_get::<ProxyFilter>(),
            req.connection_get::<UsernameLabels>(),
        );
        match picked {
            Ok(proxy) => {
                req.extensions_mut().insert(proxy.address.clone());
                req.extensions_mut().insert(proxy);
                Either::A(self.inner.serve(req))
            }
            Err(err) => {
                tracing::debug!("no upstream proxy: {err}");
                Either::B(ready(Ok(refusal(&err))))
            }
        }
    }
}

/// `407` for labels that do not form a filter, `503` when nothing matches.
fn refusal(err: &ProxyDBError) -> Response<Body> {
    let status = if err.is_bad_filter() {
        StatusCode::PROXY_AUTHENTICATION_REQUIRED
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = Response::new(Body::from(format!("{err}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if err.is_bad_filter() {
        headers.insert(
            http::header::PROXY_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"proxy\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use rama_net::address::ProxyAddress;
    use std::convert::Infallible;

    fn db() -> MemoryProxyDB {
        MemoryProxyDB::from_json(
            r#"[
            {"id": "us", "address": "http://u:p@127.0.0.1:3128", "country": "us", "residential": true},
            {"id": "de", "address": "socks5h://127.0.0.1:1080", "country": "de", "datacenter": true}
        ]"#,
        )
        .unwrap()
    }

    /// An HTTP service answering with the proxy it was handed.
    fn http()
    -> ProxyDBService<impl Service<Request<Body>, Output = Response<Body>, Error = Infallible>>
    {
        ProxyDBLayer::new(db()).into_layer(service_fn(async |req: Request<Body>| {
            let proxy = req
                .extensions()
                .get::<Proxy>()
                .map(|p| p.id.clone())
                .unwrap_or_default();
            Ok::<_, Infallible>(Response::new(Body::from(proxy)))
        }))
    }

    async fn text(res: Response<Body>) -> (StatusCode, String) {
        let status = res.status();
        (
            status,
            res.into_body().collect_string(1 << 16).await.unwrap(),
        )
    }

    #[tokio::test]
    async fn http_table() {
        let rows: &[(Option<&str>, u16, &str)] = &[
            (None, 200, ""),
            (Some("john-country-us"), 200, "us"),
            (Some("john-datacenter"), 200, "de"),
            (
                Some("john-country-fr"),
                503,
                "no upstream proxy matches the filter country=fr",
            ),
            (Some("john-planet-mars"), 407, "unknown username label"),
        ];
        let svc = http();
        for (user, status, body) in rows {
            let mut req = Request::new(Body::empty());
            if let Some(user) = user {
                req.extensions_mut()
                    .insert(UsernameLabels::parse(user, '-').unwrap());
            }
            let res = svc.serve(req).await.unwrap();
            if *status == 407 {
                assert!(res.headers().contains_key(http::header::PROXY_AUTHENTICATE));
            }
            let (got_status, got_body) = text(res).await;
            assert_eq!(got_status.as_u16(), *status, "{user:?}");
            if *status == 200 && body.is_empty() {
                assert!(["us", "de"].contains(&got_body.as_str()), "{got_body}");
            } else {
                assert!(got_body.contains(body), "{user:?}: {got_body}");
            }
        }
    }

    #[tokio::test]
    async fn explicit_filter_wins_over_labels() {
        let svc = http();
        let mut req = Request::new(Body::empty());
        req.extensions_mut()
            .insert(UsernameLabels::parse("john-country-us", '-').unwrap());
        req.extensions_mut().insert(ProxyFilter {
            country: Some("de".into()),
            ..ProxyFilter::default()
        });
        let (_, body) = text(svc.serve(req).await.unwrap()).await;
        assert_eq!(body, "de");
    }

    #[tokio::test]
    async fn tcp_request_gets_the_proxy_address() {
        let svc = ProxyDBLayer::new(db()).into_layer(service_fn(async |req: TcpRequest| {
            Ok::<_, Infallible>(req.extensions.get::<ProxyAddress>().cloned())
        }));
        let mut req = TcpRequest::new("example.com:443".parse().unwrap());
        req.extensions
            .insert(UsernameLabels::parse("john-country-us", '-').unwrap());
        let addr = svc.serve(req).await.unwrap().unwrap();
        assert_eq!(addr.to_string(), "http://u:***@127.0.0.1:3128");
        assert_eq!(addr.credentials.unwrap().password(), "p");

        let mut req = TcpRequest::new("example.com:443".parse().unwrap());
        req.extensions
            .insert(UsernameLabels::parse("john-mobile", '-').unwrap());
        let err = svc.serve(req).await.unwrap_err();
        assert!(
            err.downcast_ref::<ProxyDBError>().unwrap().is_no_match(),
            "{err}"
        );
    }
}
