//! Fuzzes the HTTP/1 response head parser: no panic on any input (the first byte picks the
//! request method: GET, HEAD or CONNECT); feeding the bytes in two pieces gives the same
//! result as feeding them whole; a head that parses is written and parsed again to the same
//! head. The framing the parser decided (from the values it noted while reading the fields)
//! is the one `response_body_framing` reads from the parsed map.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rama_http::__private::h1::{
    Http1Limits, ParseError, ResponseHead, ResponseHeadParser, encode_response_head,
    response_body_framing,
};
use rama_http::Method;

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
    method: &Method,
) -> Result<Option<ResponseHead>, ParseError> {
    let mut parser = ResponseHeadParser::new(limits);
    let mut buf = BytesMut::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        if let Some(head) = parser.parse(&mut buf, method)? {
            return Ok(Some(head));
        }
    }
    Ok(None)
}

fn summary(r: &Result<Option<ResponseHead>, ParseError>) -> String {
    match r {
        Ok(Some(h)) => format!("{:?} {:?}", h.parts, h.framing),
        other => format!("{:?}", other.as_ref().map(|_| ())),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let method = match first % 3 {
        0 => Method::GET,
        1 => Method::HEAD,
        _ => Method::CONNECT,
    };
    let whole = parse(limits(), &[data], &method);
    let at = usize::from(first / 3) % (data.len() + 1);
    let (a, b) = data.split_at(at);
    let split = parse(limits(), &[a, b], &method);
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
    let Ok(Some(head)) = whole else {
        return;
    };
    let from_map = response_body_framing(
        &method,
        head.parts.status,
        head.parts.version,
        &head.parts.headers,
    );
    match from_map {
        Ok(framing) if framing == head.framing => {}
        other => panic!("parsed as {:?}, the map says {other:?}", head.framing),
    }
    let mut written = BytesMut::new();
    encode_response_head(&head.parts, &mut written);
    match parse(Http1Limits::new(), &[&written], &method) {
        Ok(Some(again))
            if again.parts.status == head.parts.status
                && again.parts.version == head.parts.version
                && again.parts.headers == head.parts.headers
                && again.framing == head.framing => {}
        other => panic!("{data:?} -> {written:?} -> {}", summary(&other)),
    }
});
