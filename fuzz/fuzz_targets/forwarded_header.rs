//! Fuzzes `Forwarded` and `X-Forwarded-For` parsing: no panic on any input, limits hold,
//! and every value that parses prints to a string that parses back to the same value.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_net::forwarded::{Forwarded, MAX_ELEMENTS, XForwardedFor};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fwd) = s.parse::<Forwarded>() {
        if fwd.elements().len() > MAX_ELEMENTS {
            panic!("{s:?}: {} elements", fwd.elements().len());
        }
        let printed = fwd.to_string();
        match printed.parse::<Forwarded>() {
            Ok(again) if again == fwd => {}
            other => panic!("{s:?} -> {fwd:?} -> {printed:?} -> {other:?}"),
        }
    }
    if let Ok(xff) = s.parse::<XForwardedFor>() {
        if xff.nodes().len() > MAX_ELEMENTS {
            panic!("{s:?}: {} nodes", xff.nodes().len());
        }
        let printed = xff.to_string();
        match printed.parse::<XForwardedFor>() {
            Ok(again) if again == xff => {}
            other => panic!("{s:?} -> {xff:?} -> {printed:?} -> {other:?}"),
        }
    }
});
