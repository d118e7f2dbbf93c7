//! Fuzzes `Authority` and `HostWithOptPort` parsing: no panic on any input, and every value
//! that parses prints to a string that parses back to the same value.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_net::address::{Authority, HostWithOptPort};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(authority) = s.parse::<Authority>() {
        let printed = authority.to_string();
        match printed.parse::<Authority>() {
            Ok(again) if again == authority => {}
            other => panic!("{s:?} -> {authority:?} -> {printed:?} -> {other:?}"),
        }
    }
    if let Ok(host) = s.parse::<HostWithOptPort>() {
        let printed = host.to_string();
        match printed.parse::<HostWithOptPort>() {
            Ok(again) if again == host => {}
            other => panic!("{s:?} -> {host:?} -> {printed:?} -> {other:?}"),
        }
    }
});
