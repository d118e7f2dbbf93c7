//! [`TlsTarget`]: what a connector's input says about where the connection goes.

use rama_net::address::{Authority, Host};

/// The input of a TLS connector: where the connection goes, so the connector knows the
/// server name to send and verify.
///
/// Implemented for [`Authority`], [`Host`] and rama-net's
/// [`ConnectRequest`](rama_net::client::ConnectRequest) (rama-tcp's `TcpRequest`).
pub trait TlsTarget {
    /// The host the connection is for; `None` when unknown (then only a
    /// [`ClientServerName::Override`](super::ClientServerName::Override) lets the handshake proceed).
    fn tls_target_host(&self) -> Option<&Host>;
}

impl TlsTarget for Authority {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self.host())
    }
}

impl TlsTarget for Host {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self)
    }
}

impl TlsTarget for rama_net::client::ConnectRequest {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self.authority.host())
    }
}
