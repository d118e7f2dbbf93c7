//! [`NodeId`]: who forwarded a request, as RFC 7239 section 6 writes it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use super::error::{ForwardedParseError, ForwardedParseErrorKind};
use crate::address::SocketAddress;

/// The longest obfuscated identifier accepted, including the leading `_`.
const MAX_OBFUSCATED_LEN: usize = 128;

/// An obfuscated node name or port (RFC 7239 section 6.3): `_` followed by one or more of
/// `A-Z a-z 0-9 . _ -`, at most 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObfuscatedId(Arc<str>);

impl ObfuscatedId {
    /// The identifier, with its leading `_`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_obfuscated(s: &str) -> bool {
    s.len() <= MAX_OBFUSCATED_LEN
        && s.strip_prefix('_').is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

impl FromStr for ObfuscatedId {
    type Err = ForwardedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_obfuscated(s) {
            Ok(Self(Arc::from(s)))
        } else {
            Err(ForwardedParseError::new(
                ForwardedParseErrorKind::InvalidNode,
                s,
            ))
        }
    }
}

impl fmt::Display for ObfuscatedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name part of a [`NodeId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeName {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// `unknown`: the proxy does not know or does not tell.
    Unknown,
    /// An obfuscated identifier such as `_hidden`.
    Obfuscated(ObfuscatedId),
}

/// The port part of a [`NodeId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodePort {
    /// A port number.
    Port(u16),
    /// An obfuscated port such as `_1234abc`.
    Obfuscated(ObfuscatedId),
}

/// A node of the `for` and `by` parameters (RFC 7239 section 6): an IP address, `unknown`
/// or an obfuscated `_identifier`, with an optional port (number or obfuscated).
///
/// [`FromStr`] takes the RFC form: `192.0.2.43`, `192.0.2.43:8080`, `[2001:db8::1]`,
/// `[2001:db8::1]:8080`, `unknown`, `_hidden:_port`; names are case-insensitive
/// (`UNKNOWN`). An IPv6 address must be bracketed and may not carry a `%zone`.
/// [`Display`](fmt::Display) writes the same form, so values round-trip; inside a
/// `Forwarded` header a node with `:` or `[` is quoted by [`Forwarded`](super::Forwarded)'s
/// formatter.
///
/// ```
/// use rama_net::forwarded::NodeId;
///
/// let node: NodeId = "[2001:db8:cafe::17]:4711".parse()?;
/// assert_eq!(node.ip(), Some("2001:db8:cafe::17".parse()?));
/// assert_eq!(node.port(), Some(4711));
/// assert_eq!(node.to_string(), "[2001:db8:cafe::17]:4711");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    name: NodeName,
    port: Option<NodePort>,
}

impl NodeId {
    /// A node from its parts.
    #[must_use]
    pub const fn new(name: NodeName, port: Option<NodePort>) -> Self {
        Self { name, port }
    }

    /// The `unknown` node, without port.
    #[must_use]
    pub const fn unknown() -> Self {
        Self::new(NodeName::Unknown, None)
    }

    /// The name part.
    #[must_use]
    pub const fn name(&self) -> &NodeName {
        &self.name
    }

    /// The port part, number or obfuscated.
    #[must_use]
    pub const fn node_port(&self) -> Option<&NodePort> {
        self.port.as_ref()
    }

    /// The IP address, if the name is one.
    #[must_use]
    pub const fn ip(&self) -> Option<IpAddr> {
        match self.name {
            NodeName::Ip(ip) => Some(ip),
            _ => None,
        }
    }

    /// The port number, if there is one and it is not obfuscated.
    #[must_use]
    pub const fn port(&self) -> Option<u16> {
        match self.port {
            Some(NodePort::Port(p)) => Some(p),
            _ => None,
        }
    }

    /// The socket address, if both IP address and port number are known.
    #[must_use]
    pub const fn socket_address(&self) -> Option<SocketAddress> {
        match (self.ip(), self.port()) {
            (Some(ip), Some(port)) => Some(SocketAddress::new(ip, port)),
            _ => None,
        }
    }

    /// Parses the X-Forwarded-For flavour of a node, which also accepts a bare IPv6 address
    /// (`2001:db8::1`) besides everything [`FromStr`] accepts.
    pub(super) fn parse_lenient(s: &str) -> Result<Self, ForwardedParseError> {
        if let Ok(ip) = s.parse::<Ipv6Addr>() {
            return Ok(Self::from(IpAddr::V6(ip)));
        }
        s.parse()
    }
}

fn parse_port(s: &str) -> Option<NodePort> {
    if s.starts_with('_') {
        return is_obfuscated(s).then(|| NodePort::Obfuscated(ObfuscatedId(Arc::from(s))));
    }
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().map(NodePort::Port)
}

fn parse_node(s: &str) -> Option<NodeId> {
    let (name, port) = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if inner.contains('%') {
            return None;
        }
        let ip: Ipv6Addr = inner.parse().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (NodeName::Ip(ip.into()), port)
    } else {
        let (name, port) = match s.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (s, None),
        };
        let name = if name.eq_ignore_ascii_case("unknown") {
            NodeName::Unknown
        } else if is_obfuscated(name) {
            NodeName::Obfuscated(ObfuscatedId(Arc::from(name)))
        } else {
            NodeName::Ip(name.parse::<Ipv4Addr>().ok()?.into())
        };
        (name, port)
    };
    let port = match port {
        Some(p) => Some(parse_port(p)?),
        None => None,
    };
    Some(NodeId::new(name, port))
}

impl FromStr for NodeId {
    type Err = ForwardedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_node(s)
            .ok_or_else(|| ForwardedParseError::new(ForwardedParseErrorKind::InvalidNode, s))
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(IpAddr::V4(ip)) => ip.fmt(f),
            Self::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Self::Unknown => f.write_str("unknown"),
            Self::Obfuscated(id) => id.fmt(f),
        }
    }
}

impl fmt::Display for NodePort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Port(p) => p.fmt(f),
            Self::Obfuscated(id) => id.fmt(f),
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)?;
        if let Some(port) = &self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl From<IpAddr> for NodeId {
    fn from(ip: IpAddr) -> Self {
        Self::new(NodeName::Ip(ip), None)
    }
}

impl From<SocketAddr> for NodeId {
    fn from(addr: SocketAddr) -> Self {
        Self::new(NodeName::Ip(addr.ip()), Some(NodePort::Port(addr.port())))
    }
}

impl From<SocketAddress> for NodeId {
    fn from(addr: SocketAddress) -> Self {
        Self::new(
            NodeName::Ip(addr.ip_addr()),
            Some(NodePort::Port(addr.port())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_table() {
        let good: &[(&str, Option<&str>, Option<u16>)] = &[
            ("192.0.2.43", Some("192.0.2.43"), None),
            ("192.0.2.43:47011", Some("192.0.2.43"), Some(47011)),
            ("[2001:db8:cafe::17]", Some("2001:db8:cafe::17"), None),
            (
                "[2001:db8:cafe::17]:4711",
                Some("2001:db8:cafe::17"),
                Some(4711),
            ),
            ("[::ffff:1.2.3.4]:0", Some("::ffff:1.2.3.4"), Some(0)),
            ("1.2.3.4:65535", Some("1.2.3.4"), Some(65535)),
            ("unknown", None, None),
            ("UnKnown:80", None, Some(80)),
            ("_hidden", None, None),
            ("_SEVKISEK:_a.b-c_d", None, None),
        ];
        for (input, ip, port) in good {
            let node: NodeId = input.parse().unwrap();
            assert_eq!(node.ip(), ip.map(|s| s.parse().unwrap()), "{input}");
            assert_eq!(node.port(), *port, "{input}");
            assert_eq!(node.to_string().parse::<NodeId>().unwrap(), node, "{input}");
        }
        assert_eq!("UNKNOWN".parse::<NodeId>().unwrap(), NodeId::unknown());

        for bad in [
            "",
            ":80",
            "1.2.3.4:",
            "1.2.3.4:65536",
            "1.2.3.4:080080",
            "1.2.3.4:+80",
            "1.2.3",
            "2001:db8::1",
            "[2001:db8::1",
            "[2001:db8::1]80",
            "[fe80::1%eth0]",
            "[1.2.3.4]",
            "example.com",
            "_",
            "_bad!",
            "unknown:_",
            &format!("_{}", "a".repeat(MAX_OBFUSCATED_LEN)),
        ] {
            let err = bad.parse::<NodeId>().unwrap_err();
            assert_eq!(err.kind(), ForwardedParseErrorKind::InvalidNode, "{bad}");
        }
    }

    #[test]
    fn lenient_accepts_bare_ipv6() {
        let node = NodeId::parse_lenient("2001:db8::1").unwrap();
        assert_eq!(node.ip(), Some("2001:db8::1".parse().unwrap()));
        assert!(NodeId::parse_lenient("fe80::1%1").is_err());
    }
}
