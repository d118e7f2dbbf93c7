//! The header of a relayed UDP datagram (RFC 1928 §7):
//! `RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA`.

use super::address;
use super::error::{ProtocolError, truncated};
use rama_net::address::Authority;

/// The header in front of every datagram between a client and the UDP relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpHeader {
    /// The fragment number; 0 for a whole datagram. Relays that do not reassemble (this
    /// crate's) drop datagrams whose `FRAG` is not 0.
    pub frag: u8,
    /// To the relay: where the datagram goes; from the relay: where it came from.
    pub destination: Authority,
}

impl UdpHeader {
    /// Appends the header (the payload follows it).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0, 0, self.frag]);
        address::encode(&self.destination, out);
    }

    /// Decodes the header at the start of a datagram; returns it and its length, so the
    /// payload is `&datagram[len..]`. The reserved bytes are not checked.
    ///
    /// # Errors
    ///
    /// A truncated header, an unknown address type, an invalid name.
    pub fn decode(datagram: &[u8]) -> Result<(Self, usize), ProtocolError> {
        let frag = *datagram.get(2).ok_or_else(truncated)?;
        let (destination, used) = address::decode(&datagram[3..])?;
        Ok((Self { frag, destination }, 3 + used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_table() {
        let cases: [(&[u8], u8, &str, &[u8]); 3] = [
            (
                &[0, 0, 0, 1, 127, 0, 0, 1, 0, 53, b'h', b'i'],
                0,
                "127.0.0.1:53",
                b"hi",
            ),
            (b"\x00\x00\x01\x03\x04a.bc\x00\x07", 1, "a.bc:7", b""),
            (
                &[
                    0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 9, 1,
                ],
                0,
                "[::1]:9",
                &[1],
            ),
        ];
        for (wire, frag, dest, payload) in cases {
            let (h, len) = UdpHeader::decode(wire).unwrap();
            assert_eq!((h.frag, h.destination.to_string()), (frag, dest.to_owned()));
            assert_eq!(&wire[len..], payload);
            let mut out = Vec::new();
            h.encode(&mut out);
            assert_eq!(out, &wire[..len]);
        }
        for bad in [
            &[][..],
            &[0, 0],
            &[0, 0, 0],
            &[0, 0, 0, 9, 1, 2],
            &[0, 0, 0, 1, 127],
        ] {
            assert!(UdpHeader::decode(bad).is_err(), "{bad:?}");
        }
    }
}
