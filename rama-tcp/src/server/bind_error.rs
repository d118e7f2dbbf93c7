//! [`BindError`]: a listener could not be bound, with the address and a plain reason.

use std::{fmt, io};

/// Binding a [`TcpListener`](super::TcpListener) failed.
///
/// The message names the address and says why in plain words, e.g.
/// `bind 127.0.0.1:8080: address already in use (another socket is bound to this port)`.
#[derive(Debug)]
pub struct BindError {
    addr: String,
    source: io::Error,
}

impl BindError {
    pub(crate) fn new(addr: impl fmt::Display, source: io::Error) -> Self {
        Self {
            addr: addr.to_string(),
            source,
        }
    }

    /// The address that could not be bound, as given.
    #[must_use]
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The address is already in use by another socket.
    #[must_use]
    pub fn is_addr_in_use(&self) -> bool {
        self.source.kind() == io::ErrorKind::AddrInUse
    }

    /// The OS error behind the failure.
    #[must_use]
    pub const fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bind {}: ", self.addr)?;
        match self.source.kind() {
            io::ErrorKind::AddrInUse => {
                f.write_str("address already in use (another socket is bound to this port)")
            }
            io::ErrorKind::AddrNotAvailable => {
                f.write_str("address not available (no local interface has this IP address)")
            }
            io::ErrorKind::PermissionDenied => {
                f.write_str("permission denied (ports below 1024 need privileges)")
            }
            _ => write!(f, "{}", self.source),
        }
    }
}

/// The OS error is rendered in the message (in words for the common kinds), so it is not
/// returned again as the `source`: a reporter walking the chain would print it twice. Read it
/// with [`BindError::io_error`].
impl std::error::Error for BindError {}

impl From<BindError> for io::Error {
    fn from(err: BindError) -> Self {
        Self::new(err.source.kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_address_and_the_reason() {
        let cases = [
            (
                io::ErrorKind::AddrInUse,
                "bind 127.0.0.1:80: address already in use (another socket is bound to this port)",
            ),
            (
                io::ErrorKind::AddrNotAvailable,
                "bind 127.0.0.1:80: address not available (no local interface has this IP address)",
            ),
            (
                io::ErrorKind::PermissionDenied,
                "bind 127.0.0.1:80: permission denied (ports below 1024 need privileges)",
            ),
        ];
        for (kind, want) in cases {
            let err = BindError::new("127.0.0.1:80", io::Error::from(kind));
            assert_eq!(err.to_string(), want);
            assert_eq!(err.is_addr_in_use(), kind == io::ErrorKind::AddrInUse);
        }
        let err = BindError::new("x", io::Error::other("odd"));
        assert_eq!(err.to_string(), "bind x: odd");
        assert_eq!(err.addr(), "x");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::Other);
    }
}
