//! Fuzzes the PROXY protocol decoder: no panic on any input; a decoded header never claims
//! more bytes than it was given; and encoding it again (in the version it was read in, and
//! in v2) decodes to the same header.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_proxy::haproxy::proto::{Decoded, Header, Version, decode, decode_with_limit, encode};

fn decode_all(bytes: &[u8]) -> Header {
    match decode_with_limit(bytes, u16::MAX) {
        Ok(Decoded::Header { header, len }) if len == bytes.len() => header,
        other => panic!("encoded header {bytes:?} decodes to {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Decoded::Header { header, len }) = decode(data) else {
        return;
    };
    if len > data.len() {
        panic!("header of {len} bytes from {} bytes of input", data.len());
    }
    for version in [header.version, Version::V2] {
        let Ok(bytes) = encode(&header, version) else {
            if version == Version::V2 {
                panic!("a decoded header cannot be encoded as v2: {header:?}");
            }
            continue;
        };
        let again = decode_all(&bytes);
        if again.command != header.command
            || again.addresses != header.addresses
            || (version == Version::V2 && again.tlvs != header.tlvs)
        {
            panic!("{header:?} -> {bytes:?} -> {again:?}");
        }
    }
});
