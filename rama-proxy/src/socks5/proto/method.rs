//! Method selection (RFC 1928 §3): the client's greeting `VER NMETHODS METHODS` and the
//! server's choice `VER METHOD`.

use super::error::{ProtocolError, ProtocolErrorKind, ReadError, truncated};
use super::{SOCKS5_VERSION, check_version};
use tokio::io::{AsyncRead, AsyncReadExt};

/// An authentication method, as numbered by IANA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// `0x00`: no authentication required.
    NoAuth,
    /// `0x01`: GSSAPI (not supported by this crate's server and client).
    Gssapi,
    /// `0x02`: username/password (RFC 1929).
    UsernamePassword,
    /// `0xFF`: the server accepts none of the offered methods.
    NoAcceptable,
    /// Any other value (IANA-assigned or private).
    Other(u8),
}

impl AuthMethod {
    /// The method's byte.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::NoAuth => 0x00,
            Self::Gssapi => 0x01,
            Self::UsernamePassword => 0x02,
            Self::NoAcceptable => 0xFF,
            Self::Other(b) => b,
        }
    }

    /// The method for a byte.
    #[must_use]
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::NoAuth,
            0x01 => Self::Gssapi,
            0x02 => Self::UsernamePassword,
            0xFF => Self::NoAcceptable,
            other => Self::Other(other),
        }
    }
}

/// The client's greeting: the methods it can authenticate with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSelection {
    /// The methods offered, in the client's order (1..=255 of them).
    pub methods: Vec<AuthMethod>,
}

impl MethodSelection {
    /// Appends `05 NMETHODS METHODS...`.
    ///
    /// # Errors
    ///
    /// No method, or more than 255.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let n = u8::try_from(self.methods.len()).map_err(|_| {
            ProtocolError::new(ProtocolErrorKind::FieldTooLong {
                field: "the method list",
                len: self.methods.len(),
            })
        })?;
        if n == 0 {
            return Err(ProtocolError::new(ProtocolErrorKind::NoMethods));
        }
        out.push(SOCKS5_VERSION);
        out.push(n);
        out.extend(self.methods.iter().map(|m| m.to_byte()));
        Ok(())
    }

    /// Decodes a greeting from the start of `buf`; returns it and the bytes used.
    ///
    /// # Errors
    ///
    /// Truncated input, a version other than 5, an empty method list.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), ProtocolError> {
        let version = *buf.first().ok_or_else(truncated)?;
        check_version(version, SOCKS5_VERSION)?;
        let n = usize::from(*buf.get(1).ok_or_else(truncated)?);
        if n == 0 {
            return Err(ProtocolError::new(ProtocolErrorKind::NoMethods));
        }
        let methods = buf.get(2..2 + n).ok_or_else(truncated)?;
        let methods = methods.iter().copied().map(AuthMethod::from_byte).collect();
        Ok((Self { methods }, 2 + n))
    }

    /// Reads a greeting, exactly its bytes. The version byte is checked before anything
    /// else is read, so a peer that is not SOCKS5 is not waited on.
    ///
    /// # Errors
    ///
    /// I/O errors and the errors of [`decode`](Self::decode).
    pub async fn read_from<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Self, ReadError> {
        let version = stream.read_u8().await?;
        check_version(version, SOCKS5_VERSION)?;
        let n = stream.read_u8().await?;
        let mut buf = vec![0u8; 2 + usize::from(n)];
        buf[0] = version;
        buf[1] = n;
        stream.read_exact(&mut buf[2..]).await?;
        Ok(Self::decode(&buf)?.0)
    }
}

/// The server's choice: `05 METHOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodReply {
    /// The chosen method, or [`AuthMethod::NoAcceptable`].
    pub method: AuthMethod,
}

impl MethodReply {
    /// The two bytes on the wire.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 2] {
        [SOCKS5_VERSION, self.method.to_byte()]
    }

    /// Decodes the two bytes.
    ///
    /// # Errors
    ///
    /// A version other than 5.
    pub fn decode(bytes: [u8; 2]) -> Result<Self, ProtocolError> {
        check_version(bytes[0], SOCKS5_VERSION)?;
        Ok(Self {
            method: AuthMethod::from_byte(bytes[1]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_table() {
        let ok: [(&[u8], &[AuthMethod]); 3] = [
            (&[5, 1, 0], &[AuthMethod::NoAuth]),
            (
                &[5, 2, 0, 2],
                &[AuthMethod::NoAuth, AuthMethod::UsernamePassword],
            ),
            (
                &[5, 3, 1, 0x80, 0xff],
                &[
                    AuthMethod::Gssapi,
                    AuthMethod::Other(0x80),
                    AuthMethod::NoAcceptable,
                ],
            ),
        ];
        for (wire, methods) in ok {
            let (sel, used) = MethodSelection::decode(wire).unwrap();
            assert_eq!(sel.methods, methods);
            assert_eq!(used, wire.len());
            let mut out = Vec::new();
            sel.encode(&mut out).unwrap();
            assert_eq!(out, wire);
        }
        let bad: [(&[u8], ProtocolErrorKind); 4] = [
            (&[], ProtocolErrorKind::Truncated),
            (&[5, 2, 0], ProtocolErrorKind::Truncated),
            (
                &[4, 1, 0],
                ProtocolErrorKind::BadVersion {
                    expected: 5,
                    found: 4,
                },
            ),
            (&[5, 0], ProtocolErrorKind::NoMethods),
        ];
        for (wire, kind) in bad {
            assert_eq!(
                MethodSelection::decode(wire).unwrap_err().kind(),
                kind,
                "{wire:?}"
            );
        }
        let too_many = MethodSelection {
            methods: vec![AuthMethod::NoAuth; 256],
        };
        assert!(too_many.encode(&mut Vec::new()).is_err());
        assert!(
            MethodSelection { methods: vec![] }
                .encode(&mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn reply_round_trip() {
        for b in [0u8, 1, 2, 0x80, 0xff] {
            let r = MethodReply::decode([5, b]).unwrap();
            assert_eq!(r.to_bytes(), [5, b]);
        }
        assert!(MethodReply::decode([4, 0]).is_err());
    }

    #[tokio::test]
    async fn read_exactly_the_greeting() {
        let mut input: &[u8] = &[5, 2, 0, 2, 0xAA];
        let sel = MethodSelection::read_from(&mut input).await.unwrap();
        assert_eq!(sel.methods.len(), 2);
        assert_eq!(input, [0xAA]);
        let mut input: &[u8] = b"GET / HTTP/1.1";
        assert!(matches!(
            MethodSelection::read_from(&mut input).await,
            Err(ReadError::Protocol(_))
        ));
        assert_eq!(input.len(), 13, "only the version byte is read");
    }
}
