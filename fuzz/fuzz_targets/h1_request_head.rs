//! Fuzzes the HTTP/1 request head parser: no panic on any input; feeding the bytes in two
//! pieces gives the same result as feeding them whole; a head that parses is written and
//! parsed again to the same head, and writing that again gives the same bytes. A parser
//! handed a used header map (`recycle`) parses to the same head as a new one. The framing
//! the parser decided (from the values it noted while reading the fields) is the one
//! `request_body_framing` reads from the parsed map.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rama_http::__private::h1::{
    Http1Limits, ParseError, RequestHead, RequestHeadParser, encode_request_head,
    request_body_framing,
};
use rama_http::{HeaderMap, HeaderValue};

/// Small limits, so that the fuzzer reaches them.
fn limits() -> Http1Limits {
    Http1Limits::new()
        .with_max_head_bytes(2048)
        .with_max_headers(16)
        .with_max_start_line_bytes(512)
        .with_max_header_line_bytes(512)
}

fn parse(
    limits: Http1Limits,
    pieces: &[&[u8]],
) -> Result<Option<(RequestHead, BytesMut)>, ParseError> {
    parse_with(RequestHeadParser::new(limits), pieces)
}

/// A map as a written response leaves it: fields in it, room for more.
fn used_map() -> HeaderMap {
    let mut map = HeaderMap::with_capacity(20);
    for name in ["x-stale", "host", "content-length", "connection"] {
        map.append(name, HeaderValue::from_static("1"));
    }
    map
}

fn parse_with(
    mut parser: RequestHeadParser,
    pieces: &[&[u8]],
) -> Result<Option<(RequestHead, BytesMut)>, ParseError> {
    let mut buf = BytesMut::new();
    for (i, piece) in pieces.iter().enumerate() {
        buf.extend_from_slice(piece);
        if let Some(head) = parser.parse(&mut buf)? {
            // what follows the head: the rest of the buffer and the pieces not fed yet
            for later in &pieces[i + 1..] {
                buf.extend_from_slice(later);
            }
            return Ok(Some((head, buf)));
        }
    }
    Ok(None)
}

fn summary(r: &Result<Option<(RequestHead, BytesMut)>, ParseError>) -> String {
    match r {
        Ok(Some((h, rest))) => format!("{:?} {:?} rest={:?}", h.parts, h.framing, rest),
        other => format!("{:?}", other.as_ref().map(|_| ())),
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = parse(limits(), &[data]);
    if let Some(&first) = data.first() {
        let at = usize::from(first) % (data.len() + 1);
        let (a, b) = data.split_at(at);
        let split = parse(limits(), &[a, b]);
        // an error found early in a prefix may differ in kind only if the whole errs too
        match (&whole, &split) {
            (Ok(_), _) | (_, Ok(_)) if summary(&whole) != summary(&split) => {
                panic!(
                    "whole {} != split at {at} {}",
                    summary(&whole),
                    summary(&split)
                )
            }
            _ => {}
        }
    }
    let mut recycling = RequestHeadParser::new(limits());
    recycling.recycle(used_map());
    let recycled = parse_with(recycling, &[data]);
    if summary(&recycled) != summary(&whole) {
        panic!("recycled {} != new {}", summary(&recycled), summary(&whole));
    }
    let Ok(Some((head, _))) = whole else {
        return;
    };
    match request_body_framing(head.parts.version, &head.parts.headers) {
        Ok(framing) if framing == head.framing => {}
        other => panic!("parsed as {:?}, the map says {other:?}", head.framing),
    }
    let mut written = BytesMut::new();
    encode_request_head(&head.parts, &mut written);
    let again = match parse(Http1Limits::new(), &[&written]) {
        Ok(Some((again, _))) => again,
        other => panic!("{data:?} -> {written:?} -> {}", summary(&other)),
    };
    if again.parts.method != head.parts.method
        || again.parts.uri != head.parts.uri
        || again.parts.version != head.parts.version
        || again.parts.headers != head.parts.headers
        || again.framing != head.framing
    {
        panic!(
            "{data:?} -> {written:?}: {:?} != {:?}",
            head.parts, again.parts
        );
    }
    let mut rewritten = BytesMut::new();
    encode_request_head(&again.parts, &mut rewritten);
    if rewritten != written {
        panic!("{written:?} rewritten as {rewritten:?}");
    }
});
