//! Username/password sub-negotiation (RFC 1929): `01 ULEN UNAME PLEN PASSWD` from the
//! client, `01 STATUS` from the server.

use super::check_version;
use super::error::{ProtocolError, ProtocolErrorKind, ReadError, truncated};
use std::fmt;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The sub-negotiation's version byte.
pub const AUTH_VERSION: u8 = 0x01;

/// The client's username and password (each 0..=255 bytes of UTF-8; RFC 1929 asks for at
/// least one byte, but clients send an empty password, so an empty field is accepted).
///
/// `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UsernamePasswordRequest {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for UsernamePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsernamePasswordRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn len_byte(field: &'static str, s: &str) -> Result<u8, ProtocolError> {
    u8::try_from(s.len()).map_err(|_| {
        ProtocolError::new(ProtocolErrorKind::FieldTooLong {
            field,
            len: s.len(),
        })
    })
}

impl UsernamePasswordRequest {
    /// Appends the message.
    ///
    /// # Errors
    ///
    /// A username or password longer than 255 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let ulen = len_byte("the username", &self.username)?;
        let plen = len_byte("the password", &self.password)?;
        out.push(AUTH_VERSION);
        out.push(ulen);
        out.extend_from_slice(self.username.as_bytes());
        out.push(plen);
        out.extend_from_slice(self.password.as_bytes());
        Ok(())
    }

    /// Decodes the message from the start of `buf`; returns it and the bytes used.
    ///
    /// # Errors
    ///
    /// Truncated input, a version other than 1, fields that are not UTF-8.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), ProtocolError> {
        check_version(*buf.first().ok_or_else(truncated)?, AUTH_VERSION)?;
        let ulen = usize::from(*buf.get(1).ok_or_else(truncated)?);
        let username = buf.get(2..2 + ulen).ok_or_else(truncated)?;
        let plen = usize::from(*buf.get(2 + ulen).ok_or_else(truncated)?);
        let start = 3 + ulen;
        let password = buf.get(start..start + plen).ok_or_else(truncated)?;
        let utf8 = |b: &[u8]| {
            String::from_utf8(b.to_vec())
                .map_err(|_| ProtocolError::new(ProtocolErrorKind::InvalidUtf8))
        };
        Ok((
            Self {
                username: utf8(username)?,
                password: utf8(password)?,
            },
            start + plen,
        ))
    }

    /// Reads the message, exactly its bytes.
    ///
    /// # Errors
    ///
    /// I/O errors and the errors of [`decode`](Self::decode).
    pub async fn read_from<R: AsyncRead + Unpin>(stream: &mut R) -> Result<Self, ReadError> {
        let version = stream.read_u8().await?;
        check_version(version, AUTH_VERSION)?;
        let ulen = stream.read_u8().await?;
        let mut buf = vec![version, ulen];
        buf.resize(2 + usize::from(ulen) + 1, 0);
        stream.read_exact(&mut buf[2..]).await?;
        let plen = buf[buf.len() - 1];
        let at = buf.len();
        buf.resize(at + usize::from(plen), 0);
        stream.read_exact(&mut buf[at..]).await?;
        Ok(Self::decode(&buf)?.0)
    }
}

/// The server's verdict: `01 00` for success, `01 XX` (any other status) for failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernamePasswordReply {
    /// The status byte: 0 is success.
    pub status: u8,
}

impl UsernamePasswordReply {
    /// Success (status 0).
    pub const SUCCESS: Self = Self { status: 0 };
    /// Failure (status 1).
    pub const FAILURE: Self = Self { status: 1 };

    /// Whether the credentials were accepted.
    #[must_use]
    pub const fn is_success(self) -> bool {
        self.status == 0
    }

    /// The two bytes on the wire.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 2] {
        [AUTH_VERSION, self.status]
    }

    /// Decodes the two bytes.
    ///
    /// # Errors
    ///
    /// A version other than 1.
    pub fn decode(bytes: [u8; 2]) -> Result<Self, ProtocolError> {
        check_version(bytes[0], AUTH_VERSION)?;
        Ok(Self { status: bytes[1] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_table() {
        let ok: [(&[u8], &str, &str); 3] = [
            (b"\x01\x04john\x06secret", "john", "secret"),
            (b"\x01\x01u\x00", "u", ""),
            (b"\x01\x00\x00", "", ""),
        ];
        for (wire, user, pass) in ok {
            let (req, used) = UsernamePasswordRequest::decode(wire).unwrap();
            assert_eq!((req.username.as_str(), req.password.as_str()), (user, pass));
            assert_eq!(used, wire.len());
            let mut out = Vec::new();
            req.encode(&mut out).unwrap();
            assert_eq!(out, wire);
            assert!(!format!("{req:?}").contains("secret"));
        }
        let bad: [(&[u8], ProtocolErrorKind); 4] = [
            (
                b"\x05\x01u\x01p",
                ProtocolErrorKind::BadVersion {
                    expected: 1,
                    found: 5,
                },
            ),
            (b"\x01\x04jo", ProtocolErrorKind::Truncated),
            (b"\x01\x01u\x02p", ProtocolErrorKind::Truncated),
            (b"\x01\x01\xff\x00", ProtocolErrorKind::InvalidUtf8),
        ];
        for (wire, kind) in bad {
            assert_eq!(
                UsernamePasswordRequest::decode(wire).unwrap_err().kind(),
                kind
            );
        }
        let long = UsernamePasswordRequest {
            username: "u".repeat(256),
            password: String::new(),
        };
        assert!(long.encode(&mut Vec::new()).is_err());
    }

    #[tokio::test]
    async fn read_exactly_the_request() {
        let mut input: &[u8] = b"\x01\x04john\x06secretTAIL";
        let req = UsernamePasswordRequest::read_from(&mut input)
            .await
            .unwrap();
        assert_eq!(req.username, "john");
        assert_eq!(input, b"TAIL");
    }

    #[test]
    fn reply() {
        assert!(UsernamePasswordReply::decode([1, 0]).unwrap().is_success());
        assert!(!UsernamePasswordReply::decode([1, 1]).unwrap().is_success());
        assert!(UsernamePasswordReply::decode([5, 0]).is_err());
        assert_eq!(UsernamePasswordReply::FAILURE.to_bytes(), [1, 1]);
    }
}
