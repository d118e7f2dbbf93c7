//! [`ProxyConnector`]: the proxy hop of a client connector stack.

use super::error::ProxyConnectError;
use super::http_connect::http_connect;
use super::stream::ProxyStream;
use crate::socks5::client::socks5_handshake;
use rama_core::error::BoxError;
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use rama_core::{Layer, Service};
use rama_http::client::proxy::ForwardToProxy;
use rama_net::address::{Authority, Host, ProxyAddress};
use rama_net::client::{ConnectorService, EstablishedClientConnection};
use rama_net::dns::{BoxDnsResolver, DnsResolver};
use rama_net::protocol::Protocol;
use rama_net::stream::Stream;
use rama_tcp::client::TcpRequest;
use rama_tls::config::{ClientConfig, ConfigError};
use rama_tls::rustls::TlsConnectorLayer;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How long the whole proxy hop (connect to the proxy, TLS, CONNECT or SOCKS5) may take by
/// default.
pub const DEFAULT_PROXY_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connector [`Service`] over a transport connector `C` (such as rama-tcp's
/// `TcpConnector`) that goes through the upstream proxy a [`TcpRequest`] asks for.
///
/// When the request's extensions hold a [`ProxyAddress`]:
///
/// 1. it connects to the proxy's authority with `C` (a fresh request without the
///    `ProxyAddress`, other extensions kept);
/// 2. `https://` proxies: a TLS handshake with the proxy, verified as the proxy TLS config
///    says ([`with_proxy_tls_config`](Self::with_proxy_tls_config); webpki roots by
///    default);
/// 3. `http://` and `https://` proxies: an HTTP `CONNECT` to the request's authority (see
///    [`http_connect`]), or, with a [`ForwardToProxy`] marker in the extensions, nothing:
///    the stream to the proxy is handed back for absolute-form requests;
///    `socks5://`: the target's name is resolved here (the proxy gets an IP address),
///    `socks5h://`: the name goes to the proxy; then the SOCKS5 handshake (with
///    username/password when the proxy address has credentials).
///
/// Without a `ProxyAddress` it connects directly with `C`. The whole proxy hop is bounded
/// by [`with_handshake_timeout`](Self::with_handshake_timeout) (30 s by default).
///
/// The connection's extensions are the transport's (for a proxied connection, those of the
/// connection to the proxy) plus the `ProxyAddress` used (its `Display` hides the
/// password). Errors are [`ProxyConnectError`]s that name the failed hop.
///
/// ```
/// use rama_core::Service;
/// use rama_net::address::ProxyAddress;
/// use rama_net::dns::InMemoryDns;
/// use rama_proxy::client::ProxyConnector;
/// use rama_tcp::client::{TcpConnector, TcpRequest};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // a stand-in HTTP proxy that accepts one CONNECT and greets through the tunnel
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let proxy_addr = listener.local_addr()?;
/// tokio::spawn(async move {
///     let (mut stream, _) = listener.accept().await?;
///     let mut head = Vec::new();
///     while !head.ends_with(b"\r\n\r\n") {
///         head.push(stream.read_u8().await?);
///     }
///     stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\nhi").await?;
///     Ok::<_, std::io::Error>(())
/// });
///
/// let connector = ProxyConnector::new(TcpConnector::with_resolver(InMemoryDns::new()));
/// let mut req = TcpRequest::new("example.com:443".parse()?);
/// let proxy: ProxyAddress = format!("http://{proxy_addr}").parse()?;
/// req.extensions.insert(proxy);
/// let mut conn = connector.serve(req).await?.conn;
/// let mut greeting = [0u8; 2];
/// conn.read_exact(&mut greeting).await?;
/// assert_eq!(&greeting, b"hi");
/// # Ok(())
/// # }
/// ```
pub struct ProxyConnector<C> {
    inner: C,
    proxy_tls: Arc<ProxyTls>,
    resolver: Option<Arc<BoxDnsResolver>>,
    handshake_timeout: Option<Duration>,
}

/// The TLS connector layer for `https://` proxies, built on first use (a client that never
/// meets an `https://` proxy never loads a root store).
struct ProxyTls {
    config: ClientConfig,
    layer: OnceLock<TlsConnectorLayer>,
}

impl ProxyTls {
    fn layer(&self) -> Result<&TlsConnectorLayer, ConfigError> {
        if let Some(layer) = self.layer.get() {
            return Ok(layer);
        }
        let layer = TlsConnectorLayer::new(&self.config)?;
        Ok(self.layer.get_or_init(|| layer))
    }
}

impl<C: Clone> Clone for ProxyConnector<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            proxy_tls: self.proxy_tls.clone(),
            resolver: self.resolver.clone(),
            handshake_timeout: self.handshake_timeout,
        }
    }
}

impl<C: fmt::Debug> fmt::Debug for ProxyConnector<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("inner", &self.inner)
            .field("proxy_verification", &self.proxy_tls.config.verification)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl<C> ProxyConnector<C> {
    /// A proxy connector over the transport connector `inner`, verifying `https://` proxies
    /// against the webpki roots and resolving `socks5://` targets with the system resolver.
    #[must_use]
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            proxy_tls: Arc::new(ProxyTls {
                config: ClientConfig::new(),
                layer: OnceLock::new(),
            }),
            resolver: None,
            handshake_timeout: Some(DEFAULT_PROXY_HANDSHAKE_TIMEOUT),
        }
    }

    /// Sets the TLS settings for `https://` proxies: how the proxy is verified
    /// ([`ServerVerification::Insecure`](rama_tls::config::ServerVerification::Insecure)
    /// for curl's `--proxy-insecure`, a custom CA for `--proxy-cacert`), client certificate,
    /// versions. Its ALPN list is ignored for the proxy: none is offered.
    ///
    /// # Errors
    ///
    /// When the rustls backend cannot honour `config`.
    pub fn with_proxy_tls_config(mut self, config: ClientConfig) -> Result<Self, ConfigError> {
        let config = config.with_alpn(rama_tls::types::AlpnList::default());
        let layer = TlsConnectorLayer::new(&config)?;
        self.proxy_tls = Arc::new(ProxyTls {
            config,
            layer: OnceLock::from(layer),
        });
        Ok(self)
    }

    /// Resolves the targets of `socks5://` proxies with `resolver` instead of the system
    /// resolver (`getaddrinfo`).
    #[must_use]
    pub fn with_resolver(mut self, resolver: impl DnsResolver) -> Self {
        self.resolver = Some(Arc::new(resolver.boxed()));
        self
    }

    /// Sets how long the proxy hop may take in total (`None`: no limit beyond those of the
    /// transport and of the HTTP/1 client).
    #[must_use]
    pub const fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The transport connector.
    pub const fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C, S> Service<TcpRequest> for ProxyConnector<C>
where
    C: ConnectorService<TcpRequest, Connection = S>,
    S: Stream + ExtensionsRef + ExtensionsMut + Unpin,
{
    type Output = EstablishedClientConnection<ProxyStream<S>, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, req: TcpRequest) -> Result<Self::Output, Self::Error> {
        let Some(proxy) = req.extensions.get::<ProxyAddress>().cloned() else {
            let established = self.inner.connect(req).await.map_err(Into::into)?;
            return Ok(established.map_conn(ProxyStream::direct));
        };
        let hop = self.hop(&req, &proxy);
        let conn = match self.handshake_timeout {
            Some(limit) => tokio::time::timeout(limit, hop).await.unwrap_or_else(|_| {
                Err(ProxyConnectError::timeout(&req.authority, limit).with_proxy(&proxy))
            }),
            None => hop.await,
        }?;
        Ok(EstablishedClientConnection::new(conn, req))
    }
}

impl<C, S> ProxyConnector<C>
where
    C: ConnectorService<TcpRequest, Connection = S>,
    S: Stream + ExtensionsRef + ExtensionsMut + Unpin,
{
    /// Connect to `proxy`, then tunnel (or not) to `req`'s authority.
    async fn hop(
        &self,
        req: &TcpRequest,
        proxy: &ProxyAddress,
    ) -> Result<ProxyStream<S>, ProxyConnectError> {
        let target = &req.authority;
        let forward = req.extensions.contains::<ForwardToProxy>();
        let mut extensions = req.extensions.clone();
        extensions.remove::<ProxyAddress>();
        extensions.remove::<ForwardToProxy>();
        let to_proxy = TcpRequest::with_extensions(proxy.authority.clone(), extensions);
        let fail = |e: ProxyConnectError| e.with_proxy(proxy);
        let conn = self
            .inner
            .connect(to_proxy)
            .await
            .map_err(|e| fail(ProxyConnectError::proxy_connect(target, e)))?
            .conn;
        let credentials = proxy.credentials.as_ref();
        match proxy.protocol {
            Protocol::Http if forward => {
                let extensions = with_proxy(conn.extensions(), proxy);
                Ok(ProxyStream::through(conn, extensions))
            }
            Protocol::Http => {
                let extensions = with_proxy(conn.extensions(), proxy);
                let mut tunnel = http_connect(conn, target, credentials)
                    .await
                    .map_err(fail)?;
                *tunnel.extensions_mut() = extensions;
                Ok(ProxyStream::tunnel(tunnel))
            }
            Protocol::Https => {
                let layer = self
                    .proxy_tls
                    .layer()
                    .map_err(|e| fail(ProxyConnectError::proxy_tls(target, e)))?;
                let mut tls = layer
                    .layer(Ready::new(conn))
                    .serve(proxy.authority.clone())
                    .await
                    .map_err(|e| fail(ProxyConnectError::proxy_tls(target, e)))?
                    .conn;
                if forward {
                    tls.extensions_mut().insert(proxy.clone());
                    return Ok(ProxyStream::proxy_tls(tls));
                }
                let extensions = with_proxy(tls.extensions(), proxy);
                let mut tunnel = http_connect(tls, target, credentials).await.map_err(fail)?;
                *tunnel.extensions_mut() = extensions;
                Ok(ProxyStream::tunnel(tunnel))
            }
            Protocol::Socks5 | Protocol::Socks5h => {
                let mut conn = conn;
                let destination = if proxy.protocol == Protocol::Socks5 {
                    self.resolve(target)
                        .await
                        .map_err(|e| fail(ProxyConnectError::target_resolve(target, e)))?
                } else {
                    target.clone()
                };
                socks5_handshake(&mut conn, &destination, credentials)
                    .await
                    .map_err(|e| fail(ProxyConnectError::socks5(target, e)))?;
                let extensions = with_proxy(conn.extensions(), proxy);
                Ok(ProxyStream::through(conn, extensions))
            }
            _ => Err(fail(ProxyConnectError::unsupported(target))),
        }
    }

    /// `target` with its name resolved to one address (IPv4 first, as curl's SOCKS5
    /// client does); an IP address as is.
    async fn resolve(&self, target: &Authority) -> Result<Authority, BoxError> {
        let domain = match target.host() {
            Host::Address(_) => return Ok(target.clone()),
            Host::Name(domain) => domain.clone(),
        };
        let ip: IpAddr = match &self.resolver {
            Some(resolver) => match resolver.ipv4_lookup(domain.clone()).await {
                Ok(v4) if !v4.is_empty() => v4[0].into(),
                v4 => {
                    let v6 = resolver.ipv6_lookup(domain.clone()).await;
                    match (v6, v4) {
                        (Ok(v6), _) if !v6.is_empty() => v6[0].into(),
                        (_, Err(e)) => return Err(e.into()),
                        (Err(e), _) => return Err(e.into()),
                        (Ok(_), Ok(_)) => {
                            return Err(format!("{domain} has no address").into());
                        }
                    }
                }
            },
            None => {
                let addrs: Vec<SocketAddr> =
                    tokio::net::lookup_host((domain.as_str(), target.port()))
                        .await?
                        .collect();
                addrs
                    .iter()
                    .find(|a| a.is_ipv4())
                    .or_else(|| addrs.first())
                    .map(SocketAddr::ip)
                    .ok_or_else(|| format!("{domain} has no address"))?
            }
        };
        Ok(Authority::new(Host::Address(ip), target.port()))
    }
}

/// A copy of `base` with `proxy` added.
fn with_proxy(base: &Extensions, proxy: &ProxyAddress) -> Extensions {
    let mut extensions = base.clone();
    extensions.insert(proxy.clone());
    extensions
}

/// A connector that hands out one already connected stream, for running TLS over it.
struct Ready<S>(Mutex<Option<S>>);

impl<S> Ready<S> {
    const fn new(io: S) -> Self {
        Self(Mutex::new(Some(io)))
    }
}

impl<S, Input> Service<Input> for Ready<S>
where
    S: Send + 'static,
    Input: Send + 'static,
{
    type Output = EstablishedClientConnection<S, Input>;
    type Error = std::io::Error;

    async fn serve(&self, input: Input) -> Result<Self::Output, Self::Error> {
        let io = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| std::io::Error::other("the proxy connection was already used"))?;
        Ok(EstablishedClientConnection::new(io, input))
    }
}
