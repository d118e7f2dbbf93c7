//! The static table (RFC 7541 Appendix A) and the dynamic table (§2.3.2, §4).

use bytes::Bytes;
use std::collections::VecDeque;

/// RFC 7541 Appendix A, index 1 first.
const STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// Per-entry overhead counted in a table's size (§4.1).
pub(super) const ENTRY_OVERHEAD: usize = 32;

/// Size of a field as HPACK counts it (§4.1).
pub(super) const fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + ENTRY_OVERHEAD
}

/// The decoder's dynamic table: newest entry first.
#[derive(Debug)]
pub(super) struct DynamicTable {
    entries: VecDeque<(Bytes, Bytes)>,
    size: usize,
    max_size: usize,
}

impl DynamicTable {
    pub(super) const fn new(max_size: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    /// Current size in HPACK units.
    pub(super) const fn size(&self) -> usize {
        self.size
    }

    /// Entries, newest first.
    pub(super) fn entries(&self) -> impl Iterator<Item = &(Bytes, Bytes)> {
        self.entries.iter()
    }

    /// Sets a new maximum, evicting as needed (§4.3).
    pub(super) fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    /// Adds an entry, evicting old ones first; an entry larger than the table empties it and
    /// is not added (§4.4).
    pub(super) fn insert(&mut self, name: Bytes, value: Bytes) {
        let size = entry_size(&name, &value);
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    fn evict_to(&mut self, limit: usize) {
        while self.size > limit {
            match self.entries.pop_back() {
                Some((name, value)) => self.size -= entry_size(&name, &value),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    /// Looks up a 1-based index across the static table (1..=61) and this table (62..).
    pub(super) fn get(&self, index: usize) -> Option<(Bytes, Bytes)> {
        if index == 0 {
            return None;
        }
        if let Some(&(name, value)) = STATIC.get(index - 1) {
            return Some((
                Bytes::from_static(name.as_bytes()),
                Bytes::from_static(value.as_bytes()),
            ));
        }
        self.entries.get(index - 1 - STATIC.len()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_lookup() {
        let t = DynamicTable::new(4096);
        let rows = [
            (1, Some((":authority", ""))),
            (2, Some((":method", "GET"))),
            (7, Some((":scheme", "https"))),
            (16, Some(("accept-encoding", "gzip, deflate"))),
            (61, Some(("www-authenticate", ""))),
            (0, None),
            (62, None),
        ];
        for (index, want) in rows {
            let got = t.get(index);
            let want = want.map(|(n, v)| (Bytes::from(n), Bytes::from(v)));
            assert_eq!(got, want, "index {index}");
        }
    }

    #[test]
    fn insert_evicts_oldest_and_oversized_empties() {
        let mut t = DynamicTable::new(100);
        t.insert(Bytes::from("a"), Bytes::from("1")); // 34
        t.insert(Bytes::from("b"), Bytes::from("2")); // 68
        assert_eq!(t.size(), 68);
        assert_eq!(t.get(62).unwrap().0, "b");
        assert_eq!(t.get(63).unwrap().0, "a");
        t.insert(Bytes::from("c"), Bytes::from("3")); // evicts "a"
        assert_eq!(t.size(), 68);
        assert_eq!(t.get(63).unwrap().0, "b");
        assert!(t.get(64).is_none());
        t.set_max_size(34);
        assert_eq!(t.entries().count(), 1);
        t.insert(Bytes::from(vec![b'x'; 100]), Bytes::new());
        assert_eq!(t.size(), 0);
        assert!(t.get(62).is_none());
        t.set_max_size(0);
        t.insert(Bytes::new(), Bytes::new());
        assert_eq!(t.size(), 0);
    }
}
