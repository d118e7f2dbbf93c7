//! [`Http1Limits`]: the bounds the HTTP/1 parser and decoders enforce.

/// Bounds on what the HTTP/1 parser accepts, each with a safe default and a setter.
///
/// | limit | default | error when exceeded (status) |
/// |---|---|---|
/// | head bytes (start line + headers + final empty line, CRLFs included) | 64 KiB | [`HeadTooLarge`](super::ParseError::HeadTooLarge) (431) |
/// | header count | 100 | [`TooManyHeaders`](super::ParseError::TooManyHeaders) (431) |
/// | start line (request line or status line, CRLF excluded) | 8 KiB | [`StartLineTooLong`](super::ParseError::StartLineTooLong) (414) |
/// | one header line (CRLF excluded) | 8 KiB | [`HeaderLineTooLong`](super::ParseError::HeaderLineTooLong) (431) |
/// | chunk-size line, extensions included (CRLF excluded) | 4 KiB | [`ChunkLineTooLong`](super::DecodeError::ChunkLineTooLong) |
/// | chunk extensions over a whole body | 64 KiB | [`ChunkExtensionsTooLarge`](super::DecodeError::ChunkExtensionsTooLarge) |
/// | trailer section bytes | 16 KiB | [`TrailersTooLarge`](super::DecodeError::TrailersTooLarge) |
/// | trailer field count | 100 | [`TrailersTooLarge`](super::DecodeError::TrailersTooLarge) |
///
/// A value exactly at a limit passes; one byte (or field) more fails.
///
/// ```
/// use rama_http::h1::Http1Limits;
///
/// let limits = Http1Limits::new().with_max_head_bytes(16 * 1024).with_max_headers(50);
/// assert_eq!(limits.max_head_bytes(), 16 * 1024);
/// assert_eq!(limits.max_headers(), 50);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http1Limits {
    max_head_bytes: usize,
    max_headers: usize,
    max_start_line_bytes: usize,
    max_header_line_bytes: usize,
    max_chunk_line_bytes: usize,
    max_chunk_extensions_bytes: usize,
    max_trailer_bytes: usize,
    max_trailers: usize,
}

impl Default for Http1Limits {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! limit {
    ($get:ident, $set:ident, $what:literal) => {
        #[doc = concat!("The maximum ", $what, ".")]
        #[must_use]
        pub const fn $get(&self) -> usize {
            self.$get
        }

        #[doc = concat!("Sets the maximum ", $what, ".")]
        #[must_use]
        pub const fn $set(mut self, value: usize) -> Self {
            self.$get = value;
            self
        }
    };
}

impl Http1Limits {
    /// The defaults listed above.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_start_line_bytes: 8 * 1024,
            max_header_line_bytes: 8 * 1024,
            max_chunk_line_bytes: 4 * 1024,
            max_chunk_extensions_bytes: 64 * 1024,
            max_trailer_bytes: 16 * 1024,
            max_trailers: 100,
        }
    }

    limit!(
        max_head_bytes,
        with_max_head_bytes,
        "size of a message head in bytes"
    );
    limit!(max_headers, with_max_headers, "number of header fields");
    limit!(
        max_start_line_bytes,
        with_max_start_line_bytes,
        "length of the request line or status line"
    );
    limit!(
        max_header_line_bytes,
        with_max_header_line_bytes,
        "length of one header line"
    );
    limit!(
        max_chunk_line_bytes,
        with_max_chunk_line_bytes,
        "length of a chunk-size line, extensions included"
    );
    limit!(
        max_chunk_extensions_bytes,
        with_max_chunk_extensions_bytes,
        "total size of chunk extensions in one body"
    );
    limit!(
        max_trailer_bytes,
        with_max_trailer_bytes,
        "size of a trailer section in bytes"
    );
    limit!(max_trailers, with_max_trailers, "number of trailer fields");
}
