//! Writing heads and chunked bodies.
//!
//! First settle the framing headers with [`prepare_request_framing`] or
//! [`prepare_response_framing`] (they add, keep or remove `Content-Length` and
//! `Transfer-Encoding` and say how the body must be written), then write the head with
//! [`encode_request_head`] / [`encode_response_head`]: header names follow the message's
//! [`OriginalHeaderNames`] record if it has one (see [`crate::wire`]), else Title-Case.
//! Then write the body as the returned [`BodyFraming`] says: as is for
//! [`Length`](BodyFraming::Length) (exactly that many bytes) and
//! [`CloseDelimited`](BodyFraming::CloseDelimited) (then close), through [`encode_chunk`] and
//! [`encode_last_chunk`] for [`Chunked`](BodyFraming::Chunked), not at all for
//! [`Empty`](BodyFraming::Empty) and [`Tunnel`](BodyFraming::Tunnel).

use super::framing::BodyFraming;
use super::outgoing::{LengthField, OutgoingFields};
use crate::wire::{
    OriginalHeaderNames, ReasonPhrase, WireName, ordered_headers, title_case_in_place,
};
use bytes::{BufMut, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header, request, response};
use std::fmt::Write as _;

/// Whether `Transfer-Encoding` is set and its last coding is chunked.
fn chunked_is_last(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .next_back()
        .and_then(|v| v.as_bytes().split(|&b| b == b',').next_back())
        .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// Settles the framing fields of a request about to be written, given the exact body size if
/// known, and returns how to write the body:
///
/// 1. `Transfer-Encoding` ending in chunked → chunked (any `Content-Length` removed);
///    a `Transfer-Encoding` not ending in chunked is removed.
/// 2. a valid `Content-Length` → that length.
/// 3. a known size → `Content-Length` added (for an empty body only on POST, PUT and PATCH,
///    which are expected to have one) → that length.
/// 4. else `Transfer-Encoding: chunked` added → chunked.
pub fn prepare_request_framing(
    method: &Method,
    headers: &mut HeaderMap,
    body_size: Option<u64>,
) -> BodyFraming {
    let fields = OutgoingFields::of(headers);
    settle_request_framing(method, headers, body_size, &fields)
}

/// [`prepare_request_framing`] with the map's `fields` already read.
pub(crate) fn settle_request_framing(
    method: &Method,
    headers: &mut HeaderMap,
    body_size: Option<u64>,
    fields: &OutgoingFields,
) -> BodyFraming {
    if fields.transfer_encoding {
        if chunked_is_last(headers) {
            headers.remove(header::CONTENT_LENGTH);
            return BodyFraming::Chunked;
        }
        headers.remove(header::TRANSFER_ENCODING);
    }
    match fields.content_length {
        LengthField::Valid(n) => return length(n),
        LengthField::Absent => {}
        LengthField::Invalid => {
            headers.remove(header::CONTENT_LENGTH);
        }
    }
    match body_size {
        Some(0) if !matches!(*method, Method::POST | Method::PUT | Method::PATCH) => {
            BodyFraming::Empty
        }
        Some(n) => {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
            length(n)
        }
        None => {
            headers.insert(
                header::TRANSFER_ENCODING,
                HeaderValue::from_static("chunked"),
            );
            BodyFraming::Chunked
        }
    }
}

/// Settles the framing fields of a response about to be written, given its request's method
/// and version and the exact body size if known, and returns how to write the body:
///
/// 1. 1xx and 204: `Content-Length` and `Transfer-Encoding` removed; no body (101: tunnel).
/// 2. 2xx to CONNECT: both removed (RFC 9110 §9.3.6); tunnel.
/// 3. HEAD and 304: fields kept as set (they describe the GET response); no body.
/// 4. `Transfer-Encoding` ending in chunked, to an HTTP/1.1 request → chunked
///    (`Content-Length` removed); otherwise `Transfer-Encoding` is removed.
/// 5. a valid `Content-Length` → that length; a known size → `Content-Length` added.
/// 6. unknown size: HTTP/1.1 → `Transfer-Encoding: chunked` added; HTTP/1.0 → close-delimited
///    (the connection must close after the body).
pub fn prepare_response_framing(
    request_method: &Method,
    request_version: Version,
    status: StatusCode,
    headers: &mut HeaderMap,
    body_size: Option<u64>,
) -> BodyFraming {
    let fields = OutgoingFields::of(headers);
    let (framing, added) = settle_response_framing(
        request_method,
        request_version,
        status,
        headers,
        body_size,
        &fields,
    );
    added.insert_into(headers);
    framing
}

/// A framing field that [`settle_response_framing`] decided to add: the engine writes it
/// straight into the head (after the other fields) instead of inserting it into the map,
/// which would cost an allocation and a hash insert per response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddedField {
    None,
    ContentLength(u64),
    Chunked,
}

impl AddedField {
    pub(crate) fn insert_into(self, headers: &mut HeaderMap) {
        match self {
            Self::None => {}
            Self::ContentLength(n) => {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
            }
            Self::Chunked => {
                headers.insert(
                    header::TRANSFER_ENCODING,
                    HeaderValue::from_static("chunked"),
                );
            }
        }
    }

    /// Appends the field line (`Name: value\r\n`) to `dst`.
    pub(crate) fn encode(self, dst: &mut BytesMut) {
        match self {
            Self::None => {}
            Self::ContentLength(n) => {
                dst.put_slice(b"Content-Length: ");
                put_decimal(n, dst);
                dst.put_slice(b"\r\n");
            }
            Self::Chunked => dst.put_slice(b"Transfer-Encoding: chunked\r\n"),
        }
    }
}

/// `n` in decimal, without going through `fmt`.
fn put_decimal(mut n: u64, dst: &mut BytesMut) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // `n % 10` is below 10: the cast cannot truncate
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&digits[at..]);
}

/// [`prepare_response_framing`] with the map's `fields` already read, except that a field to
/// add is returned rather than inserted.
pub(crate) fn settle_response_framing(
    request_method: &Method,
    request_version: Version,
    status: StatusCode,
    headers: &mut HeaderMap,
    body_size: Option<u64>,
    fields: &OutgoingFields,
) -> (BodyFraming, AddedField) {
    let has_te = fields.transfer_encoding;
    let has_cl = fields.content_length != LengthField::Absent;
    let tunnel = status == StatusCode::SWITCHING_PROTOCOLS
        || (request_method == Method::CONNECT && status.is_success());
    if tunnel || status.is_informational() || status == StatusCode::NO_CONTENT {
        if has_cl {
            headers.remove(header::CONTENT_LENGTH);
        }
        if has_te {
            headers.remove(header::TRANSFER_ENCODING);
        }
        let framing = if tunnel {
            BodyFraming::Tunnel
        } else {
            BodyFraming::Empty
        };
        return (framing, AddedField::None);
    }
    if request_method == Method::HEAD || status == StatusCode::NOT_MODIFIED {
        return (BodyFraming::Empty, AddedField::None);
    }
    let can_chunk = request_version == Version::HTTP_11;
    if has_te {
        if can_chunk && chunked_is_last(headers) {
            if has_cl {
                headers.remove(header::CONTENT_LENGTH);
            }
            return (BodyFraming::Chunked, AddedField::None);
        }
        headers.remove(header::TRANSFER_ENCODING);
    }
    match fields.content_length {
        LengthField::Valid(n) => return (length(n), AddedField::None),
        LengthField::Absent => {}
        LengthField::Invalid => {
            headers.remove(header::CONTENT_LENGTH);
        }
    }
    match body_size {
        Some(n) => (length(n), AddedField::ContentLength(n)),
        None if can_chunk => (BodyFraming::Chunked, AddedField::Chunked),
        None => (BodyFraming::CloseDelimited, AddedField::None),
    }
}

const fn length(n: u64) -> BodyFraming {
    if n == 0 {
        BodyFraming::Empty
    } else {
        BodyFraming::Length(n)
    }
}

fn version_str(v: Version) -> &'static str {
    if v == Version::HTTP_10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    }
}

fn encode_fields(headers: &HeaderMap, record: Option<&OriginalHeaderNames>, dst: &mut BytesMut) {
    encode_field_lines(headers, record, dst);
    dst.put_slice(b"\r\n");
}

/// The field lines, without the empty line that ends the head.
fn encode_field_lines(
    headers: &HeaderMap,
    record: Option<&OriginalHeaderNames>,
    dst: &mut BytesMut,
) {
    match record {
        Some(record) if !record.is_empty() => {
            for (name, value) in ordered_headers(headers, Some(record)) {
                put_field_line(name, value, dst);
            }
        }
        // no record: the map's order, names in the default form
        _ => {
            for (name, value) in headers {
                put_field_line(WireName::Default(name), value, dst);
            }
        }
    }
}

/// Appends the field line `name: value CRLF` to `dst`: one capacity check and four copies.
/// A `put_slice` per piece checked the capacity each time and called `memcpy` for the
/// two-byte pieces (about 80 instructions more per line, and a proxy writes each field
/// twice).
pub(crate) fn put_field_line(name: WireName<'_>, value: &HeaderValue, dst: &mut BytesMut) {
    let (spelling, title_case) = match name {
        WireName::Original(spelling) => (spelling, false),
        WireName::Default(name) => (name.as_str().as_bytes(), true),
    };
    let value = value.as_bytes();
    let len = spelling.len() + value.len() + 4;
    dst.reserve(len);
    let start = dst.len();
    // SAFETY: `reserve` made room for `len` more bytes past `start`; the copies write
    // exactly those bytes (name, `: `, value, CRLF), from slices that are not part of the
    // buffer's spare room, before the length is set.
    unsafe {
        let at = dst.as_mut_ptr().add(start);
        std::ptr::copy_nonoverlapping(spelling.as_ptr(), at, spelling.len());
        let at = at.add(spelling.len());
        std::ptr::copy_nonoverlapping(b": ".as_ptr(), at, 2);
        let at = at.add(2);
        std::ptr::copy_nonoverlapping(value.as_ptr(), at, value.len());
        std::ptr::copy_nonoverlapping(b"\r\n".as_ptr(), at.add(value.len()), 2);
        dst.set_len(start + len);
    }
    if title_case {
        title_case_in_place(&mut dst[start..start + spelling.len()], true);
    }
}

/// Writes a request head: `METHOD SP target SP version CRLF`, the fields, the empty line.
///
/// The target is the URI as the parts hold it (origin-form `/path?q` as parsed; a client sets
/// the form it needs before writing). Versions other than HTTP/1.0 are written as HTTP/1.1.
pub fn encode_request_head(parts: &request::Parts, dst: &mut BytesMut) {
    dst.put_slice(parts.method.as_str().as_bytes());
    dst.put_u8(b' ');
    // BytesMut's fmt::Write never fails
    let _ = write!(dst, "{}", parts.uri);
    dst.put_u8(b' ');
    dst.put_slice(version_str(parts.version).as_bytes());
    dst.put_slice(b"\r\n");
    encode_fields(&parts.headers, parts.extensions.get(), dst);
}

/// Writes a response head: `version SP code SP reason CRLF`, the fields, the empty line.
///
/// The reason is the [`ReasonPhrase`] in the extensions if any, else the canonical one (empty
/// for unknown codes). Versions other than HTTP/1.0 are written as HTTP/1.1.
pub fn encode_response_head(parts: &response::Parts, dst: &mut BytesMut) {
    encode_response_head_open(parts, dst);
    dst.put_slice(b"\r\n");
}

/// [`encode_response_head`] without the empty line that ends the head: the caller appends
/// more field lines, then `\r\n`.
pub(crate) fn encode_response_head_open(parts: &response::Parts, dst: &mut BytesMut) {
    dst.put_slice(version_str(parts.version).as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(parts.status.as_str().as_bytes());
    dst.put_u8(b' ');
    match parts.extensions.get::<ReasonPhrase>() {
        Some(reason) => dst.put_slice(reason.as_bytes()),
        None => dst.put_slice(parts.status.canonical_reason().unwrap_or("").as_bytes()),
    }
    dst.put_slice(b"\r\n");
    encode_field_lines(&parts.headers, parts.extensions.get(), dst);
}

/// Writes one chunk: size in hex, CRLF, the data, CRLF. Empty data writes nothing (an empty
/// chunk would end the body).
pub fn encode_chunk(data: &[u8], dst: &mut BytesMut) {
    if data.is_empty() {
        return;
    }
    dst.reserve(data.len() + 20);
    encode_chunk_header(data.len(), dst);
    dst.put_slice(data);
    dst.put_slice(b"\r\n");
}

/// Writes only a chunk's size line (`{len:X}\r\n`), for a writer that sends the data
/// itself (vectored, without copying) followed by `\r\n`. `len` must not be 0 (that is the
/// last chunk: use [`encode_last_chunk`]).
pub fn encode_chunk_header(len: usize, dst: &mut BytesMut) {
    let _ = write!(dst, "{len:X}\r\n");
}

/// Writes the last chunk (`0 CRLF`), the trailers if any (Title-Case names) and the final
/// CRLF.
pub fn encode_last_chunk(trailers: Option<&HeaderMap>, dst: &mut BytesMut) {
    dst.put_slice(b"0\r\n");
    match trailers {
        Some(t) => encode_fields(t, None, dst),
        None => dst.put_slice(b"\r\n"),
    }
}

#[cfg(test)]
mod tests;
