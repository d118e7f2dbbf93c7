//! [`Host`]: a domain name or an IP address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::domain::Domain;
use super::error::{AddressKind, AddressParseError};
use super::ip_class::IpClass;
use super::parse;

/// A host: a [`Domain`] name or an IP address.
///
/// # Parsing and display
///
/// [`FromStr`] accepts `example.com`, `1.2.3.4`, `::1` and `[::1]`: an IP address wins over
/// a name, and an IPv6 address may come with or without brackets. IPv6 zone identifiers
/// (`fe80::1%eth0`) are rejected with [`AddressParseErrorKind::IpZoneNotSupported`]: a zone
/// only means something on the machine that wrote it.
///
/// [`Display`](fmt::Display) prints IPv6 **without** brackets (`::1`), like [`IpAddr`]; the
/// types that add a port ([`Authority`](super::Authority),
/// [`HostWithOptPort`](super::HostWithOptPort)) add the brackets. Use
/// [`Host::display_bracketed`] where a URI host is wanted.
///
/// [`AddressParseErrorKind::IpZoneNotSupported`]: super::AddressParseErrorKind::IpZoneNotSupported
///
/// ```
/// use rama_net::address::Host;
///
/// let host: Host = "[::1]".parse()?;
/// assert!(host.is_loopback());
/// assert_eq!(host.to_string(), "::1");
/// assert_eq!(host.display_bracketed().to_string(), "[::1]");
///
/// let host: Host = "Example.COM".parse()?;
/// assert_eq!(host.to_string(), "example.com");
/// assert!(!host.is_local());
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A DNS name.
    Name(Domain),
    /// An IPv4 or IPv6 address.
    Address(IpAddr),
}

impl Host {
    /// `localhost`.
    pub const LOCALHOST_NAME: Self = Self::Name(Domain::from_static("localhost"));
    /// `127.0.0.1`.
    pub const LOCALHOST_IPV4: Self = Self::Address(IpAddr::V4(Ipv4Addr::LOCALHOST));
    /// `::1`.
    pub const LOCALHOST_IPV6: Self = Self::Address(IpAddr::V6(Ipv6Addr::LOCALHOST));

    /// The domain, if this host is a name.
    #[must_use]
    pub const fn as_domain(&self) -> Option<&Domain> {
        match self {
            Self::Name(d) => Some(d),
            Self::Address(_) => None,
        }
    }

    /// The IP address, if this host is an address.
    #[must_use]
    pub const fn as_ip(&self) -> Option<IpAddr> {
        match self {
            Self::Name(_) => None,
            Self::Address(ip) => Some(*ip),
        }
    }

    /// The class of the IP address; `None` for a name (resolve it and classify the result).
    #[must_use]
    pub fn ip_class(&self) -> Option<IpClass> {
        self.as_ip().map(IpClass::of)
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`, IPv4-mapped loopback)
    /// or a `localhost` name (`localhost`, `*.localhost`).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        match self {
            Self::Name(d) => d.is_localhost(),
            Self::Address(ip) => IpClass::of(*ip) == IpClass::Loopback,
        }
    }

    /// Whether the host is an address in a private range (RFC 1918, IPv6 unique local).
    /// Always `false` for names.
    #[must_use]
    pub fn is_private(&self) -> bool {
        self.ip_class() == Some(IpClass::Private)
    }

    /// Whether the host is this machine or on a local network: a `localhost` name, or an
    /// address for which [`IpClass::is_local`] holds (loopback, unspecified, private, CGNAT,
    /// link-local).
    ///
    /// A name other than `localhost` is not local by itself; a proxy that denies local
    /// targets must also check the addresses the name resolves to.
    #[must_use]
    pub fn is_local(&self) -> bool {
        match self {
            Self::Name(d) => d.is_localhost(),
            Self::Address(ip) => IpClass::of(*ip).is_local(),
        }
    }

    /// Displays the host as in a URI: IPv6 addresses in brackets (`[::1]`), others as
    /// [`Display`](fmt::Display) prints them.
    #[must_use]
    pub fn display_bracketed(&self) -> impl fmt::Display + '_ {
        Bracketed(self)
    }
}

/// See [`Host::display_bracketed`].
struct Bracketed<'a>(&'a Host);

impl fmt::Display for Bracketed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Host::Address(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            host => host.fmt(f),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(d) => d.fmt(f),
            Self::Address(ip) => ip.fmt(f),
        }
    }
}

fn parse_host(s: &str) -> Result<Host, AddressParseError> {
    let result = match s.strip_prefix('[') {
        Some(rest) => match rest.strip_suffix(']') {
            Some(inner) => parse::parse_bracketed_ipv6(inner).map(|ip| Host::Address(ip.into())),
            None => Err(super::AddressParseErrorKind::InvalidBrackets),
        },
        None if s.contains(']') => Err(super::AddressParseErrorKind::InvalidBrackets),
        None => parse::parse_plain_host(s),
    };
    result.map_err(|kind| AddressParseError::new(AddressKind::Host, kind, s))
}

impl FromStr for Host {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_host(s)
    }
}

impl TryFrom<&str> for Host {
    type Error = AddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_host(s)
    }
}

impl TryFrom<String> for Host {
    type Error = AddressParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_host(&s)
    }
}

impl From<Domain> for Host {
    fn from(d: Domain) -> Self {
        Self::Name(d)
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        Self::Address(ip)
    }
}

impl From<Ipv4Addr> for Host {
    fn from(ip: Ipv4Addr) -> Self {
        Self::Address(ip.into())
    }
}

impl From<Ipv6Addr> for Host {
    fn from(ip: Ipv6Addr) -> Self {
        Self::Address(ip.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AddressParseErrorKind as K;

    #[test]
    fn parses_table() {
        let cases: &[(&str, &str)] = &[
            ("example.com", "example.com"),
            ("Example.COM.", "example.com"),
            ("1.2.3.4", "1.2.3.4"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("[2001:DB8::1]", "2001:db8::1"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("[::ffff:1.2.3.4]", "::ffff:1.2.3.4"),
            ("bücher.example", "xn--bcher-kva.example"),
        ];
        for (input, printed) in cases {
            let host: Host = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(host.to_string(), *printed, "{input}");
            assert_eq!(printed.parse::<Host>().unwrap(), host, "{input}");
            let bracketed = host.display_bracketed().to_string();
            assert_eq!(bracketed.parse::<Host>().unwrap(), host, "{input}");
        }
        assert!(matches!(
            "1.2.3.4".parse::<Host>().unwrap(),
            Host::Address(IpAddr::V4(_))
        ));
        assert!(matches!("a.b".parse::<Host>().unwrap(), Host::Name(_)));
    }

    #[test]
    fn rejects_table() {
        let cases: &[(&str, K)] = &[
            ("", K::Empty),
            ("[]", K::InvalidBrackets),
            ("[::1", K::InvalidBrackets),
            ("::1]", K::InvalidBrackets),
            ("[1.2.3.4]", K::InvalidBrackets),
            ("[example.com]", K::InvalidBrackets),
            ("[::1]:80", K::InvalidBrackets),
            ("fe80::1%eth0", K::IpZoneNotSupported),
            ("[fe80::1%25eth0]", K::IpZoneNotSupported),
            ("1:2:3", K::InvalidIp),
            ("example.com:80", K::InvalidCharacter),
            ("1:2:3:4:5:6:7:8:9", K::InvalidIp),
            ("1.2.3.256", K::NumericName),
            ("01.2.3.4", K::NumericName),
            ("exa mple", K::InvalidCharacter),
        ];
        for (input, kind) in cases {
            let err = input.parse::<Host>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
            assert!(err.to_string().starts_with("invalid host"), "{err}");
        }
    }

    #[test]
    fn locality_helpers() {
        let cases: &[(&str, bool, bool, bool)] = &[
            // input, loopback, private, local
            ("localhost", true, false, true),
            ("a.localhost", true, false, true),
            ("127.0.0.1", true, false, true),
            ("::1", true, false, true),
            ("::ffff:127.0.0.1", true, false, true),
            ("10.1.2.3", false, true, true),
            ("fd12::1", false, true, true),
            ("169.254.169.254", false, false, true),
            ("0.0.0.0", false, false, true),
            ("100.64.0.1", false, false, true),
            ("8.8.8.8", false, false, false),
            ("example.com", false, false, false),
        ];
        for (input, loopback, private, local) in cases {
            let host: Host = input.parse().unwrap();
            assert_eq!(host.is_loopback(), *loopback, "{input}");
            assert_eq!(host.is_private(), *private, "{input}");
            assert_eq!(host.is_local(), *local, "{input}");
        }
    }

    #[test]
    fn conversions_and_constants() {
        assert_eq!(Host::from(Ipv4Addr::LOCALHOST), Host::LOCALHOST_IPV4);
        assert_eq!(Host::from(Ipv6Addr::LOCALHOST), Host::LOCALHOST_IPV6);
        assert_eq!("localhost".parse::<Host>().unwrap(), Host::LOCALHOST_NAME);
        let d: Domain = "example.com".parse().unwrap();
        assert_eq!(Host::from(d.clone()).as_domain(), Some(&d));
        assert_eq!(Host::from(d).as_ip(), None);
        assert_eq!(Host::LOCALHOST_IPV4.ip_class(), Some(IpClass::Loopback));
    }
}
