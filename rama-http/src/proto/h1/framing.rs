//! How long a message body is (RFC 9112 §6.3), decided from the head alone.
//!
//! The smuggling defences of RFC 9112 §6 and §11 live here, each one a [`ParseError`]:
//!
//! - `Transfer-Encoding` together with `Content-Length` is rejected
//!   ([`TransferEncodingWithContentLength`](ParseError::TransferEncodingWithContentLength)),
//!   in requests and responses: two parsers could frame such a message differently.
//! - `Content-Length` must be `1*DIGIT` fitting in a `u64`: a sign, inner or surrounding
//!   spaces after trimming, other bytes or an overflow give
//!   [`InvalidContentLength`](ParseError::InvalidContentLength). Several values (repeated
//!   fields or a list `5, 5`) are accepted only when all are equal, and the parser then folds
//!   them into one field; differing values give
//!   [`ConflictingContentLength`](ParseError::ConflictingContentLength).
//! - Transfer codings must be `chunked`, `gzip`, `x-gzip`, `deflate` or `compress`
//!   (`x-compress`), without parameters, else
//!   [`UnknownTransferCoding`](ParseError::UnknownTransferCoding); `chunked` at most once
//!   ([`ChunkedRepeated`](ParseError::ChunkedRepeated)). Codings other than chunked are not
//!   decoded: the body is passed on with them, as is the header.
//! - A request whose last coding is not `chunked` is rejected
//!   ([`ChunkedNotLast`](ParseError::ChunkedNotLast)); a response like that is read until the
//!   connection closes, as §6.3 says.
//! - `Transfer-Encoding` in an HTTP/1.0 message is rejected
//!   ([`TransferEncodingInHttp10`](ParseError::TransferEncodingInHttp10)), per §6.1.

use super::ParseError;
use http::{HeaderMap, Method, StatusCode, Version, header};

/// How the body of a message is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body: the message ends with its head.
    Empty,
    /// Exactly this many bytes (`Content-Length`, never 0: that is [`Empty`](Self::Empty)).
    Length(u64),
    /// Chunked transfer coding, possibly with trailers.
    Chunked,
    /// Everything until the connection closes (responses only).
    CloseDelimited,
    /// The connection becomes a tunnel after the head (2xx to CONNECT, 101 to an Upgrade).
    Tunnel,
}

/// The `Content-Length` of `headers`, if any, checked as described in the module docs.
pub fn content_length(headers: &HeaderMap) -> Result<Option<u64>, ParseError> {
    let values = headers.get_all(header::CONTENT_LENGTH);
    let mut iter = values.iter();
    let Some(first) = iter.next() else {
        return Ok(None);
    };
    // the usual case, one field with one item, without the list machinery below
    if iter.next().is_none() && !first.as_bytes().contains(&b',') {
        return length_item(first.as_bytes()).map(Some);
    }
    let mut fold = LengthFold::default();
    for value in &values {
        fold.add(value.as_bytes())?;
    }
    Ok(fold.found())
}

/// The `Content-Length` values of a message taken one field at a time, as
/// [`content_length`] takes them: every list item a number, all of them equal.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LengthFold {
    found: Option<u64>,
}

impl LengthFold {
    /// Adds the value of one field.
    pub(crate) fn add(&mut self, value: &[u8]) -> Result<(), ParseError> {
        for item in value.split(|&b| b == b',') {
            let n = length_item(item)?;
            match self.found {
                Some(prev) if prev != n => return Err(ParseError::ConflictingContentLength),
                _ => self.found = Some(n),
            }
        }
        Ok(())
    }

    /// The length the values agree on (`None` before any was added).
    pub(crate) const fn found(self) -> Option<u64> {
        self.found
    }
}

/// One item of a `Content-Length` list: ASCII digits (whitespace around allowed) that fit
/// in a `u64`.
pub(crate) fn length_item(item: &[u8]) -> Result<u64, ParseError> {
    let item = item.trim_ascii();
    if item.is_empty() {
        return Err(ParseError::InvalidContentLength);
    }
    item.iter()
        .try_fold(0u64, |n, &d| {
            if !d.is_ascii_digit() {
                return None;
            }
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(ParseError::InvalidContentLength)
}

/// What the `Transfer-Encoding` fields say, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codings {
    None,
    ChunkedLast,
    ChunkedNotLast,
}

fn transfer_codings(headers: &HeaderMap) -> Result<Codings, ParseError> {
    let mut any = false;
    let mut chunked_seen = false;
    let mut last_is_chunked = false;
    for value in headers.get_all(header::TRANSFER_ENCODING) {
        any = true;
        for item in value.as_bytes().split(|&b| b == b',') {
            let item = item.trim_ascii();
            if item.is_empty() {
                // empty list elements are allowed by the list syntax (RFC 9110 §5.6.1)
                continue;
            }
            let known = [
                &b"chunked"[..],
                b"gzip",
                b"x-gzip",
                b"deflate",
                b"compress",
                b"x-compress",
            ]
            .iter()
            .any(|k| item.eq_ignore_ascii_case(k));
            if !known {
                return Err(ParseError::UnknownTransferCoding);
            }
            let is_chunked = item.eq_ignore_ascii_case(b"chunked");
            if is_chunked && chunked_seen {
                return Err(ParseError::ChunkedRepeated);
            }
            chunked_seen |= is_chunked;
            last_is_chunked = is_chunked;
        }
    }
    Ok(match (any, last_is_chunked) {
        (false, _) => Codings::None,
        (true, true) => Codings::ChunkedLast,
        (true, false) => Codings::ChunkedNotLast,
    })
}

fn checked_framing(
    version: Version,
    headers: &HeaderMap,
) -> Result<(Codings, Option<u64>), ParseError> {
    let codings = transfer_codings(headers)?;
    let length = content_length(headers)?;
    if codings != Codings::None {
        if version == Version::HTTP_10 {
            return Err(ParseError::TransferEncodingInHttp10);
        }
        if headers.contains_key(header::CONTENT_LENGTH) {
            return Err(ParseError::TransferEncodingWithContentLength);
        }
    }
    Ok((codings, length))
}

/// The framing of a request body (RFC 9112 §6.3): chunked if `Transfer-Encoding` ends with
/// chunked, else `Content-Length` bytes, else no body.
pub fn request_body_framing(
    version: Version,
    headers: &HeaderMap,
) -> Result<BodyFraming, ParseError> {
    Ok(match checked_framing(version, headers)? {
        (Codings::ChunkedLast, _) => BodyFraming::Chunked,
        (Codings::ChunkedNotLast, _) => return Err(ParseError::ChunkedNotLast),
        (Codings::None, Some(0) | None) => BodyFraming::Empty,
        (Codings::None, Some(n)) => BodyFraming::Length(n),
    })
}

/// The framing of a response body (RFC 9112 §6.3), given the method of its request: none for
/// HEAD, 1xx, 204 and 304; a tunnel for 2xx to CONNECT and 101; then chunked,
/// `Content-Length`, or until the connection closes.
///
/// The head is checked even where its framing fields are ignored, so a response with
/// conflicting fields is rejected whatever its status.
pub fn response_body_framing(
    request_method: &Method,
    status: StatusCode,
    version: Version,
    headers: &HeaderMap,
) -> Result<BodyFraming, ParseError> {
    let (codings, length) = checked_framing(version, headers)?;
    Ok(response_framing(request_method, status, codings, length))
}

/// [`response_body_framing`] of a response without `Transfer-Encoding`, whose
/// `Content-Length` (if any) was already checked: `length`. The head parser calls this for
/// the responses whose single plain `Content-Length` it read while parsing the fields.
pub(crate) fn response_framing_by_length(
    request_method: &Method,
    status: StatusCode,
    length: Option<u64>,
) -> BodyFraming {
    response_framing(request_method, status, Codings::None, length)
}

fn response_framing(
    request_method: &Method,
    status: StatusCode,
    codings: Codings,
    length: Option<u64>,
) -> BodyFraming {
    if status == StatusCode::SWITCHING_PROTOCOLS
        || (request_method == Method::CONNECT && status.is_success())
    {
        return BodyFraming::Tunnel;
    }
    if request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return BodyFraming::Empty;
    }
    match (codings, length) {
        (Codings::ChunkedLast, _) => BodyFraming::Chunked,
        (Codings::ChunkedNotLast, _) | (Codings::None, None) => BodyFraming::CloseDelimited,
        (Codings::None, Some(0)) => BodyFraming::Empty,
        (Codings::None, Some(n)) => BodyFraming::Length(n),
    }
}

#[cfg(test)]
#[expect(clippy::type_complexity, reason = "test tables")]
mod tests {
    use super::*;
    use crate::test_util::header_map;

    #[test]
    fn request_framing_table() {
        use BodyFraming::*;
        use ParseError::*;
        let v11 = Version::HTTP_11;
        let v10 = Version::HTTP_10;
        #[expect(clippy::type_complexity, reason = "test table")]
        let cases: &[(Version, &[(&str, &str)], Result<BodyFraming, ParseError>)] = &[
            (v11, &[], Ok(Empty)),
            (v11, &[("content-length", "0")], Ok(Empty)),
            (v11, &[("content-length", "42")], Ok(Length(42))),
            (v11, &[("content-length", "007")], Ok(Length(7))),
            (
                v11,
                &[("content-length", "18446744073709551615")],
                Ok(Length(u64::MAX)),
            ),
            (
                v11,
                &[("content-length", "18446744073709551616")],
                Err(InvalidContentLength),
            ),
            (v11, &[("content-length", "+5")], Err(InvalidContentLength)),
            (v11, &[("content-length", "-5")], Err(InvalidContentLength)),
            (v11, &[("content-length", "5 5")], Err(InvalidContentLength)),
            (
                v11,
                &[("content-length", "0x10")],
                Err(InvalidContentLength),
            ),
            (v11, &[("content-length", "")], Err(InvalidContentLength)),
            (v11, &[("content-length", "1.0")], Err(InvalidContentLength)),
            (v11, &[("content-length", "5, 5")], Ok(Length(5))),
            (
                v11,
                &[("content-length", "5"), ("content-length", "5")],
                Ok(Length(5)),
            ),
            (
                v11,
                &[("content-length", "5"), ("content-length", "6")],
                Err(ConflictingContentLength),
            ),
            (
                v11,
                &[("content-length", "5, 6")],
                Err(ConflictingContentLength),
            ),
            (v11, &[("content-length", "5,")], Err(InvalidContentLength)),
            (v11, &[("transfer-encoding", "chunked")], Ok(Chunked)),
            (v11, &[("transfer-encoding", "Chunked")], Ok(Chunked)),
            (v11, &[("transfer-encoding", "gzip, chunked")], Ok(Chunked)),
            (
                v11,
                &[
                    ("transfer-encoding", "gzip"),
                    ("transfer-encoding", "chunked"),
                ],
                Ok(Chunked),
            ),
            (
                v11,
                &[("transfer-encoding", "chunked, gzip")],
                Err(ChunkedNotLast),
            ),
            (v11, &[("transfer-encoding", "gzip")], Err(ChunkedNotLast)),
            (
                v11,
                &[("transfer-encoding", "chunked, chunked")],
                Err(ChunkedRepeated),
            ),
            (
                v11,
                &[
                    ("transfer-encoding", "chunked"),
                    ("transfer-encoding", "chunked"),
                ],
                Err(ChunkedRepeated),
            ),
            (
                v11,
                &[("transfer-encoding", "identity")],
                Err(UnknownTransferCoding),
            ),
            (
                v11,
                &[("transfer-encoding", "chunked;q=1")],
                Err(UnknownTransferCoding),
            ),
            (
                v11,
                &[("transfer-encoding", "xchunked")],
                Err(UnknownTransferCoding),
            ),
            (
                v11,
                &[("transfer-encoding", "chunked"), ("content-length", "5")],
                Err(TransferEncodingWithContentLength),
            ),
            (
                v11,
                &[("content-length", "5"), ("transfer-encoding", "chunked")],
                Err(TransferEncodingWithContentLength),
            ),
            (
                v10,
                &[("transfer-encoding", "chunked")],
                Err(TransferEncodingInHttp10),
            ),
            (v10, &[("content-length", "3")], Ok(Length(3))),
        ];
        for (version, fields, want) in cases {
            assert_eq!(
                &request_body_framing(*version, &header_map(fields)),
                want,
                "{fields:?}"
            );
        }
    }

    #[test]
    fn response_framing_table() {
        use BodyFraming::*;
        let get = Method::GET;
        let head = Method::HEAD;
        let connect = Method::CONNECT;
        let cl = &[("content-length", "10")][..];
        let te = &[("transfer-encoding", "chunked")][..];
        let cases: &[(
            &Method,
            u16,
            &[(&str, &str)],
            Result<BodyFraming, ParseError>,
        )] = &[
            (&get, 200, cl, Ok(Length(10))),
            (&get, 200, te, Ok(Chunked)),
            (&get, 200, &[], Ok(CloseDelimited)),
            (&get, 200, &[("content-length", "0")], Ok(Empty)),
            (
                &get,
                200,
                &[("transfer-encoding", "gzip")],
                Ok(CloseDelimited),
            ),
            (&head, 200, cl, Ok(Empty)),
            (&head, 200, te, Ok(Empty)),
            (&get, 100, &[], Ok(Empty)),
            (&get, 103, &[], Ok(Empty)),
            (&get, 204, cl, Ok(Empty)),
            (&get, 304, cl, Ok(Empty)),
            (&get, 101, &[], Ok(Tunnel)),
            (&connect, 200, cl, Ok(Tunnel)),
            (&connect, 407, cl, Ok(Length(10))),
            (
                &get,
                200,
                &[("transfer-encoding", "chunked"), ("content-length", "1")],
                Err(ParseError::TransferEncodingWithContentLength),
            ),
            (
                &head,
                200,
                &[("content-length", "1"), ("content-length", "2")],
                Err(ParseError::ConflictingContentLength),
            ),
        ];
        for (method, status, fields, want) in cases {
            let status = StatusCode::from_u16(*status).unwrap();
            assert_eq!(
                &response_body_framing(method, status, Version::HTTP_11, &header_map(fields)),
                want,
                "{method} {status} {fields:?}"
            );
        }
    }
}
