//! [`HeaderError`]: why a PROXY protocol header was refused or could not be written.

use std::fmt;

/// What went wrong; private so that the set can grow. Ask with the `is_*` predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Malformed,
    TooLarge,
    Checksum,
    Unsupported,
    Missing,
    Timeout,
    Truncated,
    Io,
}

/// A PROXY protocol header that could not be read or written.
///
/// Its `Display` text says what is wrong (for logs); it is not API. Use the predicates to
/// tell the cases apart.
#[derive(Debug)]
pub struct HeaderError {
    kind: Kind,
    message: String,
    source: Option<std::io::Error>,
}

impl HeaderError {
    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(Kind::Malformed, message)
    }

    pub(crate) fn too_large(message: impl Into<String>) -> Self {
        Self::new(Kind::TooLarge, message)
    }

    pub(crate) fn checksum(message: impl Into<String>) -> Self {
        Self::new(Kind::Checksum, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new(Kind::Unsupported, message)
    }

    pub(crate) fn missing(message: impl Into<String>) -> Self {
        Self::new(Kind::Missing, message)
    }

    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Self::new(Kind::Timeout, message)
    }

    pub(crate) fn truncated(message: impl Into<String>) -> Self {
        Self::new(Kind::Truncated, message)
    }

    pub(crate) fn io(message: impl Into<String>, err: std::io::Error) -> Self {
        Self {
            kind: Kind::Io,
            message: message.into(),
            source: Some(err),
        }
    }

    /// The bytes break the protocol's grammar (bad signature byte, bad address, bad TLV).
    #[must_use]
    pub fn is_malformed(&self) -> bool {
        self.kind == Kind::Malformed
    }

    /// The header is longer than the limit (v1: 107 bytes; v2: the configured maximum).
    #[must_use]
    pub fn is_too_large(&self) -> bool {
        self.kind == Kind::TooLarge
    }

    /// The v2 header carries a CRC32c TLV that does not match its bytes.
    #[must_use]
    pub fn is_checksum_mismatch(&self) -> bool {
        self.kind == Kind::Checksum
    }

    /// The header cannot be written in the asked version (v1 has no UDP, UNIX or TLVs).
    #[must_use]
    pub fn is_unsupported(&self) -> bool {
        self.kind == Kind::Unsupported
    }

    /// The header was required, but the stream does not start with one.
    #[must_use]
    pub fn is_missing(&self) -> bool {
        self.kind == Kind::Missing
    }

    /// The header did not arrive completely within the read timeout.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    /// The stream ended in the middle of the header.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.kind == Kind::Truncated
    }

    /// Reading or writing the stream failed.
    #[must_use]
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PROXY protocol: {}", self.message)
    }
}

impl std::error::Error for HeaderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|err| err as &(dyn std::error::Error + 'static))
    }
}
