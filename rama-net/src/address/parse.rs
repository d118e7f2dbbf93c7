//! Small parsing steps shared by the address types.

use std::net::{IpAddr, Ipv6Addr};

use super::domain::Domain;
use super::error::AddressParseErrorKind;
use super::host::Host;

/// A host as written before a port: either inside brackets or plain.
pub(super) enum HostPart<'a> {
    /// The text between `[` and `]`.
    Bracketed(&'a str),
    /// Text without brackets.
    Plain(&'a str),
}

/// Splits `host[:port]`, where an IPv6 host must be bracketed when a port follows. A bare
/// IPv6 address (more than one `:` outside brackets) is reported as
/// [`AddressParseErrorKind::MissingBrackets`].
pub(super) fn split_host_port(
    s: &str,
) -> Result<(HostPart<'_>, Option<&str>), AddressParseErrorKind> {
    if s.is_empty() {
        return Err(AddressParseErrorKind::Empty);
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or(AddressParseErrorKind::InvalidBrackets)?;
        if after.is_empty() {
            return Ok((HostPart::Bracketed(inner), None));
        }
        let port = after
            .strip_prefix(':')
            .ok_or(AddressParseErrorKind::InvalidBrackets)?;
        return Ok((HostPart::Bracketed(inner), Some(port)));
    }
    if s.contains(['[', ']']) {
        return Err(AddressParseErrorKind::InvalidBrackets);
    }
    match s.rsplit_once(':') {
        None => Ok((HostPart::Plain(s), None)),
        Some((host, _)) if host.contains(':') => Err(
            if s.parse::<Ipv6Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() {
                AddressParseErrorKind::MissingBrackets
            } else if s.contains('%') {
                AddressParseErrorKind::IpZoneNotSupported
            } else {
                AddressParseErrorKind::InvalidCharacter
            },
        ),
        Some((host, port)) => Ok((HostPart::Plain(host), Some(port))),
    }
}

/// Parses a port: 1 to 5 ASCII digits with a value of at most 65535 (0 is accepted; whether
/// port 0 makes sense is up to the user: it means "any port" when binding).
pub(super) fn parse_port(s: &str) -> Result<u16, AddressParseErrorKind> {
    if s.is_empty() {
        return Err(AddressParseErrorKind::MissingPort);
    }
    if s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressParseErrorKind::InvalidPort);
    }
    s.parse().map_err(|_| AddressParseErrorKind::InvalidPort)
}

/// Parses the text between brackets: an IPv6 address without zone.
pub(super) fn parse_bracketed_ipv6(inner: &str) -> Result<Ipv6Addr, AddressParseErrorKind> {
    if inner.contains('%') {
        return Err(AddressParseErrorKind::IpZoneNotSupported);
    }
    inner
        .parse()
        .map_err(|_| AddressParseErrorKind::InvalidBrackets)
}

/// Parses a host written without brackets: an IPv4 or IPv6 address, else a domain.
pub(super) fn parse_plain_host(s: &str) -> Result<Host, AddressParseErrorKind> {
    if s.is_empty() {
        return Err(AddressParseErrorKind::Empty);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Host::Address(ip));
    }
    if s.contains(':') {
        return Err(if s.contains('%') {
            AddressParseErrorKind::IpZoneNotSupported
        } else if s
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            AddressParseErrorKind::InvalidIp
        } else {
            AddressParseErrorKind::InvalidCharacter
        });
    }
    s.parse::<Domain>().map(Host::Name).map_err(|e| e.kind())
}

/// Parses a host part as split by [`split_host_port`].
pub(super) fn parse_host_part(part: HostPart<'_>) -> Result<Host, AddressParseErrorKind> {
    match part {
        HostPart::Bracketed(inner) => {
            parse_bracketed_ipv6(inner).map(|ip| Host::Address(ip.into()))
        }
        HostPart::Plain(s) => parse_plain_host(s),
    }
}
