//! Fuzzes `SocketAddress` parsing: no panic on any input, every value that parses
//! round-trips through its display, and it agrees with the standard library's parser on
//! addresses without scope id.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use rama_net::address::SocketAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(addr) = s.parse::<SocketAddress>() {
        let printed = addr.to_string();
        match printed.parse::<SocketAddress>() {
            Ok(again) if again == addr => {}
            other => panic!("{s:?} -> {addr:?} -> {printed:?} -> {other:?}"),
        }
        match printed.parse::<SocketAddr>() {
            Ok(std) if SocketAddress::from(std) == addr => {}
            other => panic!("{s:?} -> {printed:?}: std parses {other:?}"),
        }
    }
});
