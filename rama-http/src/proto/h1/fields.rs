//! Header fields: one block of `name: value` lines into a [`HeaderMap`] plus the wire record.
//! Shared by message heads and chunked trailers, so both follow the same rules.

use super::ParseError;
use super::facts::ConnectionOptions;
use super::field_line::{
    is_field_value_byte, is_token, read_field_line, read_field_line_name_unchecked,
};
use super::framing::length_item;
use super::known_names::known_name;
use crate::swar;
use crate::wire::OriginalHeaderNames;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Version};

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Which of the fields that decide framing and connection handling a head has, noted while
/// parsing so that heads without them (most) skip the map lookups that check them; and what
/// the two that nearly every response carries say, read from the value at hand, so that the
/// engine looks neither up: the `Connection` options `close` and `keep-alive`, and a single
/// plain `Content-Length`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeenFields {
    bits: u8,
    /// The value of the one `Content-Length` field when it is a plain number (meaningful
    /// with [`CONTENT_LENGTH`](Self::CONTENT_LENGTH) and without
    /// [`CONTENT_LENGTH_UNFOLDED`](Self::CONTENT_LENGTH_UNFOLDED)).
    length: u64,
    /// What the `Connection` fields list.
    connection: ConnectionOptions,
}

impl SeenFields {
    const fn flag(bits: u8) -> Self {
        Self {
            bits,
            length: 0,
            connection: ConnectionOptions::NONE,
        }
    }

    /// `Host`, at least once.
    pub(crate) const HOST: Self = Self::flag(1);
    /// `Host`, more than once.
    pub(crate) const HOST_REPEATED: Self = Self::flag(1 << 1);
    /// `Content-Length`.
    pub(crate) const CONTENT_LENGTH: Self = Self::flag(1 << 2);
    /// `Transfer-Encoding`.
    pub(crate) const TRANSFER_ENCODING: Self = Self::flag(1 << 3);
    /// `Expect`.
    pub(crate) const EXPECT: Self = Self::flag(1 << 5);
    /// `Upgrade`.
    pub(crate) const UPGRADE: Self = Self::flag(1 << 6);
    /// `Content-Length` more than once, or with a value that is not just digits (a list, an
    /// empty value, a number beyond `u64`): the full check of `framing.rs` decides, and the
    /// parser folds the fields into one (when the values agree).
    pub(crate) const CONTENT_LENGTH_UNFOLDED: Self = Self::flag(1 << 7);

    /// Both sets together.
    pub(crate) const fn or(self, other: Self) -> Self {
        Self {
            bits: self.bits | other.bits,
            ..self
        }
    }

    /// Whether any of the fields in `other` was seen.
    pub(crate) const fn any(self, other: Self) -> bool {
        self.bits & other.bits != 0
    }

    /// The `Content-Length` when the head has exactly one and it is a plain number; `None`
    /// when it has none, or when the value needs the full check (see
    /// [`CONTENT_LENGTH_UNFOLDED`](Self::CONTENT_LENGTH_UNFOLDED)).
    pub(crate) const fn plain_content_length(self) -> Option<u64> {
        if self.any(Self::CONTENT_LENGTH) && !self.any(Self::CONTENT_LENGTH_UNFOLDED) {
            Some(self.length)
        } else {
            None
        }
    }

    /// Whether the connection stays open after this message, as
    /// [`wants_keep_alive`](super::wants_keep_alive) decides it from the map.
    pub(crate) fn keep_alive(self, version: Version) -> bool {
        self.connection.keep_alive(version)
    }

    /// Whether the framing must be read from the map (`Transfer-Encoding`, or a
    /// `Content-Length` that is not one plain number) rather than from
    /// [`plain_content_length`](Self::plain_content_length).
    pub(crate) const fn framing_needs_the_map(self) -> bool {
        self.any(Self::TRANSFER_ENCODING.or(Self::CONTENT_LENGTH_UNFOLDED))
    }

    fn note(&mut self, name: &HeaderName, value: &[u8]) {
        use http::header;
        let bit = if *name == header::HOST {
            if self.any(Self::HOST) {
                Self::HOST_REPEATED
            } else {
                Self::HOST
            }
        } else if *name == header::CONTENT_LENGTH {
            match length_item(value).ok() {
                Some(n) if !self.any(Self::CONTENT_LENGTH) => {
                    self.length = n;
                    Self::CONTENT_LENGTH
                }
                _ => Self::CONTENT_LENGTH.or(Self::CONTENT_LENGTH_UNFOLDED),
            }
        } else if *name == header::TRANSFER_ENCODING {
            Self::TRANSFER_ENCODING
        } else if *name == header::CONNECTION {
            self.connection = self.connection.and(ConnectionOptions::of(value));
            return;
        } else if *name == header::EXPECT {
            Self::EXPECT
        } else if *name == header::UPGRADE {
            Self::UPGRADE
        } else {
            return;
        };
        self.bits |= bit.bits;
    }
}

/// How many fields a parsed head's map has room for beyond the parsed ones.
const ADDED_FIELDS_ROOM: usize = 4;

/// A cleared [`HeaderMap`] that a head parser fills next instead of allocating one.
///
/// A map costs two allocations (its index table and its entries), and a head parser used
/// to make one for every head. A map that is done with (the response head the server
/// wrote, the request head the client wrote) is handed back to the connection's parser,
/// cleared, so a connection in steady state parses its heads into maps it already has.
/// In a proxy the maps cross over: the client's response map becomes the server's
/// response, and comes back as the next request's map; the request map goes on to the
/// upstream and comes back as the next response's. That takes two allocations and two
/// frees off each head (about 220 instructions per head, callgrind).
///
/// Only maps with room for at most [`SpareMap::MAX_KEPT`] fields are kept (about 2.6 KiB),
/// so what an idle connection holds stays small whatever one head carried.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpareMap(Option<HeaderMap>);

impl SpareMap {
    /// The largest capacity (in fields) kept: a map for 24 fields (the entries of a
    /// browser's request head and the room a proxy adds fit).
    pub(crate) const MAX_KEPT: usize = 24;

    /// Keeps `map`, cleared (its values, slices of a read buffer, are released now), when
    /// it is small enough; otherwise drops it.
    pub(crate) fn keep(&mut self, mut map: HeaderMap) {
        if map.capacity() <= Self::MAX_KEPT {
            map.clear();
            self.0 = Some(map);
        }
    }

    /// A map with room for `fields` fields: the kept one when it has that room, else a new
    /// one.
    fn take_with_room(&mut self, fields: usize) -> HeaderMap {
        match self.0.take() {
            Some(map) if map.capacity() >= fields => map,
            _ => HeaderMap::with_capacity(fields),
        }
    }
}

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
///
/// The map is `spare`'s when it has the room (see [`SpareMap`]).
pub(crate) fn parse_fields(
    block: &Bytes,
    count: usize,
    check_host: Option<HostCheck>,
    spare: &mut SpareMap,
) -> Result<(HeaderMap, Option<OriginalHeaderNames>, SeenFields), ParseError> {
    // room for a few more: proxies add fields (`Forwarded`, `Via`, `Date`), and a map
    // filled to its capacity grows (reallocates and rehashes) on the first one
    let mut map = spare.take_with_room(count + ADDED_FIELDS_ROOM);
    let mut record: Option<OriginalHeaderNames> = None;
    let mut seen = SeenFields::default();
    let mut at = 0;
    // where the previous line's name lies, to tell a repeat of the name just before
    let mut previous_name = 0..0;
    while block.get(at..at + 2) != Some(b"\r\n") {
        // the name is checked to be a token only when it is not a known one (see
        // `read_field_line_name_unchecked`)
        let Some(line) = read_field_line_name_unchecked(block, at) else {
            return Err(classify(block));
        };
        let spelling = &block[line.name.clone()];
        let (name, default_form) = match known_name(spelling) {
            Some(known) => known,
            None if is_token(spelling) => (
                HeaderName::from_bytes(spelling).map_err(|_| ParseError::InvalidHeaderName)?,
                is_default_form(spelling),
            ),
            None => return Err(classify(block)),
        };
        // SAFETY: `read_field_line_name_unchecked` accepted the value (it checks values as
        // `read_field_line` does), so it holds only HTAB, SP, visible ASCII and obs-text
        // (0x80-0xFF): exactly the bytes `HeaderValue` allows (the table test
        // `field_values_are_valid_header_values` checks every byte; debug builds of `http`
        // check again here). Validating a second time costs about 150 instructions a field.
        let value =
            unsafe { HeaderValue::from_maybe_shared_unchecked(block.slice(line.value.clone())) };
        seen.note(&name, &block[line.value.clone()]);
        if let Some(check) = check_host
            && name == http::header::HOST
        {
            check(&block[line.value])?;
        }
        at = line.next;
        if let Some(record) = &mut record {
            record.push_checked(name.clone(), block.slice(line.name));
            map.append(name, value);
            continue;
        }
        // `append` tells whether the name was there already (then a line came before)
        let repeated = map.append(name, value);
        let repeated_after_others =
            repeated && !block[previous_name.clone()].eq_ignore_ascii_case(spelling);
        if repeated_after_others || !default_form {
            record = Some(record_of(block, at)?);
        }
        previous_name = line.name;
    }
    Ok((map, record, seen))
}

/// Whether a field name on the wire is spelled as the writer spells a name it has no
/// record of: Title-Case, the first letter and each after `-` uppercase, the rest lowercase.
///
/// Eight bytes at a time (every field of every head is checked: a byte at a time it cost
/// about 6 instructions a byte); `is_default_form_bytewise` in the tests is the rule
/// spelled out, and the two are compared on every short name over a small alphabet.
pub(crate) fn is_default_form(spelling: &[u8]) -> bool {
    use swar::{HIGH, LOW7, ONES};
    // the first byte is where an uppercase letter is wanted
    let mut after_dash = 0x80;
    // padding: zero bytes, neither letters nor dashes
    for word in swar::words(spelling) {
        let dash = swar::bytes_equal(word, b'-');
        // upper wanted: the byte after a dash (the next byte up, little-endian)
        let want_upper = (dash << 8) | after_dash;
        after_dash = dash >> 56;
        let folded = (word | (ONES * 0x20)) & LOW7;
        let at_least_a = (folded + ONES * (0x80 - u64::from(b'a'))) & HIGH;
        let above_z = (folded + ONES * (0x7f - u64::from(b'z'))) & HIGH;
        let letter = at_least_a & !above_z & !word & HIGH;
        // a letter's case bit (0x20) moved to the byte's high bit: clear for uppercase
        let upper = !(word << 2) & HIGH;
        if letter & (upper ^ want_upper) != 0 {
            return false;
        }
    }
    true
}

/// The record of the field lines of `block` before `end` (already read once: they are
/// valid lines with valid names).
fn record_of(block: &Bytes, end: usize) -> Result<OriginalHeaderNames, ParseError> {
    let mut record = OriginalHeaderNames::with_capacity(8);
    let mut at = 0;
    while at < end {
        let line = read_field_line(block, at).ok_or(ParseError::InvalidHeaderName)?;
        let name = HeaderName::from_bytes(&block[line.name.clone()])
            .map_err(|_| ParseError::InvalidHeaderName)?;
        record.push_checked(name, block.slice(line.name));
        at = line.next;
    }
    Ok(record)
}

/// Finds why the field lines of `block` were refused, line by line, for a precise error.
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

    /// The type `parse_fields` answers with.
    type Parsed = Result<(HeaderMap, Option<OriginalHeaderNames>, SeenFields), ParseError>;

    /// `parse_fields` on `block` (field lines, then the empty line), its lines counted, with
    /// no `Host` check and no spare map.
    fn parse_block(block: &[u8]) -> Parsed {
        let count = block.iter().filter(|&&b| b == b'\n').count() - 1;
        parse_fields(
            &Bytes::copy_from_slice(block),
            count,
            None,
            &mut SpareMap::default(),
        )
    }

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
            let got = parse_block(block).unwrap_err();
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(block));
        }
    }

    #[test]
    fn values_are_trimmed_and_record_keeps_spelling() {
        let block = Bytes::from_static(b"X-MiXeD:   v  \r\nx-mixed: w\r\n\r\n");
        let (map, record, seen) = parse_fields(&block, 2, None, &mut SpareMap::default()).unwrap();
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
            let (map, record, _) = parse_block(block).unwrap();
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

    /// [`is_default_form`]'s rule a byte at a time.
    fn is_default_form_bytewise(spelling: &[u8]) -> bool {
        let mut upper = true;
        for &b in spelling {
            if b.is_ascii_alphabetic() && (b & 0x20 == 0) != upper {
                return false;
            }
            upper = b == b'-';
        }
        true
    }

    #[test]
    fn default_form_agrees_with_the_bytewise_rule() {
        // every name of up to 5 bytes over an alphabet of edge bytes, at offsets that put
        // dashes on word boundaries (a prefix of 0-7 lowercase letters after "X")
        const ALPHABET: &[u8] = b"aAzZ-@[`{9_";
        let mut checked = 0;
        for len in 0..=5u32 {
            for n in 0..ALPHABET.len().pow(len) {
                let mut tail = Vec::new();
                let mut k = n;
                for _ in 0..len {
                    tail.push(ALPHABET[k % ALPHABET.len()]);
                    k /= ALPHABET.len();
                }
                for prefix in 0..8 {
                    let mut name = b"X".to_vec();
                    name.extend(std::iter::repeat_n(b'x', prefix));
                    name.extend_from_slice(&tail);
                    assert_eq!(
                        is_default_form(&name),
                        is_default_form_bytewise(&name),
                        "{}",
                        String::from_utf8_lossy(&name)
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000_000);
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
            b"host: a\r\nHOST: b\r\nContent-Length: 1\r\nconnection: close\r\nExpect: y\r\n\r\n",
        );
        let (_, _, seen) = parse_fields(&block, 5, None, &mut SpareMap::default()).unwrap();
        for field in [
            SeenFields::HOST,
            SeenFields::HOST_REPEATED,
            SeenFields::CONTENT_LENGTH,
            SeenFields::EXPECT,
        ] {
            assert!(seen.any(field), "{field:?}");
        }
        assert!(!seen.keep_alive(Version::HTTP_11), "connection: close");
        assert!(!seen.any(SeenFields::TRANSFER_ENCODING));
        assert!(!seen.any(SeenFields::UPGRADE));
        let one_host =
            Bytes::from_static(b"Host: a\r\nTransfer-Encoding: chunked\r\nUpgrade: ws\r\n\r\n");
        let (_, _, seen) = parse_fields(&one_host, 3, None, &mut SpareMap::default()).unwrap();
        assert!(seen.any(SeenFields::HOST) && !seen.any(SeenFields::HOST_REPEATED));
        assert!(seen.any(SeenFields::TRANSFER_ENCODING) && seen.any(SeenFields::UPGRADE));
    }

    /// What the parser notes about `Connection` and `Content-Length` answers what the map
    /// lookups it replaces answer (`wants_keep_alive`, `content_length`), or sends the head
    /// to the full check.
    #[test]
    fn noted_values_agree_with_the_lookups() {
        use crate::proto::h1::{content_length, wants_keep_alive};
        let blocks: &[&[u8]] = &[
            b"\r\n",
            b"Content-Length: 5\r\n\r\n",
            b"Content-Length: 007\r\n\r\n",
            b"Content-Length: 0\r\n\r\n",
            b"Content-Length: 18446744073709551615\r\n\r\n",
            b"Content-Length: 18446744073709551616\r\n\r\n",
            b"Content-Length: \r\n\r\n",
            b"Content-Length: 5, 5\r\n\r\n",
            b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
            b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"Content-Length: +5\r\n\r\n",
            b"Connection: close\r\n\r\n",
            b"Connection: Keep-Alive\r\n\r\n",
            b"Connection: upgrade,  CLOSE \r\n\r\n",
            b"Connection: keep-alive\r\nConnection: close\r\n\r\n",
            b"Connection: x-close, keep-alivex\r\n\r\n",
            b"Connection: ,,keep-alive,\r\n\r\n",
        ];
        for block in blocks {
            let shown = String::from_utf8_lossy(block);
            let (map, _, seen) = parse_block(block).unwrap();
            for version in [Version::HTTP_10, Version::HTTP_11] {
                assert_eq!(
                    seen.keep_alive(version),
                    wants_keep_alive(version, &map),
                    "{shown:?} {version:?}"
                );
            }
            match content_length(&map) {
                // a plain value is taken as noted; anything else goes to the full check
                Ok(length) if !seen.any(SeenFields::CONTENT_LENGTH_UNFOLDED) => {
                    assert_eq!(seen.plain_content_length(), length, "{shown:?}");
                }
                _ => {
                    assert!(seen.any(SeenFields::CONTENT_LENGTH_UNFOLDED), "{shown:?}");
                    assert_eq!(seen.plain_content_length(), None, "{shown:?}");
                }
            }
        }
    }

    #[test]
    fn field_values_are_valid_header_values() {
        // every byte the field parser lets into a value must be one `HeaderValue` accepts:
        // the unchecked construction in `parse_fields` relies on it
        for b in 0..=255u8 {
            let mut line = b"A: x".to_vec();
            line.push(b);
            line.extend_from_slice(b"y\r\n\r\n");
            if let Some(field) = read_field_line(&line, 0) {
                assert!(
                    HeaderValue::from_bytes(&line[field.value]).is_ok(),
                    "byte {b:#04x} passes the field parser but not HeaderValue"
                );
            }
        }
    }

    #[test]
    fn obs_text_in_values_is_kept() {
        let block = Bytes::from_static(b"A: caf\xc3\xa9\r\n\r\n");
        let (map, _, _) = parse_fields(&block, 1, None, &mut SpareMap::default()).unwrap();
        assert_eq!(map["a"].as_bytes(), b"caf\xc3\xa9");
    }
}
