//! The server's reply (RFC 1928 §6): `05 REP 00 ATYP BND.ADDR BND.PORT`, with every reply
//! code as a [`ReplyCode`].

use super::error::{ProtocolError, ReadError, truncated};
use super::{SOCKS5_VERSION, address, check_version};
use rama_net::address::Authority;
use std::fmt;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The `REP` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyCode {
    /// `0`: succeeded.
    Succeeded,
    /// `1`: general SOCKS server failure.
    GeneralFailure,
    /// `2`: connection not allowed by ruleset.
    NotAllowed,
    /// `3`: network unreachable.
    NetworkUnreachable,
    /// `4`: host unreachable (also: the name does not resolve).
    HostUnreachable,
    /// `5`: connection refused.
    ConnectionRefused,
    /// `6`: TTL expired (also: the connect timed out).
    TtlExpired,
    /// `7`: command not supported.
    CommandNotSupported,
    /// `8`: address type not supported.
    AddressTypeNotSupported,
    /// `9..=255`: unassigned.
    Unassigned(u8),
}

impl ReplyCode {
    /// The code's byte.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Succeeded => 0,
            Self::GeneralFailure => 1,
            Self::NotAllowed => 2,
            Self::NetworkUnreachable => 3,
            Self::HostUnreachable => 4,
            Self::ConnectionRefused => 5,
            Self::TtlExpired => 6,
            Self::CommandNotSupported => 7,
            Self::AddressTypeNotSupported => 8,
            Self::Unassigned(b) => b,
        }
    }

    /// The code for a byte.
    #[must_use]
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0 => Self::Succeeded,
            1 => Self::GeneralFailure,
            2 => Self::NotAllowed,
            3 => Self::NetworkUnreachable,
            4 => Self::HostUnreachable,
            5 => Self::ConnectionRefused,
            6 => Self::TtlExpired,
            7 => Self::CommandNotSupported,
            8 => Self::AddressTypeNotSupported,
            other => Self::Unassigned(other),
        }
    }

    /// The code in words, as RFC 1928 names it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::GeneralFailure => "general SOCKS server failure",
            Self::NotAllowed => "connection not allowed by ruleset",
            Self::NetworkUnreachable => "network unreachable",
            Self::HostUnreachable => "host unreachable",
            Self::ConnectionRefused => "connection refused",
            Self::TtlExpired => "TTL expired",
            Self::CommandNotSupported => "command not supported",
            Self::AddressTypeNotSupported => "address type not supported",
            Self::Unassigned(_) => "unassigned reply code",
        }
    }
}

/// `connection refused (reply 5)`.
impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (reply {})", self.as_str(), self.to_byte())
    }
}

/// A reply: its code and the bound address (for CONNECT the server's local end of the
/// upstream connection; for BIND the listening address, then the peer's; for UDP
/// ASSOCIATE the relay's address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The outcome.
    pub code: ReplyCode,
    /// `BND.ADDR:BND.PORT`.
    pub bound: Authority,
}

impl Reply {
    /// A failure reply with the all-zero IPv4 address, as servers send when there is no
    /// bound address to report.
    #[must_use]
    pub fn failure(code: ReplyCode) -> Self {
        Self {
            code,
            bound: Authority::from((std::net::Ipv4Addr::UNSPECIFIED, 0u16)),
        }
    }

    /// Appends the reply.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[SOCKS5_VERSION, self.code.to_byte(), 0x00]);
        address::encode(&self.bound, out);
    }

    /// The reply's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + address::encoded_len(&self.bound));
        self.encode(&mut out);
        out
    }

    /// Decodes a reply from the start of `buf`; returns it and the bytes used.
    ///
    /// # Errors
    ///
    /// Truncated input, a version other than 5, an unknown address type, an invalid name.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), ProtocolError> {
        check_version(*buf.first().ok_or_else(truncated)?, SOCKS5_VERSION)?;
        let code = ReplyCode::from_byte(*buf.get(1).ok_or_else(truncated)?);
        let (bound, used) = address::decode(buf.get(3..).ok_or_else(truncated)?)?;
        Ok((Self { code, bound }, 3 + used))
    }

    /// Reads a reply, exactly its bytes (the tunnel's first bytes stay unread).
    ///
    /// # Errors
    ///
    /// I/O errors and the errors of [`decode`](Self::decode).
    pub async fn read_from<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Self, ReadError> {
        check_version(stream.read_u8().await?, SOCKS5_VERSION)?;
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await?;
        let bound = address::read_from(stream).await?;
        Ok(Self {
            code: ReplyCode::from_byte(head[0]),
            bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_read_in_words() {
        for b in 0..=255u8 {
            assert_eq!(ReplyCode::from_byte(b).to_byte(), b);
        }
        let words = [
            (ReplyCode::ConnectionRefused, "connection refused (reply 5)"),
            (ReplyCode::HostUnreachable, "host unreachable (reply 4)"),
            (
                ReplyCode::CommandNotSupported,
                "command not supported (reply 7)",
            ),
            (
                ReplyCode::AddressTypeNotSupported,
                "address type not supported (reply 8)",
            ),
            (
                ReplyCode::Unassigned(42),
                "unassigned reply code (reply 42)",
            ),
        ];
        for (code, text) in words {
            assert_eq!(code.to_string(), text);
        }
    }

    #[tokio::test]
    async fn reply_round_trip_reads_exactly() {
        let replies = [
            Reply {
                code: ReplyCode::Succeeded,
                bound: "127.0.0.1:4000".parse().unwrap(),
            },
            Reply {
                code: ReplyCode::Succeeded,
                bound: "[::1]:4000".parse().unwrap(),
            },
            Reply {
                code: ReplyCode::Succeeded,
                bound: "proxy.example:1".parse().unwrap(),
            },
            Reply::failure(ReplyCode::ConnectionRefused),
        ];
        for reply in replies {
            let bytes = reply.to_bytes();
            assert_eq!(Reply::decode(&bytes).unwrap(), (reply.clone(), bytes.len()));
            let mut input = bytes.clone();
            input.extend_from_slice(b"tunnel");
            let mut slice = input.as_slice();
            assert_eq!(Reply::read_from(&mut slice).await.unwrap(), reply);
            assert_eq!(slice, b"tunnel");
        }
        assert!(Reply::decode(&[5, 0, 0, 9, 0]).is_err());
        assert!(Reply::decode(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
