//! One header field line, `name ":" OWS value OWS CRLF` (RFC 9112 §5): where its name and
//! value lie, or that it is malformed.
//!
//! Written here rather than taken from `httparse`: it answers with offsets into the block,
//! so values are sliced from the head's buffer directly, with no array of header slots to
//! set up (32 of them, for every head) and no mapping of `httparse`'s slices back to
//! offsets (`Bytes::slice_ref`). Per field it costs about what `httparse` does (a table
//! lookup a name byte, eight value bytes a step); per proxied request (two heads) it saved
//! about 600 instructions (callgrind through the forward proxy). The test
//! `agrees_with_httparse` checks both accept and split the same lines.

use super::fields::is_tchar;
use crate::swar;
use std::ops::Range;

/// Where a field line's parts lie in the block it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldLine {
    /// The name (one or more `tchar`).
    pub(crate) name: Range<usize>,
    /// The value, leading and trailing SP/HTAB removed (may be empty).
    pub(crate) value: Range<usize>,
    /// Where the next line starts (past this line's CRLF).
    pub(crate) next: usize,
}

/// Reads the field line that starts at `at` in `block`. `None` when it is not one: no
/// name, a byte that is no `tchar` before the colon (whitespace included), a byte in the
/// value that is neither SP, HTAB, visible ASCII nor obs-text, or a line not ended by CRLF.
pub(crate) fn read_field_line(block: &[u8], at: usize) -> Option<FieldLine> {
    let line = read_field_line_name_unchecked(block, at)?;
    is_token(&block[line.name.clone()]).then_some(line)
}

/// [`read_field_line`] without the check that the name is a token: the name is what comes
/// before the line's first colon (not empty). For a caller that recognises most names by
/// their exact spelling ([`known_name`](super::known_names::known_name): those are tokens)
/// and checks only the others with [`is_token`]: the byte-at-a-time token check was about
/// a third of a line's cost, the colon is found eight bytes at a time.
///
/// A line without a colon may yield a "name" that runs into the next line (the first colon
/// after it): it holds CR or LF then, which no known name and no token does.
pub(crate) fn read_field_line_name_unchecked(block: &[u8], at: usize) -> Option<FieldLine> {
    let rest = block.get(at..)?;
    let name_len = swar::find_first(rest, |w| swar::first_byte_equal(w, b':'), |b| b == b':')?;
    if name_len == 0 {
        return None;
    }
    let value_start = at + name_len + 1;
    let value_end = value_start + first_non_value_byte(&block[value_start..])?;
    if block.get(value_end..value_end + 2)? != b"\r\n" {
        return None;
    }
    let value = trim_ows(block, value_start..value_end);
    Some(FieldLine {
        name: at..at + name_len,
        value,
        next: value_end + 2,
    })
}

/// Whether `name` is a token (one or more `tchar`), as a field name must be.
pub(crate) fn is_token(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| TCHAR[usize::from(b)])
}

/// `tchar` of RFC 9110 §5.6.2 as a table.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_tchar(b as u8);
        b += 1;
    }
    table
};

/// The index of the first byte of `hay` that may not be in a field value (RFC 9110 §5.5:
/// allowed are HTAB, SP, visible ASCII and obs-text 0x80-0xFF), eight bytes at a time; the
/// CR that ends the line is the usual one. HTAB is found with the controls (a cheaper
/// test, and rare in values) and stepped over.
fn first_non_value_byte(hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + swar::find_first(&hay[from..], controls_and_del, is_control_or_del)?;
        if hay[i] != b'\t' {
            return Some(i);
        }
        from = i + 1;
    }
}

/// The high bit of each byte of `word` that is a control (0x00-0x1F, HTAB included) or
/// DEL. Exact per byte (no sum carries into the next byte), so the lowest set bit marks
/// the first such byte.
const fn controls_and_del(word: u64) -> u64 {
    use swar::{HIGH, LOW7, ONES};
    let low7 = word & LOW7;
    // below 0x20: the sum stays below 0x80; DEL (0x7F): the sum reaches 0x80
    let control = !(low7 + ONES * 0x60);
    let del = low7 + ONES;
    (control | del) & !word & HIGH
}

/// A control (0x00-0x1F, HTAB included) or DEL: what [`controls_and_del`] flags, a byte at a
/// time.
const fn is_control_or_del(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// `field-vchar / SP / HTAB` (obs-text allowed), a byte at a time.
pub(crate) const fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || (b >= 0x21 && b != 0x7f)
}

/// `range` of `block` without leading and trailing SP and HTAB (usually one space before,
/// none after: a byte or two looked at).
fn trim_ows(block: &[u8], range: Range<usize>) -> Range<usize> {
    let is_ows = |b: u8| b == b' ' || b == b'\t';
    let (mut start, mut end) = (range.start, range.end);
    while start < end && is_ows(block[start]) {
        start += 1;
    }
    while end > start && is_ows(block[end - 1]) {
        end -= 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    type NameAndValue<'a> = (&'a [u8], &'a [u8]);

    fn read(line: &[u8]) -> Option<NameAndValue<'_>> {
        let f = read_field_line(line, 0)?;
        assert_eq!(f.next, line.len(), "{line:?}");
        Some((&line[f.name], &line[f.value]))
    }

    #[test]
    fn line_table() {
        let cases: &[(&[u8], Option<NameAndValue<'_>>)] = &[
            (b"Host: a\r\n", Some((b"Host", b"a"))),
            (b"X:\r\n", Some((b"X", b""))),
            (b"X: \t \r\n", Some((b"X", b""))),
            (b"X:\t v w \t\r\n", Some((b"X", b"v w"))),
            (b"X: caf\xc3\xa9\r\n", Some((b"X", b"caf\xc3\xa9"))),
            (b"X: a\tb\r\n", Some((b"X", b"a\tb"))),
            (
                b"!#$%&'*+-.^_`|~09az: v\r\n",
                Some((b"!#$%&'*+-.^_`|~09az", b"v")),
            ),
            (b": v\r\n", None),
            (b"X : v\r\n", None),
            (b" X: v\r\n", None),
            (b"X(y): v\r\n", None),
            (b"X v\r\n", None),
            (b"X: a\rb\r\n", None),
            (b"X: a\nb\r\n", None),
            (b"X: a\0\r\n", None),
            (b"X: a\x7f\r\n", None),
            (b"X: a\x1b\r\n", None),
            (b"X: a\n", None),
            (b"X: a", None),
            (b"X: a\r", None),
            (b"X", None),
        ];
        for (line, want) in cases {
            assert_eq!(read(line), *want, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn controls_and_del_agree_with_the_byte_rule() {
        // each byte at each place, among neighbours that are flagged or not (a sum carrying
        // into the next byte would show)
        for around in [b'a', 0x00, b'\t', 0x1f, 0x20, 0x7f, 0x80, 0xff] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let word =
                        u64::from_le_bytes(std::array::from_fn(
                            |i| {
                                if i == at { b } else { around }
                            },
                        ));
                    let want = (0..8)
                        .filter(|&i| is_control_or_del(if i == at { b } else { around }))
                        .fold(0u64, |m, i| m | 0x80 << (8 * i));
                    assert_eq!(
                        controls_and_del(word),
                        want,
                        "{b:#04x} at {at} in {around:#04x}"
                    );
                }
            }
        }
        // the lowest flagged byte is the first bad one, whatever follows it
        let word = u64::from_le_bytes(*b"ab\x00\x7f\t\r\x01z");
        assert_eq!(controls_and_del(word).trailing_zeros() / 8, 2);
    }

    #[test]
    fn first_non_value_byte_steps_over_tabs() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"abc\r\n", Some(3)),
            (b"\tab\tc\t\r\n", Some(6)),
            (b"\t\t\t\t\t\t\t\t\t\x7f", Some(9)),
            (b"0123456789abcdef\x00", Some(16)),
            (b"caf\xc3\xa9 \xff\r", Some(7)),
            (b"\t\t", None),
            (b"", None),
        ];
        for (hay, want) in cases {
            assert_eq!(first_non_value_byte(hay), *want, "{hay:?}");
            let bytewise = hay.iter().position(|&b| !is_field_value_byte(b));
            assert_eq!(bytewise, *want, "{hay:?}");
        }
    }

    #[test]
    fn a_name_unchecked_line_takes_what_comes_before_the_first_colon() {
        let block = b"X(y): v\r\nFoo\r\nBar: w\r\n";
        let first = read_field_line_name_unchecked(block, 0).unwrap();
        assert_eq!(&block[first.name.clone()], b"X(y)");
        assert!(!is_token(&block[first.name]));
        assert_eq!(read_field_line(block, 0), None);
        // no colon on the line: the name runs into the next one, and is no token
        let second = read_field_line_name_unchecked(block, first.next).unwrap();
        assert_eq!(&block[second.name.clone()], b"Foo\r\nBar");
        assert!(!is_token(&block[second.name]));
        assert_eq!(read_field_line_name_unchecked(b": v\r\n", 0), None);
        assert_eq!(read_field_line_name_unchecked(b"X v\r\n", 0), None);
    }

    /// Seeded random lines from bytes that matter (separators, whitespace, controls, DEL,
    /// obs-text, letters): this parser and `httparse` must accept the same ones and split
    /// them alike.
    #[test]
    fn agrees_with_httparse() {
        const ALPHABET: &[u8] = b"aZ-:: \t\t\r\n\0\x7f\x80\xff(,";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for _ in 0..50_000 {
            let len = (next() % 24) as usize;
            let mut line: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            if next() % 2 == 0 {
                line.splice(0..0, b"Name:".iter().copied());
            }
            line.extend_from_slice(b"\r\n");
            // a CRLF inside makes several lines: both then answer for more than one
            let ours = read_field_line(&line, 0).filter(|f| f.next == line.len());
            // httparse reads a whole block: this line, then the empty line
            let mut block = line.clone();
            block.extend_from_slice(b"\r\n");
            let mut slots = [httparse::EMPTY_HEADER; 4];
            let theirs = match httparse::parse_headers(&block, &mut slots) {
                Ok(httparse::Status::Complete((_, [field]))) => {
                    Some((field.name.as_bytes(), field.value))
                }
                _ => None,
            };
            // a bare LF ends httparse's line; for us (and the scanner) it is an error
            let theirs = theirs.filter(|_| !line[..line.len() - 2].contains(&b'\n'));
            let ours_parts = ours
                .as_ref()
                .map(|f| (&line[f.name.clone()], &line[f.value.clone()]));
            assert_eq!(
                ours_parts.is_some(),
                theirs.is_some(),
                "{:?}",
                String::from_utf8_lossy(&line)
            );
            if let (Some(o), Some(t)) = (ours_parts, theirs) {
                accepted += 1;
                assert_eq!(o.0, t.0);
                assert_eq!(o.1, t.1);
                assert_eq!(ours.unwrap().next, line.len());
            }
        }
        // both kinds of line were met, many times
        assert!((2_000..48_000).contains(&accepted), "{accepted} accepted");
    }
}
