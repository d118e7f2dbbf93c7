//! Byte work eight bytes at a time ("SIMD within a register"): a per-word function marks
//! the bytes looked for with their high bit, the lowest mark is the first match; words are
//! read little-endian, the last one padded with zero bytes. The HTTP/1 parser runs these
//! over every head and the client pool over every key: a byte at a time they were a large
//! part of their cost.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = ONES * 0x80;
/// The low seven bits of every byte.
pub(crate) const LOW7: u64 = !HIGH;

/// The index of the first byte of `hay` that `marks` flags (it must flag the first match
/// of a word exactly; what it flags above that is ignored), with `is_match` for the last
/// bytes that do not fill a word.
pub(crate) fn find_first(
    hay: &[u8],
    marks: impl Fn(u64) -> u64,
    is_match: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    let mut offset = 0;
    for word in words.by_ref() {
        let flagged = marks(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if flagged != 0 {
            return Some(offset + (flagged.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| is_match(b))
        .map(|p| offset + p)
}

/// `bytes` as little-endian words of eight bytes, the last one padded with zero bytes.
pub(crate) fn words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let full = bytes.chunks_exact(8);
    let tail = full.remainder();
    full.map(|word| u64::from_le_bytes(word.try_into().unwrap_or_default()))
        .chain((!tail.is_empty()).then(|| padded_word(tail)))
}

/// Up to eight bytes as the low end of a little-endian word (the rest zero), without a
/// `memcpy` call for the variable length.
fn padded_word(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(8)
        .rev()
        .fold(0, |word, &b| (word << 8) | u64::from(b))
}

/// The eight bytes of `word` with `A`..=`Z` lowercased, other bytes (non-ASCII included)
/// unchanged: per byte, the high bit of the sums below says whether its low seven bits are
/// at least `A` and more than `Z` (no sum carries into the next byte).
pub(crate) const fn ascii_lowercase(word: u64) -> u64 {
    let low7 = word & LOW7;
    let at_least_a = low7 + (0x80 - b'A' as u64) * ONES;
    let above_z = low7 + (0x7f - b'Z' as u64) * ONES;
    let upper = (at_least_a ^ above_z) & !word & HIGH;
    word | (upper >> 2)
}

/// The high bit of each zero byte of `word`, exactly (no false marks above a zero byte,
/// unlike the shorter `(w - 0x01…) & !w & 0x80…`).
pub(crate) const fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW7) + LOW7) | word | LOW7)
}

/// The high bit of each byte of `word` equal to `byte`, exactly.
pub(crate) const fn bytes_equal(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ (ONES * byte as u64))
}

/// The high bit of the first byte of `word` equal to `byte` (and maybe of some bytes above
/// it): enough for [`find_first`], two operations fewer than [`bytes_equal`].
pub(crate) const fn first_byte_equal(word: u64, byte: u8) -> u64 {
    let w = word ^ (ONES * byte as u64);
    w.wrapping_sub(ONES) & !w & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_exact_for_every_byte_and_position() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let word =
                    u64::from_le_bytes(std::array::from_fn(|i| if i == at { b } else { 0x2a }));
                let want = if b == b'\n' { 0x80 << (8 * at) } else { 0 };
                assert_eq!(bytes_equal(word, b'\n'), want, "byte {b:#04x} at {at}");
            }
        }
    }

    #[test]
    fn ascii_lowercase_folds_each_byte_as_std() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let word =
                    u64::from_le_bytes(std::array::from_fn(|i| if i == at { b } else { b'Q' }));
                let want = u64::from_le_bytes(std::array::from_fn(|i| {
                    if i == at {
                        b.to_ascii_lowercase()
                    } else {
                        b'q'
                    }
                }));
                assert_eq!(ascii_lowercase(word), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn words_are_the_padded_loads() {
        let bytes: Vec<u8> = (1..=20).collect();
        for len in 0..=bytes.len() {
            let want: Vec<u64> = bytes[..len]
                .chunks(8)
                .map(|chunk| {
                    let mut padded = [0u8; 8];
                    padded[..chunk.len()].copy_from_slice(chunk);
                    u64::from_le_bytes(padded)
                })
                .collect();
            assert_eq!(words(&bytes[..len]).collect::<Vec<_>>(), want, "{len}");
        }
    }

    #[test]
    fn find_first_agrees_with_a_byte_loop() {
        let mut hay = vec![b'a'; 40];
        let find = |h: &[u8]| find_first(h, |w| first_byte_equal(w, b'\n'), |b| b == b'\n');
        assert_eq!(find(&hay), None);
        for i in 0..hay.len() {
            hay[i] = b'\n';
            for start in 0..=i {
                assert_eq!(find(&hay[start..]), Some(i - start), "at {i} from {start}");
            }
            hay[i] = b'a';
        }
        assert_eq!(find(b"ab\ncd\nef\n\n"), Some(2));
        assert_eq!(find(b"abcdefgh\n\n"), Some(8));
    }
}
