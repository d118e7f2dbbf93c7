//! [`XForwardedFor`]: the de-facto `X-Forwarded-For` list of client addresses.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::error::{ForwardedParseError, ForwardedParseErrorKind};
use super::node::{NodeId, NodeName};
use super::{MAX_ELEMENTS, MAX_HEADER_LEN};

/// An `X-Forwarded-For` header value: comma-separated nodes, the original client first.
///
/// Entries are IP addresses as proxies write them: `192.0.2.1`, `2001:db8::1` (bare IPv6 is
/// the common form), `[2001:db8::1]`, optionally with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), or `unknown` and `_obfuscated` as in RFC 7239. Whitespace around
/// entries and empty entries are skipped. At most [`MAX_ELEMENTS`] entries and
/// [`MAX_HEADER_LEN`] bytes are accepted; more is an error.
///
/// [`Display`](fmt::Display) joins the nodes with `, `, writing IPv6 without brackets unless
/// a port follows.
///
/// ```
/// use rama_net::forwarded::XForwardedFor;
///
/// let xff: XForwardedFor = "203.0.113.195, 2001:db8:85a3::8a2e:370:7334, 198.51.100.178:80".parse()?;
/// assert_eq!(xff.nodes().len(), 3);
/// assert_eq!(xff.client_ip(), Some("203.0.113.195".parse()?));
/// assert_eq!(xff.nodes()[2].port(), Some(80));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct XForwardedFor {
    nodes: Vec<NodeId>,
}

impl XForwardedFor {
    /// The nodes, original client first.
    #[must_use]
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Consumes the list, giving its nodes.
    #[must_use]
    pub fn into_nodes(self) -> Vec<NodeId> {
        self.nodes
    }

    /// Appends a node (the peer of this proxy, typically).
    pub fn push(&mut self, node: impl Into<NodeId>) {
        self.nodes.push(node.into());
    }

    /// The IP address of the first node, if it is one. Only trust it when every proxy in
    /// the chain is yours.
    #[must_use]
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.nodes.first().and_then(NodeId::ip)
    }
}

impl FromStr for XForwardedFor {
    type Err = ForwardedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_HEADER_LEN {
            return Err(ForwardedParseError::new(
                ForwardedParseErrorKind::TooLong,
                s,
            ));
        }
        let mut nodes = Vec::new();
        for entry in s.split(',') {
            let entry = entry.trim_matches([' ', '\t']);
            if entry.is_empty() {
                continue;
            }
            if nodes.len() == MAX_ELEMENTS {
                return Err(ForwardedParseError::new(
                    ForwardedParseErrorKind::TooMany,
                    entry,
                ));
            }
            nodes.push(NodeId::parse_lenient(entry)?);
        }
        Ok(Self { nodes })
    }
}

impl fmt::Display for XForwardedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, node) in self.nodes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match (node.name(), node.node_port()) {
                (NodeName::Ip(IpAddr::V6(ip)), None) => ip.fmt(f)?,
                _ => node.fmt(f)?,
            }
        }
        Ok(())
    }
}

impl From<Vec<NodeId>> for XForwardedFor {
    fn from(nodes: Vec<NodeId>) -> Self {
        Self { nodes }
    }
}

impl FromIterator<NodeId> for XForwardedFor {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> Self {
        Self {
            nodes: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_table() {
        let cases: &[(&str, usize, &str)] = &[
            ("1.2.3.4", 1, "1.2.3.4"),
            (" 1.2.3.4 ,\t5.6.7.8 ", 2, "1.2.3.4, 5.6.7.8"),
            ("::1", 1, "::1"),
            ("[::1]", 1, "::1"),
            ("[::1]:80, 1.2.3.4:443", 2, "[::1]:80, 1.2.3.4:443"),
            ("unknown, _hidden", 2, "unknown, _hidden"),
            (",,1.2.3.4,,", 1, "1.2.3.4"),
            ("", 0, ""),
        ];
        for (input, n, printed) in cases {
            let xff: XForwardedFor = input.parse().unwrap();
            assert_eq!(xff.nodes().len(), *n, "{input}");
            assert_eq!(xff.to_string(), *printed, "{input}");
            assert_eq!(printed.parse::<XForwardedFor>().unwrap(), xff, "{input}");
        }
    }

    #[test]
    fn rejects_table() {
        let too_many = vec!["1.2.3.4"; MAX_ELEMENTS + 1].join(",");
        let too_long = format!("1.2.3.4,{}", " ".repeat(MAX_HEADER_LEN));
        let cases: &[(&str, ForwardedParseErrorKind)] = &[
            ("example.com", ForwardedParseErrorKind::InvalidNode),
            ("1.2.3.4 5.6.7.8", ForwardedParseErrorKind::InvalidNode),
            ("1.2.3.4:99999", ForwardedParseErrorKind::InvalidNode),
            ("fe80::1%eth0", ForwardedParseErrorKind::InvalidNode),
            ("\"1.2.3.4\"", ForwardedParseErrorKind::InvalidNode),
            (&too_many, ForwardedParseErrorKind::TooMany),
            (&too_long, ForwardedParseErrorKind::TooLong),
        ];
        for (input, kind) in cases {
            let err = input.parse::<XForwardedFor>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}");
        }
        assert_eq!(
            vec!["1.2.3.4"; MAX_ELEMENTS]
                .join(",")
                .parse::<XForwardedFor>()
                .unwrap()
                .nodes()
                .len(),
            MAX_ELEMENTS
        );
    }

    #[test]
    fn converts_to_forwarded() {
        let xff: XForwardedFor = "1.2.3.4, ::1".parse().unwrap();
        let fwd = crate::forwarded::Forwarded::from(xff);
        assert_eq!(fwd.to_string(), "for=1.2.3.4, for=\"[::1]\"");
    }
}
