//! Is a decrypted stream HTTP? Its first bytes decide, for clients that agreed no ALPN.

/// Whether `seen`, the first bytes a client sent, start an HTTP/1.x request line or the h2
/// preface: `Some(true)` or `Some(false)` once that is known, `None` while more bytes are
/// needed.
///
/// An HTTP request starts with its method, a token of upper-case letters (and `-`) of at
/// most 20 characters, followed by a space; the h2 preface starts with `PRI `, which passes
/// the same test. Anything else (lower case, digits, a TLS record, binary) is not HTTP.
pub(crate) fn http_start(seen: &[u8]) -> Option<bool> {
    const MAX_METHOD: usize = 20;
    for (i, &byte) in seen.iter().enumerate() {
        if byte == b' ' {
            return Some(i > 0);
        }
        if i >= MAX_METHOD || !(byte.is_ascii_uppercase() || byte == b'-') {
            return Some(false);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_start_table() {
        let cases: [(&[u8], Option<bool>); 14] = [
            (b"", None),
            (b"G", None),
            (b"GET", None),
            (b"GET ", Some(true)),
            (b"GET / HTTP/1.1\r\n", Some(true)),
            (b"OPTIONS * HTTP/1.1", Some(true)),
            (b"M-SEARCH * HTTP/1.1", Some(true)),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Some(true)),
            (b" GET", Some(false)),
            (b"get / HTTP/1.1", Some(false)),
            (b"a001 LOGIN", Some(false)),
            (b"\x16\x03\x01\x02\x00", Some(false)),
            (b"SSH-2.0-OpenSSH", Some(false)),
            (b"AAAAAAAAAAAAAAAAAAAAAAAA", Some(false)),
        ];
        for (seen, expected) in cases {
            assert_eq!(
                http_start(seen),
                expected,
                "{:?}",
                String::from_utf8_lossy(seen)
            );
        }
    }
}
