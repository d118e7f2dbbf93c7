//! [`SocketAddress`]: an IP address and a port.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use super::error::{AddressKind, AddressParseError, AddressParseErrorKind};
use super::host::Host;
use super::parse;

/// An IP address and a port (`127.0.0.1:8080`, `[::1]:443`).
///
/// Unlike [`SocketAddr`] it carries no IPv6 flow info or scope id: converting from a
/// `SocketAddr` drops them, and parsing rejects `%zone` suffixes
/// ([`AddressParseErrorKind::IpZoneNotSupported`]). Ports are 1 to 5 decimal digits up to
/// 65535; port 0 is accepted ("any port" when binding).
///
/// ```
/// use rama_net::address::SocketAddress;
/// use std::net::SocketAddr;
///
/// let addr: SocketAddress = "[::1]:8080".parse()?;
/// assert_eq!(addr.port(), 8080);
/// assert_eq!(addr.to_string(), "[::1]:8080");
///
/// let std_addr: SocketAddr = SocketAddress::local_ipv4(80).into();
/// assert_eq!(std_addr.to_string(), "127.0.0.1:80");
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketAddress {
    ip: IpAddr,
    port: u16,
}

impl SocketAddress {
    /// Creates a socket address from an IP address and a port.
    #[must_use]
    pub const fn new(ip: IpAddr, port: u16) -> Self {
        Self { ip, port }
    }

    /// `127.0.0.1:port`.
    #[must_use]
    pub const fn local_ipv4(port: u16) -> Self {
        Self::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    }

    /// `[::1]:port`.
    #[must_use]
    pub const fn local_ipv6(port: u16) -> Self {
        Self::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)
    }

    /// `0.0.0.0:port`: every IPv4 interface.
    #[must_use]
    pub const fn default_ipv4(port: u16) -> Self {
        Self::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
    }

    /// `[::]:port`: every IPv6 interface (and, unless the socket is set IPv6-only, IPv4 too).
    #[must_use]
    pub const fn default_ipv6(port: u16) -> Self {
        Self::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)
    }

    /// The IP address.
    #[must_use]
    pub const fn ip_addr(&self) -> IpAddr {
        self.ip
    }

    /// The port.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Replaces the IP address, keeping the port.
    #[must_use]
    pub const fn with_ip_addr(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }

    /// Replaces the port, keeping the IP address.
    #[must_use]
    pub const fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The IP address and the port.
    #[must_use]
    pub const fn into_parts(self) -> (IpAddr, u16) {
        (self.ip, self.port)
    }

    /// The standard library's socket address.
    #[must_use]
    pub const fn to_socket_addr(self) -> SocketAddr {
        match self.ip {
            IpAddr::V4(ip) => SocketAddr::V4(SocketAddrV4::new(ip, self.port)),
            IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, self.port, 0, 0)),
        }
    }
}

fn parse_socket_address(s: &str) -> Result<SocketAddress, AddressParseError> {
    let inner = || -> Result<SocketAddress, AddressParseErrorKind> {
        let (host, port) = parse::split_host_port(s)?;
        let port = port.ok_or(AddressParseErrorKind::MissingPort)?;
        let port = parse::parse_port(port)?;
        let ip = match host {
            parse::HostPart::Bracketed(inner) => parse::parse_bracketed_ipv6(inner)?.into(),
            parse::HostPart::Plain(plain) => match parse::parse_plain_host(plain)? {
                Host::Address(ip) => ip,
                Host::Name(_) => return Err(AddressParseErrorKind::NotAnIpAddress),
            },
        };
        Ok(SocketAddress::new(ip, port))
    };
    inner().map_err(|kind| AddressParseError::new(AddressKind::SocketAddress, kind, s))
}

impl FromStr for SocketAddress {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_socket_address(s)
    }
}

impl TryFrom<&str> for SocketAddress {
    type Error = AddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_socket_address(s)
    }
}

impl TryFrom<String> for SocketAddress {
    type Error = AddressParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_socket_address(&s)
    }
}

impl fmt::Display for SocketAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl From<SocketAddr> for SocketAddress {
    fn from(addr: SocketAddr) -> Self {
        Self::new(addr.ip(), addr.port())
    }
}

impl From<SocketAddrV4> for SocketAddress {
    fn from(addr: SocketAddrV4) -> Self {
        Self::new(IpAddr::V4(*addr.ip()), addr.port())
    }
}

impl From<SocketAddrV6> for SocketAddress {
    fn from(addr: SocketAddrV6) -> Self {
        Self::new(IpAddr::V6(*addr.ip()), addr.port())
    }
}

impl From<(IpAddr, u16)> for SocketAddress {
    fn from((ip, port): (IpAddr, u16)) -> Self {
        Self::new(ip, port)
    }
}

impl From<(Ipv4Addr, u16)> for SocketAddress {
    fn from((ip, port): (Ipv4Addr, u16)) -> Self {
        Self::new(ip.into(), port)
    }
}

impl From<(Ipv6Addr, u16)> for SocketAddress {
    fn from((ip, port): (Ipv6Addr, u16)) -> Self {
        Self::new(ip.into(), port)
    }
}

impl From<SocketAddress> for SocketAddr {
    fn from(addr: SocketAddress) -> Self {
        addr.to_socket_addr()
    }
}

impl TryFrom<super::Authority> for SocketAddress {
    type Error = super::Authority;

    /// Succeeds when the authority's host is an IP address; gives the authority back
    /// otherwise.
    fn try_from(a: super::Authority) -> Result<Self, Self::Error> {
        a.as_socket_address().ok_or(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AddressParseErrorKind as K;

    #[test]
    fn parses_table() {
        let cases: &[(&str, &str)] = &[
            ("127.0.0.1:80", "127.0.0.1:80"),
            ("0.0.0.0:0", "0.0.0.0:0"),
            ("255.255.255.255:65535", "255.255.255.255:65535"),
            ("[::1]:443", "[::1]:443"),
            ("[::]:0", "[::]:0"),
            ("[2001:DB8::1]:00443", "[2001:db8::1]:443"),
        ];
        for (input, printed) in cases {
            let addr: SocketAddress = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(addr.to_string(), *printed, "{input}");
            assert_eq!(printed.parse::<SocketAddress>().unwrap(), addr);
            let std: SocketAddr = printed.parse().unwrap();
            assert_eq!(SocketAddress::from(std), addr, "{input}");
            assert_eq!(SocketAddr::from(addr), std, "{input}");
        }
    }

    #[test]
    fn rejects_table() {
        let cases: &[(&str, K)] = &[
            ("", K::Empty),
            ("127.0.0.1", K::MissingPort),
            ("[::1]", K::MissingPort),
            ("127.0.0.1:65536", K::InvalidPort),
            ("127.0.0.1:", K::MissingPort),
            ("::1:80", K::MissingBrackets),
            ("[fe80::1%1]:80", K::IpZoneNotSupported),
            ("localhost:80", K::NotAnIpAddress),
            ("example.com:80", K::NotAnIpAddress),
            ("1.2.3:80", K::NumericName),
            ("[1.2.3.4]:80", K::InvalidBrackets),
        ];
        for (input, kind) in cases {
            let err = input.parse::<SocketAddress>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(SocketAddress::local_ipv4(1).to_string(), "127.0.0.1:1");
        assert_eq!(SocketAddress::local_ipv6(1).to_string(), "[::1]:1");
        assert_eq!(SocketAddress::default_ipv4(2).to_string(), "0.0.0.0:2");
        assert_eq!(SocketAddress::default_ipv6(2).to_string(), "[::]:2");
        let a = SocketAddress::local_ipv4(1)
            .with_port(9)
            .with_ip_addr(Ipv6Addr::LOCALHOST.into());
        assert_eq!(a.into_parts(), (IpAddr::V6(Ipv6Addr::LOCALHOST), 9));
        let v6 = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 5, 7, 3);
        assert_eq!(
            SocketAddress::from(v6).to_socket_addr(),
            "[::1]:5".parse::<SocketAddr>().unwrap()
        );
        let auth: super::super::Authority = "[::1]:5".parse().unwrap();
        assert_eq!(
            SocketAddress::try_from(auth).unwrap(),
            SocketAddress::local_ipv6(5)
        );
        let auth: super::super::Authority = "a.b:5".parse().unwrap();
        assert!(SocketAddress::try_from(auth).is_err());
    }
}
