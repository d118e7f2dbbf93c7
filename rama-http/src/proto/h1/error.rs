//! Typed errors of the HTTP/1 parser ([`ParseError`]) and body decoders ([`DecodeError`]).

use http::StatusCode;
use std::fmt;

/// Why a message head was rejected. [`status`](Self::status) is the response a server sends
/// before closing the connection.
///
/// The `Display` text is for humans and logs, not API.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The head is longer than [`Http1Limits::max_head_bytes`](super::Http1Limits::max_head_bytes) (431).
    HeadTooLarge {
        /// the limit in bytes
        limit: usize,
    },
    /// More header fields than [`Http1Limits::max_headers`](super::Http1Limits::max_headers) (431).
    TooManyHeaders {
        /// the limit in fields
        limit: usize,
    },
    /// The request line (or status line) is longer than its limit (414).
    StartLineTooLong {
        /// the limit in bytes
        limit: usize,
    },
    /// A header line is longer than its limit (431).
    HeaderLineTooLong {
        /// the limit in bytes
        limit: usize,
    },
    /// A line ends with a bare LF, or contains a bare CR (400).
    InvalidLineEnding,
    /// The start line is not `method SP target SP version` / `version SP code SP reason` (400).
    InvalidStartLine,
    /// The method is empty or not a token (400).
    InvalidMethod,
    /// The request target is not a valid URI, or its form does not fit the method (400).
    InvalidUri,
    /// The version is not of the form `HTTP/x.y` (400).
    InvalidVersion,
    /// A well-formed version other than HTTP/1.0 and HTTP/1.1 (505).
    UnsupportedVersion,
    /// The status code is not three digits (a malformed response).
    InvalidStatus,
    /// The reason phrase holds a forbidden byte (a malformed response).
    InvalidReason,
    /// A header name is empty, not a token, or the line has no colon (400).
    InvalidHeaderName,
    /// Whitespace between a header name and its colon (RFC 9112 §5.1) (400).
    WhitespaceBeforeColon,
    /// A header line starts with whitespace: obsolete line folding (RFC 9112 §5.2) (400).
    ObsFold,
    /// A header value holds NUL, CR, LF or another control byte (RFC 9110 §5.5) (400).
    InvalidHeaderValue,
    /// An HTTP/1.1 request without `Host`, any request with more than one, or a `Host` that is
    /// not `host[:port]` (RFC 9112 §3.2) (400).
    InvalidHost,
    /// A `Content-Length` that is not a plain decimal number (sign, spaces, other bytes,
    /// overflow) (400).
    InvalidContentLength,
    /// Several `Content-Length` values that differ (400).
    ConflictingContentLength,
    /// `Transfer-Encoding` together with `Content-Length` (RFC 9112 §6.3) (400).
    TransferEncodingWithContentLength,
    /// `Transfer-Encoding` in an HTTP/1.0 message (RFC 9112 §6.1) (400).
    TransferEncodingInHttp10,
    /// A transfer coding other than chunked, gzip, deflate or compress, or with parameters (400).
    UnknownTransferCoding,
    /// `chunked` listed more than once (400).
    ChunkedRepeated,
    /// A request whose last transfer coding is not `chunked` (RFC 9112 §6.3) (400).
    ChunkedNotLast,
}

impl ParseError {
    /// The status a server answers with: 431 for size limits on headers, 414 for a too long
    /// request line, 505 for an unsupported version, 400 for everything else.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::HeadTooLarge { .. }
            | Self::TooManyHeaders { .. }
            | Self::HeaderLineTooLong { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::StartLineTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the error is a size limit (head, header count, line length).
    #[must_use]
    pub const fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::HeadTooLarge { .. }
                | Self::TooManyHeaders { .. }
                | Self::StartLineTooLong { .. }
                | Self::HeaderLineTooLong { .. }
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeadTooLarge { limit } => write!(f, "message head larger than {limit} bytes"),
            Self::TooManyHeaders { limit } => write!(f, "more than {limit} header fields"),
            Self::StartLineTooLong { limit } => write!(f, "start line longer than {limit} bytes"),
            Self::HeaderLineTooLong { limit } => {
                write!(f, "header line longer than {limit} bytes")
            }
            Self::InvalidLineEnding => f.write_str("line not ended by CRLF"),
            Self::InvalidStartLine => f.write_str("malformed start line"),
            Self::InvalidMethod => f.write_str("invalid method"),
            Self::InvalidUri => f.write_str("invalid request target"),
            Self::InvalidVersion => f.write_str("invalid HTTP version"),
            Self::UnsupportedVersion => f.write_str("unsupported HTTP version"),
            Self::InvalidStatus => f.write_str("invalid status code"),
            Self::InvalidReason => f.write_str("invalid reason phrase"),
            Self::InvalidHeaderName => f.write_str("invalid header name"),
            Self::WhitespaceBeforeColon => f.write_str("whitespace before header colon"),
            Self::ObsFold => f.write_str("obsolete header line folding"),
            Self::InvalidHeaderValue => f.write_str("invalid header value"),
            Self::InvalidHost => f.write_str("missing, repeated or invalid Host header"),
            Self::InvalidContentLength => f.write_str("invalid Content-Length"),
            Self::ConflictingContentLength => f.write_str("conflicting Content-Length values"),
            Self::TransferEncodingWithContentLength => {
                f.write_str("both Transfer-Encoding and Content-Length")
            }
            Self::TransferEncodingInHttp10 => f.write_str("Transfer-Encoding in HTTP/1.0"),
            Self::UnknownTransferCoding => f.write_str("unknown transfer coding"),
            Self::ChunkedRepeated => f.write_str("chunked transfer coding repeated"),
            Self::ChunkedNotLast => f.write_str("chunked is not the last transfer coding"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Why a message body could not be decoded. The connection must be closed after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A chunk size that is empty or holds a non-hex byte.
    InvalidChunkSize,
    /// A chunk size that does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A chunk-size line longer than its limit.
    ChunkLineTooLong {
        /// the limit in bytes
        limit: usize,
    },
    /// More chunk-extension bytes in one body than the limit.
    ChunkExtensionsTooLarge {
        /// the limit in bytes
        limit: usize,
    },
    /// A chunk-size line or chunk data not followed by CRLF, or a forbidden byte in an extension.
    InvalidChunkFraming,
    /// The trailer section is larger than its byte or field-count limit.
    TrailersTooLarge {
        /// the limit that was exceeded (bytes or fields)
        limit: usize,
    },
    /// A malformed trailer field (same rules as header fields).
    InvalidTrailer(ParseError),
    /// The connection closed before the body was complete.
    IncompleteBody,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidChunkSize => f.write_str("invalid chunk size"),
            Self::ChunkSizeOverflow => f.write_str("chunk size overflows"),
            Self::ChunkLineTooLong { limit } => {
                write!(f, "chunk-size line longer than {limit} bytes")
            }
            Self::ChunkExtensionsTooLarge { limit } => {
                write!(f, "chunk extensions larger than {limit} bytes")
            }
            Self::InvalidChunkFraming => f.write_str("invalid chunk framing"),
            Self::TrailersTooLarge { limit } => write!(f, "trailers over the limit of {limit}"),
            Self::InvalidTrailer(e) => write!(f, "invalid trailer: {e}"),
            Self::IncompleteBody => f.write_str("connection closed before the body was complete"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidTrailer(e) => Some(e),
            _ => None,
        }
    }
}
