//! Fuzzes the HTTP/1 chunked body decoder: no panic on any input; feeding the bytes one at a
//! time gives the same data, trailers, leftover bytes and error as feeding them whole; a body
//! that decodes is encoded again and decodes to the same data and trailers.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rama_http::__private::h1::{
    BodyDecoder, BodyFraming, DecodeError, Decoded, Http1Limits, encode_chunk, encode_last_chunk,
};
use rama_http::HeaderMap;

#[derive(Debug, PartialEq)]
struct Outcome {
    chunks: Vec<Vec<u8>>,
    trailers: Option<HeaderMap>,
    rest: Vec<u8>,
}

fn limits() -> Http1Limits {
    Http1Limits::new()
        .with_max_chunk_line_bytes(64)
        .with_max_chunk_extensions_bytes(256)
        .with_max_trailer_bytes(512)
        .with_max_trailers(8)
}

/// Decodes `pieces` fed one after the other; `Ok(None)` when the body is not complete.
fn decode(pieces: &[&[u8]], limits: &Http1Limits) -> Result<Option<Outcome>, DecodeError> {
    let mut dec = BodyDecoder::new(BodyFraming::Chunked, limits);
    let mut buf = BytesMut::new();
    let mut chunks = Vec::new();
    let mut trailers = None;
    for (i, piece) in pieces.iter().enumerate() {
        buf.extend_from_slice(piece);
        while let Some(item) = dec.decode(&mut buf)? {
            match item {
                Decoded::Data(d) => {
                    if d.is_empty() {
                        panic!("empty data frame");
                    }
                    chunks.push(d.to_vec());
                }
                Decoded::Trailers(t) => trailers = Some(t),
                Decoded::End => {
                    let mut rest = buf.to_vec();
                    for later in &pieces[i + 1..] {
                        rest.extend_from_slice(later);
                    }
                    return Ok(Some(Outcome {
                        chunks,
                        trailers,
                        rest,
                    }));
                }
            }
        }
    }
    Ok(None)
}

fn joined(o: &Option<Outcome>) -> Option<(Vec<u8>, &Option<HeaderMap>, &Vec<u8>)> {
    o.as_ref()
        .map(|o| (o.chunks.concat(), &o.trailers, &o.rest))
}

fuzz_target!(|data: &[u8]| {
    let whole = decode(&[data], &limits());
    let bytes: Vec<&[u8]> = data.chunks(1).collect();
    let one_by_one = decode(&bytes, &limits());
    let same = match (&whole, &one_by_one) {
        (Ok(a), Ok(b)) => joined(a) == joined(b),
        (Err(a), Err(b)) => a == b,
        _ => false,
    };
    if !same {
        panic!("{data:?}: whole {whole:?} != byte by byte {one_by_one:?}");
    }
    let Ok(Some(outcome)) = whole else {
        return;
    };
    let mut wire = BytesMut::new();
    for chunk in &outcome.chunks {
        encode_chunk(chunk, &mut wire);
    }
    encode_last_chunk(outcome.trailers.as_ref(), &mut wire);
    // default limits: writing normalises `name:value` to `name: value`, which may grow it
    match decode(&[&wire], &Http1Limits::new()) {
        Ok(Some(again))
            if again.chunks.concat() == outcome.chunks.concat()
                && again.trailers == outcome.trailers
                && again.rest.is_empty() => {}
        other => panic!("{data:?} -> {wire:?} -> {other:?}"),
    }
});
