//! The error returned when an address, host, domain or port does not parse.

use std::fmt;

/// The longest part of a rejected input that an error message repeats.
const MAX_QUOTED_INPUT: usize = 64;

/// What was being parsed when an [`AddressParseError`] occurred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressKind {
    /// A [`Domain`](super::Domain).
    Domain,
    /// A [`Host`](super::Host).
    Host,
    /// An [`Authority`](super::Authority) (`host:port`).
    Authority,
    /// A [`SocketAddress`](super::SocketAddress) (`ip:port`).
    SocketAddress,
    /// A [`HostWithOptPort`](super::HostWithOptPort) (`host[:port]`).
    HostWithOptPort,
}

impl AddressKind {
    const fn name(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Host => "host",
            Self::Authority => "authority",
            Self::SocketAddress => "socket address",
            Self::HostWithOptPort => "host with optional port",
        }
    }
}

/// Why an input was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressParseErrorKind {
    /// The input is empty.
    Empty,
    /// The input (or the domain after IDNA conversion) is longer than allowed.
    TooLong,
    /// A domain label is empty (`a..b`, a leading dot, or only a dot).
    EmptyLabel,
    /// A domain label is longer than 63 bytes.
    LabelTooLong,
    /// A domain label holds a character other than `a-z`, `0-9`, `-` and `_`.
    InvalidCharacter,
    /// A domain label starts or ends with `-`.
    InvalidHyphen,
    /// The last label of a name is numeric, so resolvers may read it as an IPv4 address.
    NumericName,
    /// The IDNA (UTS 46) conversion to ASCII failed.
    Idna,
    /// An IP address does not parse.
    InvalidIp,
    /// An IPv6 address carries a `%zone` identifier, which rama does not support.
    IpZoneNotSupported,
    /// An IPv6 address appears without the `[` `]` it needs before a port.
    MissingBrackets,
    /// Brackets are unbalanced or hold something other than an IPv6 address.
    InvalidBrackets,
    /// The port is missing.
    MissingPort,
    /// The port is not a decimal number from 0 to 65535.
    InvalidPort,
    /// A host name was given where an IP address is required.
    NotAnIpAddress,
}

impl AddressParseErrorKind {
    const fn reason(self) -> &'static str {
        match self {
            Self::Empty => "input is empty",
            Self::TooLong => "too long (a name has at most 253 bytes)",
            Self::EmptyLabel => "contains an empty label",
            Self::LabelTooLong => "a label is longer than 63 bytes",
            Self::InvalidCharacter => "a label holds a character other than a-z, 0-9, '-' or '_'",
            Self::InvalidHyphen => "a label starts or ends with '-'",
            Self::NumericName => "the last label is numeric, which reads as an IPv4 address",
            Self::Idna => "IDNA (UTS 46) conversion failed",
            Self::InvalidIp => "not a valid IP address",
            Self::IpZoneNotSupported => "IPv6 zone identifiers (%zone) are not supported",
            Self::MissingBrackets => "an IPv6 address needs brackets: [addr]:port",
            Self::InvalidBrackets => "brackets must hold exactly one IPv6 address",
            Self::MissingPort => "the port is missing",
            Self::InvalidPort => "the port is not a number from 0 to 65535",
            Self::NotAnIpAddress => "expected an IP address, found a name",
        }
    }
}

/// The error returned when a [`Domain`](super::Domain), [`Host`](super::Host),
/// [`Authority`](super::Authority), [`SocketAddress`](super::SocketAddress) or
/// [`HostWithOptPort`](super::HostWithOptPort) does not parse.
///
/// The message names what was parsed, the rejected input (escaped, at most 64 characters)
/// and the reason; the exact text is not API, match on [`kind`](Self::kind) instead.
///
/// ```
/// use rama_net::address::{AddressParseErrorKind, Authority};
///
/// let err = "example.com".parse::<Authority>().unwrap_err();
/// assert_eq!(err.kind(), AddressParseErrorKind::MissingPort);
/// assert_eq!(
///     err.to_string(),
///     "invalid authority \"example.com\": the port is missing",
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AddressParseError {
    what: AddressKind,
    kind: AddressParseErrorKind,
    input: String,
}

/// The error returned when a [`Domain`](super::Domain) does not parse.
///
/// An alias: every address type shares [`AddressParseError`], so the error of a domain inside
/// an authority needs no conversion.
pub type DomainParseError = AddressParseError;

impl AddressParseError {
    pub(crate) fn new(what: AddressKind, kind: AddressParseErrorKind, input: &str) -> Self {
        let mut quoted = String::new();
        for (n, c) in input.chars().enumerate() {
            if n == MAX_QUOTED_INPUT {
                quoted.push_str("...");
                break;
            }
            quoted.extend(c.escape_debug());
        }
        Self {
            what,
            kind,
            input: quoted,
        }
    }

    /// Why the input was rejected.
    #[must_use]
    pub const fn kind(&self) -> AddressParseErrorKind {
        self.kind
    }

    /// What was being parsed.
    #[must_use]
    pub const fn parsed(&self) -> AddressKind {
        self.what
    }
}

impl fmt::Display for AddressParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} \"{}\": {}",
            self.what.name(),
            self.input,
            self.kind.reason()
        )
    }
}

impl fmt::Debug for AddressParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressParseError")
            .field("what", &self.what)
            .field("kind", &self.kind)
            .field("input", &self.input)
            .finish()
    }
}

impl std::error::Error for AddressParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_escapes_and_truncates_input() {
        let long = "a".repeat(100);
        let err =
            AddressParseError::new(AddressKind::Domain, AddressParseErrorKind::TooLong, &long);
        let text = err.to_string();
        assert!(text.starts_with(&format!("invalid domain \"{}...\"", "a".repeat(64))));

        let err = AddressParseError::new(
            AddressKind::Host,
            AddressParseErrorKind::InvalidCharacter,
            "a\nb\"",
        );
        assert_eq!(
            err.to_string(),
            "invalid host \"a\\nb\\\"\": a label holds a character other than a-z, 0-9, '-' or '_'"
        );
    }
}
