//! Prefix-coded integers (RFC 7541 §5.1).

use super::DecodeError;

/// Largest integer the decoder accepts. Every length and index HPACK carries in a sane block
/// is far smaller; the cap keeps arithmetic in range and rejects runaway continuation bytes.
pub(super) const MAX_INTEGER: u64 = u32::MAX as u64;

/// Decodes an integer whose first byte's low `prefix_bits` bits (1..=8) hold its start.
///
/// Returns the value and how many bytes it took.
pub(super) fn decode_integer(buf: &[u8], prefix_bits: u8) -> Result<(u64, usize), DecodeError> {
    debug_assert!((1..=8).contains(&prefix_bits));
    let Some(&first) = buf.first() else {
        return Err(DecodeError::Truncated);
    };
    let max_prefix: u8 = if prefix_bits >= 8 {
        u8::MAX
    } else {
        (1u8 << prefix_bits) - 1
    };
    let mut value = u64::from(first & max_prefix);
    if value < u64::from(max_prefix) {
        return Ok((value, 1));
    }
    let mut shift = 0u32;
    for (i, &byte) in buf.iter().enumerate().skip(1) {
        value += u64::from(byte & 0x7f) << shift;
        if value > MAX_INTEGER {
            return Err(DecodeError::IntegerOverflow);
        }
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
        shift += 7;
        if shift > 28 {
            // five continuation bytes already hold more than 32 bits of payload
            return Err(DecodeError::IntegerOverflow);
        }
    }
    Err(DecodeError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        type Row = (&'static [u8], u8, Result<(u64, usize), DecodeError>);
        let rows: &[Row] = &[
            // RFC 7541 C.1.1: 10 with a 5-bit prefix
            (&[0b0000_1010], 5, Ok((10, 1))),
            // C.1.2: 1337 with a 5-bit prefix
            (&[0b0001_1111, 0b1001_1010, 0b0000_1010], 5, Ok((1337, 3))),
            // the high bits outside the prefix are ignored
            (&[0b1111_1111, 0b1001_1010, 0b0000_1010], 5, Ok((1337, 3))),
            // C.1.3: 42 starting at an octet boundary
            (&[42], 8, Ok((42, 1))),
            (&[0xff, 0x00], 8, Ok((255, 2))),
            (&[0x7f, 0x00], 7, Ok((127, 2))),
            // extra bytes after the integer are not consumed
            (&[0x1f, 0x9a, 0x0a, 0x02], 5, Ok((1337, 3))),
            (&[], 5, Err(DecodeError::Truncated)),
            (&[0x1f], 5, Err(DecodeError::Truncated)),
            (&[0x1f, 0x9a], 5, Err(DecodeError::Truncated)),
            (
                &[0x1f, 0xff, 0xff, 0xff, 0xff, 0x0f],
                5,
                Err(DecodeError::IntegerOverflow),
            ),
            (
                &[0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
                1,
                Err(DecodeError::IntegerOverflow),
            ),
            // the largest value accepted
            (&[0x00], 1, Ok((0, 1))),
            (
                &[0xff, 0x80, 0xfe, 0xff, 0xff, 0x0f],
                8,
                Ok((MAX_INTEGER, 6)),
            ),
            (
                &[0xff, 0x81, 0xfe, 0xff, 0xff, 0x0f],
                8,
                Err(DecodeError::IntegerOverflow),
            ),
        ];
        for (i, (input, prefix, want)) in rows.iter().enumerate() {
            assert_eq!(decode_integer(input, *prefix), *want, "row {i}");
        }
    }
}
