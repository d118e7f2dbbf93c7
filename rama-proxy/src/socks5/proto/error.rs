//! [`ProtocolError`]: bytes that are not a valid SOCKS5 message, and [`ReadError`] for the
//! async readers (I/O failure or a protocol error).

use super::ReplyCode;
use std::{fmt, io};

/// Why a SOCKS5 message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolErrorKind {
    /// The input ended before the message did.
    Truncated,
    /// The version byte is not the one expected (5 for SOCKS5 messages, 1 for the
    /// username/password sub-negotiation).
    BadVersion {
        /// The version expected.
        expected: u8,
        /// The version found.
        found: u8,
    },
    /// A method selection message that offers no method.
    NoMethods,
    /// The request's command is not CONNECT, BIND or UDP ASSOCIATE.
    UnknownCommand(u8),
    /// The address type is not IPv4 (1), domain name (3) or IPv6 (4).
    UnknownAddressType(u8),
    /// A domain name of length zero.
    EmptyDomain,
    /// A domain name that is not a valid host name (or not UTF-8).
    InvalidDomain,
    /// A username or password field is not UTF-8.
    InvalidUtf8,
    /// A field is longer than its one-byte length prefix allows (255 bytes).
    FieldTooLong {
        /// The field's name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

/// Bytes that are not a valid SOCKS5 message; see [`ProtocolErrorKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolError {
    kind: ProtocolErrorKind,
}

impl ProtocolError {
    pub(crate) const fn new(kind: ProtocolErrorKind) -> Self {
        Self { kind }
    }

    /// What is wrong.
    #[must_use]
    pub const fn kind(&self) -> ProtocolErrorKind {
        self.kind
    }

    /// The input ended early: more bytes may make it valid.
    #[must_use]
    pub const fn is_truncated(&self) -> bool {
        matches!(self.kind, ProtocolErrorKind::Truncated)
    }

    /// The reply a server sends for a request that failed to decode with this error, if a
    /// reply is due: command not supported (7), address type not supported (8), host
    /// unreachable (4) for a name that cannot be a host name, general failure (1) otherwise.
    /// `None` for a wrong version byte: the peer does not speak SOCKS5, so the server closes.
    #[must_use]
    pub const fn reply_code(&self) -> Option<ReplyCode> {
        match self.kind {
            ProtocolErrorKind::BadVersion { .. } => None,
            ProtocolErrorKind::UnknownCommand(_) => Some(ReplyCode::CommandNotSupported),
            ProtocolErrorKind::UnknownAddressType(_) => Some(ReplyCode::AddressTypeNotSupported),
            ProtocolErrorKind::EmptyDomain | ProtocolErrorKind::InvalidDomain => {
                Some(ReplyCode::HostUnreachable)
            }
            _ => Some(ReplyCode::GeneralFailure),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid SOCKS5 message: ")?;
        match self.kind {
            ProtocolErrorKind::Truncated => f.write_str("truncated"),
            ProtocolErrorKind::BadVersion { expected, found } => {
                write!(f, "version {found}, expected {expected}")
            }
            ProtocolErrorKind::NoMethods => f.write_str("no authentication method offered"),
            ProtocolErrorKind::UnknownCommand(c) => write!(f, "unknown command {c:#04x}"),
            ProtocolErrorKind::UnknownAddressType(a) => write!(f, "unknown address type {a:#04x}"),
            ProtocolErrorKind::EmptyDomain => f.write_str("empty domain name"),
            ProtocolErrorKind::InvalidDomain => f.write_str("the domain name is not a valid host"),
            ProtocolErrorKind::InvalidUtf8 => f.write_str("username or password is not UTF-8"),
            ProtocolErrorKind::FieldTooLong { field, len } => {
                write!(f, "{field} is {len} bytes, at most 255 fit")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// What the async `read_from` functions return on failure: the stream failed (or ended), or
/// its bytes are not a valid message.
#[derive(Debug)]
pub enum ReadError {
    /// Reading failed or the stream ended early (`UnexpectedEof`).
    Io(io::Error),
    /// The bytes read are not a valid message.
    Protocol(ProtocolError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(err) => write!(f, "read SOCKS5 message: {err}"),
            Self::Protocol(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            Self::Protocol(err) => Some(err),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

impl From<ProtocolError> for ReadError {
    fn from(err: ProtocolError) -> Self {
        Self::Protocol(err)
    }
}

/// Shorthand for a decoder's truncation error.
pub(crate) const fn truncated() -> ProtocolError {
    ProtocolError::new(ProtocolErrorKind::Truncated)
}
