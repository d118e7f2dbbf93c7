//! The v2 (binary) form: a 16-byte head (signature, version and command, family and
//! transport, length) then the address block and TLVs.

use super::tlv::{self, kind};
use super::{Addresses, Command, Header, HeaderError, Transport, Version, crc32c};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// Every v2 header starts with these 12 bytes.
pub const SIGNATURE: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

/// The fixed part: signature, version/command, family/transport, length.
pub(crate) const HEAD_LEN: usize = 16;

/// The default bound on the length field (bytes after the 16-byte head): room for
/// addresses and a generous set of TLVs; the field itself allows 65535.
pub const DEFAULT_MAX_V2_PAYLOAD: u16 = 4096;

const INET_LEN: usize = 12;
const INET6_LEN: usize = 36;
/// Bytes of one `sun_path`.
pub const UNIX_PATH_LEN: usize = 108;
const UNIX_LEN: usize = 2 * UNIX_PATH_LEN;

/// Parse a v2 header at the start of `buf` (which starts with [`SIGNATURE`]).
/// `Ok(None)`: not all of it has arrived.
pub(crate) fn decode(buf: &[u8], max_payload: u16) -> Result<Option<(Header, usize)>, HeaderError> {
    let Some(head) = buf.get(..HEAD_LEN) else {
        return Ok(None);
    };
    let ver_cmd = head[12];
    if ver_cmd >> 4 != 2 {
        return Err(HeaderError::malformed(format!(
            "v2 version nibble is {} (must be 2)",
            ver_cmd >> 4
        )));
    }
    let command = match ver_cmd & 0x0F {
        0 => Command::Local,
        1 => Command::Proxy,
        other => {
            return Err(HeaderError::malformed(format!(
                "v2 command {other} (must be 0 or 1)"
            )));
        }
    };
    let fam = head[13];
    let transport = match fam & 0x0F {
        0 => Transport::Unspecified,
        1 => Transport::Stream,
        2 => Transport::Datagram,
        other => {
            return Err(HeaderError::malformed(format!(
                "v2 transport {other} (must be 0, 1 or 2)"
            )));
        }
    };
    let payload_len = u16::from_be_bytes([head[14], head[15]]);
    if payload_len > max_payload {
        return Err(HeaderError::too_large(format!(
            "v2 header announces {payload_len} bytes after its head (limit {max_payload})"
        )));
    }
    let total = HEAD_LEN + usize::from(payload_len);
    let Some(payload) = buf.get(HEAD_LEN..total) else {
        return Ok(None);
    };
    let addr_len = match fam >> 4 {
        0 => 0,
        1 => INET_LEN,
        2 => INET6_LEN,
        3 => UNIX_LEN,
        other => {
            return Err(HeaderError::malformed(format!(
                "v2 address family {other} (must be 0 to 3)"
            )));
        }
    };
    if payload.len() < addr_len {
        return Err(HeaderError::malformed(format!(
            "v2 length {} is too short for its address block of {addr_len} bytes",
            payload.len()
        )));
    }
    let (addr, tlv_bytes) = payload.split_at(addr_len);
    let addresses = match fam >> 4 {
        1 => Addresses::Ip {
            source: SocketAddr::new(Ipv4Addr::from(be4(&addr[0..4])).into(), be2(&addr[8..10])),
            destination: SocketAddr::new(
                Ipv4Addr::from(be4(&addr[4..8])).into(),
                be2(&addr[10..12]),
            ),
        },
        2 => Addresses::Ip {
            source: SocketAddr::new(
                Ipv6Addr::from(be16(&addr[0..16])).into(),
                be2(&addr[32..34]),
            ),
            destination: SocketAddr::new(
                Ipv6Addr::from(be16(&addr[16..32])).into(),
                be2(&addr[34..36]),
            ),
        },
        3 => Addresses::Unix {
            source: addr[..UNIX_PATH_LEN].to_vec(),
            destination: addr[UNIX_PATH_LEN..].to_vec(),
        },
        _ => Addresses::Unspecified,
    };
    let tlvs = tlv::parse_tlvs(tlv_bytes)?;
    verify_crc(&buf[..total], addr_len, &tlvs)?;
    Ok(Some((
        Header {
            version: Version::V2,
            command,
            transport,
            addresses,
            tlvs,
        },
        total,
    )))
}

fn be2(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be4(b: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    out.copy_from_slice(b);
    out
}

fn be16(b: &[u8]) -> [u8; 16] {
    let mut out = [0; 16];
    out.copy_from_slice(b);
    out
}

/// The offset of the first CRC32C TLV's value within the header, if any.
fn crc_value_offset(header: &[u8], addr_len: usize) -> Option<usize> {
    let mut at = HEAD_LEN + addr_len;
    while at + 3 <= header.len() {
        let len = usize::from(be2(&header[at + 1..at + 3]));
        if header[at] == kind::CRC32C {
            return Some(at + 3);
        }
        at += 3 + len;
    }
    None
}

fn verify_crc(header: &[u8], addr_len: usize, tlvs: &[tlv::Tlv]) -> Result<(), HeaderError> {
    let Some(sent) = tlvs.iter().find(|t| t.kind == kind::CRC32C) else {
        return Ok(());
    };
    let Some(at) = crc_value_offset(header, addr_len) else {
        return Ok(());
    };
    let mut copy = header.to_vec();
    copy[at..at + 4].fill(0);
    let computed = crc32c(&copy);
    let sent = u32::from_be_bytes(be4(&sent.value));
    if computed != sent {
        return Err(HeaderError::checksum(format!(
            "v2 CRC32C mismatch: header says {sent:#010x}, bytes give {computed:#010x}"
        )));
    }
    Ok(())
}

/// Write `header` in v2 form; a CRC32C TLV in it gets the checksum of the result.
pub(crate) fn encode(header: &Header) -> Result<Vec<u8>, HeaderError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&SIGNATURE);
    out.push(
        0x20 | match header.command {
            Command::Local => 0,
            Command::Proxy => 1,
        },
    );
    let transport = match header.transport {
        Transport::Unspecified => 0,
        Transport::Stream => 1,
        Transport::Datagram => 2,
    };
    let (family, addr_len) = match &header.addresses {
        Addresses::Unspecified => (0u8, 0),
        Addresses::Ip {
            source,
            destination,
        } => {
            let (src, _) = super::same_family(*source, *destination);
            if src.is_ipv4() {
                (1, INET_LEN)
            } else {
                (2, INET6_LEN)
            }
        }
        Addresses::Unix { .. } => (3, UNIX_LEN),
    };
    out.push((family << 4) | transport);
    out.extend_from_slice(&[0, 0]); // length, filled below
    match &header.addresses {
        Addresses::Unspecified => {}
        Addresses::Ip {
            source,
            destination,
        } => {
            let (src, dst) = super::same_family(*source, *destination);
            match (src.ip(), dst.ip()) {
                (std::net::IpAddr::V4(s), std::net::IpAddr::V4(d)) => {
                    out.extend_from_slice(&s.octets());
                    out.extend_from_slice(&d.octets());
                }
                (s, d) => {
                    out.extend_from_slice(&to_v6(s).octets());
                    out.extend_from_slice(&to_v6(d).octets());
                }
            }
            out.extend_from_slice(&src.port().to_be_bytes());
            out.extend_from_slice(&dst.port().to_be_bytes());
        }
        Addresses::Unix {
            source,
            destination,
        } => {
            for path in [source, destination] {
                if path.len() > UNIX_PATH_LEN {
                    return Err(HeaderError::too_large(format!(
                        "UNIX path of {} bytes (at most {UNIX_PATH_LEN})",
                        path.len()
                    )));
                }
                out.extend_from_slice(path);
                out.resize(out.len() + UNIX_PATH_LEN - path.len(), 0);
            }
        }
    }
    tlv::write_tlvs(&header.tlvs, &mut out)?;
    let payload = u16::try_from(out.len() - HEAD_LEN).map_err(|_| {
        HeaderError::too_large(format!(
            "v2 header of {} bytes after its head (at most 65535)",
            out.len() - HEAD_LEN
        ))
    })?;
    out[14..16].copy_from_slice(&payload.to_be_bytes());
    if let Some(at) = crc_value_offset(&out, addr_len) {
        out[at..at + 4].fill(0);
        let crc = crc32c(&out);
        out[at..at + 4].copy_from_slice(&crc.to_be_bytes());
    }
    Ok(out)
}

fn to_v6(ip: std::net::IpAddr) -> Ipv6Addr {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    }
}
