//! Message head parsers: request heads (server side) and response heads (client side).
//!
//! Both are incremental: call `parse` with the connection's read buffer each time it grew.
//! `Ok(None)` means the head is not complete yet; `Ok(Some(head))` means it was parsed and its
//! bytes were split off the front of the buffer (what stays is the start of the body or of
//! the next message). After an error the connection must be answered (server:
//! [`ParseError::status`]) and closed; the buffer's content and the parser's state are then
//! unspecified (but using them never panics).
//!
//! The start line is parsed here (exact errors per token); header fields are parsed in
//! `fields.rs` (a line at a time, `field_line.rs`), then checked again by the framing rules
//! in `framing.rs`.
//!
//! # What is refused (each a [`ParseError`], each with a test row in `head/tests.rs`)
//!
//! - a line not ended by CRLF (bare LF) or a bare CR inside a line: two parsers could split
//!   lines differently ([`InvalidLineEnding`](ParseError::InvalidLineEnding));
//! - request-line junk: a missing or doubled SP, anything after the version
//!   ([`InvalidStartLine`](ParseError::InvalidStartLine), [`InvalidUri`](ParseError::InvalidUri),
//!   [`InvalidVersion`](ParseError::InvalidVersion));
//! - a method that is not a token, a target with bytes outside visible ASCII or in a form
//!   that does not fit the method (authority-form only for CONNECT, `*` only for OPTIONS);
//! - a version other than `HTTP/1.0` and `HTTP/1.1` (505 when it looks like `HTTP/x.y`);
//! - obs-fold, a field line starting with SP or HTAB (RFC 9112 §5.2,
//!   [`ObsFold`](ParseError::ObsFold));
//! - whitespace between a field name and its colon (RFC 9112 §5.1,
//!   [`WhitespaceBeforeColon`](ParseError::WhitespaceBeforeColon));
//! - NUL, CR, LF, DEL or other controls in a field value (RFC 9110 §5.5,
//!   [`InvalidHeaderValue`](ParseError::InvalidHeaderValue));
//! - in HTTP/1.1 requests a missing `Host`, in any request several, or one that is not
//!   `host[:port]` ([`InvalidHost`](ParseError::InvalidHost));
//! - the body framing conflicts listed in `framing.rs` (TE with CL, differing CL, invalid CL,
//!   unknown or repeated codings, chunked not last, TE in HTTP/1.0).
//!
//! Empty lines before a request line are skipped (RFC 9112 §2.2) and count towards the head
//! size limit. Whitespace around field values is trimmed.

use super::fields::{SeenFields, SpareMap, is_tchar, parse_fields};
use super::framing::{
    BodyFraming, content_length, request_body_framing, response_body_framing,
    response_framing_by_length,
};
use super::scan::{HeadBounds, HeadScanner};
use super::{Http1Limits, ParseError};
use crate::wire::ReasonPhrase;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version, header, request, response};

/// A parsed request head: its parts (with an
/// [`OriginalHeaderNames`](crate::wire::OriginalHeaderNames) record in the extensions when
/// the map alone would not give the head back, see [`crate::wire`]) and how its body is
/// framed.
#[derive(Debug)]
pub struct RequestHead {
    /// Method, URI, version, headers and extensions.
    pub parts: request::Parts,
    /// How the body that follows is delimited.
    pub framing: BodyFraming,
    /// Which framing and connection fields the head has (the engine skips checks for the
    /// others).
    pub(crate) seen: SeenFields,
}

/// A parsed response head: its parts (with an
/// [`OriginalHeaderNames`](crate::wire::OriginalHeaderNames) record in the extensions when
/// the map alone would not give the head back, see [`crate::wire`], and [`ReasonPhrase`]
/// when the reason is not the canonical one) and how its body is framed.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status, version, headers and extensions.
    pub parts: response::Parts,
    /// How the body that follows is delimited.
    pub framing: BodyFraming,
    /// Which framing and connection fields the head has (the client skips checks for the
    /// others).
    pub(crate) seen: SeenFields,
}

impl ResponseHead {
    /// Whether the connection can carry another exchange after this response: the server
    /// keeps it open ([`wants_keep_alive`](super::wants_keep_alive), from the `Connection`
    /// options the parser noted) and the body does not end with the close.
    pub(crate) fn keeps_alive(&self) -> bool {
        self.seen.keep_alive(self.parts.version) && self.framing != BodyFraming::CloseDelimited
    }
}

/// Incremental parser of request heads; one per connection, reused for each request.
#[derive(Debug, Clone, Default)]
pub struct RequestHeadParser {
    limits: Http1Limits,
    scanner: HeadScanner,
    spare: SpareMap,
}

impl RequestHeadParser {
    /// A parser enforcing `limits`.
    #[must_use]
    pub fn new(limits: Http1Limits) -> Self {
        Self {
            limits,
            scanner: HeadScanner::default(),
            spare: SpareMap::default(),
        }
    }

    /// Parses the head at the front of `buf`; see the [module docs](self).
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<RequestHead>, ParseError> {
        let Some(bounds) = self.scanner.scan(buf, &self.limits)? else {
            return Ok(None);
        };
        self.scanner.reset();
        let head = buf.split_to(bounds.end).freeze();
        parse_request(&head, bounds, &mut self.spare).map(Some)
    }

    /// Hands back a header map that is done with (the response head just written): the
    /// next head is parsed into it, cleared, when it is small enough and has the room, which
    /// spares the two allocations of a new map.
    pub fn recycle(&mut self, headers: HeaderMap) {
        self.spare.keep(headers);
    }
}

/// Incremental parser of response heads; one per connection, reused for each response.
#[derive(Debug, Clone, Default)]
pub struct ResponseHeadParser {
    limits: Http1Limits,
    scanner: HeadScanner,
    spare: SpareMap,
}

impl ResponseHeadParser {
    /// A parser enforcing `limits`.
    #[must_use]
    pub fn new(limits: Http1Limits) -> Self {
        Self {
            limits,
            scanner: HeadScanner::default(),
            spare: SpareMap::default(),
        }
    }

    /// Hands back a header map that is done with (the request head just written and
    /// answered): the next head is parsed into it, cleared, when it is small enough and
    /// has the room, which spares the two allocations of a new map.
    pub fn recycle(&mut self, headers: HeaderMap) {
        self.spare.keep(headers);
    }

    /// Parses the head at the front of `buf`, the response to a `request_method` request
    /// (which decides the framing of HEAD and CONNECT responses); see the
    /// [module docs](self).
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        request_method: &Method,
    ) -> Result<Option<ResponseHead>, ParseError> {
        let Some(bounds) = self.scanner.scan(buf, &self.limits)? else {
            return Ok(None);
        };
        self.scanner.reset();
        let head = buf.split_to(bounds.end).freeze();
        parse_response(&head, bounds, request_method, &mut self.spare).map(Some)
    }
}

fn parse_version(token: &[u8]) -> Result<Version, ParseError> {
    match token {
        b"HTTP/1.1" => Ok(Version::HTTP_11),
        b"HTTP/1.0" => Ok(Version::HTTP_10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(ParseError::UnsupportedVersion)
        }
        _ => Err(ParseError::InvalidVersion),
    }
}

/// Splits a start line at its first SP; `None` when there is none.
fn split_sp(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = line.iter().position(|&b| b == b' ')?;
    Some((&line[..i], &line[i + 1..]))
}

fn parse_request(
    head: &Bytes,
    b: HeadBounds,
    spare: &mut SpareMap,
) -> Result<RequestHead, ParseError> {
    // without its CRLF
    let line = &head[b.leading..b.start_line_end - 2];
    let (method, rest) = split_sp(line).ok_or(ParseError::InvalidStartLine)?;
    let (target, version) = split_sp(rest).ok_or(ParseError::InvalidStartLine)?;
    if method.is_empty() || !method.iter().all(|&c| is_tchar(c)) {
        return Err(ParseError::InvalidMethod);
    }
    if target.is_empty() || !target.iter().all(|&c| (0x21..=0x7e).contains(&c)) {
        return Err(ParseError::InvalidUri);
    }
    let version = parse_version(version)?;
    let method = Method::from_bytes(method).map_err(|_| ParseError::InvalidMethod)?;
    let uri = Uri::from_maybe_shared(head.slice_ref(target)).map_err(|_| ParseError::InvalidUri)?;
    check_target_form(&method, &uri, target)?;

    let fields = head.slice(b.start_line_end..);
    let (mut headers, record, seen) = parse_fields(&fields, b.fields, Some(host_value_ok), spare)?;
    check_host(version, seen)?;
    // no framing field (most requests): no body, and nothing to check or fold; one plain
    // `Content-Length`: its value, read by the field parser
    let framing = if seen.framing_needs_the_map() {
        let framing = request_body_framing(version, &headers)?;
        if seen.any(SeenFields::CONTENT_LENGTH_UNFOLDED) {
            fold_content_length(&mut headers);
        }
        framing
    } else {
        match seen.plain_content_length() {
            None | Some(0) => BodyFraming::Empty,
            Some(n) => BodyFraming::Length(n),
        }
    };

    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri;
    parts.version = version;
    parts.headers = headers;
    if let Some(record) = record {
        parts.extensions.insert(record);
    }
    Ok(RequestHead {
        parts,
        framing,
        seen,
    })
}

/// RFC 9112 §3.2: exactly one `Host` in HTTP/1.1 (at most one in HTTP/1.0), empty or
/// `uri-host [":" port]` (no userinfo).
fn check_host(version: Version, seen: SeenFields) -> Result<(), ParseError> {
    if seen.any(SeenFields::HOST_REPEATED) {
        return Err(ParseError::InvalidHost);
    }
    if !seen.any(SeenFields::HOST) && version == Version::HTTP_11 {
        return Err(ParseError::InvalidHost);
    }
    // a single `Host` value was checked by `host_value_ok` while the fields were parsed
    Ok(())
}

/// Whether a single `Host` value is acceptable: empty, or `uri-host [":" port]` without
/// userinfo. The common shape (a reg-name of letters, digits, `.` and `-`, with an optional
/// port of one to five digits) is accepted by a byte scan; anything else goes through
/// [`host_value_ok_full`], which builds an [`http::uri::Authority`]. The scan only accepts
/// values the full check accepts too (table-tested), so the result is the full check's.
fn host_value_ok(host: &[u8]) -> Result<(), ParseError> {
    if is_plain_host(host) {
        Ok(())
    } else {
        host_value_ok_full(host)
    }
}

/// `name [":" port]` with `name` non-empty of ASCII letters, digits, `.` and `-`, and `port`
/// one to five ASCII digits: no allocation, no `Authority`.
fn is_plain_host(host: &[u8]) -> bool {
    let (name, port) = match host.iter().position(|&b| b == b':') {
        Some(i) => (&host[..i], Some(&host[i + 1..])),
        None => (host, None),
    };
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.iter().all(u8::is_ascii_digit))
}

/// The full `Host` value check: the host part as `http` parses an authority, no userinfo,
/// and a port (after the last `:` outside `[...]`) of digits only.
fn host_value_ok_full(host: &[u8]) -> Result<(), ParseError> {
    let port_ok = match host.iter().rposition(|&b| b == b':') {
        Some(i) if !host[i..].contains(&b']') => host[i + 1..].iter().all(u8::is_ascii_digit),
        _ => true,
    };
    if host.is_empty()
        || (port_ok && !host.contains(&b'@') && http::uri::Authority::try_from(host).is_ok())
    {
        Ok(())
    } else {
        Err(ParseError::InvalidHost)
    }
}

/// RFC 9112 §3.2: authority-form only (and always) for CONNECT, `*` only for OPTIONS, else
/// origin-form (`/...`) or absolute-form (`scheme://...`).
fn check_target_form(method: &Method, uri: &Uri, target: &[u8]) -> Result<(), ParseError> {
    let ok = if method == Method::CONNECT {
        uri.scheme().is_none()
            && uri.path_and_query().is_none()
            && uri.authority().is_some_and(|a| a.port().is_some())
    } else if target == b"*" {
        method == Method::OPTIONS
    } else {
        target[0] == b'/' || uri.scheme().is_some()
    };
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidUri)
    }
}

/// Several equal `Content-Length` values were accepted (by [`content_length`]): keep one
/// field, so that nothing downstream sees a list. The wire record still lists each field;
/// the writer then writes the one value under the first recorded spelling. Called only for
/// heads whose fields say so ([`SeenFields::CONTENT_LENGTH_UNFOLDED`]).
fn fold_content_length(headers: &mut HeaderMap) {
    if let Ok(Some(n)) = content_length(headers) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
}

fn parse_response(
    head: &Bytes,
    b: HeadBounds,
    request_method: &Method,
    spare: &mut SpareMap,
) -> Result<ResponseHead, ParseError> {
    let line = &head[b.leading..b.start_line_end - 2];
    let (version, rest) = split_sp(line).ok_or(ParseError::InvalidStartLine)?;
    let version = parse_version(version)?;
    // `HTTP/1.1 200 OK`, and, leniently, `HTTP/1.1 200` without the SP before the reason
    let (code, reason) = split_sp(rest).unwrap_or((rest, &[]));
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::InvalidStatus);
    }
    let status = StatusCode::from_bytes(code).map_err(|_| ParseError::InvalidStatus)?;
    // kept only when it is not the canonical one (see `ReasonPhrase`)
    let reason = if status.canonical_reason().map(str::as_bytes) == Some(reason) {
        None
    } else {
        Some(
            ReasonPhrase::try_from_bytes(head.slice_ref(reason))
                .map_err(|_| ParseError::InvalidReason)?,
        )
    };

    let fields = head.slice(b.start_line_end..);
    let (mut headers, record, seen) = parse_fields(&fields, b.fields, None, spare)?;
    // without `Transfer-Encoding` and with at most one plain `Content-Length` (nearly every
    // response) the framing follows from what the field parser read, without a lookup
    let framing = if seen.framing_needs_the_map() {
        let framing = response_body_framing(request_method, status, version, &headers)?;
        if framing != BodyFraming::Tunnel && seen.any(SeenFields::CONTENT_LENGTH_UNFOLDED) {
            fold_content_length(&mut headers);
        }
        framing
    } else {
        response_framing_by_length(request_method, status, seen.plain_content_length())
    };

    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = status;
    parts.version = version;
    parts.headers = headers;
    if let Some(record) = record {
        parts.extensions.insert(record);
    }
    if let Some(reason) = reason {
        parts.extensions.insert(reason);
    }
    Ok(ResponseHead {
        parts,
        framing,
        seen,
    })
}

#[cfg(test)]
mod tests;
