//! [`ClientHelloParser`]: incremental parsing of the TLS record(s) that carry a ClientHello.
//!
//! The parser is stateless: give it everything read so far and it answers
//! [`ParseStatus::NeedMore`] (with the least number of bytes still missing),
//! [`ParseStatus::Complete`] or an error. Records are reassembled, so a ClientHello split
//! across several records (as post-quantum key shares make common) parses like one in a
//! single record.

use super::ClientHelloParseError;
use super::cursor::Cursor;
use super::extension::ClientHelloExtension;
use super::hello::ClientHello;
use crate::types::{CipherSuite, CompressionMethod, ExtensionId, ProtocolVersion};
use bytes::Bytes;
use std::collections::HashSet;

/// The default limit on the bytes of records a ClientHello may span (64 KiB).
pub const DEFAULT_MAX_CLIENT_HELLO_SIZE: usize = 64 * 1024;

const CONTENT_TYPE_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
const RECORD_HEADER_LEN: usize = 5;
const HANDSHAKE_HEADER_LEN: usize = 4;
/// RFC 8446 section 5.1: a plaintext record carries at most 2^14 bytes.
const MAX_RECORD_PAYLOAD: usize = 1 << 14;

/// What [`ClientHelloParser::parse`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per connection and moved out at once; a box would only add an allocation"
)]
pub enum ParseStatus {
    /// The input is a valid beginning; at least this many more bytes are needed.
    NeedMore(usize),
    /// The ClientHello is complete.
    Complete {
        /// The parsed ClientHello.
        client_hello: ClientHello,
        /// How many input bytes its records took; bytes after them belong to what follows.
        consumed: usize,
    },
}

/// Parses the TLS record(s) of a ClientHello from a byte slice, with a size limit.
///
/// ```
/// use rama_tls::client_hello::{ClientHelloParser, ParseStatus};
///
/// let parser = ClientHelloParser::new().with_max_size(16 * 1024);
/// // a record header announcing 0x200 bytes: 0x200 more are needed
/// assert_eq!(parser.parse(b"\x16\x03\x01\x02\x00").unwrap(), ParseStatus::NeedMore(0x200));
/// // plain HTTP is not TLS
/// assert!(parser.parse(b"GET / HTTP/1.1\r\n").unwrap_err().is_not_tls());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHelloParser {
    max_size: usize,
}

impl Default for ClientHelloParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientHelloParser {
    /// A parser with the default size limit ([`DEFAULT_MAX_CLIENT_HELLO_SIZE`]).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_size: DEFAULT_MAX_CLIENT_HELLO_SIZE,
        }
    }

    /// Sets the most bytes (record headers included) the ClientHello's records may take.
    #[must_use]
    pub const fn with_max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// The size limit in bytes.
    #[must_use]
    pub const fn max_size(&self) -> usize {
        self.max_size
    }

    /// Parses what was read so far.
    ///
    /// # Errors
    ///
    /// When the input cannot become a valid ClientHello within the size limit, whatever
    /// bytes follow: not TLS, not a ClientHello, too large, or malformed.
    pub fn parse(&self, input: &[u8]) -> Result<ParseStatus, ClientHelloParseError> {
        let Some(&first) = input.first() else {
            return Ok(ParseStatus::NeedMore(RECORD_HEADER_LEN));
        };
        if first != CONTENT_TYPE_HANDSHAKE {
            return Err(ClientHelloParseError::not_tls(first));
        }

        let mut handshake: Vec<u8> = Vec::new();
        let mut record_version = None;
        let mut pos = 0;
        let mut record_index = 0usize;
        loop {
            let rest = &input[pos..];
            let header: [u8; RECORD_HEADER_LEN] = match rest.get(..RECORD_HEADER_LEN) {
                Some(h) => [h[0], h[1], h[2], h[3], h[4]],
                None => {
                    self.check_partial_header(rest, pos)?;
                    return Ok(ParseStatus::NeedMore(RECORD_HEADER_LEN - rest.len()));
                }
            };
            let version = self.check_record_header(&header, record_index)?;
            record_version.get_or_insert(version);
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let end = pos + RECORD_HEADER_LEN + len;
            if end > self.max_size {
                return Err(ClientHelloParseError::too_large(end, self.max_size));
            }
            let payload = &input[pos + RECORD_HEADER_LEN..end.min(input.len())];
            self.check_handshake_header(&handshake, payload)?;
            if input.len() < end {
                return Ok(ParseStatus::NeedMore(end - input.len()));
            }
            handshake.extend_from_slice(payload);
            pos = end;
            record_index += 1;

            let Some(total) = handshake_total_len(&handshake) else {
                continue;
            };
            if handshake.len() < total {
                continue;
            }
            handshake.truncate(total);
            let handshake = Bytes::from(handshake);
            let client_hello = parse_message(
                record_version.unwrap_or(ProtocolVersion::TLS_V1_0),
                Bytes::copy_from_slice(&input[..pos]),
                handshake,
            )?;
            return Ok(ParseStatus::Complete {
                client_hello,
                consumed: pos,
            });
        }
    }

    /// The first bytes of a record header that is not complete yet.
    fn check_partial_header(
        &self,
        partial: &[u8],
        pos: usize,
    ) -> Result<(), ClientHelloParseError> {
        if let Some(&content_type) = partial.first()
            && content_type != CONTENT_TYPE_HANDSHAKE
        {
            return Err(ClientHelloParseError::malformed(format!(
                "record at offset {pos} has content type {content_type}, expected handshake (22) to continue the ClientHello"
            )));
        }
        if let Some(&major) = partial.get(1)
            && major != 3
        {
            return Err(ClientHelloParseError::malformed(format!(
                "record at offset {pos} has major version {major}, expected 3"
            )));
        }
        Ok(())
    }

    fn check_record_header(
        &self,
        header: &[u8; RECORD_HEADER_LEN],
        index: usize,
    ) -> Result<ProtocolVersion, ClientHelloParseError> {
        if header[0] != CONTENT_TYPE_HANDSHAKE {
            return Err(ClientHelloParseError::malformed(format!(
                "record {index} has content type {}, expected handshake (22) to continue the ClientHello",
                header[0]
            )));
        }
        if header[1] != 3 {
            return Err(ClientHelloParseError::malformed(format!(
                "record {index} has version {:#06x}, expected 0x03..",
                u16::from_be_bytes([header[1], header[2]])
            )));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 {
            return Err(ClientHelloParseError::malformed(format!(
                "record {index} is an empty handshake record"
            )));
        }
        if len > MAX_RECORD_PAYLOAD {
            return Err(ClientHelloParseError::malformed(format!(
                "record {index} length {len} exceeds the maximum of {MAX_RECORD_PAYLOAD}"
            )));
        }
        Ok(ProtocolVersion::from(u16::from_be_bytes([
            header[1], header[2],
        ])))
    }

    /// Checks the handshake header (type and length) as soon as its four bytes are in, so
    /// that a wrong message or an oversized length fails before the records arrive.
    fn check_handshake_header(
        &self,
        so_far: &[u8],
        payload: &[u8],
    ) -> Result<(), ClientHelloParseError> {
        let mut header = [0u8; HANDSHAKE_HEADER_LEN];
        let mut have = 0;
        for (slot, byte) in header.iter_mut().zip(so_far.iter().chain(payload)) {
            *slot = *byte;
            have += 1;
        }
        if have >= 1 && header[0] != HANDSHAKE_CLIENT_HELLO {
            return Err(ClientHelloParseError::not_client_hello(format!(
                "first handshake message has type {}, expected ClientHello (1)",
                header[0]
            )));
        }
        if have == HANDSHAKE_HEADER_LEN
            && let Some(total) = handshake_total_len(&header)
        {
            // the fewest record bytes that can carry `total` handshake bytes
            let records = total.div_ceil(MAX_RECORD_PAYLOAD).max(1);
            let min_size = total + records * RECORD_HEADER_LEN;
            if min_size > self.max_size {
                return Err(ClientHelloParseError::too_large(min_size, self.max_size));
            }
        }
        Ok(())
    }
}

/// Handshake header plus body length, once the four header bytes are known.
fn handshake_total_len(handshake: &[u8]) -> Option<usize> {
    match handshake {
        [_, a, b, c, ..] => {
            let body = u32::from_be_bytes([0, *a, *b, *c]);
            usize::try_from(body).ok().map(|n| n + HANDSHAKE_HEADER_LEN)
        }
        _ => None,
    }
}

fn parse_message(
    record_version: ProtocolVersion,
    raw_records: Bytes,
    handshake_message: Bytes,
) -> Result<ClientHello, ClientHelloParseError> {
    let body = handshake_message
        .get(HANDSHAKE_HEADER_LEN..)
        .unwrap_or_default();
    let mut c = Cursor::new(body, "ClientHello");
    let legacy_version = ProtocolVersion::from(c.u16("legacy_version")?);
    let random = c.array::<32>("random")?;
    let session_id = c.vec8("legacy_session_id")?;
    if session_id.len() > 32 {
        return Err(ClientHelloParseError::malformed(format!(
            "legacy_session_id is {} bytes, at most 32 allowed",
            session_id.len()
        )));
    }
    let suites = c.vec16("cipher_suites")?;
    if suites.is_empty() || suites.len() % 2 != 0 {
        return Err(ClientHelloParseError::malformed(format!(
            "cipher_suites length {} is not a positive even number",
            suites.len()
        )));
    }
    let cipher_suites = suites
        .chunks_exact(2)
        .map(|p| CipherSuite::from(u16::from_be_bytes([p[0], p[1]])))
        .collect();
    let compression = c.vec8("legacy_compression_methods")?;
    if compression.is_empty() {
        return Err(ClientHelloParseError::malformed(
            "legacy_compression_methods is empty",
        ));
    }
    let compression_methods = compression
        .iter()
        .copied()
        .map(CompressionMethod::from)
        .collect();

    let mut extensions = Vec::new();
    // extensions are optional in TLS 1.2 and older: absent when the body ends here
    if !c.is_empty() {
        let block = c.vec16("extensions")?;
        c.finish()?;
        let mut e = Cursor::new(block, "extensions");
        let mut seen = HashSet::new();
        while !e.is_empty() {
            let id = ExtensionId::from(e.u16("extension_type")?);
            let data = e.vec16("extension_data")?;
            if !seen.insert(id) {
                return Err(ClientHelloParseError::malformed(format!(
                    "extension {id} appears more than once"
                )));
            }
            extensions.push(ClientHelloExtension::decode(
                id,
                handshake_message.slice_ref(data),
            )?);
        }
    }

    Ok(ClientHello {
        record_version,
        legacy_version,
        random,
        session_id: handshake_message.slice_ref(session_id),
        cipher_suites,
        compression_methods,
        extensions,
        raw_records,
        handshake_message,
    })
}
