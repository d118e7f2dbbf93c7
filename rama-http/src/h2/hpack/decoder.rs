//! The header block decoder (RFC 7541 §3, §6).

use super::{
    DecodeError, huffman,
    integer::decode_integer,
    table::{DynamicTable, entry_size},
};
use bytes::Bytes;

/// One decoded header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    /// The name as sent (HTTP/2 requires lowercase; the decoder does not judge).
    pub name: Bytes,
    /// The value as sent.
    pub value: Bytes,
    /// Sent as "never indexed" (§6.2.3): intermediaries must keep it out of their tables.
    pub never_indexed: bool,
}

/// Default cap on the decoded size of one header block (names + values + 32 per field),
/// 64 KiB: four times the h2 server's default `SETTINGS_MAX_HEADER_LIST_SIZE`.
pub const DEFAULT_MAX_HEADER_LIST_SIZE: usize = 64 * 1024;

/// An HPACK decoder: decodes header blocks in order, keeping the dynamic table between them.
///
/// ```
/// use rama_http::h2::hpack::Decoder;
///
/// // RFC 7541 C.2.4: an indexed field from the static table
/// let mut decoder = Decoder::new(4096);
/// let fields = decoder.decode(&[0x82]).unwrap();
/// assert_eq!(fields[0].name, ":method");
/// assert_eq!(fields[0].value, "GET");
/// ```
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    max_table_size: usize,
    max_header_list_size: usize,
}

impl Decoder {
    /// A decoder whose dynamic table may grow to `max_table_size` (the value this side
    /// announced as `SETTINGS_HEADER_TABLE_SIZE`; 4096 by default in HTTP/2).
    #[must_use]
    pub const fn new(max_table_size: usize) -> Self {
        Self {
            table: DynamicTable::new(max_table_size),
            max_table_size,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
        }
    }

    /// Caps the decoded size of one block (see [`DEFAULT_MAX_HEADER_LIST_SIZE`]); a block
    /// decoding to more is an error. The cap bounds memory: indexed fields let a few input
    /// bytes stand for kilobytes of output.
    #[must_use]
    pub const fn with_max_header_list_size(mut self, max: usize) -> Self {
        self.max_header_list_size = max;
        self
    }

    /// Current size of the dynamic table, in HPACK units (§4.1).
    #[must_use]
    pub const fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's entries, newest first.
    pub fn table_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.table.entries().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// Decodes one complete header block (the HEADERS fragment plus its CONTINUATIONs).
    ///
    /// After an error the decoder's table is in an unknown state; HTTP/2 treats any HPACK
    /// error as a connection error (RFC 9113 §4.3), so drop the decoder.
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<HeaderField>, DecodeError> {
        let mut fields = Vec::new();
        let mut list_size = 0usize;
        let mut pos = 0usize;
        while pos < block.len() {
            let rest = &block[pos..];
            let first = rest[0];
            if first & 0x80 != 0 {
                // §6.1 indexed field
                let (index, n) = decode_integer(rest, 7)?;
                pos += n;
                let (name, value) = self.lookup(index)?;
                push(
                    &mut fields,
                    &mut list_size,
                    self.max_header_list_size,
                    name,
                    value,
                    false,
                )?;
            } else if first & 0xc0 == 0x40 {
                // §6.2.1 literal with incremental indexing
                let (name, value, n) = self.literal(rest, 6)?;
                pos += n;
                self.table.insert(name.clone(), value.clone());
                push(
                    &mut fields,
                    &mut list_size,
                    self.max_header_list_size,
                    name,
                    value,
                    false,
                )?;
            } else if first & 0xe0 == 0x20 {
                // §6.3 dynamic table size update: only before the first field of a block
                if !fields.is_empty() {
                    return Err(DecodeError::MisplacedSizeUpdate);
                }
                let (size, n) = decode_integer(rest, 5)?;
                pos += n;
                let size = usize::try_from(size).map_err(|_| DecodeError::IntegerOverflow)?;
                if size > self.max_table_size {
                    return Err(DecodeError::SizeUpdateTooLarge);
                }
                self.table.set_max_size(size);
            } else {
                // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001)
                let never_indexed = first & 0xf0 == 0x10;
                let (name, value, n) = self.literal(rest, 4)?;
                pos += n;
                push(
                    &mut fields,
                    &mut list_size,
                    self.max_header_list_size,
                    name,
                    value,
                    never_indexed,
                )?;
            }
        }
        Ok(fields)
    }

    fn lookup(&self, index: u64) -> Result<(Bytes, Bytes), DecodeError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.table.get(i))
            .ok_or(DecodeError::InvalidIndex)
    }

    /// A literal field whose name index has a `prefix_bits` prefix: returns name, value and
    /// the bytes taken.
    fn literal(&self, buf: &[u8], prefix_bits: u8) -> Result<(Bytes, Bytes, usize), DecodeError> {
        let (index, mut pos) = decode_integer(buf, prefix_bits)?;
        let name = if index == 0 {
            let (name, n) = string(&buf[pos..])?;
            pos += n;
            name
        } else {
            self.lookup(index)?.0
        };
        let (value, n) = string(&buf[pos..])?;
        Ok((name, value, pos + n))
    }
}

fn push(
    fields: &mut Vec<HeaderField>,
    list_size: &mut usize,
    max: usize,
    name: Bytes,
    value: Bytes,
    never_indexed: bool,
) -> Result<(), DecodeError> {
    *list_size = list_size.saturating_add(entry_size(&name, &value));
    if *list_size > max {
        return Err(DecodeError::HeaderListTooLarge);
    }
    fields.push(HeaderField {
        name,
        value,
        never_indexed,
    });
    Ok(())
}

/// A string literal (§5.2): returns it and the bytes taken.
fn string(buf: &[u8]) -> Result<(Bytes, usize), DecodeError> {
    let Some(&first) = buf.first() else {
        return Err(DecodeError::Truncated);
    };
    let (len, n) = decode_integer(buf, 7)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::IntegerOverflow)?;
    let end = n.checked_add(len).ok_or(DecodeError::Truncated)?;
    let raw = buf.get(n..end).ok_or(DecodeError::Truncated)?;
    if first & 0x80 != 0 {
        let mut out = Vec::with_capacity(len + len / 2);
        huffman::decode(raw, &mut out)?;
        Ok((Bytes::from(out), end))
    } else {
        Ok((Bytes::copy_from_slice(raw), end))
    }
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

    fn pairs(fields: &[HeaderField]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|f| {
                (
                    String::from_utf8(f.name.to_vec()).unwrap(),
                    String::from_utf8(f.value.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    fn table(d: &Decoder) -> Vec<(String, String)> {
        d.table_entries()
            .map(|(n, v)| {
                (
                    String::from_utf8(n.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    /// RFC 7541 C.2: one block each, fresh decoder: (block, field, never indexed, table size).
    #[test]
    fn appendix_c2_single_fields() {
        let rows = [
            (
                "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
                ("custom-key", "custom-header"),
                false,
                55,
            ),
            (
                "040c 2f73 616d 706c 652f 7061 7468",
                (":path", "/sample/path"),
                false,
                0,
            ),
            (
                "1008 7061 7373 776f 7264 0673 6563 7265 74",
                ("password", "secret"),
                true,
                0,
            ),
            ("82", (":method", "GET"), false, 0),
        ];
        for (hex, field, never, size) in rows {
            let mut d = Decoder::new(4096);
            let got = d.decode(&unhex(hex)).unwrap();
            assert_eq!(pairs(&got), owned(&[field]), "{hex}");
            assert_eq!(got[0].never_indexed, never, "{hex}");
            assert_eq!(d.table_size(), size, "{hex}");
        }
    }

    /// C.3 (plain) and C.4 (Huffman): three requests on one decoder.
    #[test]
    fn appendix_c3_c4_requests() {
        let series = [
            [
                "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            ],
            [
                "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ],
        ];
        let auth = (":authority", "www.example.com");
        let want_fields = [
            owned(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                auth,
            ]),
            owned(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                auth,
                ("cache-control", "no-cache"),
            ]),
            owned(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                auth,
                ("custom-key", "custom-value"),
            ]),
        ];
        let want_tables = [
            (owned(&[auth]), 57),
            (owned(&[("cache-control", "no-cache"), auth]), 110),
            (
                owned(&[
                    ("custom-key", "custom-value"),
                    ("cache-control", "no-cache"),
                    auth,
                ]),
                164,
            ),
        ];
        for blocks in series {
            let mut d = Decoder::new(4096);
            for (i, hex) in blocks.iter().enumerate() {
                let got = d.decode(&unhex(hex)).unwrap();
                assert_eq!(pairs(&got), want_fields[i], "{hex}");
                assert_eq!(table(&d), want_tables[i].0, "{hex}");
                assert_eq!(d.table_size(), want_tables[i].1, "{hex}");
            }
        }
    }

    /// C.5 (plain) and C.6 (Huffman): three responses with a 256-byte table, with evictions.
    #[test]
    fn appendix_c5_c6_responses_with_eviction() {
        let series = [
            [
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            ],
            [
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            ],
        ];
        let date1 = ("date", "Mon, 21 Oct 2013 20:13:21 GMT");
        let date2 = ("date", "Mon, 21 Oct 2013 20:13:22 GMT");
        let loc = ("location", "https://www.example.com");
        let cc = ("cache-control", "private");
        let cookie = (
            "set-cookie",
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        );
        let gzip = ("content-encoding", "gzip");
        let want_fields = [
            owned(&[(":status", "302"), cc, date1, loc]),
            owned(&[(":status", "307"), cc, date1, loc]),
            owned(&[(":status", "200"), cc, date2, loc, gzip, cookie]),
        ];
        let want_tables = [
            (owned(&[loc, date1, cc, (":status", "302")]), 222),
            (owned(&[(":status", "307"), loc, date1, cc]), 222),
            (owned(&[cookie, gzip, date2]), 215),
        ];
        for blocks in series {
            let mut d = Decoder::new(256);
            for (i, hex) in blocks.iter().enumerate() {
                let got = d.decode(&unhex(hex)).unwrap();
                assert_eq!(pairs(&got), want_fields[i], "{hex}");
                assert_eq!(table(&d), want_tables[i].0, "{hex}");
                assert_eq!(d.table_size(), want_tables[i].1, "{hex}");
            }
        }
    }

    #[test]
    fn size_updates() {
        let mut d = Decoder::new(4096);
        // insert one entry, then shrink the table to 0 at the start of the next block
        d.decode(&unhex(
            "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
        ))
        .unwrap();
        assert_eq!(d.table_size(), 55);
        let got = d.decode(&[0x20, 0x82]).unwrap();
        assert_eq!(pairs(&got), owned(&[(":method", "GET")]));
        assert_eq!(d.table_size(), 0);
        // back up to 4096 (0x3f 0xe1 0x1f = 4096 with a 5-bit prefix)
        d.decode(&[0x3f, 0xe1, 0x1f]).unwrap();
        // above the announced maximum
        assert_eq!(
            d.decode(&[0x3f, 0xe2, 0x1f]),
            Err(DecodeError::SizeUpdateTooLarge)
        );
    }

    #[test]
    fn bad_blocks() {
        let rows: &[(&str, &[u8], DecodeError)] = &[
            ("index 0", &[0x80], DecodeError::InvalidIndex),
            ("index past both tables", &[0xbe], DecodeError::InvalidIndex),
            (
                "name index past both tables",
                &[0x7f, 0x00, 0x00],
                DecodeError::InvalidIndex,
            ),
            (
                "size update after a field",
                &[0x82, 0x20],
                DecodeError::MisplacedSizeUpdate,
            ),
            (
                "string longer than the block",
                &[0x40, 0x05, b'a'],
                DecodeError::Truncated,
            ),
            ("missing value", &[0x41], DecodeError::Truncated),
            ("truncated integer", &[0xff], DecodeError::Truncated),
            (
                "bad huffman padding",
                &[0x41, 0x81, 0x00],
                DecodeError::Huffman,
            ),
            (
                "integer overflow",
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                DecodeError::IntegerOverflow,
            ),
        ];
        for (name, input, want) in rows {
            let mut d = Decoder::new(4096);
            assert_eq!(d.decode(input).as_ref().err(), Some(want), "{name}");
        }
    }

    #[test]
    fn header_list_cap_bounds_amplification() {
        // one 1000-byte entry, then 100 one-byte references to it
        // literal "x" = 1000 × 'v' with incremental indexing (length 1000 = 0x7f, 0xe9, 0x06)
        let mut block = vec![0x40, 0x01, b'x', 0x7f, 0xe9, 0x06];
        block.extend(std::iter::repeat_n(b'v', 1000));
        block.extend(std::iter::repeat_n(0xbe, 100)); // index 62
        let mut d = Decoder::new(4096).with_max_header_list_size(16 * 1024);
        assert_eq!(d.decode(&block), Err(DecodeError::HeaderListTooLarge));
        let mut d = Decoder::new(4096).with_max_header_list_size(200 * 1024);
        assert_eq!(d.decode(&block).unwrap().len(), 101);
    }
}
