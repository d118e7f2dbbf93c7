//! The PROXY protocol's wire format (haproxy's `proxy-protocol.txt`): [`decode`] a v1 or v2
//! header from the first bytes of a stream, [`encode`] a [`Header`] in either version.
//!
//! [`decode`] never reads past the header: it says how many bytes the header took, and
//! the bytes after it belong to the application. It tells an incomplete header (read more)
//! from bytes that are not the PROXY protocol at all (optional mode: pass them on) and from
//! a malformed one (refuse the connection).
//!
//! ```
//! use rama_proxy::haproxy::proto::{Decoded, decode};
//!
//! let bytes = b"PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\nGET / HTTP/1.1\r\n";
//! let Decoded::Header { header, len } = decode(bytes)? else { unreachable!() };
//! assert_eq!(header.source(), Some("192.0.2.1:5000".parse()?));
//! assert!(bytes[len..].starts_with(b"GET /"));
//!
//! assert_eq!(decode(b"PROXY TCP4 192.0")?, Decoded::Incomplete);
//! assert_eq!(decode(b"GET / HTTP/1.1\r\n")?, Decoded::NotProxyProtocol);
//! assert!(decode(b"PROXY TCP9 x\r\n").unwrap_err().is_malformed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod crc32c;
mod error;
mod header;
mod tlv;
mod v1;
mod v2;

pub use crc32c::crc32c;
pub use error::HeaderError;
pub use header::{Addresses, Command, Header, Transport, Version};
pub use tlv::{MAX_UNIQUE_ID_LEN, SslInfo, Tlv, kind};
pub use v1::MAX_V1_LEN;
pub use v2::{DEFAULT_MAX_V2_PAYLOAD, SIGNATURE, UNIX_PATH_LEN};

use std::net::SocketAddr;

/// The outcome of [`decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete header, which took the first `len` bytes.
    Header {
        /// The header.
        header: Header,
        /// How many bytes it took; what follows is application data.
        len: usize,
    },
    /// The bytes so far are the start of a header: read more.
    Incomplete,
    /// The bytes cannot start a PROXY protocol header.
    NotProxyProtocol,
}

/// Decode a v1 or v2 header at the start of `buf`, with the v2 length field bounded by
/// [`DEFAULT_MAX_V2_PAYLOAD`].
///
/// # Errors
///
/// When the bytes start like a header but break the grammar, exceed the size limits, or
/// fail their CRC32C check.
pub fn decode(buf: &[u8]) -> Result<Decoded, HeaderError> {
    decode_with_limit(buf, DEFAULT_MAX_V2_PAYLOAD)
}

/// [`decode`] with the largest accepted v2 length field (bytes after the 16-byte head).
///
/// # Errors
///
/// As [`decode`].
pub fn decode_with_limit(buf: &[u8], max_v2_payload: u16) -> Result<Decoded, HeaderError> {
    let found = if starts_like(buf, &v2::SIGNATURE) {
        if buf.len() < v2::SIGNATURE.len() {
            return Ok(Decoded::Incomplete);
        }
        v2::decode(buf, max_v2_payload)?
    } else if starts_like(buf, v1::PREFIX) {
        if buf.len() < v1::PREFIX.len() {
            return Ok(Decoded::Incomplete);
        }
        v1::decode(buf)?
    } else {
        return Ok(Decoded::NotProxyProtocol);
    };
    Ok(match found {
        Some((header, len)) => Decoded::Header { header, len },
        None => Decoded::Incomplete,
    })
}

/// `buf` and `prefix` agree on their common length (an empty `buf` agrees with anything).
fn starts_like(buf: &[u8], prefix: &[u8]) -> bool {
    let n = buf.len().min(prefix.len());
    buf[..n] == prefix[..n]
}

/// Encode `header` in `version`.
///
/// v2 writes every field; a [`kind::CRC32C`] TLV in the header is filled in with the
/// checksum of the bytes written. v1 writes TCP over IPv4/IPv6 or `UNKNOWN`.
///
/// # Errors
///
/// When v1 is asked for something it cannot say (LOCAL, UDP, UNIX, TLVs), or a v2 header
/// would exceed 65535 bytes after its head.
pub fn encode(header: &Header, version: Version) -> Result<Vec<u8>, HeaderError> {
    match version {
        Version::V1 => v1::encode(header),
        Version::V2 => v2::encode(header),
    }
}

/// Both addresses in one family: an IPv4 address next to an IPv6 one becomes IPv4-mapped.
fn same_family(source: SocketAddr, destination: SocketAddr) -> (SocketAddr, SocketAddr) {
    match (source, destination) {
        (SocketAddr::V4(_), SocketAddr::V4(_)) | (SocketAddr::V6(_), SocketAddr::V6(_)) => {
            (source, destination)
        }
        _ => (mapped(source), mapped(destination)),
    }
}

fn mapped(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) => SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port()),
        SocketAddr::V6(_) => addr,
    }
}

#[cfg(test)]
mod tests;
