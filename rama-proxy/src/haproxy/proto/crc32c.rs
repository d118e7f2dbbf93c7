//! CRC32c (Castagnoli), the checksum of the PROXY v2 `PP2_TYPE_CRC32C` TLV.
//!
//! Written here rather than taken from a crate: a PROXY header is at most a few hundred
//! bytes, read once per connection, so a 1 KiB lookup table built at compile time is fast
//! enough, and it spares the workspace a dependency (the `crc32c` crate brings SIMD paths
//! and a build script for a job this small). The test vectors below come from RFC 3720
//! (iSCSI), appendix B.4.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// The CRC32c of `data`.
///
/// ```
/// use rama_proxy::haproxy::proto::crc32c;
///
/// assert_eq!(crc32c(b"123456789"), 0xE306_9283);
/// ```
#[must_use]
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let ascending: Vec<u8> = (0u8..32).collect();
        let descending: Vec<u8> = (0u8..32).rev().collect();
        let cases: &[(&[u8], u32)] = &[
            (b"", 0),
            (b"123456789", 0xE306_9283),
            (&[0u8; 32], 0x8A91_36AA),
            (&[0xFFu8; 32], 0x62A8_AB43),
            (&ascending, 0x46DD_794E),
            (&descending, 0x113F_DB5C),
        ];
        for (input, want) in cases {
            assert_eq!(crc32c(input), *want, "input {input:?}");
        }
    }
}
