//! [`TcpConnector`] (the connector service) and [`tcp_connect`] (the free function).

use super::{
    TcpConnectConfig, TcpConnectError, TcpRequest,
    happy_eyeballs::{connect_one, happy_eyeballs},
};
use crate::TcpStream;
use rama_core::{Service, error::BoxError, extensions::ExtensionsMut};
use rama_net::{
    address::{Authority, Host, ProxyAddress},
    client::EstablishedClientConnection,
    dns::DnsResolver,
    stream::SocketInfo,
};
use std::{net::SocketAddr, sync::Arc};

#[cfg(feature = "hickory")]
type DefaultResolver = rama_net::dns::HickoryDns;
#[cfg(not(feature = "hickory"))]
type DefaultResolver = rama_net::dns::DenyAllDns;

/// Connects to `authority`: resolves a name through `resolver` (an IP address skips DNS),
/// races the addresses the Happy Eyeballs way (RFC 8305) and gives up after
/// [`TcpConnectConfig::connect_timeout`] in total.
///
/// The stream's extensions hold its [`SocketInfo`] (local and peer address).
///
/// # Errors
///
/// A [`TcpConnectError`] that names the target and says whether resolving, connecting or
/// the timeout failed.
///
/// ```
/// use rama_net::dns::InMemoryDns;
/// use rama_tcp::client::{TcpConnectConfig, tcp_connect};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let target = listener.local_addr()?.into();
/// let stream = tcp_connect(&target, &InMemoryDns::new(), &TcpConnectConfig::new()).await?;
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
///
/// let err = tcp_connect(&"127.0.0.1:1".parse()?, &InMemoryDns::new(), &TcpConnectConfig::new())
///     .await
///     .unwrap_err();
/// assert_eq!(err.to_string(), "connect to 127.0.0.1:1: connection refused");
/// # Ok(())
/// # }
/// ```
pub async fn tcp_connect<R: DnsResolver>(
    authority: &Authority,
    resolver: &R,
    config: &TcpConnectConfig,
) -> Result<TcpStream, TcpConnectError> {
    let connect = connect_without_timeout(authority, resolver, config);
    let (stream, peer) = match config.connect_timeout() {
        Some(limit) => tokio::time::timeout(limit, connect)
            .await
            .unwrap_or_else(|_| Err(TcpConnectError::timeout(authority.clone(), limit)))?,
        None => connect.await?,
    };
    let local = if config.record_local_addr() {
        stream.local_addr().ok()
    } else {
        None
    };
    let mut stream = TcpStream::new(stream);
    stream.extensions_mut().insert(SocketInfo::new(local, peer));
    Ok(stream)
}

async fn connect_without_timeout<R: DnsResolver>(
    authority: &Authority,
    resolver: &R,
    config: &TcpConnectConfig,
) -> Result<(tokio::net::TcpStream, SocketAddr), TcpConnectError> {
    match authority.host() {
        Host::Address(ip) => {
            let addr = SocketAddr::new(*ip, authority.port());
            match connect_one(addr, *config).await {
                Ok(stream) => Ok((stream, addr)),
                Err(err) => Err(TcpConnectError::connect(
                    authority.clone(),
                    vec![(addr, err)],
                )),
            }
        }
        Host::Name(domain) => {
            let v6 = async {
                resolver
                    .ipv6_lookup(domain.clone())
                    .await
                    .map_err(|e| -> BoxError { Box::new(e) })
            };
            let v4 = async {
                resolver
                    .ipv4_lookup(domain.clone())
                    .await
                    .map_err(|e| -> BoxError { Box::new(e) })
            };
            // boxed: the race's state is large and only names need it, so an IP literal's
            // connect future stays small (it is moved into every connection's task)
            Box::pin(happy_eyeballs(authority, v6, v4, config)).await
        }
    }
}

/// A connector [`Service`]: [`TcpRequest`] in, [`EstablishedClientConnection`] of a
/// [`TcpStream`] and the request out. See [`tcp_connect`] for what it does.
///
/// ```
/// use rama_core::Service;
/// use rama_net::{address::Domain, dns::InMemoryDns};
/// use rama_tcp::client::{TcpConnector, TcpRequest};
/// use std::net::Ipv4Addr;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let port = listener.local_addr()?.port();
/// let dns = InMemoryDns::new()
///     .with_ips(Domain::from_static("service.test"), [Ipv4Addr::LOCALHOST.into()]);
/// let connector = TcpConnector::with_resolver(dns);
/// let req = TcpRequest::new(format!("service.test:{port}").parse()?);
/// let established = connector.serve(req).await?;
/// assert_eq!(established.conn.peer_addr()?, listener.local_addr()?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TcpConnector<R = DefaultResolver> {
    resolver: Arc<R>,
    config: TcpConnectConfig,
}

#[cfg(feature = "hickory")]
impl Default for TcpConnector {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "hickory")]
impl TcpConnector {
    /// A connector that resolves with the system's DNS configuration ([`HickoryDns`]).
    ///
    /// [`HickoryDns`]: rama_net::dns::HickoryDns
    #[must_use]
    pub fn new() -> Self {
        Self::with_resolver(rama_net::dns::HickoryDns::default())
    }
}

impl<R> TcpConnector<R> {
    /// A connector that resolves names with `resolver`.
    #[must_use]
    pub fn with_resolver(resolver: R) -> Self {
        Self {
            resolver: Arc::new(resolver),
            config: TcpConnectConfig::new(),
        }
    }

    /// Replace the settings (timeout, delays, local address, nodelay).
    #[must_use]
    pub const fn with_config(mut self, config: TcpConnectConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings.
    #[must_use]
    pub const fn config(&self) -> &TcpConnectConfig {
        &self.config
    }

    /// The resolver.
    #[must_use]
    pub fn resolver(&self) -> &R {
        &self.resolver
    }
}

impl<R: DnsResolver> Service<TcpRequest> for TcpConnector<R> {
    type Output = EstablishedClientConnection<TcpStream, TcpRequest>;
    type Error = TcpConnectError;

    /// Connects to the request's authority; a request that carries a [`ProxyAddress`] in
    /// its extensions is refused (connecting directly would bypass the proxy it asks for).
    async fn serve(&self, input: TcpRequest) -> Result<Self::Output, Self::Error> {
        if let Some(proxy) = input.extensions.get::<ProxyAddress>() {
            return Err(TcpConnectError::proxy_requested(
                input.authority.clone(),
                proxy,
            ));
        }
        let conn = tcp_connect(&input.authority, &*self.resolver, &self.config).await?;
        Ok(EstablishedClientConnection { conn, input })
    }
}
