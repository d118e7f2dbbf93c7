//! [`ForwardedElement`]: one hop of a `Forwarded` header.

use std::fmt;

use super::node::NodeId;
use crate::address::HostWithOptPort;
use crate::protocol::Protocol;

/// One element of a `Forwarded` header (RFC 7239 section 4): what one proxy saw.
///
/// `for` is the node that sent the request to the proxy, `by` the proxy's own interface,
/// `host` the `Host` it received and `proto` the protocol it was received over. Parameters
/// RFC 7239 does not define are kept, in order, as [`extensions`](Self::extensions), with
/// their names lowercased, so that parsing and printing loses nothing.
///
/// An element with no parameter prints as nothing; the parser skips empty list members, so
/// such an element does not survive a round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ForwardedElement {
    pub(super) for_node: Option<NodeId>,
    pub(super) by_node: Option<NodeId>,
    pub(super) host: Option<HostWithOptPort>,
    pub(super) proto: Option<Protocol>,
    pub(super) extensions: Vec<(String, String)>,
}

impl ForwardedElement {
    /// An element with only `for` set.
    #[must_use]
    pub fn new_for(node: impl Into<NodeId>) -> Self {
        Self {
            for_node: Some(node.into()),
            ..Self::default()
        }
    }

    /// The `for` node: the client (or previous proxy) the request came from.
    #[must_use]
    pub const fn for_node(&self) -> Option<&NodeId> {
        self.for_node.as_ref()
    }

    /// The `by` node: the interface where the proxy received the request.
    #[must_use]
    pub const fn by_node(&self) -> Option<&NodeId> {
        self.by_node.as_ref()
    }

    /// The `host` the proxy received.
    #[must_use]
    pub const fn host(&self) -> Option<&HostWithOptPort> {
        self.host.as_ref()
    }

    /// The `proto` the request was received over.
    #[must_use]
    pub const fn proto(&self) -> Option<&Protocol> {
        self.proto.as_ref()
    }

    /// Parameters other than `for`, `by`, `host` and `proto`: lowercase name and unquoted
    /// value, in the order they appeared.
    #[must_use]
    pub fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }

    /// Sets `for`.
    #[must_use]
    pub fn with_for(mut self, node: impl Into<NodeId>) -> Self {
        self.for_node = Some(node.into());
        self
    }

    /// Sets `by`.
    #[must_use]
    pub fn with_by(mut self, node: impl Into<NodeId>) -> Self {
        self.by_node = Some(node.into());
        self
    }

    /// Sets `host`.
    #[must_use]
    pub fn with_host(mut self, host: impl Into<HostWithOptPort>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Sets `proto`.
    #[must_use]
    pub fn with_proto(mut self, proto: Protocol) -> Self {
        self.proto = Some(proto);
        self
    }

    /// Whether no parameter is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.for_node.is_none()
            && self.by_node.is_none()
            && self.host.is_none()
            && self.proto.is_none()
            && self.extensions.is_empty()
    }
}

/// Whether `b` is a `tchar` (RFC 9110 section 5.6.2).
pub(super) const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Writes `value` as a token when it is one, else as a quoted string.
fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    if !value.is_empty() && value.bytes().all(is_tchar) {
        return f.write_str(value);
    }
    f.write_str("\"")?;
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for ForwardedElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        let mut pair = |f: &mut fmt::Formatter<'_>, name: &str, value: &str| {
            write!(f, "{sep}{name}=")?;
            sep = ";";
            write_value(f, value)
        };
        if let Some(node) = &self.for_node {
            pair(f, "for", &node.to_string())?;
        }
        if let Some(node) = &self.by_node {
            pair(f, "by", &node.to_string())?;
        }
        if let Some(host) = &self.host {
            pair(f, "host", &host.to_string())?;
        }
        if let Some(proto) = &self.proto {
            pair(f, "proto", proto.as_str())?;
        }
        for (name, value) in &self.extensions {
            pair(f, name, value)?;
        }
        Ok(())
    }
}
