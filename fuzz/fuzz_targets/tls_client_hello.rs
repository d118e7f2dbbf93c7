//! Fuzzes rama-tls's ClientHello parser: no panic on any input; a prefix never contradicts
//! the whole (a prefix that is complete parses like the whole, every shorter prefix of a
//! complete hello asks for more without overshooting its end); a parsed hello keeps its
//! records byte for byte, and re-framed into records of another size parses the same; a
//! smaller size limit only ever turns a result into a too-large error.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_tls::client_hello::{ClientHello, ClientHelloParser, ParseStatus};

const SMALL_LIMIT: usize = 1024;

fn reframe(handshake: &[u8], fragment: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(handshake.len() + handshake.len() / fragment * 5 + 5);
    for chunk in handshake.chunks(fragment) {
        out.extend_from_slice(&[0x16, 0x03, 0x01]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn same_hello(a: &ClientHello, b: &ClientHello) -> bool {
    a.handshake_message() == b.handshake_message()
        && a.extensions() == b.extensions()
        && a.cipher_suites() == b.cipher_suites()
        && a.legacy_version() == b.legacy_version()
}

fuzz_target!(|data: &[u8]| {
    let parser = ClientHelloParser::new();
    let whole = parser.parse(data);

    // split points: one from the input itself, plus the middle
    let splits = [
        usize::from(data.first().copied().unwrap_or(0)) * 4,
        data.len() / 2,
    ];
    for split in splits {
        let Some(prefix) = data.get(..split) else {
            continue;
        };
        match (parser.parse(prefix), &whole) {
            (
                Ok(ParseStatus::Complete {
                    client_hello,
                    consumed,
                }),
                Ok(ParseStatus::Complete {
                    client_hello: w,
                    consumed: wc,
                }),
            ) if consumed != *wc || !same_hello(&client_hello, w) => {
                panic!("a complete prefix parses differently from the whole");
            }
            (Ok(ParseStatus::Complete { .. }), Ok(ParseStatus::Complete { .. })) => {}
            (Ok(ParseStatus::Complete { .. }), other) => {
                panic!("a complete prefix, but the whole is {other:?}");
            }
            (Ok(ParseStatus::NeedMore(n)), Ok(ParseStatus::Complete { consumed, .. }))
                if n == 0 || prefix.len() + n > *consumed =>
            {
                panic!(
                    "prefix of {} asks for {n}, the hello ends at {consumed}",
                    prefix.len()
                );
            }
            (Err(e), Ok(_)) => panic!("a prefix fails ({e}) but the whole does not"),
            _ => {}
        }
    }

    let small = ClientHelloParser::new()
        .with_max_size(SMALL_LIMIT)
        .parse(data);
    match (&small, &whole) {
        (Err(e), _) if e.is_too_large() => {}
        (a, b) if a == b => {}
        (a, b) => panic!("a smaller limit changed {b:?} into {a:?}"),
    }

    if let Ok(ParseStatus::Complete {
        client_hello,
        consumed,
    }) = whole
    {
        if client_hello.raw_records().as_ref() != &data[..consumed] {
            panic!("raw records differ from the input");
        }
        let fragment = usize::from(data.last().copied().unwrap_or(1)).max(1) * 16;
        let reframed = reframe(client_hello.handshake_message(), fragment.min(16384));
        match ClientHelloParser::new()
            .with_max_size(usize::MAX)
            .parse(&reframed)
        {
            Ok(ParseStatus::Complete {
                client_hello: again,
                consumed,
            }) => {
                if consumed != reframed.len() || !same_hello(&client_hello, &again) {
                    panic!("re-framed into records of {fragment} it parses differently");
                }
            }
            other => panic!("re-framed into records of {fragment}: {other:?}"),
        }
    }
});
