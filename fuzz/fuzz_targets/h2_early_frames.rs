//! Fuzzes the h2 early-frame tap parser: no panic on any input, and feeding the bytes in two
//! parts split anywhere gives the same record as feeding them whole.
//!
//! The first input byte picks the split point and whether the connection preface is
//! prepended (so that most inputs reach the frame parser).
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_http::h2::{EarlyFrameParser, EarlyFrames, PREFACE};

fn parse(parts: &[&[u8]]) -> EarlyFrames {
    let mut parser = EarlyFrameParser::new(16 * 1024, 16, 4096).with_max_header_list_size(8192);
    for part in parts {
        if parser.feed(part) {
            break;
        }
    }
    parser.finish()
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(PREFACE.len() + rest.len());
    if control & 1 == 0 {
        input.extend_from_slice(PREFACE);
    }
    input.extend_from_slice(rest);
    let whole = parse(&[&input]);
    let at = usize::from(control >> 1) * input.len() / 128;
    let (a, b) = input.split_at(at.min(input.len()));
    let split = parse(&[a, b]);
    if whole != split {
        panic!("split at {at} changed the record:\n{whole:?}\n{split:?}");
    }
    let _ = whole.pseudo_header_order();
});
