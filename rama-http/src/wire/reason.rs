//! [`ReasonPhrase`]: the reason phrase of a parsed status line, kept for wire fidelity.

use bytes::Bytes;
use std::fmt;

/// The reason phrase of a response as it was on the wire (`Okay` in `HTTP/1.1 200 Okay`),
/// stored in the response's [`http::Extensions`] by the HTTP/1 parser when it differs from
/// the canonical reason of the status code: no `ReasonPhrase` means the canonical one (an
/// extension costs an allocation, and nearly every response says `200 OK`).
///
/// The HTTP/1 writer writes it instead of the canonical reason of the status code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReasonPhrase(Bytes);

/// A reason phrase with bytes other than HTAB, SP, visible ASCII or obs-text (RFC 9112 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReasonPhrase;

impl fmt::Display for InvalidReasonPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid byte in reason phrase")
    }
}

impl std::error::Error for InvalidReasonPhrase {}

impl ReasonPhrase {
    /// A reason phrase from bytes, checked per RFC 9112 §4 (`HTAB / SP / VCHAR / obs-text`).
    pub fn try_from_bytes(bytes: impl Into<Bytes>) -> Result<Self, InvalidReasonPhrase> {
        let bytes = bytes.into();
        if bytes
            .iter()
            .all(|&b| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80)
        {
            Ok(Self(bytes))
        } else {
            Err(InvalidReasonPhrase)
        }
    }

    /// The phrase's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ReasonPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(&self.0), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_table() {
        let cases: &[(&[u8], bool)] = &[
            (b"OK", true),
            (b"Not Found", true),
            (b"", true),
            (b"caf\xc3\xa9", true),
            (b"tab\there", true),
            (b"bad\r\n", false),
            (b"nul\0", false),
            (b"del\x7f", false),
        ];
        for (input, ok) in cases {
            assert_eq!(
                ReasonPhrase::try_from_bytes(input.to_vec()).is_ok(),
                *ok,
                "{input:?}"
            );
        }
    }
}
