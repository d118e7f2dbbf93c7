//! Fuzzes `Host` and `Domain` parsing: no panic on any input, and every value that parses
//! prints (plain and bracketed) to a string that parses back to the same value.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_net::address::{Domain, Host};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(host) = s.parse::<Host>() {
        for printed in [host.to_string(), host.display_bracketed().to_string()] {
            match printed.parse::<Host>() {
                Ok(again) if again == host => {}
                other => panic!("{s:?} -> {host:?} -> {printed:?} -> {other:?}"),
            }
        }
    }
    if let Ok(domain) = s.parse::<Domain>() {
        let printed = domain.to_string();
        if printed.len() > 253 || !printed.is_ascii() {
            panic!("{s:?} -> {printed:?}: not a normalised ASCII name");
        }
        match printed.parse::<Domain>() {
            Ok(again) if again == domain => {}
            other => panic!("{s:?} -> {domain:?} -> {printed:?} -> {other:?}"),
        }
        // A domain never reads as an IP address.
        if !matches!(printed.parse::<Host>(), Ok(Host::Name(_))) {
            panic!("{s:?} -> {printed:?} does not parse back as a name");
        }
    }
});
