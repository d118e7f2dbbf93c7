//! Huffman decoding of HPACK string literals (RFC 7541 §5.2, code in Appendix B).

use super::{DecodeError, huffman_table::CODES};
use std::sync::OnceLock;

const EOS: u16 = 256;
const LEAF: u16 = 0x8000;

/// The code as a binary tree: `nodes[i] = [child for bit 0, child for bit 1]`, where a child is
/// an internal node index, `LEAF | symbol`, or 0 for "no such code" (the root is never a child).
struct Tree {
    nodes: Vec<[u16; 2]>,
}

fn tree() -> Option<&'static Tree> {
    static TREE: OnceLock<Option<Tree>> = OnceLock::new();
    TREE.get_or_init(build_tree).as_ref()
}

/// Builds the tree; `None` if the table were not a prefix code (a unit test proves it is).
fn build_tree() -> Option<Tree> {
    let mut nodes = vec![[0u16; 2]];
    for (symbol, &(code, len)) in CODES.iter().enumerate() {
        let symbol = u16::try_from(symbol).ok()?;
        let mut node = 0usize;
        for depth in (0..len).rev() {
            let bit = ((code >> depth) & 1) as usize;
            let child = nodes[node][bit];
            if depth == 0 {
                if child != 0 {
                    return None;
                }
                nodes[node][bit] = LEAF | symbol;
            } else if child == 0 {
                let next = u16::try_from(nodes.len()).ok()?;
                nodes.push([0, 0]);
                nodes[node][bit] = next;
                node = usize::from(next);
            } else if child & LEAF != 0 {
                return None;
            } else {
                node = usize::from(child);
            }
        }
    }
    Some(Tree { nodes })
}

/// Decodes a Huffman-coded string into `out`.
///
/// Errors: a bit sequence that is no code, the EOS symbol inside the string, or padding that
/// is longer than 7 bits or not all ones (RFC 7541 §5.2).
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let tree = tree().ok_or(DecodeError::Huffman)?;
    let mut node = 0usize;
    // bits read since the last symbol, and whether they were all ones
    let mut pending_bits = 0u8;
    let mut pending_ones = true;
    for &byte in input {
        for shift in (0..8).rev() {
            let bit = usize::from((byte >> shift) & 1);
            let child = tree.nodes[node][bit];
            pending_bits = pending_bits.saturating_add(1);
            pending_ones &= bit == 1;
            if child == 0 {
                return Err(DecodeError::Huffman);
            }
            if child & LEAF != 0 {
                let symbol = child & !LEAF;
                if symbol == EOS {
                    return Err(DecodeError::Huffman);
                }
                out.push(symbol as u8);
                node = 0;
                pending_bits = 0;
                pending_ones = true;
            } else {
                node = usize::from(child);
            }
        }
    }
    if pending_bits > 7 || !pending_ones {
        return Err(DecodeError::Huffman);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn table_is_a_complete_canonical_prefix_code() {
        assert!(build_tree().is_some(), "prefix conflict");
        // Kraft sum of a complete code is exactly 1: sum of 2^(30 - len) == 2^30
        let sum: u64 = CODES.iter().map(|&(_, len)| 1u64 << (30 - len)).sum();
        assert_eq!(sum, 1 << 30);
        for (sym, &(code, len)) in CODES.iter().enumerate() {
            assert!((5..=30).contains(&len), "symbol {sym}");
            assert!(u64::from(code) < (1u64 << len), "symbol {sym}");
        }
        // canonical: ordered by (length, symbol), each code is the previous one plus one,
        // shifted left by the growth in length
        let mut order: Vec<usize> = (0..CODES.len()).collect();
        order.sort_by_key(|&s| (CODES[s].1, s));
        let mut expected = 0u32;
        let mut prev_len = CODES[order[0]].1;
        for &s in &order {
            let (code, len) = CODES[s];
            expected <<= len - prev_len;
            assert_eq!(code, expected, "symbol {s}");
            expected += 1;
            prev_len = len;
        }
        assert_eq!(CODES[256], (0x3fff_ffff, 30));
    }

    #[test]
    fn rfc7541_appendix_c_strings() {
        let rows = [
            ("f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"),
            ("a8eb 1064 9cbf", "no-cache"),
            ("25a8 49e9 5ba9 7d7f", "custom-key"),
            ("25a8 49e9 5bb8 e8b4 bf", "custom-value"),
            ("6402", "302"),
            ("aec3 771a 4b", "private"),
            (
                "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff",
                "Mon, 21 Oct 2013 20:13:21 GMT",
            ),
            (
                "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3",
                "https://www.example.com",
            ),
            ("9bd9 ab", "gzip"),
            ("", ""),
        ];
        for (hex, want) in rows {
            let mut out = Vec::new();
            decode(&unhex(hex), &mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn every_symbol_round_trips() {
        for (sym, &(code, len)) in CODES.iter().enumerate().take(256) {
            // the code followed by all-ones padding to a byte boundary
            let total = u32::from(len).div_ceil(8) * 8;
            let pad = total - u32::from(len);
            let bits = (u64::from(code) << pad) | ((1u64 << pad) - 1);
            let bytes: Vec<u8> = (0..total / 8)
                .rev()
                .map(|i| (bits >> (i * 8)) as u8)
                .collect();
            let mut out = Vec::new();
            decode(&bytes, &mut out).unwrap();
            assert_eq!(out, [sym as u8]);
        }
    }

    #[test]
    fn bad_input() {
        let rows: &[&[u8]] = &[
            // padding of 8 ones (too long)
            &[0xff],
            // 'a' (00011) followed by padding that is not all ones
            &[0b0001_1000],
            // the EOS code in full (30 ones), then padding
            &[0xff, 0xff, 0xff, 0xff],
        ];
        for (i, input) in rows.iter().enumerate() {
            let mut out = Vec::new();
            assert_eq!(
                decode(input, &mut out),
                Err(DecodeError::Huffman),
                "row {i}"
            );
        }
    }
}
