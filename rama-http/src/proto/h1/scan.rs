//! Finding the end of a message head in a growing buffer, in one pass over each byte.
//!
//! The scanner remembers how far it looked, so feeding a head one byte at a time costs
//! linear, not quadratic, time. While it looks it enforces the size limits (head, start line,
//! header lines, header count) and the line ending rule (CRLF only), so a too large head is
//! refused as soon as it is known to be too large, before it is complete.

use super::{Http1Limits, ParseError};
use crate::swar;

/// Where a complete head lies in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadBounds {
    /// bytes of empty lines before the start line (skipped, RFC 9112 §2.2)
    pub(crate) leading: usize,
    /// end of the start line's CRLF
    pub(crate) start_line_end: usize,
    /// end of the empty line that ends the head
    pub(crate) end: usize,
    /// number of header field lines
    pub(crate) fields: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HeadScanner {
    scanned: usize,
    line_start: usize,
    leading: usize,
    start_line_end: usize,
    fields: usize,
}

impl HeadScanner {
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }

    /// Scans `buf` (the same buffer as last time, possibly longer) for the end of the head.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        limits: &Http1Limits,
    ) -> Result<Option<HeadBounds>, ParseError> {
        // never look beyond the head limit (empty lines before the start line count towards
        // it): a head that does not end by then is too large
        let window = &buf[..buf.len().min(limits.max_head_bytes())];
        if self.scanned > window.len() {
            // not the buffer scanned before (it shrank): start over rather than misread it
            self.reset();
        }
        while let Some(pos) = find_lf(&window[self.scanned..]) {
            let lf = self.scanned + pos;
            self.scanned = lf + 1;
            if lf == 0 || window[lf - 1] != b'\r' {
                return Err(ParseError::InvalidLineEnding);
            }
            let line_len = lf - 1 - self.line_start;
            let first_line = self.start_line_end == 0;
            if line_len == 0 {
                if first_line {
                    // an empty line before the start line: skip it, and do not count it
                    self.leading = self.scanned;
                    self.line_start = self.scanned;
                    continue;
                }
                return Ok(Some(HeadBounds {
                    leading: self.leading,
                    start_line_end: self.start_line_end,
                    end: self.scanned,
                    fields: self.fields,
                }));
            }
            self.check_line(line_len, first_line, limits)?;
            if first_line {
                self.start_line_end = self.scanned;
            } else {
                self.fields += 1;
                if self.fields > limits.max_headers() {
                    return Err(ParseError::TooManyHeaders {
                        limit: limits.max_headers(),
                    });
                }
            }
            self.line_start = self.scanned;
        }
        self.scanned = window.len();
        // the unfinished line may already be too long (+1: a CR may still end it)
        let pending = window.len() - self.line_start;
        if pending > 0 {
            let first_line = self.start_line_end == 0;
            self.check_line(pending.saturating_sub(1), first_line, limits)?;
        }
        if buf.len() >= limits.max_head_bytes() {
            return Err(ParseError::HeadTooLarge {
                limit: limits.max_head_bytes(),
            });
        }
        Ok(None)
    }

    fn check_line(
        &self,
        len: usize,
        first_line: bool,
        limits: &Http1Limits,
    ) -> Result<(), ParseError> {
        if first_line && len > limits.max_start_line_bytes() {
            return Err(ParseError::StartLineTooLong {
                limit: limits.max_start_line_bytes(),
            });
        }
        if !first_line && len > limits.max_header_line_bytes() {
            return Err(ParseError::HeaderLineTooLong {
                limit: limits.max_header_line_bytes(),
            });
        }
        Ok(())
    }
}

/// The index of the first LF in `hay`, eight bytes at a time (see [`swar`]). A plain byte
/// loop was half the cost of parsing a browser's head.
fn find_lf(hay: &[u8]) -> Option<usize> {
    swar::find_first(hay, |w| swar::first_byte_equal(w, b'\n'), |b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_at_a_time_finds_the_same_end() {
        let head = b"\r\nGET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nbody";
        let limits = Http1Limits::new();
        let whole = HeadScanner::default().scan(head, &limits).unwrap().unwrap();
        assert_eq!(
            whole,
            HeadBounds {
                leading: 2,
                start_line_end: 18,
                end: 35,
                fields: 2
            }
        );
        let mut s = HeadScanner::default();
        for n in 1..head.len() {
            if let Some(b) = s.scan(&head[..n], &limits).unwrap() {
                assert_eq!(b, whole);
                assert_eq!(n, whole.end);
                return;
            }
        }
        panic!("head never completed");
    }

    #[test]
    fn find_lf_agrees_with_a_byte_loop() {
        let mut hay = vec![b'a'; 40];
        assert_eq!(find_lf(&hay), None);
        for i in 0..hay.len() {
            hay[i] = b'\n';
            for start in 0..=i {
                assert_eq!(
                    find_lf(&hay[start..]),
                    Some(i - start),
                    "lf at {i} from {start}"
                );
            }
            // bytes that differ from LF in one bit, and 0x8a (high bit set), are not LF
            for other in [b'\x0b', b'\x08', b'\x8a', b'\x09', 0x00, 0xff] {
                hay[i] = other;
                assert_eq!(find_lf(&hay), None);
            }
            hay[i] = b'a';
        }
        // several LFs: the first one
        assert_eq!(find_lf(b"ab\ncd\nef\n\n"), Some(2));
        assert_eq!(find_lf(b"abcdefgh\n\n"), Some(8));
        assert_eq!(find_lf(b"\n\n\n\n\n\n\n\n\n"), Some(0));
    }

    #[test]
    fn bare_lf_is_refused() {
        let limits = Http1Limits::new();
        for head in [
            &b"GET / HTTP/1.1\nHost: a\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\n\n",
            b"\n",
        ] {
            assert_eq!(
                HeadScanner::default().scan(head, &limits),
                Err(ParseError::InvalidLineEnding)
            );
        }
    }
}
