//! The client's request (RFC 1928 §4): `05 CMD 00 ATYP DST.ADDR DST.PORT`.

use super::error::{ProtocolError, ProtocolErrorKind, ReadError, truncated};
use super::{SOCKS5_VERSION, address, check_version};
use rama_net::address::Authority;
use std::fmt;
use tokio::io::{AsyncRead, AsyncReadExt};

/// What the client asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `0x01`: open a TCP connection to the destination.
    Connect,
    /// `0x02`: listen for one inbound TCP connection from the destination.
    Bind,
    /// `0x03`: relay UDP datagrams.
    UdpAssociate,
}

impl Command {
    /// The command's byte.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Connect => 0x01,
            Self::Bind => 0x02,
            Self::UdpAssociate => 0x03,
        }
    }

    /// The command for a byte.
    ///
    /// # Errors
    ///
    /// An unknown command (the server replies "command not supported", 7).
    pub const fn from_byte(b: u8) -> Result<Self, ProtocolError> {
        match b {
            0x01 => Ok(Self::Connect),
            0x02 => Ok(Self::Bind),
            0x03 => Ok(Self::UdpAssociate),
            other => Err(ProtocolError::new(ProtocolErrorKind::UnknownCommand(other))),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "CONNECT",
            Self::Bind => "BIND",
            Self::UdpAssociate => "UDP ASSOCIATE",
        })
    }
}

/// A request: a command and its destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What to do.
    pub command: Command,
    /// Where to: a domain name (SOCKS5h, resolved by the server) or an IP address.
    pub destination: Authority,
}

impl Request {
    /// Appends the request.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[SOCKS5_VERSION, self.command.to_byte(), 0x00]);
        address::encode(&self.destination, out);
    }

    /// Decodes a request from the start of `buf`; returns it and the bytes used. The
    /// reserved byte is not checked (RFC 1928 gives it no meaning).
    ///
    /// # Errors
    ///
    /// Truncated input, a version other than 5, an unknown command or address type, an
    /// empty or invalid domain name. [`ProtocolError::reply_code`] names the reply.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), ProtocolError> {
        check_version(*buf.first().ok_or_else(truncated)?, SOCKS5_VERSION)?;
        let command = Command::from_byte(*buf.get(1).ok_or_else(truncated)?)?;
        let rest = buf.get(3..).ok_or_else(truncated)?;
        let (destination, used) = address::decode(rest)?;
        Ok((
            Self {
                command,
                destination,
            },
            3 + used,
        ))
    }

    /// Reads a request, exactly its bytes.
    ///
    /// # Errors
    ///
    /// I/O errors and the errors of [`decode`](Self::decode); after an unknown command
    /// the address is still read (if its type is known), so the reply is not sent while
    /// request bytes are unread.
    pub async fn read_from<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Self, ReadError> {
        let version = stream.read_u8().await?;
        check_version(version, SOCKS5_VERSION)?;
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await?;
        let destination = address::read_from(stream).await?;
        let command = Command::from_byte(head[0])?;
        Ok(Self {
            command,
            destination,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_table() {
        let ok: [(&[u8], Command, &str); 4] = [
            (
                &[5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90],
                Command::Connect,
                "127.0.0.1:8080",
            ),
            (
                b"\x05\x01\x00\x03\x0bexample.com\x01\xbb",
                Command::Connect,
                "example.com:443",
            ),
            (&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0], Command::Bind, "0.0.0.0:0"),
            (
                &[
                    5, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53,
                ],
                Command::UdpAssociate,
                "[::1]:53",
            ),
        ];
        for (wire, command, dest) in ok {
            let (req, used) = Request::decode(wire).unwrap();
            assert_eq!(req.command, command);
            assert_eq!(req.destination.to_string(), dest);
            assert_eq!(used, wire.len());
            let mut out = Vec::new();
            req.encode(&mut out);
            assert_eq!(out, wire);
        }
        let bad: [(&[u8], ProtocolErrorKind, Option<u8>); 6] = [
            (
                &[5, 9, 0, 1, 127, 0, 0, 1, 0, 80],
                ProtocolErrorKind::UnknownCommand(9),
                Some(7),
            ),
            (
                &[5, 1, 0, 7, 127, 0, 0, 1, 0, 80],
                ProtocolErrorKind::UnknownAddressType(7),
                Some(8),
            ),
            (
                &[4, 1, 0, 1, 127, 0, 0, 1, 0, 80],
                ProtocolErrorKind::BadVersion {
                    expected: 5,
                    found: 4,
                },
                None,
            ),
            (
                &[5, 1, 0, 3, 0, 0, 80],
                ProtocolErrorKind::EmptyDomain,
                Some(4),
            ),
            (&[5, 1, 0, 1, 127, 0], ProtocolErrorKind::Truncated, Some(1)),
            (&[5, 1], ProtocolErrorKind::Truncated, Some(1)),
        ];
        for (wire, kind, reply) in bad {
            let err = Request::decode(wire).unwrap_err();
            assert_eq!(err.kind(), kind, "{wire:?}");
            assert_eq!(err.reply_code().map(|c| c.to_byte()), reply, "{wire:?}");
        }
    }

    #[tokio::test]
    async fn read_exactly_the_request() {
        let mut input: &[u8] = b"\x05\x01\x00\x03\x0bexample.com\x01\xbbTUNNEL";
        let req = Request::read_from(&mut input).await.unwrap();
        assert_eq!(req.destination.to_string(), "example.com:443");
        assert_eq!(input, b"TUNNEL");
        let mut input: &[u8] = &[5, 9, 0, 1, 127, 0, 0, 1, 0, 80, 0xAA];
        let err = Request::read_from(&mut input).await.unwrap_err();
        assert!(
            matches!(err, ReadError::Protocol(e) if e.kind() == ProtocolErrorKind::UnknownCommand(9))
        );
        assert_eq!(input, [0xAA]);
        let mut input: &[u8] = &[5, 1, 0, 1, 127];
        assert!(matches!(
            Request::read_from(&mut input).await,
            Err(ReadError::Io(_))
        ));
    }
}
