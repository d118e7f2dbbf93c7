//! An HPACK decoder (RFC 7541): prefix integers, string literals with Huffman coding, the
//! static table and a dynamic table with size updates and a size limit.
//!
//! rama uses it to read the first header block of an h2 connection for its early-frame tap
//! ([`super::EarlyFrames`]); `h2` decodes everything else. It never panics on bad input: every
//! malformed block gives a [`DecodeError`].
//!
//! ```
//! use rama_http::h2::hpack::Decoder;
//!
//! // RFC 7541 C.4.1: a request with Huffman-coded literals
//! let block = [
//!     0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab,
//!     0x90, 0xf4, 0xff,
//! ];
//! let fields = Decoder::new(4096).decode(&block).unwrap();
//! let names: Vec<_> = fields.iter().map(|f| f.name.as_ref()).collect();
//! assert_eq!(names, [&b":method"[..], b":scheme", b":path", b":authority"]);
//! assert_eq!(fields[3].value, "www.example.com");
//! ```

mod decoder;
mod huffman;
mod huffman_table;
mod integer;
mod table;

pub use decoder::{DEFAULT_MAX_HEADER_LIST_SIZE, Decoder, HeaderField};

use std::fmt;

/// Why a header block could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The block ended inside an integer, a string or a field.
    Truncated,
    /// An integer above 2^32 - 1.
    IntegerOverflow,
    /// Index 0, or an index past the static and dynamic tables.
    InvalidIndex,
    /// A Huffman string with an unknown code, EOS inside it, or bad padding.
    Huffman,
    /// A dynamic table size update after the block's first field.
    MisplacedSizeUpdate,
    /// A dynamic table size update above the announced maximum.
    SizeUpdateTooLarge,
    /// The block decodes to more than the header list size cap.
    HeaderListTooLarge,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Truncated => "hpack: block truncated",
            Self::IntegerOverflow => "hpack: integer overflow",
            Self::InvalidIndex => "hpack: invalid table index",
            Self::Huffman => "hpack: invalid huffman string",
            Self::MisplacedSizeUpdate => "hpack: table size update after a field",
            Self::SizeUpdateTooLarge => "hpack: table size update above the maximum",
            Self::HeaderListTooLarge => "hpack: header list too large",
        })
    }
}

impl std::error::Error for DecodeError {}
