//! [`TcpConnectConfig`]: timeouts, Happy Eyeballs delays, local address and socket options
//! of a TCP connect.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

/// The default total connect timeout: DNS resolution and every connection attempt together.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// RFC 8305's recommended Resolution Delay: how long to wait for the AAAA answer after the A
/// answer arrived, before connecting over IPv4.
pub const DEFAULT_RESOLUTION_DELAY: Duration = Duration::from_millis(50);

/// RFC 8305's recommended Connection Attempt Delay: how long an attempt runs alone before the
/// next address is tried in parallel.
pub const DEFAULT_CONNECTION_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// How to connect: see the setters for each setting and its default.
///
/// ```
/// use rama_tcp::client::TcpConnectConfig;
/// use std::time::Duration;
///
/// let config = TcpConnectConfig::new()
///     .with_connect_timeout(Duration::from_secs(5))
///     .with_local_address("127.0.0.1".parse().unwrap());
/// assert_eq!(config.connect_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConnectConfig {
    connect_timeout: Option<Duration>,
    resolution_delay: Duration,
    connection_attempt_delay: Duration,
    local_ipv4: Option<Ipv4Addr>,
    local_ipv6: Option<Ipv6Addr>,
    nodelay: bool,
    record_local_addr: bool,
}

impl Default for TcpConnectConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TcpConnectConfig {
    /// A 30 s total timeout, RFC 8305's delays (50 ms, 250 ms), no local address,
    /// `TCP_NODELAY` on, the local address recorded.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            resolution_delay: DEFAULT_RESOLUTION_DELAY,
            connection_attempt_delay: DEFAULT_CONNECTION_ATTEMPT_DELAY,
            local_ipv4: None,
            local_ipv6: None,
            nodelay: true,
            record_local_addr: true,
        }
    }

    /// Give up once resolving and connecting took `timeout` in total (default 30 s).
    #[must_use]
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// No timeout of our own (the OS still gives up on an unanswered SYN after about two
    /// minutes on Linux).
    #[must_use]
    pub const fn without_connect_timeout(mut self) -> Self {
        self.connect_timeout = None;
        self
    }

    /// How long to wait for the AAAA answer once the A answer is in (default 50 ms).
    #[must_use]
    pub const fn with_resolution_delay(mut self, delay: Duration) -> Self {
        self.resolution_delay = delay;
        self
    }

    /// How long an attempt runs alone before the next address is tried (default 250 ms;
    /// RFC 8305 asks for at least 10 ms).
    #[must_use]
    pub const fn with_connection_attempt_delay(mut self, delay: Duration) -> Self {
        self.connection_attempt_delay = delay;
        self
    }

    /// Bind outgoing sockets of this address's family to it (port chosen by the OS).
    ///
    /// Set one IPv4 and one IPv6 address to cover both families; addresses of a family
    /// without a local address are connected from the OS's choice.
    #[must_use]
    pub const fn with_local_address(mut self, ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => self.local_ipv4 = Some(v4),
            IpAddr::V6(v6) => self.local_ipv6 = Some(v6),
        }
        self
    }

    /// Set or clear `TCP_NODELAY` on the connected socket (default on).
    #[must_use]
    pub const fn with_nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// Whether to record the connected socket's local address (the port the OS chose) in
    /// the stream's [`SocketInfo`](rama_net::stream::SocketInfo) (default on).
    ///
    /// It costs a `getsockname` call per connection, about 5% of a short connection's
    /// system time in a layer-4 forwarder (`bench/tcp_forward.sh`), which has no use for
    /// it. Off, `SocketInfo::local_addr` is `None`; [`TcpStream::local_addr`](crate::TcpStream::local_addr)
    /// still asks the OS on demand.
    #[must_use]
    pub const fn with_record_local_addr(mut self, record: bool) -> Self {
        self.record_local_addr = record;
        self
    }

    /// Whether the local address is recorded in the stream's `SocketInfo`.
    #[must_use]
    pub const fn record_local_addr(&self) -> bool {
        self.record_local_addr
    }

    /// The total connect timeout, if any.
    #[must_use]
    pub const fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The Resolution Delay.
    #[must_use]
    pub const fn resolution_delay(&self) -> Duration {
        self.resolution_delay
    }

    /// The Connection Attempt Delay.
    #[must_use]
    pub const fn connection_attempt_delay(&self) -> Duration {
        self.connection_attempt_delay
    }

    /// The local address for sockets of `ip`'s family, if set.
    #[must_use]
    pub const fn local_address_for(&self, ip: IpAddr) -> Option<IpAddr> {
        match ip {
            IpAddr::V4(_) => match self.local_ipv4 {
                Some(v4) => Some(IpAddr::V4(v4)),
                None => None,
            },
            IpAddr::V6(_) => match self.local_ipv6 {
                Some(v6) => Some(IpAddr::V6(v6)),
                None => None,
            },
        }
    }

    /// Whether `TCP_NODELAY` is set on connected sockets.
    #[must_use]
    pub const fn nodelay(&self) -> bool {
        self.nodelay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_address_per_family() {
        let c = TcpConnectConfig::new()
            .with_local_address(IpAddr::V4(Ipv4Addr::LOCALHOST))
            .with_local_address(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(
            c.local_address_for(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            c.local_address_for(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        let d = TcpConnectConfig::default();
        assert_eq!(d.local_address_for(IpAddr::V4(Ipv4Addr::LOCALHOST)), None);
        assert_eq!(d.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(d.without_connect_timeout().connect_timeout(), None);
        assert!(d.nodelay());
        assert!(!d.with_nodelay(false).nodelay());
        assert_eq!(d.resolution_delay(), Duration::from_millis(50));
        assert_eq!(d.connection_attempt_delay(), Duration::from_millis(250));
    }
}
