//! [`SocketInfo`]: the addresses of an accepted or connected socket.

use std::net::SocketAddr;

/// The local and peer address of a socket.
///
/// Listeners insert one into the [`Extensions`](rama_core::extensions::Extensions) of every
/// accepted stream; connectors do the same for the streams they open. Services further down
/// the stack read it from there, e.g. to log the client address or to fill a
/// `Forwarded: for=` element.
///
/// ```
/// use rama_net::stream::SocketInfo;
/// use std::net::SocketAddr;
///
/// let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
/// let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
/// let info = SocketInfo::new(Some(local), peer);
/// assert_eq!(info.peer_addr(), peer);
/// assert_eq!(info.local_addr(), Some(local));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketInfo {
    local_addr: Option<SocketAddr>,
    peer_addr: SocketAddr,
}

impl SocketInfo {
    /// Record the addresses of a socket. `local_addr` is `None` when the OS could not tell
    /// it (the call failed), which must not stop a connection from being served.
    #[must_use]
    pub const fn new(local_addr: Option<SocketAddr>, peer_addr: SocketAddr) -> Self {
        Self {
            local_addr,
            peer_addr,
        }
    }

    /// The address of the other end of the socket.
    #[must_use]
    pub const fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The address of our end of the socket, if known.
    #[must_use]
    pub const fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::extensions::Extensions;

    #[test]
    fn travels_in_extensions() {
        let peer: SocketAddr = "[::1]:4000".parse().unwrap();
        let mut ext = Extensions::new();
        ext.insert(SocketInfo::new(None, peer));
        let info = ext.get::<SocketInfo>().unwrap();
        assert_eq!(info.peer_addr(), peer);
        assert_eq!(info.local_addr(), None);
    }
}
