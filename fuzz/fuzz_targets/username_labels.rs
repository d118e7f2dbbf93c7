//! Fuzzes proxy-username label parsing: no panic on any input, the labels are bounded, and
//! joining base and labels with the separator gives back the input. The labels are also
//! read as a proxy-database filter, which must not panic either.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_proxy::proxydb::ProxyFilter;
use rama_proxy::username::{MAX_LABELS, UsernameLabels};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for separator in ['-', '_'] {
        if let Ok(parsed) = UsernameLabels::parse(s, separator) {
            if parsed.labels().len() > MAX_LABELS {
                panic!("{s:?}: {} labels", parsed.labels().len());
            }
            let mut joined = parsed.base().to_owned();
            for label in parsed.labels() {
                joined.push(separator);
                joined.push_str(label);
            }
            if joined != s {
                panic!("{s:?} -> {parsed:?} -> {joined:?}");
            }
            let _ = ProxyFilter::from_labels(&parsed);
        }
    }
});
