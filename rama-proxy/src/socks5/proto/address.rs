//! The address field shared by requests, replies and UDP datagrams: `ATYP`, `DST.ADDR`,
//! `DST.PORT` (RFC 1928 §4, §5), as an [`Authority`].

use super::error::{ProtocolError, ProtocolErrorKind, ReadError, truncated};
use rama_net::address::{Authority, Host};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use tokio::io::{AsyncRead, AsyncReadExt};

/// `ATYP` for an IPv4 address (4 bytes).
pub const ATYP_IPV4: u8 = 0x01;
/// `ATYP` for a domain name (a length byte, then 1..=255 bytes).
pub const ATYP_DOMAIN: u8 = 0x03;
/// `ATYP` for an IPv6 address (16 bytes).
pub const ATYP_IPV6: u8 = 0x04;

/// The encoded length of `authority`'s address field (`ATYP` through `PORT`).
#[must_use]
pub fn encoded_len(authority: &Authority) -> usize {
    1 + match authority.host() {
        Host::Address(IpAddr::V4(_)) => 4,
        Host::Address(IpAddr::V6(_)) => 16,
        Host::Name(d) => 1 + d.as_str().len(),
    } + 2
}

/// Appends `ATYP ADDR PORT` for `authority`: a name as a domain (a [`Domain`] is at most
/// 253 bytes, so it always fits), an IP address as IPv4 or IPv6.
///
/// [`Domain`]: rama_net::address::Domain
pub fn encode(authority: &Authority, out: &mut Vec<u8>) {
    match authority.host() {
        Host::Address(IpAddr::V4(ip)) => {
            out.push(ATYP_IPV4);
            out.extend_from_slice(&ip.octets());
        }
        Host::Address(IpAddr::V6(ip)) => {
            out.push(ATYP_IPV6);
            out.extend_from_slice(&ip.octets());
        }
        Host::Name(domain) => {
            let name = domain.as_str().as_bytes();
            out.push(ATYP_DOMAIN);
            // a Domain is at most 253 bytes; the cap only guards the cast
            out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&name[..name.len().min(255)]);
        }
    }
    out.extend_from_slice(&authority.port().to_be_bytes());
}

/// How many bytes the address field starting with `atyp` takes in total, given the byte
/// after `atyp` (the domain length; ignored for IP addresses).
///
/// # Errors
///
/// An unknown address type.
pub fn field_len(atyp: u8, first: u8) -> Result<usize, ProtocolError> {
    match atyp {
        ATYP_IPV4 => Ok(1 + 4 + 2),
        ATYP_IPV6 => Ok(1 + 16 + 2),
        ATYP_DOMAIN => Ok(1 + 1 + usize::from(first) + 2),
        other => Err(ProtocolError::new(ProtocolErrorKind::UnknownAddressType(
            other,
        ))),
    }
}

/// Reads `ATYP ADDR PORT` from `stream`, exactly as many bytes as the field takes.
///
/// # Errors
///
/// I/O errors (`UnexpectedEof` when the stream ends early) and the errors of [`decode`].
pub async fn read_from<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Authority, ReadError> {
    let atyp = stream.read_u8().await?;
    field_len(atyp, 0)?; // an unknown type fails before anything more is read
    let head = [atyp, stream.read_u8().await?];
    let len = field_len(head[0], head[1])?;
    let mut buf = vec![0u8; len];
    buf[..2].copy_from_slice(&head);
    stream.read_exact(&mut buf[2..]).await?;
    Ok(decode(&buf)?.0)
}

/// Decodes `ATYP ADDR PORT` from the start of `buf`; returns the authority and the number
/// of bytes used. A domain field holding an IP literal (`"127.0.0.1"`) becomes an IP host.
///
/// # Errors
///
/// Truncated input, an unknown address type, an empty or invalid domain name.
pub fn decode(buf: &[u8]) -> Result<(Authority, usize), ProtocolError> {
    let (&atyp, rest) = buf.split_first().ok_or_else(truncated)?;
    // the whole field must be there before its contents are judged (as a stream reader
    // would see it)
    if buf.len() < field_len(atyp, rest.first().copied().unwrap_or(0))? {
        return Err(truncated());
    }
    let (host, used): (Host, usize) = match atyp {
        ATYP_IPV4 => {
            let octets: [u8; 4] = rest
                .get(..4)
                .ok_or_else(truncated)?
                .try_into()
                .map_err(|_| truncated())?;
            (Ipv4Addr::from(octets).into(), 4)
        }
        ATYP_IPV6 => {
            let octets: [u8; 16] = rest
                .get(..16)
                .ok_or_else(truncated)?
                .try_into()
                .map_err(|_| truncated())?;
            (Ipv6Addr::from(octets).into(), 16)
        }
        ATYP_DOMAIN => {
            let len = usize::from(*rest.first().ok_or_else(truncated)?);
            let name = rest.get(1..1 + len).ok_or_else(truncated)?;
            if len == 0 {
                return Err(ProtocolError::new(ProtocolErrorKind::EmptyDomain));
            }
            let invalid = || ProtocolError::new(ProtocolErrorKind::InvalidDomain);
            let name = std::str::from_utf8(name).map_err(|_| invalid())?;
            (name.parse::<Host>().map_err(|_| invalid())?, 1 + len)
        }
        other => {
            return Err(ProtocolError::new(ProtocolErrorKind::UnknownAddressType(
                other,
            )));
        }
    };
    let port = rest.get(used..used + 2).ok_or_else(truncated)?;
    let port = u16::from_be_bytes([port[0], port[1]]);
    Ok((Authority::new(host, port), 1 + used + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_table() {
        let cases: [(&str, &[u8]); 4] = [
            ("127.0.0.1:80", &[1, 127, 0, 0, 1, 0, 80]),
            (
                "[::1]:443",
                &[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187],
            ),
            ("example.com:443", b"\x03\x0bexample.com\x01\xbb"),
            ("a.b:1", b"\x03\x03a.b\x00\x01"),
        ];
        for (text, wire) in cases {
            let authority: Authority = text.parse().unwrap();
            let mut out = Vec::new();
            encode(&authority, &mut out);
            assert_eq!(out, wire, "{text}");
            assert_eq!(encoded_len(&authority), wire.len(), "{text}");
            let mut extra = wire.to_vec();
            extra.extend_from_slice(b"tail");
            assert_eq!(decode(&extra).unwrap(), (authority, wire.len()), "{text}");
            for cut in 0..wire.len() {
                assert!(
                    decode(&wire[..cut]).unwrap_err().is_truncated(),
                    "{text} cut {cut}"
                );
            }
        }
    }

    #[test]
    fn bad_inputs() {
        let cases: [(&[u8], ProtocolErrorKind); 5] = [
            (
                &[9, 1, 2, 3, 4, 0, 80],
                ProtocolErrorKind::UnknownAddressType(9),
            ),
            (&[0], ProtocolErrorKind::UnknownAddressType(0)),
            (b"\x03\x00\x00\x50", ProtocolErrorKind::EmptyDomain),
            (b"\x03\x03a b\x00\x50", ProtocolErrorKind::InvalidDomain),
            (
                b"\x03\x02\xff\xfe\x00\x50",
                ProtocolErrorKind::InvalidDomain,
            ),
        ];
        for (wire, kind) in cases {
            assert_eq!(decode(wire).unwrap_err().kind(), kind, "{wire:?}");
        }
        // an IP literal sent as a name is an IP host
        let (a, _) = decode(b"\x03\x0810.0.0.1\x00\x50").unwrap();
        assert_eq!(a.host().as_ip(), Some("10.0.0.1".parse().unwrap()));
    }
}
