//! [`ProxySelectLayer`]: puts the proxy a [`ProxySelector`] picks into each request.

use super::select::ProxySelector;
use rama_core::error::BoxError;
use rama_core::future::MapFuture;
use rama_core::service::Either;
use rama_core::{Layer, Service};
use rama_http::Request;
use rama_net::address::ProxyAddress;
use std::future::{Future, ready};
use std::sync::Arc;

/// Builds [`ProxySelect`] services: in front of an HTTP client, it inserts the
/// [`ProxyAddress`] its [`ProxySelector`] picks for each request's URL into the request's
/// extensions (the client's proxy-aware connector then goes through it). A request that
/// already carries a `ProxyAddress` keeps it (a per-request choice wins).
///
/// ```
/// use rama_core::{Layer, Service, service_fn};
/// use rama_http::{Body, Request, Response};
/// use rama_net::address::ProxyAddress;
/// use rama_proxy::client::{ProxySelectLayer, ProxySelector};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), rama_core::error::BoxError> {
/// let client = service_fn(async |req: Request<Body>| {
///     let proxy = req.extensions().get::<ProxyAddress>().map(|p| p.to_string());
///     Ok::<_, std::convert::Infallible>(Response::new(Body::from(proxy.unwrap_or_default())))
/// });
/// let selector = ProxySelector::none().with_proxy("http://127.0.0.1:3128".parse()?);
/// let client = ProxySelectLayer::new(selector).into_layer(client);
/// let res = client.serve(Request::get("http://example.com/").body(Body::empty())?).await?;
/// let body = res.into_body().collect_bytes(1024).await?;
/// assert_eq!(body, "http://127.0.0.1:3128");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ProxySelectLayer {
    selector: Arc<ProxySelector>,
}

impl ProxySelectLayer {
    /// A layer that picks proxies with `selector`.
    #[must_use]
    pub fn new(selector: ProxySelector) -> Self {
        Self {
            selector: Arc::new(selector),
        }
    }

    /// A layer that picks proxies from this process's environment, read once now
    /// ([`ProxySelector::from_env`]).
    #[must_use]
    pub fn from_env() -> Self {
        Self::new(ProxySelector::from_env())
    }
}

impl<S> Layer<S> for ProxySelectLayer {
    type Service = ProxySelect<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProxySelect {
            inner,
            selector: self.selector.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        ProxySelect {
            inner,
            selector: self.selector,
        }
    }
}

/// The service of [`ProxySelectLayer`].
#[derive(Debug, Clone)]
pub struct ProxySelect<S> {
    inner: S,
    selector: Arc<ProxySelector>,
}

impl<S> ProxySelect<S> {
    /// The selector.
    #[must_use]
    pub fn selector(&self) -> &ProxySelector {
        &self.selector
    }

    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, B> Service<Request<B>> for ProxySelect<S>
where
    S: Service<Request<B>, Error: Into<BoxError>>,
    B: Send + 'static,
{
    type Output = S::Output;
    type Error = BoxError;

    // selected before any future exists: the future is the inner call (errors converted)
    // or the selection's error
    fn serve(
        &self,
        mut req: Request<B>,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send {
        if req.extensions().get::<ProxyAddress>().is_none() {
            match self.selector.select(req.uri()) {
                Ok(Some(proxy)) => {
                    req.extensions_mut().insert(proxy);
                }
                Ok(None) => {}
                Err(err) => return Either::B(ready(Err(err.into()))),
            }
        }
        let into: fn(S::Error) -> BoxError = Into::into;
        Either::A(MapFuture::new(
            self.inner.serve(req),
            move |r: Result<_, _>| r.map_err(into),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use rama_http::{Body, Response};

    fn echo_proxy() -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
        service_fn(async |req: Request<Body>| {
            let proxy = req
                .extensions()
                .get::<ProxyAddress>()
                .map(|p| p.to_string());
            Ok::<_, BoxError>(Response::new(Body::from(proxy.unwrap_or_default())))
        })
    }

    #[tokio::test]
    async fn per_request_proxy_wins_and_bad_env_is_an_error() {
        let selector = ProxySelector::from_vars(|name| {
            (name == "https_proxy").then(|| "ftp://nope".to_owned())
        })
        .with_no_proxy(super::super::NoProxy::parse("direct.test"));
        let client = ProxySelectLayer::new(selector).into_layer(echo_proxy());
        let body = async |res: Response<Body>| res.into_body().collect_bytes(1024).await.unwrap();

        let mut req = Request::get("https://a.test/").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert("socks5h://own:1".parse::<ProxyAddress>().unwrap());
        assert_eq!(
            body(client.serve(req).await.unwrap()).await,
            "socks5h://own:1"
        );

        let req = Request::get("https://a.test/").body(Body::empty()).unwrap();
        let err = client.serve(req).await.unwrap_err();
        assert!(err.to_string().contains("https_proxy"), "{err}");

        let req = Request::get("http://a.test/").body(Body::empty()).unwrap();
        assert_eq!(body(client.serve(req).await.unwrap()).await, "");
    }
}
