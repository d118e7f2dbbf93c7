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

/// Parses `block`: `count` field lines, each ended by CRLF, then the empty line (CRLF).
///
/// Values and recorded spellings are slices of `block` (no copies).
pub(crate) fn parse_fields(
    block: &Bytes,
    count: usize,
) -> Result<(HeaderMap, OriginalHeaderNames), ParseError> {
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
    let mut map = HeaderMap::with_capacity(parsed.len());
    let mut record = OriginalHeaderNames::with_capacity(parsed.len());
    for field in parsed.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| ParseError::InvalidHeaderName)?;
        // httparse and `HeaderValue` refuse the control bytes; no third pass here
        let value = HeaderValue::from_maybe_shared(block.slice_ref(field.value))
            .map_err(|_| ParseError::InvalidHeaderValue)?;
        record.push_checked(name.clone(), block.slice_ref(field.name.as_bytes()));
        map.append(name, value);
    }
    Ok((map, record))
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
            let got = parse_fields(&Bytes::copy_from_slice(block), count).unwrap_err();
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(block));
        }
    }

    #[test]
    fn values_are_trimmed_and_record_keeps_spelling() {
        let block = Bytes::from_static(b"X-MiXeD:   v  \r\nx-mixed: w\r\n\r\n");
        let (map, record) = parse_fields(&block, 2).unwrap();
        let values: Vec<_> = map.get_all("x-mixed").iter().collect();
        assert_eq!(values, ["v", "w"]);
        let names: Vec<_> = record.iter().map(|(_, s)| s.to_vec()).collect();
        assert_eq!(names, [b"X-MiXeD".to_vec(), b"x-mixed".to_vec()]);
    }

    #[test]
    fn obs_text_in_values_is_kept() {
        let block = Bytes::from_static(b"A: caf\xc3\xa9\r\n\r\n");
        let (map, _) = parse_fields(&block, 1).unwrap();
        assert_eq!(map["a"].as_bytes(), b"caf\xc3\xa9");
    }
}
