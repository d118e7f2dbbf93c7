//! [`TcpRequest`]: what a [`TcpConnector`](super::TcpConnector) connects to.

use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use rama_net::address::Authority;

/// A request for a TCP connection to `authority` (a host name or IP address, and a port).
///
/// The extensions travel with the request through the connector stack and come back in the
/// [`EstablishedClientConnection`](rama_net::client::EstablishedClientConnection).
///
/// ```
/// use rama_tcp::client::TcpRequest;
///
/// let req = TcpRequest::new("example.com:443".parse()?);
/// assert_eq!(req.authority.to_string(), "example.com:443");
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TcpRequest {
    /// The host and port to connect to.
    pub authority: Authority,
    /// Facts that travel with the request.
    pub extensions: Extensions,
}

impl TcpRequest {
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

impl From<Authority> for TcpRequest {
    fn from(authority: Authority) -> Self {
        Self::new(authority)
    }
}

impl ExtensionsRef for TcpRequest {
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

impl ExtensionsMut for TcpRequest {
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}
