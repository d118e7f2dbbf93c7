//! [`EasyHttpWebClient`]: the default client stack, a `Service<Request<Body>>`.
//!
//! ```text
//! request ─► pool (by scheme, authority, proxy, version)
//!              └─ miss ─► connector (DNS → TCP [→ TLS with ALPN]) ─► HTTP/1 or h2 handshake
//! ```
//!
//! The connector is a type parameter: any `Service<TcpRequest>` returning an
//! [`EstablishedClientConnection`] of a stream with extensions. [`TcpConnector`] (DNS with
//! Happy Eyeballs) is the default.
//!
//! `http://`: HTTP/1.1 unless the client is built with [`ClientVersion::H2PriorKnowledge`]
//! or the request's version is `HTTP/2.0` (then h2 with prior knowledge).
//!
//! `https://` (feature `tls`): rama-tls's rustls connector runs over the connector's stream,
//! verifying the server as the client's TLS config says
//! (`with_tls_config`; webpki roots by default). By
//! default it offers `h2` and `http/1.1` by ALPN and speaks what the server picks;
//! [`ClientVersion::Http1`] offers only `http/1.1`, [`ClientVersion::H2PriorKnowledge`] (or
//! a request version `HTTP/2.0`) only `h2`. Connections are pooled by the version they
//! negotiated, and the client remembers per origin what it negotiated, so 100 requests in a
//! row to an h2 or HTTP/1.1 origin reuse one connection. Without the feature, `https://`
//! URLs fail with an error that names it.
//!
//! Proxies: a [`ProxyAddress`] in a request's extensions (put there by hand or by a layer
//! such as rama-proxy's `ProxySelectLayer`) sends it through that proxy, and the pool keeps
//! its connections apart from direct ones (and from other proxies'):
//!
//! - `http://` through an `http://` or `https://` proxy: the client asks its connector for
//!   a connection to the proxy itself (the [`ForwardToProxy`] marker) and sends the request
//!   in absolute form (`GET http://host/path`), with `Proxy-Authorization` from the
//!   proxy's credentials;
//! - `https://` (and anything through SOCKS5, and h2 prior knowledge): the connector opens
//!   a tunnel to the origin (`CONNECT` or SOCKS5) and the client runs TLS to the origin
//!   through it.
//!
//! Either way the connector must speak proxies: use rama-proxy's `ProxyConnector`
//! (`EasyHttpWebClient::with_connector(ProxyConnector::new(TcpConnector::new()))`, or
//! `rama_proxy::client::proxy_web_client`). A plain [`TcpConnector`] refuses a request
//! that asks for a proxy, so a proxy is never bypassed silently.
//!
//! ```no_run
//! use rama_core::Service;
//! use rama_http::client::EasyHttpWebClient;
//! use rama_http::{Body, Request};
//!
//! # #[cfg(feature = "hickory")]
//! # async fn run() -> Result<(), rama_core::error::BoxError> {
//! let client = EasyHttpWebClient::new();
//! let req = Request::get("http://127.0.0.1:8080/").body(Body::empty())?;
//! let res = client.serve(req).await?;
//! println!("{}", res.status());
//! # Ok(())
//! # }
//! ```

use super::pool::{Pool, PoolConfig, PoolKey, PoolVersion, ProxyKey};
use super::proxy::ForwardToProxy;
use super::{h2, http1};
use crate::{Body, Request, Response, Version};
use rama_core::Service;
use rama_core::error::{BoxError, ErrorContext, OpaqueError};
use rama_core::extensions::ExtensionsRef;
use rama_net::address::{Authority, ProxyAddress};
use rama_net::client::EstablishedClientConnection;
use rama_tcp::client::{TcpConnector, TcpRequest};
use std::sync::Arc;

#[cfg(feature = "tls")]
use super::tls::{AlpnMemory, AlpnOffer, TlsLayers, negotiated_version};

/// Which HTTP version an [`EasyHttpWebClient`] speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientVersion {
    /// `http://`: HTTP/1.1 (h2 only for requests whose version is `HTTP/2.0`); `https://`:
    /// h2 or HTTP/1.1, as the server picks by ALPN (the default).
    #[default]
    Auto,
    /// HTTP/1.1 (h2 only for requests whose version is `HTTP/2.0`); `https://` offers only
    /// `http/1.1` by ALPN.
    Http1,
    /// h2 without negotiation ("prior knowledge"), for every request; `https://` offers
    /// only `h2` by ALPN.
    H2PriorKnowledge,
}

struct Inner<C> {
    connector: Arc<C>,
    pool: Pool,
    http1: http1::Http1ClientConfig,
    h2: h2::H2ClientConfig,
    version: ClientVersion,
    #[cfg(feature = "tls")]
    tls: TlsLayers,
    #[cfg(feature = "tls")]
    alpn_memory: AlpnMemory,
}

/// The default HTTP client: connector → HTTP/1 or h2 → [`Pool`]. Cheap to clone (clones
/// share the pool). See the [module docs](self).
pub struct EasyHttpWebClient<C = TcpConnector> {
    inner: Arc<Inner<C>>,
}

impl<C> Clone for EasyHttpWebClient<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<C> std::fmt::Debug for EasyHttpWebClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EasyHttpWebClient")
            .field("version", &self.inner.version)
            .field("pool", &self.inner.pool)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "hickory")]
#[cfg_attr(docsrs, doc(cfg(feature = "hickory")))]
impl Default for EasyHttpWebClient {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "hickory")]
#[cfg_attr(docsrs, doc(cfg(feature = "hickory")))]
impl EasyHttpWebClient {
    /// A client with the system DNS resolver (feature `hickory`), HTTP/1.1 and the default pool.
    #[must_use]
    pub fn new() -> Self {
        Self::with_connector(TcpConnector::new())
    }
}

impl<C> EasyHttpWebClient<C> {
    /// A client that opens connections with `connector`.
    #[must_use]
    pub fn with_connector(connector: C) -> Self {
        Self {
            inner: Arc::new(Inner {
                connector: Arc::new(connector),
                pool: Pool::new(PoolConfig::new()),
                http1: http1::Http1ClientConfig::new(),
                h2: h2::H2ClientConfig::default(),
                version: ClientVersion::Auto,
                #[cfg(feature = "tls")]
                tls: TlsLayers::new(rama_tls::config::ClientConfig::new()),
                #[cfg(feature = "tls")]
                alpn_memory: AlpnMemory::default(),
            }),
        }
    }

    fn map(self, f: impl FnOnce(&mut Inner<C>)) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                f(&mut inner);
                Self {
                    inner: Arc::new(inner),
                }
            }
            // already shared: settings of a shared client are left as they are
            Err(inner) => Self { inner },
        }
    }

    /// Sets the HTTP version (call before cloning the client).
    #[must_use]
    pub fn with_version(self, version: ClientVersion) -> Self {
        self.map(|i| i.version = version)
    }

    /// Sets the HTTP/1 connection settings (call before cloning the client).
    #[must_use]
    pub fn with_http1_config(self, config: http1::Http1ClientConfig) -> Self {
        self.map(|i| i.http1 = config)
    }

    /// Sets the h2 connection settings (call before cloning the client).
    #[must_use]
    pub fn with_h2_config(self, config: h2::H2ClientConfig) -> Self {
        self.map(|i| i.h2 = config)
    }

    /// Replaces the pool with a new one with `config` (call before cloning the client).
    #[must_use]
    pub fn with_pool_config(self, config: PoolConfig) -> Self {
        self.map(|i| i.pool = Pool::new(config))
    }

    /// Sets the TLS settings of `https://` requests (call before cloning the client): how
    /// the server is verified (roots, [`ServerVerification::Insecure`]), a client
    /// certificate, min/max versions, suites, groups, key log, handshake timeout. Its ALPN
    /// list is replaced by what the client's [`ClientVersion`] offers.
    ///
    /// [`ServerVerification::Insecure`]: rama_tls::config::ServerVerification::Insecure
    ///
    /// # Errors
    ///
    /// When the rustls backend cannot honour `config` (see
    /// [`TlsConnectorLayer::new`](rama_tls::rustls::TlsConnectorLayer::new)).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn with_tls_config(
        self,
        config: rama_tls::config::ClientConfig,
    ) -> Result<Self, rama_tls::config::ConfigError> {
        let layers = TlsLayers::validated(config)?;
        Ok(self.map(|i| i.tls = layers))
    }

    /// The pool, for its counters.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }
}

/// The pool key of `req`'s URI: its authority as is when it has a port and no user info
/// (shared with the URI, no copy), else `host:80` (`host:443` for https) built once.
fn target(req: &Request<Body>, version: PoolVersion) -> Result<PoolKey, BoxError> {
    let uri = req.uri();
    let (scheme, default_port) = match uri.scheme_str() {
        Some("http") => (http::uri::Scheme::HTTP, 80),
        Some("https") if cfg!(feature = "tls") => (http::uri::Scheme::HTTPS, 443),
        Some("https") => {
            return Err(OpaqueError::from_display(
                "https needs rama-http's `tls` feature (the TLS connector)",
            )
            .into());
        }
        Some(other) => {
            return Err(OpaqueError::from_display(format!(
                "unsupported URL scheme {other:?} (only http and https are supported)"
            ))
            .into());
        }
        None => {
            return Err(OpaqueError::from_display(format!(
                "the request URI {uri} needs a scheme and host (http://host/...)"
            ))
            .into());
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| OpaqueError::from_display(format!("the request URI {uri} has no host")))?;
    let authority = if is_host_and_port(authority.as_str()) {
        authority.clone()
    } else if authority.host().is_empty() {
        return Err(OpaqueError::from_display(format!("the request URI {uri} has no host")).into());
    } else {
        let port = authority.port_u16().unwrap_or(default_port);
        http::uri::Authority::try_from(format!("{}:{port}", authority.host()))
            .context("the request URI's authority")?
    };
    let proxy = req
        .extensions()
        .get::<ProxyAddress>()
        .map(|p| ProxyKey::new(p.clone(), false));
    Ok(PoolKey {
        scheme,
        authority,
        proxy,
        version,
    })
}

/// Whether an authority (as `http` parsed it) is `host:port` with a non-empty host and no
/// user info: the pool key as is. One pass over the bytes; `Authority::host` and `port`
/// would each split the text again.
fn is_host_and_port(authority: &str) -> bool {
    let bytes = authority.as_bytes();
    let Some(colon) = bytes.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let port = &bytes[colon + 1..];
    colon > 0
        && !port.is_empty()
        && port.iter().all(u8::is_ascii_digit)
        // `[::1]` alone: the last colon is inside the brackets
        && !bytes[colon..].contains(&b']')
        && !bytes[..colon].contains(&b'@')
}

/// The connector's request for `key`: the origin's authority, with the proxy (and, to
/// reach the proxy itself, the [`ForwardToProxy`] marker) in its extensions.
fn connect_request(key: &PoolKey) -> Result<TcpRequest, BoxError> {
    let mut req = TcpRequest::new(connect_target(key)?);
    if let Some(proxy) = &key.proxy {
        req.extensions.insert(proxy.proxy().clone());
        if proxy.is_forward() {
            req.extensions.insert(ForwardToProxy);
        }
    }
    Ok(req)
}

/// Where a connection for `key` goes, for error messages: the origin, and the proxy.
fn describe(key: &PoolKey) -> String {
    match &key.proxy {
        Some(p) if p.is_forward() => format!("proxy {} (for {})", p.proxy(), key.authority),
        Some(p) => format!("{} through proxy {}", key.authority, p.proxy()),
        None => key.authority.to_string(),
    }
}

/// For a request sent to an HTTP proxy in absolute form: its credentials as
/// `Proxy-Authorization` (unless the request has one).
fn add_proxy_authorization(req: &mut Request<Body>, proxy: &ProxyAddress) -> Result<(), BoxError> {
    if let Some(credentials) = &proxy.credentials
        && !req
            .headers()
            .contains_key(http::header::PROXY_AUTHORIZATION)
    {
        let value = http::HeaderValue::try_from(credentials.to_header_value())
            .context("the proxy credentials as a header value")?;
        req.headers_mut()
            .insert(http::header::PROXY_AUTHORIZATION, value);
    }
    Ok(())
}

/// The address to connect to for `key`.
fn connect_target(key: &PoolKey) -> Result<Authority, BoxError> {
    Ok(key
        .authority
        .as_str()
        .parse::<Authority>()
        .context("parse the request URI's authority")?)
}

impl<C, IO> EasyHttpWebClient<C>
where
    C: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    C::Error: Into<BoxError>,
    IO: http1::ClientIo + ExtensionsRef,
{
    async fn connect(&self, key: &PoolKey) -> Result<IO, BoxError> {
        let req = connect_request(key)?;
        let established = self
            .inner
            .connector
            .serve(req)
            .await
            .map_err(Into::into)
            .with_context(|| format!("connect to {}", describe(key)))?;
        Ok(established.conn)
    }

    async fn connect_http1(&self, key: &PoolKey) -> Result<http1::SendRequest, BoxError> {
        let io = self.connect(key).await?;
        if key.proxy.as_ref().is_some_and(ProxyKey::is_forward) {
            let config = self.inner.http1.with_absolute_form(true);
            return self.handshake_http1_with(io, config).await;
        }
        self.handshake_http1(io).await
    }

    async fn connect_h2(&self, key: &PoolKey) -> Result<h2::SendRequest, BoxError> {
        let io = self.connect(key).await?;
        self.handshake_h2(io).await
    }

    async fn handshake_http1<T: http1::ClientIo>(
        &self,
        io: T,
    ) -> Result<http1::SendRequest, BoxError> {
        self.handshake_http1_with(io, self.inner.http1).await
    }

    async fn handshake_http1_with<T: http1::ClientIo>(
        &self,
        io: T,
        config: http1::Http1ClientConfig,
    ) -> Result<http1::SendRequest, BoxError> {
        let (send, conn) = http1::handshake(io, config).await?;
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!(%err, "HTTP/1 client connection ended with an error");
            }
        });
        Ok(send)
    }

    async fn handshake_h2<T: http1::ClientIo>(&self, io: T) -> Result<h2::SendRequest, BoxError> {
        let (send, conn) = h2::handshake(io, self.inner.h2.clone())
            .await
            .context("h2 handshake")?;
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!(%err, "h2 client connection ended with an error");
            }
        });
        Ok(send)
    }
}

#[cfg(feature = "tls")]
impl<C, IO> EasyHttpWebClient<C>
where
    C: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    C::Error: Into<BoxError>,
    IO: http1::ClientIo + ExtensionsRef,
{
    /// DNS → TCP → TLS offering `offer`; the TLS stream and the version its ALPN chose.
    async fn connect_tls(
        &self,
        key: &PoolKey,
        offer: AlpnOffer,
    ) -> Result<(rama_tls::rustls::TlsStream<IO>, PoolVersion), BoxError> {
        use rama_core::Layer;
        let req = connect_request(key)?;
        let connector = self
            .inner
            .tls
            .layer(offer)
            .context("configure TLS")?
            .layer(self.inner.connector.clone());
        let established = connector
            .serve(req)
            .await
            .with_context(|| format!("connect to {} over TLS", describe(key)))?;
        let alpn = established.conn.negotiated().and_then(|p| p.alpn.as_ref());
        let version = negotiated_version(alpn, offer);
        Ok((established.conn, version))
    }

    /// A new TLS connection for `key` that must speak `key.version`.
    async fn connect_tls_as(
        &self,
        key: &PoolKey,
        offer: AlpnOffer,
    ) -> Result<rama_tls::rustls::TlsStream<IO>, BoxError> {
        let (io, version) = self.connect_tls(key, offer).await?;
        if offer == AlpnOffer::Both {
            // what the origin says now, for the requests after this one
            self.inner.alpn_memory.set(&key.authority, version);
        }
        if version != key.version {
            return Err(OpaqueError::from_display(format!(
                "{} negotiated {version:?} by ALPN where {:?} was expected; retry the request",
                key.authority, key.version
            ))
            .into());
        }
        Ok(io)
    }

    async fn serve_https(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let offer = if self.inner.version == ClientVersion::H2PriorKnowledge
            || req.version() == Version::HTTP_2
        {
            AlpnOffer::H2
        } else if self.inner.version == ClientVersion::Http1 {
            AlpnOffer::Http1
        } else {
            AlpnOffer::Both
        };
        let mut key = target(&req, PoolVersion::Http1)?;
        let mut first_http1 = None;
        key.version = match offer {
            AlpnOffer::H2 => PoolVersion::H2,
            AlpnOffer::Http1 => PoolVersion::Http1,
            AlpnOffer::Both => match self.inner.alpn_memory.get(&key.authority) {
                Some(version) => version,
                None => match self.discover(&key).await? {
                    Discovered::Known(version) => version,
                    Discovered::Http1(handle) => {
                        first_http1 = Some(handle);
                        PoolVersion::Http1
                    }
                },
            },
        };
        let key = &key;
        let pool = &self.inner.pool;
        match key.version {
            PoolVersion::H2 => {
                pool.send_h2(key, req, || async move {
                    let io = self.connect_tls_as(key, offer).await?;
                    self.handshake_h2(io).await
                })
                .await
            }
            PoolVersion::Http1 => {
                // the discovering connection serves the request that made it
                let first = std::sync::Mutex::new(first_http1);
                let first = &first;
                pool.send_http1(key, req, || async move {
                    let made = first
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    match made {
                        Some(handle) => Ok(handle),
                        None => {
                            let io = self.connect_tls_as(key, offer).await?;
                            self.handshake_http1(io).await
                        }
                    }
                })
                .await
            }
        }
    }

    /// The first connection to an origin whose version is not known: one request at a time
    /// per origin makes it and learns the version from its ALPN. An h2 connection goes into
    /// the pool at once (the waiting requests then share it); an HTTP/1 one is handed back
    /// for the request that made it.
    async fn discover(&self, key: &PoolKey) -> Result<Discovered, BoxError> {
        let memory = &self.inner.alpn_memory;
        let gate = memory.gate(&key.authority);
        let _discovering = gate.lock().await;
        if let Some(version) = memory.get(&key.authority) {
            return Ok(Discovered::Known(version));
        }
        let discovered = self.first_connection(key).await;
        // released on failure too (waiters then try themselves): no gate outlives its use
        memory.release(&key.authority);
        discovered
    }

    /// The version is remembered only once the connection can be used: an h2 one is in
    /// the pool by then. Remembered at the TLS handshake, a request arriving in between
    /// skipped the gate, found no h2 connection in the pool and opened a second one.
    async fn first_connection(&self, key: &PoolKey) -> Result<Discovered, BoxError> {
        let (io, version) = self.connect_tls(key, AlpnOffer::Both).await?;
        let discovered = match version {
            PoolVersion::H2 => {
                let handle = self.handshake_h2(io).await?;
                let key = PoolKey {
                    version,
                    ..key.clone()
                };
                self.inner
                    .pool
                    .h2_handle(&key, || async move { Ok(handle) })
                    .await?;
                Discovered::Known(version)
            }
            PoolVersion::Http1 => Discovered::Http1(self.handshake_http1(io).await?),
        };
        self.inner.alpn_memory.set(&key.authority, version);
        Ok(discovered)
    }
}

/// What the first connection to an origin found.
#[cfg(feature = "tls")]
enum Discovered {
    /// The version is known (an h2 connection is in the pool).
    Known(PoolVersion),
    /// HTTP/1.1, with the new connection's handle for the request that made it.
    Http1(http1::SendRequest),
}

impl<C, IO> Service<Request<Body>> for EasyHttpWebClient<C>
where
    C: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    C::Error: Into<BoxError>,
    IO: http1::ClientIo + ExtensionsRef,
{
    type Output = Response<Body>;
    type Error = BoxError;

    /// An `async` block rather than an `async fn`: the block uses the request where it
    /// captured it, where an `async fn` first moves each argument into its state (a copy
    /// of the request per call).
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` would copy the request into its state (see above)"
    )]
    fn serve(
        &self,
        mut req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, BoxError>> + Send {
        async move {
            #[cfg(feature = "tls")]
            if req.uri().scheme() == Some(&http::uri::Scheme::HTTPS) {
                // boxed: TLS set-up makes a large future, which would otherwise be part of
                // (and copied with) every plain-http request's future too
                return Box::pin(self.serve_https(req)).await;
            }
            let use_h2 = self.inner.version == ClientVersion::H2PriorKnowledge
                || req.version() == Version::HTTP_2;
            let version = if use_h2 {
                PoolVersion::H2
            } else {
                PoolVersion::Http1
            };
            let mut key = target(&req, version)?;
            // plain http through an HTTP(S) proxy: the request goes to the proxy in absolute
            // form (h2 prior knowledge tunnels instead)
            if !use_h2 && let Some(proxy) = key.proxy.take() {
                let forward = proxy.proxy().is_http();
                if forward {
                    add_proxy_authorization(&mut req, proxy.proxy())?;
                }
                key.proxy = Some(ProxyKey::new(proxy.proxy().clone(), forward));
            }
            let pool = &self.inner.pool;
            if use_h2 {
                pool.send_h2(&key, req, || self.connect_h2(&key)).await
            } else {
                pool.send_http1(&key, req, || self.connect_http1(&key))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_table() {
        let cases = [
            ("http://example.com/x", Ok("example.com:80")),
            ("http://127.0.0.1:8080/", Ok("127.0.0.1:8080")),
            ("http://[::1]:81/", Ok("[::1]:81")),
            ("http://u:p@example.com:8080/", Ok("example.com:8080")),
            ("http://EXAMPLE.com/", Ok("EXAMPLE.com:80")),
            ("http://[::1]/", Ok("[::1]:80")),
            ("http://u@example.com/", Ok("example.com:80")),
            ("http://:80/", Err("has no host")),
            (
                "https://example.com/",
                if cfg!(feature = "tls") {
                    Ok("example.com:443")
                } else {
                    Err("needs rama-http's `tls` feature")
                },
            ),
            (
                "https://example.com:8443/",
                if cfg!(feature = "tls") {
                    Ok("example.com:8443")
                } else {
                    Err("needs rama-http's `tls` feature")
                },
            ),
            ("ftp://example.com/", Err("unsupported URL scheme")),
            ("/relative", Err("needs a scheme and host")),
        ];
        for (uri, expected) in cases {
            let req = Request::get(uri).body(Body::empty()).unwrap();
            match (target(&req, PoolVersion::Http1), expected) {
                (Ok(key), Ok(a)) => {
                    assert_eq!(key.authority.as_str(), a, "{uri}");
                    connect_target(&key).unwrap();
                }
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{uri}: {e}"),
                (got, want) => panic!("{uri}: {got:?} vs {want:?}"),
            }
        }
    }

    /// The future of a plain-http request holds no connect or TLS future inline (those are
    /// boxed, made only when a connection is opened): it is moved and copied on every
    /// request, so its size is per-request cost.
    #[cfg(feature = "hickory")]
    #[tokio::test]
    async fn request_future_stays_small() {
        let client = EasyHttpWebClient::new();
        let req = Request::get("http://127.0.0.1:1/")
            .body(Body::empty())
            .unwrap();
        let fut = client.serve(req);
        let size = std::mem::size_of_val(&fut);
        println!("EasyHttpWebClient::serve future: {size} bytes");
        assert!(size <= 8 * 1024, "{size} bytes");
    }
}
