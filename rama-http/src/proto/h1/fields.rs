//! Header fields: one block of `name: value` lines into a [`HeaderMap`] plus the wire record.
//! Shared by message heads and chunked trailers, so both follow the same rules.

use super::ParseError;
use crate::wire::OriginalHeaderNames;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// `field-vchar / SP / HTAB` of RFC 9110 §5.5 (obs-text allowed).
const fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || (b >= 0x21 && b != 0x7f)
}

/// Which of the fields that decide framing and connection handling a head has, noted while
/// parsing so that heads without them (most) skip the map lookups that check them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeenFields(u8);

impl SeenFields {
    /// `Host`, at least once.
    pub(crate) const HOST: Self = Self(1);
    /// `Host`, more than once.
    pub(crate) const HOST_REPEATED: Self = Self(1 << 1);
    /// `Content-Length`.
    pub(crate) const CONTENT_LENGTH: Self = Self(1 << 2);
    /// `Transfer-Encoding`.
    pub(crate) const TRANSFER_ENCODING: Self = Self(1 << 3);
    /// `Connection`.
    pub(crate) const CONNECTION: Self = Self(1 << 4);
    /// `Expect`.
    pub(crate) const EXPECT: Self = Self(1 << 5);
    /// `Upgrade`.
    pub(crate) const UPGRADE: Self = Self(1 << 6);

    /// Both sets together.
    pub(crate) const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether any of the fields in `other` was seen.
    pub(crate) const fn any(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    fn note(&mut self, name: &HeaderName) {
        use http::header;
        let bit = if *name == header::HOST {
            if self.any(Self::HOST) {
                Self::HOST_REPEATED
            } else {
                Self::HOST
            }
        } else if *name == header::CONTENT_LENGTH {
            Self::CONTENT_LENGTH
        } else if *name == header::TRANSFER_ENCODING {
            Self::TRANSFER_ENCODING
        } else if *name == header::CONNECTION {
            Self::CONNECTION
        } else if *name == header::EXPECT {
            Self::EXPECT
        } else if *name == header::UPGRADE {
            Self::UPGRADE
        } else {
            return;
        };
        self.0 |= bit.0;
    }
}

/// How many fields a parsed head's map has room for beyond the parsed ones.
const ADDED_FIELDS_ROOM: usize = 4;

/// A check of a `Host` field's value.
pub(crate) type HostCheck = fn(&[u8]) -> Result<(), ParseError>;

/// Parses `block`: `count` field lines, each ended by CRLF, then the empty line (CRLF).
///
/// Values and recorded spellings are slices of `block` (no copies). `check_host` is called
/// with the value of each `Host` field (request heads check it there, while it is at hand).
///
/// The wire record is made only when the map alone would not give the head back: a name
/// not spelled in the default form (Title-Case, see [`crate::wire`]), or a name repeated
/// after other names came between (the map groups its values). Most heads (curl's, nginx's,
/// browsers') need none, which spares a record, a boxed extension and a slice per field.
pub(crate) fn parse_fields(
    block: &Bytes,
    count: usize,
    check_host: Option<HostCheck>,
) -> Result<(HeaderMap, Option<OriginalHeaderNames>, SeenFields), ParseError> {
    let mut stack = [httparse::EMPTY_HEADER; 32];
    let mut heap;
    let slots: &mut [httparse::Header<'_>] = if count <= stack.len() {
        &mut stack[..count]
    } else {
        heap = vec![httparse::EMPTY_HEADER; count];
        &mut heap
    };
    let parsed = match httparse::parse_headers(block, slots) {
        Ok(httparse::Status::Complete((_, parsed))) => parsed,
        Ok(httparse::Status::Partial) | Err(_) => return Err(classify(block)),
    };
    // room for a few more: proxies add fields (`Forwarded`, `Via`, `Date`), and a map
    // filled to its capacity grows (reallocates and rehashes) on the first one
    let mut map = HeaderMap::with_capacity(parsed.len() + ADDED_FIELDS_ROOM);
    let mut record: Option<OriginalHeaderNames> = None;
    let mut seen = SeenFields::default();
    for (i, field) in parsed.iter().enumerate() {
        let spelling = field.name.as_bytes();
        let name = HeaderName::from_bytes(spelling).map_err(|_| ParseError::InvalidHeaderName)?;
        // SAFETY: httparse accepted the value, so it holds only HTAB, SP, visible ASCII and
        // obs-text (0x80-0xFF): exactly the bytes `HeaderValue` allows (the table test
        // `httparse_values_are_valid_header_values` checks every byte; debug builds of `http`
        // check again here). Validating a second time costs about 150 instructions a field.
        let value =
            unsafe { HeaderValue::from_maybe_shared_unchecked(block.slice_ref(field.value)) };
        seen.note(&name);
        if let Some(check) = check_host
            && name == http::header::HOST
        {
            check(field.value)?;
        }
        if let Some(record) = &mut record {
            record.push_checked(name.clone(), block.slice_ref(spelling));
            map.append(name, value);
            continue;
        }
        // `append` tells whether the name was there already (then `i > 0`)
        let repeated = map.append(name, value);
        let repeated_after_others = repeated
            && !parsed[i.saturating_sub(1)]
                .name
                .eq_ignore_ascii_case(field.name);
        if repeated_after_others || !is_default_form(spelling) {
            record = Some(record_of(block, &parsed[..=i])?);
        }
    }
    Ok((map, record, seen))
}

/// Whether a field name on the wire is spelled as the writer spells a name it has no
/// record of: Title-Case, the first letter and each after `-` uppercase, the rest lowercase.
fn is_default_form(spelling: &[u8]) -> bool {
    // a letter's case bit (0x20) is clear where Title-Case wants it upper, set elsewhere;
    // other bytes match themselves
    let mut upper = true;
    for &b in spelling {
        if b.is_ascii_alphabetic() && (b & 0x20 == 0) != upper {
            return false;
        }
        upper = b == b'-';
    }
    true
}

/// The record of `fields` (already parsed once: their names are valid).
fn record_of(
    block: &Bytes,
    fields: &[httparse::Header<'_>],
) -> Result<OriginalHeaderNames, ParseError> {
    let mut record = OriginalHeaderNames::with_capacity(fields.len().max(8));
    for field in fields {
        let spelling = field.name.as_bytes();
        let name = HeaderName::from_bytes(spelling).map_err(|_| ParseError::InvalidHeaderName)?;
        record.push_checked(name, block.slice_ref(spelling));
    }
    Ok(record)
}

/// Finds why httparse refused `block`, line by line, for a precise error.
fn classify(block: &[u8]) -> ParseError {
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Some(err) = classify_line(line) {
            return err;
        }
    }
    ParseError::InvalidHeaderValue
}

fn classify_line(line: &[u8]) -> Option<ParseError> {
    if line[0] == b' ' || line[0] == b'\t' {
        return Some(ParseError::ObsFold);
    }
    if line.contains(&b'\r') {
        return Some(ParseError::InvalidLineEnding);
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Some(ParseError::InvalidHeaderName);
    };
    let name = &line[..colon];
    if name.last().is_some_and(|&b| b == b' ' || b == b'\t') {
        return Some(ParseError::WhitespaceBeforeColon);
    }
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Some(ParseError::InvalidHeaderName);
    }
    if !line[colon + 1..].iter().all(|&b| is_field_value_byte(b)) {
        return Some(ParseError::InvalidHeaderValue);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let cases: &[(&[u8], ParseError)] = &[
            (b" folded\r\n\r\n", ParseError::ObsFold),
            (b"A: 1\r\n\tfolded\r\n\r\n", ParseError::ObsFold),
            (b"Host : x\r\n\r\n", ParseError::WhitespaceBeforeColon),
            (b"Host\t: x\r\n\r\n", ParseError::WhitespaceBeforeColon),
            (b"no colon\r\n\r\n", ParseError::InvalidHeaderName),
            (b": empty\r\n\r\n", ParseError::InvalidHeaderName),
            (b"b(d): x\r\n\r\n", ParseError::InvalidHeaderName),
            (b"A: nul\0here\r\n\r\n", ParseError::InvalidHeaderValue),
            (b"A: bare\rcr\r\n\r\n", ParseError::InvalidLineEnding),
            (b"A: del\x7f\r\n\r\n", ParseError::InvalidHeaderValue),
            (b"A: esc\x1b\r\n\r\n", ParseError::InvalidHeaderValue),
        ];
        for (block, want) in cases {
            let count = block.iter().filter(|&&b| b == b'\n').count() - 1;
            let got = parse_fields(&Bytes::copy_from_slice(block), count, None).unwrap_err();
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(block));
        }
    }

    #[test]
    fn values_are_trimmed_and_record_keeps_spelling() {
        let block = Bytes::from_static(b"X-MiXeD:   v  \r\nx-mixed: w\r\n\r\n");
        let (map, record, seen) = parse_fields(&block, 2, None).unwrap();
        assert_eq!(seen, SeenFields::default());
        let values: Vec<_> = map.get_all("x-mixed").iter().collect();
        assert_eq!(values, ["v", "w"]);
        let names: Vec<_> = record.unwrap().iter().map(|(_, s)| s.to_vec()).collect();
        assert_eq!(names, [b"X-MiXeD".to_vec(), b"x-mixed".to_vec()]);
    }

    #[test]
    fn a_record_is_made_only_when_the_map_cannot_give_the_head_back() {
        // (block, whether a record is made)
        let cases: &[(&[u8], bool)] = &[
            (
                b"Host: a\r\nContent-Type: b\r\nX-Request-Id: c\r\n\r\n",
                false,
            ),
            (b"Set-Cookie: a\r\nSet-Cookie: b\r\nVia: c\r\n\r\n", false),
            (b"Te: a\r\nA--B: b\r\n9-Lives: c\r\n\r\n", false),
            (b"host: a\r\n\r\n", true),
            (b"Host: a\r\nX-Request-ID: c\r\n\r\n", true),
            (b"ETag: a\r\n\r\n", true),
            (b"Via: a\r\nHost: b\r\nVia: c\r\n\r\n", true),
        ];
        for (block, want) in cases {
            let count = block.iter().filter(|&&b| b == b'\n').count() - 1;
            let (map, record, _) =
                parse_fields(&Bytes::copy_from_slice(block), count, None).unwrap();
            assert_eq!(
                record.is_some(),
                *want,
                "{}",
                String::from_utf8_lossy(block)
            );
            // with or without a record, the writer gives the block back
            let mut written = Vec::new();
            for (name, value) in crate::wire::ordered_headers(&map, record.as_ref()) {
                name.write_to(&mut written);
                written.extend_from_slice(b": ");
                written.extend_from_slice(value.as_bytes());
                written.extend_from_slice(b"\r\n");
            }
            written.extend_from_slice(b"\r\n");
            assert_eq!(written, *block, "{}", String::from_utf8_lossy(block));
        }
    }

    #[test]
    fn default_form_table() {
        for (name, want) in [
            ("Host", true),
            ("Content-Type", true),
            ("X-Request-Id", true),
            ("A--B", true),
            ("9-Lives", true),
            ("Te", true),
            ("host", false),
            ("HOST", false),
            ("X-Request-ID", false),
            ("content-Type", false),
            ("X-request-id", false),
            ("ETag", false),
        ] {
            assert_eq!(is_default_form(name.as_bytes()), want, "{name}");
        }
    }

    #[test]
    fn seen_fields_are_noted() {
        let block = Bytes::from_static(
            b"host: a\r\nHOST: b\r\nContent-Length: 1\r\nconnection: x\r\nExpect: y\r\n\r\n",
        );
        let (_, _, seen) = parse_fields(&block, 5, None).unwrap();
        for field in [
            SeenFields::HOST,
            SeenFields::HOST_REPEATED,
            SeenFields::CONTENT_LENGTH,
            SeenFields::CONNECTION,
            SeenFields::EXPECT,
        ] {
            assert!(seen.any(field), "{field:?}");
        }
        assert!(!seen.any(SeenFields::TRANSFER_ENCODING));
        assert!(!seen.any(SeenFields::UPGRADE));
        let one_host =
            Bytes::from_static(b"Host: a\r\nTransfer-Encoding: chunked\r\nUpgrade: ws\r\n\r\n");
        let (_, _, seen) = parse_fields(&one_host, 3, None).unwrap();
        assert!(seen.any(SeenFields::HOST) && !seen.any(SeenFields::HOST_REPEATED));
        assert!(seen.any(SeenFields::TRANSFER_ENCODING) && seen.any(SeenFields::UPGRADE));
    }

    #[test]
    fn httparse_values_are_valid_header_values() {
        // every byte httparse lets into a value must be one `HeaderValue` accepts: the
        // unchecked construction in `parse_fields` relies on it
        for b in 0..=255u8 {
            let mut line = b"A: x".to_vec();
            line.push(b);
            line.extend_from_slice(b"y\r\n\r\n");
            let mut slots = [httparse::EMPTY_HEADER; 1];
            if let Ok(httparse::Status::Complete(_)) = httparse::parse_headers(&line, &mut slots) {
                assert!(
                    HeaderValue::from_bytes(slots[0].value).is_ok(),
                    "byte {b:#04x} passes httparse but not HeaderValue"
                );
            }
        }
    }

    #[test]
    fn obs_text_in_values_is_kept() {
        let block = Bytes::from_static(b"A: caf\xc3\xa9\r\n\r\n");
        let (map, _, _) = parse_fields(&block, 1, None).unwrap();
        assert_eq!(map["a"].as_bytes(), b"caf\xc3\xa9");
    }
}
