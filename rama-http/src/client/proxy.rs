//! What the client stack says to a proxy-aware connector.
//!
//! A layer that picks an upstream proxy puts a
//! [`ProxyAddress`](rama_net::address::ProxyAddress) in the request's extensions;
//! [`EasyHttpWebClient`](super::EasyHttpWebClient) copies it into the `TcpRequest` it hands
//! its connector. For most requests the connector then opens a tunnel to the request's
//! authority (HTTP `CONNECT` or SOCKS5). For a plain `http://` request through an HTTP(S)
//! proxy the client instead sends the request itself to the proxy, in absolute form; it
//! asks the connector for a connection to the proxy itself with the [`ForwardToProxy`]
//! marker next to the `ProxyAddress`.
//!
//! A connector that does not speak proxies (rama-tcp's `TcpConnector`) refuses any request
//! with a `ProxyAddress`, marker or not: a proxy is never bypassed silently.

/// In a `TcpRequest`'s extensions next to a
/// [`ProxyAddress`](rama_net::address::ProxyAddress): connect to the HTTP proxy itself (TLS
/// to it for an `https://` proxy) and hand back that stream, without a `CONNECT` tunnel; the
/// caller sends its requests to the proxy in absolute form (`GET http://host/path`).
///
/// ```
/// use rama_core::extensions::Extensions;
/// use rama_http::client::proxy::ForwardToProxy;
///
/// let mut ext = Extensions::new();
/// ext.insert(ForwardToProxy);
/// assert!(ext.get::<ForwardToProxy>().is_some());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ForwardToProxy;
