//! Fuzzes `Authorization` header values (`Basic`, `Bearer`): no panic on any input, and
//! every value that parses encodes to a header value that parses back to the same
//! credentials.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_net::user::Credentials;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(credentials) = s.parse::<Credentials>() {
        let printed = credentials.to_header_value();
        match printed.parse::<Credentials>() {
            Ok(again) if again.ct_eq(&credentials) => {}
            other => panic!("{s:?} -> {printed:?} -> {other:?}"),
        }
    }
});
