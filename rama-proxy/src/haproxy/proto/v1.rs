//! The v1 (text) form: `PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\n`, at most 107 bytes.

use super::{Addresses, Command, Header, HeaderError, Transport, Version};
use std::net::{IpAddr, SocketAddr};

/// Every v1 header starts with these bytes.
pub(crate) const PREFIX: &[u8] = b"PROXY ";

/// The longest v1 header, CRLF included (the specification's worst case, TCP6).
pub const MAX_V1_LEN: usize = 107;

/// Parse a v1 header at the start of `buf` (which starts with [`PREFIX`] or a part of it).
/// `Ok(None)`: the line is not complete yet.
pub(crate) fn decode(buf: &[u8]) -> Result<Option<(Header, usize)>, HeaderError> {
    let window = &buf[..buf.len().min(MAX_V1_LEN)];
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        if buf.len() >= MAX_V1_LEN {
            return Err(HeaderError::too_large(format!(
                "v1 header without CRLF in its first {MAX_V1_LEN} bytes"
            )));
        }
        return Ok(None);
    };
    if lf == 0 || window[lf - 1] != b'\r' {
        return Err(HeaderError::malformed(
            "v1 header line ends in LF without CR",
        ));
    }
    let line = std::str::from_utf8(&window[..lf - 1])
        .map_err(|_| HeaderError::malformed("v1 header is not ASCII"))?;
    let header = parse_line(line)?;
    Ok(Some((header, lf + 1)))
}

fn parse_line(line: &str) -> Result<Header, HeaderError> {
    let mut parts = line.split(' ');
    if parts.next() != Some("PROXY") {
        return Err(HeaderError::malformed(
            "v1 header does not start with `PROXY `",
        ));
    }
    let family = parts.next().unwrap_or_default();
    let want_v4 = match family {
        // the rest of an UNKNOWN line is to be ignored
        "UNKNOWN" => {
            return Ok(Header {
                version: Version::V1,
                ..Header::unknown()
            });
        }
        "TCP4" => true,
        "TCP6" => false,
        other => {
            return Err(HeaderError::malformed(format!(
                "v1 protocol {other:?} (want TCP4, TCP6 or UNKNOWN)"
            )));
        }
    };
    let fields: Vec<&str> = parts.collect();
    let [src, dst, sport, dport] = fields[..] else {
        return Err(HeaderError::malformed(format!(
            "v1 {family} line has {} fields after the protocol (want 4: src dst sport dport)",
            fields.len()
        )));
    };
    let source = SocketAddr::new(ip(src, want_v4)?, port(sport)?);
    let destination = SocketAddr::new(ip(dst, want_v4)?, port(dport)?);
    Ok(Header {
        version: Version::V1,
        command: Command::Proxy,
        transport: Transport::Stream,
        addresses: Addresses::Ip {
            source,
            destination,
        },
        tlvs: Vec::new(),
    })
}

fn ip(text: &str, want_v4: bool) -> Result<IpAddr, HeaderError> {
    let parsed = if want_v4 {
        text.parse::<std::net::Ipv4Addr>().map(IpAddr::V4)
    } else {
        text.parse::<std::net::Ipv6Addr>().map(IpAddr::V6)
    };
    parsed.map_err(|_| {
        HeaderError::malformed(format!(
            "v1 address {text:?} is not an {} address",
            if want_v4 { "IPv4" } else { "IPv6" }
        ))
    })
}

fn port(text: &str) -> Result<u16, HeaderError> {
    let digits_only =
        !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if !digits_only || leading_zero {
        return Err(HeaderError::malformed(format!(
            "v1 port {text:?} is not a decimal port"
        )));
    }
    text.parse()
        .map_err(|_| HeaderError::malformed(format!("v1 port {text} is above 65535")))
}

/// Write `header` in v1 form.
pub(crate) fn encode(header: &Header) -> Result<Vec<u8>, HeaderError> {
    if header.command == Command::Local {
        return Err(HeaderError::unsupported("v1 has no LOCAL command"));
    }
    if !header.tlvs.is_empty() {
        return Err(HeaderError::unsupported("v1 cannot carry TLVs"));
    }
    match (&header.addresses, header.transport) {
        (Addresses::Unspecified, _) => Ok(b"PROXY UNKNOWN\r\n".to_vec()),
        (
            Addresses::Ip {
                source,
                destination,
            },
            Transport::Stream,
        ) => {
            let (src, dst) = super::same_family(*source, *destination);
            let family = if src.is_ipv4() { "TCP4" } else { "TCP6" };
            Ok(format!(
                "PROXY {family} {} {} {} {}\r\n",
                src.ip(),
                dst.ip(),
                src.port(),
                dst.port()
            )
            .into_bytes())
        }
        (Addresses::Ip { .. }, _) => Err(HeaderError::unsupported("v1 only speaks TCP")),
        (Addresses::Unix { .. }, _) => Err(HeaderError::unsupported("v1 has no UNIX addresses")),
    }
}
