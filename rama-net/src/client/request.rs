//! [`ConnectRequest`]: where a connector connects to (rama-tcp names it `TcpRequest`).

use crate::address::Authority;
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};

/// A request for a connection to `authority` (a host name or IP address, and a port): the
/// input of transport connectors (rama-tcp's `TcpConnector` takes it as `TcpRequest`) and of
/// the connectors stacked on them (TLS, proxies) when no richer input is needed.
///
/// The extensions travel with the request through the connector stack and come back in the
/// [`EstablishedClientConnection`](super::EstablishedClientConnection).
///
/// ```
/// use rama_net::client::ConnectRequest;
///
/// let req = ConnectRequest::new("example.com:443".parse()?);
/// assert_eq!(req.authority.to_string(), "example.com:443");
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// The host and port to connect to.
    pub authority: Authority,
    /// Facts that travel with the request.
    pub extensions: Extensions,
}

impl ConnectRequest {
    /// A request for `authority`, with empty extensions.
    #[must_use]
    pub const fn new(authority: Authority) -> Self {
        Self {
            authority,
            extensions: Extensions::new(),
        }
    }

    /// A request for `authority` with the given extensions.
    #[must_use]
    pub const fn with_extensions(authority: Authority, extensions: Extensions) -> Self {
        Self {
            authority,
            extensions,
        }
    }
}

impl From<Authority> for ConnectRequest {
    fn from(authority: Authority) -> Self {
        Self::new(authority)
    }
}

impl ExtensionsRef for ConnectRequest {
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

impl ExtensionsMut for ConnectRequest {
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}
