//! The client side of proxies: reach targets through an upstream HTTP, HTTPS or SOCKS5
//! proxy, and pick that proxy per request (explicitly, or from the environment as curl
//! does).
//!
//! | you want to | use |
//! |---|---|
//! | open a `CONNECT` tunnel on a stream you connected yourself | [`http_connect`] |
//! | a connector that goes through the proxy a `TcpRequest` asks for | [`ProxyConnector`] |
//! | an `EasyHttpWebClient` that honours proxies | [`proxy_web_client`] |
//! | why a proxied connect failed | [`ProxyConnectError`] |
//! | pick the proxy per request URL, explicitly or from `*_PROXY` / `NO_PROXY` | [`ProxySelectLayer`], [`ProxySelector`], [`NoProxy`] |
//!
//! The convention: whoever picks the proxy puts a
//! [`ProxyAddress`](rama_net::address::ProxyAddress) in the request's extensions;
//! [`EasyHttpWebClient`] copies it into the
//! `TcpRequest`, and the [`ProxyConnector`] in its connector stack acts on it:
//!
//! ```text
//! HTTP request ─► EasyHttpWebClient ─► TLS to the origin (https) ─► ProxyConnector ─► TcpConnector
//!                  (absolute form for                                 │ no proxy: direct
//!                   http:// through an                                │ http/https proxy: [TLS] + CONNECT
//!                   HTTP proxy)                                       │ socks5/socks5h: SOCKS5 handshake
//! ```
//!
//! Book: the "Proxy clients" chapter.

mod connector;
mod error;
mod http_connect;
mod layer;
mod no_proxy;
mod select;
mod stream;

pub use connector::{DEFAULT_PROXY_HANDSHAKE_TIMEOUT, ProxyConnector};
pub use error::ProxyConnectError;
pub use http_connect::http_connect;
pub use layer::{ProxySelect, ProxySelectLayer};
pub use no_proxy::NoProxy;
pub use select::{ProxySelectError, ProxySelector};
pub use stream::ProxyStream;

use rama_http::client::EasyHttpWebClient;
use rama_tcp::client::TcpConnector;

/// An [`EasyHttpWebClient`] whose connector is a [`ProxyConnector`] over a
/// [`TcpConnector`] with `resolver`: requests that carry a
/// [`ProxyAddress`](rama_net::address::ProxyAddress) go through that proxy, the others
/// connect directly.
///
/// ```
/// use rama_net::dns::InMemoryDns;
/// use rama_proxy::client::proxy_web_client;
///
/// let client = proxy_web_client(InMemoryDns::new());
/// assert_eq!(client.pool().idle_count(), 0);
/// ```
#[must_use]
pub fn proxy_web_client<R: rama_net::dns::DnsResolver + Clone>(
    resolver: R,
) -> EasyHttpWebClient<ProxyConnector<TcpConnector<R>>> {
    let connector =
        ProxyConnector::new(TcpConnector::with_resolver(resolver.clone())).with_resolver(resolver);
    EasyHttpWebClient::with_connector(connector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::Service;
    use rama_net::dns::InMemoryDns;
    use rama_tcp::TcpStream;
    use rama_tcp::client::TcpRequest;

    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}

    #[test]
    fn services_streams_and_futures_are_send_and_sync() {
        let connector = ProxyConnector::new(TcpConnector::with_resolver(InMemoryDns::new()));
        send_sync(&connector);
        send(&connector.serve(TcpRequest::new("a.test:1".parse().unwrap())));
        let stream: Option<ProxyStream<TcpStream>> = None;
        send_sync(&stream);
        let client = proxy_web_client(InMemoryDns::new());
        let select =
            rama_core::Layer::into_layer(ProxySelectLayer::new(ProxySelector::none()), client);
        send_sync(&select);
        let req = rama_http::Request::new(rama_http::Body::empty());
        send(&select.serve(req));
        let err: Option<ProxyConnectError> = None;
        send_sync(&err);
    }
}
