//! [`HostWithOptPort`]: a host and an optional port, as in an HTTP `Host` header.

use std::fmt;
use std::str::FromStr;

use super::authority::Authority;
use super::error::{AddressKind, AddressParseError, AddressParseErrorKind};
use super::host::Host;
use super::parse;

/// A [`Host`] and an optional port, the form of an HTTP `Host` header or a URI authority
/// without user info: `example.com`, `example.com:8080`, `[::1]`, `[::1]:8080`.
///
/// IPv6 addresses must be bracketed: a bare `::1` is rejected with
/// [`AddressParseErrorKind::MissingBrackets`], as RFC 3986 requires. An empty port after
/// the colon (`example.com:`, allowed by RFC 3986) is rejected with
/// [`AddressParseErrorKind::MissingPort`]. [`Display`](fmt::Display) brackets IPv6.
///
/// ```
/// use rama_net::address::HostWithOptPort;
///
/// let h: HostWithOptPort = "example.com".parse()?;
/// assert_eq!(h.port(), None);
/// let h: HostWithOptPort = "[::1]:8080".parse()?;
/// assert_eq!(h.port(), Some(8080));
/// assert_eq!(h.to_string(), "[::1]:8080");
/// assert_eq!(h.with_default_port(80).to_string(), "[::1]:8080");
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostWithOptPort {
    host: Host,
    port: Option<u16>,
}

impl HostWithOptPort {
    /// Creates it from a host and an optional port.
    #[must_use]
    pub const fn new(host: Host, port: Option<u16>) -> Self {
        Self { host, port }
    }

    /// The host.
    #[must_use]
    pub const fn host(&self) -> &Host {
        &self.host
    }

    /// The port, if one was given.
    #[must_use]
    pub const fn port(&self) -> Option<u16> {
        self.port
    }

    /// The host and the optional port.
    #[must_use]
    pub fn into_parts(self) -> (Host, Option<u16>) {
        (self.host, self.port)
    }

    /// An [`Authority`] with the given port, or `default_port` when none was given (for
    /// example [`Protocol::default_port`](crate::protocol::Protocol::default_port)).
    #[must_use]
    pub fn with_default_port(self, default_port: u16) -> Authority {
        Authority::new(self.host, self.port.unwrap_or(default_port))
    }
}

fn parse_host_with_opt_port(s: &str) -> Result<HostWithOptPort, AddressParseError> {
    let inner = || -> Result<HostWithOptPort, AddressParseErrorKind> {
        let (host, port) = parse::split_host_port(s)?;
        let port = port.map(parse::parse_port).transpose()?;
        let host = parse::parse_host_part(host)?;
        Ok(HostWithOptPort::new(host, port))
    };
    inner().map_err(|kind| AddressParseError::new(AddressKind::HostWithOptPort, kind, s))
}

impl FromStr for HostWithOptPort {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_host_with_opt_port(s)
    }
}

impl TryFrom<&str> for HostWithOptPort {
    type Error = AddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_host_with_opt_port(s)
    }
}

impl TryFrom<String> for HostWithOptPort {
    type Error = AddressParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_host_with_opt_port(&s)
    }
}

impl fmt::Display for HostWithOptPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host.display_bracketed()),
            None => self.host.display_bracketed().fmt(f),
        }
    }
}

impl From<Host> for HostWithOptPort {
    fn from(host: Host) -> Self {
        Self::new(host, None)
    }
}

impl From<Authority> for HostWithOptPort {
    fn from(a: Authority) -> Self {
        let (host, port) = a.into_parts();
        Self::new(host, Some(port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::AddressParseErrorKind as K;

    #[test]
    fn parses_table() {
        let cases: &[(&str, &str, Option<u16>)] = &[
            ("example.com", "example.com", None),
            ("example.com:8080", "example.com:8080", Some(8080)),
            ("1.2.3.4", "1.2.3.4", None),
            ("1.2.3.4:0", "1.2.3.4:0", Some(0)),
            ("[::1]", "[::1]", None),
            ("[::1]:65535", "[::1]:65535", Some(65535)),
            ("Bücher.example", "xn--bcher-kva.example", None),
        ];
        for (input, printed, port) in cases {
            let h: HostWithOptPort = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(h.to_string(), *printed, "{input}");
            assert_eq!(h.port(), *port, "{input}");
            assert_eq!(printed.parse::<HostWithOptPort>().unwrap(), h);
        }
    }

    #[test]
    fn rejects_table() {
        let cases: &[(&str, K)] = &[
            ("", K::Empty),
            ("::1", K::MissingBrackets),
            ("::", K::MissingBrackets),
            ("2001:db8::1", K::MissingBrackets),
            ("example.com:", K::MissingPort),
            ("[::1]:", K::MissingPort),
            ("example.com:65536", K::InvalidPort),
            ("[::1]x", K::InvalidBrackets),
            ("[fe80::1%eth0]", K::IpZoneNotSupported),
            ("a b:1", K::InvalidCharacter),
        ];
        for (input, kind) in cases {
            let err = input.parse::<HostWithOptPort>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
        }
    }

    #[test]
    fn conversions() {
        let h: HostWithOptPort = "example.com".parse().unwrap();
        assert_eq!(
            h.clone().with_default_port(443).to_string(),
            "example.com:443"
        );
        let h2: HostWithOptPort = "example.com:8443".parse().unwrap();
        assert_eq!(h2.clone().with_default_port(443).port(), 8443);
        assert_eq!(HostWithOptPort::from(h2.clone().with_default_port(1)), h2);
        assert_eq!(HostWithOptPort::from(h.host().clone()), h);
        assert_eq!(h2.into_parts().1, Some(8443));
    }
}
