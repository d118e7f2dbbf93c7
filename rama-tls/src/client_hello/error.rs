//! [`ClientHelloParseError`]: why bytes are not a ClientHello this parser accepts.

use std::fmt;

/// Why the bytes are not an acceptable ClientHello.
///
/// The `Display` text names what was wrong and where (it is for logs, not API); the
/// predicates say which kind of failure it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHelloParseError {
    kind: Kind,
    detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotTls,
    NotClientHello,
    TooLarge,
    Truncated,
    Malformed,
}

impl ClientHelloParseError {
    pub(crate) fn not_tls(first_byte: u8) -> Self {
        Self {
            kind: Kind::NotTls,
            detail: format!("first byte {first_byte:#04x} is not a TLS handshake record (0x16)"),
        }
    }

    pub(crate) fn not_client_hello(detail: impl Into<String>) -> Self {
        Self {
            kind: Kind::NotClientHello,
            detail: detail.into(),
        }
    }

    pub(crate) fn too_large(size: usize, limit: usize) -> Self {
        Self {
            kind: Kind::TooLarge,
            detail: format!(
                "ClientHello needs at least {size} bytes, more than the limit of {limit}"
            ),
        }
    }

    pub(crate) fn truncated(have: usize) -> Self {
        Self {
            kind: Kind::Truncated,
            detail: format!("input ends after {have} bytes, in the middle of the ClientHello"),
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        Self {
            kind: Kind::Malformed,
            detail: detail.into(),
        }
    }

    /// The first byte is not that of a TLS handshake record: the peer speaks another
    /// protocol (plain HTTP, SSH, an SSLv2-style hello).
    #[must_use]
    pub fn is_not_tls(&self) -> bool {
        self.kind == Kind::NotTls
    }

    /// The records are TLS handshake records, but the first handshake message is not a
    /// ClientHello.
    #[must_use]
    pub fn is_not_client_hello(&self) -> bool {
        self.kind == Kind::NotClientHello
    }

    /// The ClientHello is (or claims to be) larger than the configured size limit.
    #[must_use]
    pub fn is_too_large(&self) -> bool {
        self.kind == Kind::TooLarge
    }

    /// The input ended before the ClientHello was complete.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.kind == Kind::Truncated
    }

    /// A length, count or value in the ClientHello is invalid.
    #[must_use]
    pub fn is_malformed(&self) -> bool {
        self.kind == Kind::Malformed
    }

    /// Prefixes the detail with the field being decoded, e.g. `extension key_share: `.
    pub(crate) fn within(mut self, what: impl fmt::Display) -> Self {
        self.detail = format!("{what}: {}", self.detail);
        self
    }
}

impl fmt::Display for ClientHelloParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            Kind::NotTls => "not TLS",
            Kind::NotClientHello => "not a ClientHello",
            Kind::TooLarge => "ClientHello too large",
            Kind::Truncated => "truncated ClientHello",
            Kind::Malformed => "malformed ClientHello",
        };
        write!(f, "{what}: {}", self.detail)
    }
}

impl std::error::Error for ClientHelloParseError {}
