//! [`Authority`]: a host and a port, the target of a connection.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use super::domain::Domain;
use super::error::{AddressKind, AddressParseError, AddressParseErrorKind};
use super::host::Host;
use super::parse;
use super::socket_address::SocketAddress;

/// A [`Host`] and a port: what a client connects to (`example.com:443`, `[::1]:8080`).
///
/// [`FromStr`] wants `host:port` or `[ipv6]:port`; a missing port is
/// [`AddressParseErrorKind::MissingPort`] and an IPv6 address without brackets is
/// [`AddressParseErrorKind::MissingBrackets`]. Ports are 1 to 5 decimal digits up to 65535;
/// port 0 parses (it is valid syntax) but no server listens on it.
/// [`Display`](fmt::Display) writes IPv6 hosts in brackets, so `parse(display(a)) == a`.
///
/// ```
/// use rama_net::address::{Authority, Host};
///
/// let a: Authority = "[::1]:8080".parse()?;
/// assert_eq!(a.port(), 8080);
/// assert!(a.host().is_loopback());
/// assert_eq!(a.to_string(), "[::1]:8080");
///
/// let a: Authority = "Example.com:443".parse()?;
/// assert_eq!(a.to_string(), "example.com:443");
///
/// assert!("::1:8080".parse::<Authority>().is_err());
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Authority {
    host: Host,
    port: u16,
}

impl Authority {
    /// Creates an authority from a host and a port.
    #[must_use]
    pub const fn new(host: Host, port: u16) -> Self {
        Self { host, port }
    }

    /// `localhost` with `port`.
    #[must_use]
    pub const fn localhost(port: u16) -> Self {
        Self::new(Host::LOCALHOST_NAME, port)
    }

    /// The host.
    #[must_use]
    pub const fn host(&self) -> &Host {
        &self.host
    }

    /// The port.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Replaces the host, keeping the port.
    #[must_use]
    pub fn with_host(mut self, host: impl Into<Host>) -> Self {
        self.host = host.into();
        self
    }

    /// Replaces the port, keeping the host.
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The host and the port.
    #[must_use]
    pub fn into_parts(self) -> (Host, u16) {
        (self.host, self.port)
    }

    /// The socket address, if the host is an IP address.
    #[must_use]
    pub fn as_socket_address(&self) -> Option<SocketAddress> {
        self.host
            .as_ip()
            .map(|ip| SocketAddress::new(ip, self.port))
    }
}

fn parse_authority(s: &str) -> Result<Authority, AddressParseError> {
    let inner = || -> Result<Authority, AddressParseErrorKind> {
        let (host, port) = parse::split_host_port(s)?;
        let port = port.ok_or(AddressParseErrorKind::MissingPort)?;
        let port = parse::parse_port(port)?;
        let host = parse::parse_host_part(host)?;
        Ok(Authority::new(host, port))
    };
    inner().map_err(|kind| AddressParseError::new(AddressKind::Authority, kind, s))
}

impl FromStr for Authority {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_authority(s)
    }
}

impl TryFrom<&str> for Authority {
    type Error = AddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_authority(s)
    }
}

impl TryFrom<String> for Authority {
    type Error = AddressParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_authority(&s)
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host.display_bracketed(), self.port)
    }
}

impl From<SocketAddr> for Authority {
    fn from(addr: SocketAddr) -> Self {
        Self::new(Host::Address(addr.ip()), addr.port())
    }
}

impl From<SocketAddress> for Authority {
    fn from(addr: SocketAddress) -> Self {
        Self::new(Host::Address(addr.ip_addr()), addr.port())
    }
}

impl From<(Host, u16)> for Authority {
    fn from((host, port): (Host, u16)) -> Self {
        Self::new(host, port)
    }
}

impl From<(Domain, u16)> for Authority {
    fn from((domain, port): (Domain, u16)) -> Self {
        Self::new(Host::Name(domain), port)
    }
}

impl From<(IpAddr, u16)> for Authority {
    fn from((ip, port): (IpAddr, u16)) -> Self {
        Self::new(Host::Address(ip), port)
    }
}

impl From<(Ipv4Addr, u16)> for Authority {
    fn from((ip, port): (Ipv4Addr, u16)) -> Self {
        Self::new(Host::Address(ip.into()), port)
    }
}

impl From<(Ipv6Addr, u16)> for Authority {
    fn from((ip, port): (Ipv6Addr, u16)) -> Self {
        Self::new(Host::Address(ip.into()), port)
    }
}

impl From<Authority> for (Host, u16) {
    fn from(a: Authority) -> Self {
        a.into_parts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AddressParseErrorKind as K;

    #[test]
    fn parses_table() {
        let cases: &[(&str, &str, u16)] = &[
            ("example.com:443", "example.com", 443),
            ("EXAMPLE.com.:80", "example.com", 80),
            ("1.2.3.4:0", "1.2.3.4", 0),
            ("1.2.3.4:65535", "1.2.3.4", 65535),
            ("[::1]:8080", "::1", 8080),
            ("[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1),
            ("bücher.example:01", "xn--bcher-kva.example", 1),
            ("localhost:00080", "localhost", 80),
        ];
        for (input, host, port) in cases {
            let a: Authority = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(a.host().to_string(), *host, "{input}");
            assert_eq!(a.port(), *port, "{input}");
            assert_eq!(a.to_string().parse::<Authority>().unwrap(), a, "{input}");
        }
        assert_eq!(
            "[::1]:80".parse::<Authority>().unwrap().to_string(),
            "[::1]:80"
        );
    }

    #[test]
    fn rejects_table() {
        let cases: &[(&str, K)] = &[
            ("", K::Empty),
            (":80", K::Empty),
            ("example.com", K::MissingPort),
            ("example.com:", K::MissingPort),
            ("[::1]", K::MissingPort),
            ("[::1]:", K::MissingPort),
            ("1.2.3.4", K::MissingPort),
            ("example.com:65536", K::InvalidPort),
            ("example.com:99999999999999999999", K::InvalidPort),
            ("example.com:-1", K::InvalidPort),
            ("example.com:+80", K::InvalidPort),
            ("example.com: 80", K::InvalidPort),
            ("example.com:8o", K::InvalidPort),
            ("example.com:80:80", K::InvalidCharacter),
            ("::1", K::MissingBrackets),
            ("::1:8080", K::MissingBrackets),
            ("2001:db8::1:443", K::MissingBrackets),
            ("fe80::1%eth0:80", K::IpZoneNotSupported),
            ("[fe80::1%eth0]:80", K::IpZoneNotSupported),
            ("[::1]80", K::InvalidBrackets),
            ("[::1", K::InvalidBrackets),
            ("[1.2.3.4]:80", K::InvalidBrackets),
            ("a]:80", K::InvalidBrackets),
            ("exa mple.com:80", K::InvalidCharacter),
            ("1.2.3.256:80", K::NumericName),
        ];
        for (input, kind) in cases {
            let err = input.parse::<Authority>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
            assert!(err.to_string().starts_with("invalid authority"), "{err}");
        }
    }

    #[test]
    fn conversions() {
        let sa: SocketAddr = "[::1]:80".parse().unwrap();
        let a = Authority::from(sa);
        assert_eq!(a.to_string(), "[::1]:80");
        assert_eq!(a.as_socket_address(), Some(SocketAddress::from(sa)));
        let d: Domain = "example.com".parse().unwrap();
        let a = Authority::from((d.clone(), 443));
        assert_eq!(a.as_socket_address(), None);
        assert_eq!(a.clone().into_parts(), (Host::Name(d), 443));
        assert_eq!(a.clone().with_port(80).to_string(), "example.com:80");
        assert_eq!(
            a.with_host(Ipv4Addr::LOCALHOST).to_string(),
            "127.0.0.1:443"
        );
        assert_eq!(
            Authority::from((Ipv6Addr::LOCALHOST, 1)).to_string(),
            "[::1]:1"
        );
        assert_eq!(
            Authority::from((IpAddr::from([1, 2, 3, 4]), 1)).to_string(),
            "1.2.3.4:1"
        );
        assert_eq!(Authority::localhost(8080).to_string(), "localhost:8080");
        assert_eq!(Authority::try_from("a.b:1".to_owned()).unwrap().port(), 1);
    }
}
