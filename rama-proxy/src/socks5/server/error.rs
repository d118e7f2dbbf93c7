//! [`Socks5ServerError`]: why serving one SOCKS5 connection ended early, and which side
//! caused it.

use rama_core::error::BoxError;
use std::fmt;

/// Which side of the proxy failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The SOCKS5 client: bad or slow handshake, failed login, a closed connection.
    Client,
    /// The target (or the connector towards it): refused, unreachable, timed out.
    Upstream,
    /// The proxy itself: a socket it could not open.
    Internal,
}

/// Serving one SOCKS5 connection failed. The reply the client got (if any) was sent
/// before this error is returned.
#[derive(Debug)]
pub struct Socks5ServerError {
    side: Side,
    context: &'static str,
    source: BoxError,
}

impl Socks5ServerError {
    pub(crate) fn new(side: Side, context: &'static str, source: impl Into<BoxError>) -> Self {
        Self {
            side,
            context,
            source: source.into(),
        }
    }

    /// Which side failed.
    #[must_use]
    pub const fn side(&self) -> Side {
        self.side
    }

    /// The client misbehaved (bad bytes, wrong credentials, timeout, gone).
    #[must_use]
    pub const fn is_client(&self) -> bool {
        matches!(self.side, Side::Client)
    }

    /// The target could not be reached or the tunnel to it broke.
    #[must_use]
    pub const fn is_upstream(&self) -> bool {
        matches!(self.side, Side::Upstream)
    }
}

impl fmt::Display for Socks5ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Client => "client",
            Side::Upstream => "upstream",
            Side::Internal => "proxy",
        };
        write!(f, "SOCKS5 server ({side} side): {}", self.context)
    }
}

impl std::error::Error for Socks5ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
