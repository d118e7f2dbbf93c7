#![expect(clippy::type_complexity, reason = "test tables")]

use super::*;
use crate::proto::h1::ParseError;

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    data: Vec<u8>,
    trailers: Option<HeaderMap>,
    rest: Vec<u8>,
}

/// Feeds `pieces` one after the other and decodes as far as possible after each.
fn run(
    framing: BodyFraming,
    limits: &Http1Limits,
    pieces: &[&[u8]],
) -> Result<Outcome, DecodeError> {
    let mut dec = BodyDecoder::new(framing, limits);
    let mut buf = BytesMut::new();
    let mut data = Vec::new();
    let mut trailers = None;
    for (i, piece) in pieces.iter().enumerate() {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&mut buf)? {
                None => break,
                Some(Decoded::Data(d)) => {
                    assert!(!d.is_empty(), "empty data frame");
                    data.extend_from_slice(&d);
                }
                Some(Decoded::Trailers(t)) => trailers = Some(t),
                Some(Decoded::End) => {
                    assert!(dec.is_done());
                    let mut rest = buf.to_vec();
                    for later in &pieces[i + 1..] {
                        rest.extend_from_slice(later);
                    }
                    return Ok(Outcome {
                        data,
                        trailers,
                        rest,
                    });
                }
            }
        }
    }
    Err(DecodeError::IncompleteBody)
}

fn chunked(input: &[u8]) -> Result<Outcome, DecodeError> {
    run(BodyFraming::Chunked, &Http1Limits::new(), &[input])
}

fn trailers(pairs: &[(&str, &str)]) -> Option<HeaderMap> {
    let mut m = HeaderMap::new();
    for (n, v) in pairs {
        m.append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Some(m)
}

#[test]
fn chunked_good_table() {
    let cases: &[(&[u8], &[u8], Option<HeaderMap>, &[u8])] = &[
        (b"0\r\n\r\n", b"", None, b""),
        (b"5\r\nhello\r\n0\r\n\r\n", b"hello", None, b""),
        (
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT",
            b"hello world",
            None,
            b"NEXT",
        ),
        (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", None, b""),
        (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789", None, b""),
        (b"00005\r\nhello\r\n000\r\n\r\n", b"hello", None, b""),
        (b"5;ext\r\nhello\r\n0\r\n\r\n", b"hello", None, b""),
        (
            b"5;name=\"quoted value\"\r\nhello\r\n0;last\r\n\r\n",
            b"hello",
            None,
            b"",
        ),
        (b"5 ;a=b\r\nhello\r\n0\r\n\r\n", b"hello", None, b""),
        (b"5\t; a\r\nhello\r\n0\r\n\r\n", b"hello", None, b""),
        (b"3\r\n\r\n\r\r\n0\r\n\r\n", b"\r\n\r", None, b""),
        (
            b"0\r\nX-Checksum: abc\r\n\r\n",
            b"",
            trailers(&[("x-checksum", "abc")]),
            b"",
        ),
        (
            b"2\r\nhi\r\n0\r\nA: 1\r\nB: 2\r\na: 3\r\n\r\nX",
            b"hi",
            trailers(&[("a", "1"), ("b", "2"), ("a", "3")]),
            b"X",
        ),
    ];
    for (input, data, t, rest) in cases {
        let got =
            chunked(input).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(input)));
        assert_eq!(
            got,
            Outcome {
                data: data.to_vec(),
                trailers: t.clone(),
                rest: rest.to_vec()
            },
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn chunked_bad_table() {
    use DecodeError::*;
    let cases: &[(&[u8], DecodeError)] = &[
        (b"\r\n", InvalidChunkSize),
        (b";ext\r\n", InvalidChunkSize),
        (b"-5\r\nhello\r\n", InvalidChunkSize),
        (b"+5\r\nhello\r\n", InvalidChunkSize),
        (b"0x5\r\nhello\r\n", InvalidChunkSize),
        (b"g\r\n", InvalidChunkSize),
        (b" 5\r\nhello\r\n", InvalidChunkSize),
        (b"5\n", InvalidChunkSize),
        (b"5 \r\nhello\r\n", InvalidChunkFraming),
        (b"5 5\r\n", InvalidChunkFraming),
        (b"5\rX", InvalidChunkFraming),
        (b"5;a\nb\r\n", InvalidChunkFraming),
        (b"5;a\0\r\n", InvalidChunkFraming),
        (b"5\r\nhelloX\r\n", InvalidChunkFraming),
        (b"5\r\nhello\n0\r\n\r\n", InvalidChunkFraming),
        (b"5\r\nhello\rX", InvalidChunkFraming),
        (b"10000000000000000\r\n", ChunkSizeOverflow),
        (b"FFFFFFFFFFFFFFFFF\r\n", ChunkSizeOverflow),
        (b"0\r\nX: 1\n\r\n", InvalidChunkFraming),
        (b"0\r\n\n", InvalidChunkFraming),
        (
            b"0\r\nX : 1\r\n\r\n",
            InvalidTrailer(ParseError::WhitespaceBeforeColon),
        ),
        (
            b"0\r\nX: 1\r\n folded\r\n\r\n",
            InvalidTrailer(ParseError::ObsFold),
        ),
        (
            b"0\r\nX: a\0b\r\n\r\n",
            InvalidTrailer(ParseError::InvalidHeaderValue),
        ),
        (
            b"0\r\nno colon\r\n\r\n",
            InvalidTrailer(ParseError::InvalidHeaderName),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            chunked(input).err(),
            Some(want.clone()),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn max_chunk_size_is_accepted_and_streams() {
    let got = run(
        BodyFraming::Chunked,
        &Http1Limits::new(),
        &[b"FFFFFFFFFFFFFFFF\r\nabc"],
    );
    // the body is incomplete, but the size parsed and the data streamed
    assert_eq!(got.err(), Some(DecodeError::IncompleteBody));
}

#[test]
fn chunked_split_at_every_byte_boundary_and_byte_by_byte() {
    let inputs: &[&[u8]] = &[
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-One: 1\r\nTrailer-Two: 2\r\n\r\nrest",
        b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n",
        b"5\r\nhel\r\n\r\n0\r\n\r\n",
    ];
    let limits = Http1Limits::new();
    for input in inputs {
        let whole = run(BodyFraming::Chunked, &limits, &[input]).unwrap();
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(
                run(BodyFraming::Chunked, &limits, &[a, b]).unwrap(),
                whole,
                "split at {i}"
            );
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(BodyFraming::Chunked, &limits, &bytes).unwrap(), whole);
    }
}

#[test]
fn chunk_line_limit_exact_passes_one_over_fails() {
    let limits = Http1Limits::new().with_max_chunk_line_bytes(8);
    // `5;abcdef` is 8 bytes
    assert!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"5;abcdef\r\nhello\r\n0\r\n\r\n"]
        )
        .is_ok()
    );
    assert_eq!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"5;abcdefg\r\nhello\r\n0\r\n\r\n"]
        )
        .err(),
        Some(DecodeError::ChunkLineTooLong { limit: 8 })
    );
    // leading zeros count too
    assert_eq!(
        run(BodyFraming::Chunked, &limits, &[b"000000005\r\n"]).err(),
        Some(DecodeError::ChunkLineTooLong { limit: 8 })
    );
}

#[test]
fn chunk_extensions_are_bounded_per_body() {
    let limits = Http1Limits::new().with_max_chunk_extensions_bytes(6);
    // `;a` + `;bcd` = 6 bytes
    assert!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"1;a\r\nx\r\n1;bcd\r\ny\r\n0\r\n\r\n"]
        )
        .is_ok()
    );
    assert_eq!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"1;a\r\nx\r\n1;bcd\r\ny\r\n0;\r\n\r\n"]
        )
        .err(),
        Some(DecodeError::ChunkExtensionsTooLarge { limit: 6 })
    );
}

#[test]
fn trailer_limits_exact_pass_one_over_fail() {
    // `A: 1\r\n\r\n` is 8 bytes
    let limits = Http1Limits::new().with_max_trailer_bytes(8);
    assert!(run(BodyFraming::Chunked, &limits, &[b"0\r\nA: 1\r\n\r\n"]).is_ok());
    assert_eq!(
        run(BodyFraming::Chunked, &limits, &[b"0\r\nA: 12\r\n\r\n"]).err(),
        Some(DecodeError::TrailersTooLarge { limit: 8 })
    );
    let limits = Http1Limits::new().with_max_trailers(2);
    assert!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"0\r\nA: 1\r\nB: 2\r\n\r\n"]
        )
        .is_ok()
    );
    assert_eq!(
        run(
            BodyFraming::Chunked,
            &limits,
            &[b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"]
        )
        .err(),
        Some(DecodeError::TrailersTooLarge { limit: 2 })
    );
}

#[test]
fn fixed_length_body() {
    let limits = Http1Limits::new();
    let got = run(BodyFraming::Length(5), &limits, &[b"he", b"llo", b"NEXT"]).unwrap();
    assert_eq!(got.data, b"hello");
    assert_eq!(got.rest, b"NEXT");
    let mut dec = BodyDecoder::new(BodyFraming::Length(5), &limits);
    assert_eq!(dec.remaining(), Some(5));
    let mut buf = BytesMut::from(&b"hel"[..]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Decoded::Data(Bytes::from_static(b"hel")))
    );
    assert_eq!(dec.remaining(), Some(2));
    assert_eq!(dec.decode_eof(&mut buf), Err(DecodeError::IncompleteBody));
}

#[test]
fn empty_and_tunnel_end_at_once() {
    for framing in [
        BodyFraming::Empty,
        BodyFraming::Tunnel,
        BodyFraming::Length(0),
    ] {
        let mut dec = BodyDecoder::new(framing, &Http1Limits::new());
        assert!(dec.is_done());
        let mut buf = BytesMut::from(&b"untouched"[..]);
        assert_eq!(dec.decode(&mut buf).unwrap(), Some(Decoded::End));
        assert_eq!(&buf[..], b"untouched");
    }
}

#[test]
fn close_delimited_ends_at_eof() {
    let mut dec = BodyDecoder::new(BodyFraming::CloseDelimited, &Http1Limits::new());
    let mut buf = BytesMut::from(&b"abc"[..]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Decoded::Data(Bytes::from_static(b"abc")))
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"d");
    assert_eq!(
        dec.decode_eof(&mut buf).unwrap(),
        Decoded::Data(Bytes::from_static(b"d"))
    );
    assert_eq!(dec.decode_eof(&mut buf).unwrap(), Decoded::End);
    assert!(dec.is_done());
}

#[test]
fn chunked_incomplete_at_eof_is_an_error() {
    let mut dec = BodyDecoder::new(BodyFraming::Chunked, &Http1Limits::new());
    let mut buf = BytesMut::from(&b"5\r\nhel"[..]);
    assert!(matches!(dec.decode_eof(&mut buf), Ok(Decoded::Data(_))));
    assert_eq!(dec.decode_eof(&mut buf), Err(DecodeError::IncompleteBody));
}
