//! Wire fidelity: header names as they were on the wire, in order, with their spelling.
//!
//! The `http` crate stores header names lowercased and groups values by name, so a
//! [`HeaderMap`] alone forgets that a client sent `X-MiXeD-cAsE: 1` right after `User-Agent`.
//! A proxy that must not change what it forwards, a fingerprint (JA4H) and an emulation
//! profile all need that. So the HTTP/1 parser stores an [`OriginalHeaderNames`] record in the
//! message's [`http::Extensions`], and the HTTP/1 writer reads it back through
//! [`ordered_headers`].
//!
//! The parser makes a record only when the map alone would not give the head back: when a
//! name is not spelled in the default form below, or a name comes again after other names
//! (the map groups the values of a name). A head of Title-Case names without interleaved
//! repeats, what curl, nginx and most servers send, gets none: [`ordered_headers`] without a
//! record writes it back byte for byte, and the message is cheaper to parse and to carry.
//! Readers take "no record" as "the map's order, in the default form".
//!
//! # The writing rule
//!
//! Given a [`HeaderMap`] and a record, [`ordered_headers`] yields `(name as on the wire,
//! value)` pairs:
//!
//! 1. **Recorded names first, in recorded order.** The k-th occurrence of a name in the record
//!    (compared case-insensitively) takes the k-th value of that name in the map and is written
//!    in the recorded spelling. If the map has fewer values for that name (headers removed
//!    after parsing), the occurrences without a value are skipped.
//! 2. **Then the extra values, in `HeaderMap` order**: values added after parsing, that is any
//!    value of a name beyond the number of times the record lists that name. They are written
//!    in the recorded spelling of that name if the record has one, else in the default form.
//!
//! So a head that is parsed and written again is byte-identical (apart from whitespace around
//! values, which the parser trims), and deliberate changes stay visible.
//!
//! # The default form
//!
//! Without a record (or for names the record does not know), names are written in
//! **Title-Case**: the first letter and each letter after a `-` uppercased, the rest as the
//! `http` crate stores them (lowercase): `content-type` → `Content-Type`, `x-request-id` →
//! `X-Request-Id`, `www-authenticate` → `Www-Authenticate`. That is how most HTTP/1 clients
//! and servers spell names, and what old peers that (wrongly) compare case-sensitively expect.
//! Use a record to get any other spelling (`DNT`, `ETag`).
//!
//! ```
//! use rama_http::HeaderMap;
//! use rama_http::wire::{OriginalHeaderNames, ordered_headers};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("user-agent", "curl/8".parse().unwrap());
//! headers.insert("x-mixed-case", "1".parse().unwrap());
//! headers.insert("accept", "*/*".parse().unwrap());
//!
//! let mut record = OriginalHeaderNames::new();
//! for name in ["X-MiXeD-cAsE", "user-agent"] {
//!     record.push(name).unwrap();
//! }
//! let written: Vec<String> = ordered_headers(&headers, Some(&record))
//!     .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
//!     .collect();
//! assert_eq!(written, ["X-MiXeD-cAsE: 1", "user-agent: curl/8", "Accept: */*"]);
//! ```

mod reason;

pub use reason::{InvalidReasonPhrase, ReasonPhrase};

use bytes::{BufMut, Bytes};
use http::{HeaderMap, HeaderName, HeaderValue, header::InvalidHeaderName};
use std::fmt;

/// The header names of a message as they were on the wire: in order, with their original
/// spelling, duplicates included. Stored in a request's or response's [`http::Extensions`].
///
/// See the [module docs](self) for how the HTTP/1 writer uses it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OriginalHeaderNames {
    names: Vec<(HeaderName, Bytes)>,
}

impl OriginalHeaderNames {
    /// An empty record.
    #[must_use]
    pub const fn new() -> Self {
        Self { names: Vec::new() }
    }

    /// An empty record with room for `n` names.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self {
            names: Vec::with_capacity(n),
        }
    }

    /// Appends a name in the given spelling, which must be a valid header name (in any case).
    pub fn push(&mut self, spelling: impl Into<Bytes>) -> Result<(), InvalidHeaderName> {
        let spelling = spelling.into();
        let name = HeaderName::from_bytes(&spelling)?;
        self.names.push((name, spelling));
        Ok(())
    }

    /// Appends a name whose spelling the caller has already checked to match `name`
    /// case-insensitively (the parser does).
    pub(crate) fn push_checked(&mut self, name: HeaderName, spelling: Bytes) {
        debug_assert!(spelling.eq_ignore_ascii_case(name.as_str().as_bytes()));
        self.names.push((name, spelling));
    }

    /// How many names are recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The recorded names in order: `(normalised name, spelling as on the wire)`.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&HeaderName, &[u8])> + '_ {
        self.names.iter().map(|(n, s)| (n, s.as_ref()))
    }
}

impl fmt::Debug for OriginalHeaderNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.names.iter().map(|(_, s)| String::from_utf8_lossy(s)))
            .finish()
    }
}

/// A header name as it is to be written: the recorded spelling, or the default form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireName<'a> {
    /// The spelling from an [`OriginalHeaderNames`] record.
    Original(&'a [u8]),
    /// No spelling recorded: written in Title-Case (see the [module docs](self)).
    Default(&'a HeaderName),
}

impl WireName<'_> {
    /// Appends the name, as it is to be written, to `dst`.
    pub fn write_to(&self, dst: &mut impl BufMut) {
        match self {
            Self::Original(s) => dst.put_slice(s),
            Self::Default(name) => write_title_case(name.as_str().as_bytes(), dst),
        }
    }

    /// The length in bytes of the written name.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Original(s) => s.len(),
            Self::Default(name) => name.as_str().len(),
        }
    }

    /// Whether the name is empty (never, for a valid name).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for WireName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(self.len());
        self.write_to(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

fn write_title_case(name: &[u8], dst: &mut impl BufMut) {
    // converted on the stack and appended with one copy per 64 bytes: a `put_u8` per byte
    // would check the destination's capacity each time
    let mut converted = [0u8; 64];
    let mut upper = true;
    for chunk in name.chunks(converted.len()) {
        let piece = &mut converted[..chunk.len()];
        piece.copy_from_slice(chunk);
        upper = title_case_in_place(piece, upper);
        dst.put_slice(piece);
    }
}

/// Turns a field name in `HeaderName`'s form (lowercase) into the default form, in place:
/// the first letter and each letter after `-` uppercased. `upper` says whether the first
/// byte is to be uppercased (a name converted in pieces goes on where the last piece
/// ended); the same is returned for the byte after `name`.
pub(crate) fn title_case_in_place(name: &mut [u8], mut upper: bool) -> bool {
    for b in name {
        if upper {
            b.make_ascii_uppercase();
        }
        upper = *b == b'-';
    }
    upper
}

/// The headers of `headers` in writing order, each with the name as it is to be written,
/// following the rule in the [module docs](self).
pub fn ordered_headers<'a>(
    headers: &'a HeaderMap,
    record: Option<&'a OriginalHeaderNames>,
) -> OrderedHeaders<'a> {
    let record = record.map_or(&[][..], |r| &r.names[..]);
    OrderedHeaders {
        headers,
        record,
        walk: Walk::Lockstep {
            map: headers.iter().peekable(),
            at: 0,
        },
    }
}

/// The iterator returned by [`ordered_headers`].
///
/// It starts in lockstep: the record and the map's own iteration order (values grouped by
/// name, names in insertion order) agree for a head that was parsed and then only had
/// fields removed or appended, which is what a proxy does. Then each recorded name is the
/// next value in the map, or a name the map no longer has: no lookup by name. At the first
/// disagreement (a reordered map, interleaved duplicates, a value added to a recorded name)
/// it replays the record so far by the rule and goes on by the rule, which looks each name
/// up. Both walks give the same pairs (`rule_table` and `lockstep_agrees_with_the_rule` test
/// that).
pub struct OrderedHeaders<'a> {
    headers: &'a HeaderMap,
    /// the whole record
    record: &'a [(HeaderName, Bytes)],
    walk: Walk<'a>,
}

enum Walk<'a> {
    /// The record's first `at` names were matched to the map's first values (or skipped as
    /// absent); `map` yields the rest of the map.
    Lockstep {
        map: std::iter::Peekable<http::header::Iter<'a, HeaderValue>>,
        at: usize,
    },
    /// By the rule: the record from `at` on, then the extra values.
    Rule(RuleWalk<'a>),
}

struct RuleWalk<'a> {
    at: usize,
    /// per recorded name: how many of its values were written, and its last spelling
    used: Vec<Used<'a>>,
    extras: Option<http::header::Iter<'a, HeaderValue>>,
    /// in the extras phase: the name being walked and how many of its values were seen
    current: Option<(&'a HeaderName, usize)>,
}

struct Used<'a> {
    name: &'a HeaderName,
    count: usize,
    spelling: &'a [u8],
}

impl fmt::Debug for OrderedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderedHeaders").finish_non_exhaustive()
    }
}

impl<'a> RuleWalk<'a> {
    /// Phase 1 of the rule for one recorded name: its value for this occurrence, if any.
    fn recorded(
        &mut self,
        headers: &'a HeaderMap,
        name: &'a HeaderName,
        spelling: &'a [u8],
    ) -> Option<&'a HeaderValue> {
        let idx = match self.used.iter().position(|u| u.name == name) {
            Some(i) => i,
            None => {
                self.used.push(Used {
                    name,
                    count: 0,
                    spelling,
                });
                self.used.len() - 1
            }
        };
        let used = &mut self.used[idx];
        used.spelling = spelling;
        let value = headers.get_all(name).iter().nth(used.count)?;
        used.count += 1;
        Some(value)
    }

    fn next(
        &mut self,
        headers: &'a HeaderMap,
        record: &'a [(HeaderName, Bytes)],
    ) -> Option<(WireName<'a>, &'a HeaderValue)> {
        // phase 1: the record
        while let Some((name, spelling)) = record.get(self.at) {
            self.at += 1;
            if let Some(value) = self.recorded(headers, name, spelling) {
                return Some((WireName::Original(spelling), value));
            }
        }
        // phase 2: values the record does not cover
        let extras = self.extras.get_or_insert_with(|| headers.iter());
        for (name, value) in extras.by_ref() {
            let seen = match &mut self.current {
                Some((cur, n)) if *cur == name => {
                    *n += 1;
                    *n
                }
                _ => {
                    self.current = Some((name, 1));
                    1
                }
            };
            match self.used.iter().find(|u| u.name == name) {
                Some(u) if seen <= u.count => continue,
                Some(u) => return Some((WireName::Original(u.spelling), value)),
                None => return Some((WireName::Default(name), value)),
            }
        }
        None
    }
}

impl<'a> Iterator for OrderedHeaders<'a> {
    type Item = (WireName<'a>, &'a HeaderValue);

    fn next(&mut self) -> Option<Self::Item> {
        let (map, at) = match &mut self.walk {
            Walk::Lockstep { map, at } => (map, at),
            Walk::Rule(rule) => return rule.next(self.headers, self.record),
        };
        while let Some((name, spelling)) = self.record.get(*at) {
            match map.peek() {
                Some((next, _)) if *next == name => {
                    *at += 1;
                    let (_, value) = map.next()?;
                    return Some((WireName::Original(spelling), value));
                }
                // removed since parsing: nothing to write
                _ if !self.headers.contains_key(name) => *at += 1,
                // the orders disagree: the rule decides from here
                _ => {
                    let mut rule = RuleWalk {
                        at: 0,
                        used: Vec::new(),
                        extras: None,
                        current: None,
                    };
                    for (name, spelling) in &self.record[..*at] {
                        rule.recorded(self.headers, name, spelling);
                    }
                    rule.at = *at;
                    self.walk = Walk::Rule(rule);
                    return self.next();
                }
            }
        }
        // the record agreed throughout: the rest of the map are the extra values, in the
        // recorded spelling of their name (its last occurrence) if it has one
        let (name, value) = map.next()?;
        let spelling = self.record.iter().rev().find(|(n, _)| n == name);
        Some((
            spelling.map_or(WireName::Default(name), |(_, s)| WireName::Original(s)),
            value,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::header_map;

    fn record(names: &[&str]) -> OriginalHeaderNames {
        let mut r = OriginalHeaderNames::new();
        for n in names {
            r.push(n.as_bytes().to_vec()).unwrap();
        }
        r
    }

    fn written(m: &HeaderMap, r: Option<&OriginalHeaderNames>) -> Vec<String> {
        ordered_headers(m, r)
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn default_form_is_title_case() {
        let m = header_map(&[
            ("content-type", "a"),
            ("x-request-id", "b"),
            ("www-authenticate", "c"),
            ("te", "d"),
            ("a--b", "e"),
        ]);
        assert_eq!(
            written(&m, None),
            [
                "Content-Type: a",
                "X-Request-Id: b",
                "Www-Authenticate: c",
                "Te: d",
                "A--B: e"
            ]
        );
        // names longer than the conversion buffer keep the rule across its boundary
        let long = format!("{}-x-{}-y", "a".repeat(63), "b".repeat(70));
        let m = header_map(&[(long.as_str(), "f")]);
        assert_eq!(
            written(&m, None),
            [format!("A{}-X-B{}-Y: f", "a".repeat(62), "b".repeat(69))]
        );
    }

    #[test]
    fn rule_table() {
        struct Case {
            name: &'static str,
            map: &'static [(&'static str, &'static str)],
            record: &'static [&'static str],
            want: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "record order wins over map order",
                map: &[("host", "h"), ("user-agent", "u"), ("x-mixed-case", "1")],
                record: &["User-Agent", "X-MiXeD-cAsE", "Host"],
                want: &["User-Agent: u", "X-MiXeD-cAsE: 1", "Host: h"],
            },
            Case {
                name: "duplicates interleaved keep their per-occurrence spelling",
                map: &[("cookie", "a"), ("cookie", "b"), ("accept", "x")],
                record: &["Cookie", "accept", "COOKIE"],
                want: &["Cookie: a", "accept: x", "COOKIE: b"],
            },
            Case {
                name: "removed header is skipped",
                map: &[("host", "h")],
                record: &["Host", "Connection"],
                want: &["Host: h"],
            },
            Case {
                name: "removed duplicate is skipped",
                map: &[("via", "1")],
                record: &["Via", "via"],
                want: &["Via: 1"],
            },
            Case {
                name: "added header goes last in default form",
                map: &[("host", "h"), ("x-forwarded-for", "1.2.3.4")],
                record: &["host"],
                want: &["host: h", "X-Forwarded-For: 1.2.3.4"],
            },
            Case {
                name: "added value of a recorded name uses the recorded spelling",
                map: &[("via", "1"), ("via", "2"), ("host", "h")],
                record: &["VIA", "host"],
                want: &["VIA: 1", "host: h", "VIA: 2"],
            },
            Case {
                name: "a removal that moved the map's last name keeps the record's order",
                map: &[("a", "1"), ("c", "3"), ("b", "2")],
                record: &["A", "Connection", "B", "C"],
                want: &["A: 1", "B: 2", "C: 3"],
            },
            Case {
                name: "empty record is the default form",
                map: &[("host", "h")],
                record: &[],
                want: &["Host: h"],
            },
        ];
        for c in cases {
            let m = header_map(c.map);
            let r = record(c.record);
            assert_eq!(written(&m, Some(&r)), c.want, "{}", c.name);
        }
    }

    /// The rule alone, without the lockstep walk: the reference for the agreement test.
    fn written_by_rule(m: &HeaderMap, r: &OriginalHeaderNames) -> Vec<String> {
        let mut it = ordered_headers(m, Some(r));
        it.walk = Walk::Rule(RuleWalk {
            at: 0,
            used: Vec::new(),
            extras: None,
            current: None,
        });
        it.map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect()
    }

    #[test]
    fn lockstep_agrees_with_the_rule() {
        // parsed heads of up to 8 fields over 4 names (random spelling, duplicates, some
        // interleaved), then up to 3 edits a proxy makes: remove a name, append a value,
        // insert (replace) a name; a fixed-seed generator, so a failure repeats
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n).unwrap()
        };
        let names = ["host", "x-a", "via", "connection"];
        let spellings = ["Host", "X-A", "VIA", "connection", "HOST", "x-a", "Via"];
        let mut lockstep = 0;
        for case in 0..5000 {
            let mut m = HeaderMap::new();
            let mut r = OriginalHeaderNames::new();
            for i in 0..next(9) {
                let name = names[next(4)];
                let spelling = spellings
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(name) && next(2) == 0)
                    .copied()
                    .unwrap_or(name);
                r.push(spelling).unwrap();
                m.append(name, HeaderValue::from(i));
            }
            for i in 0..next(4) {
                let name = names[next(4)];
                match next(3) {
                    0 => drop(m.remove(name)),
                    1 => drop(m.append(name, HeaderValue::from(100 + i))),
                    _ => drop(m.insert(name, HeaderValue::from(200 + i))),
                }
            }
            let mut it = ordered_headers(&m, Some(&r));
            let got: Vec<String> = it
                .by_ref()
                .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
                .collect();
            assert_eq!(got, written_by_rule(&m, &r), "case {case}: {r:?} {m:?}");
            if matches!(it.walk, Walk::Lockstep { .. }) {
                lockstep += 1;
            }
        }
        // both walks were exercised
        assert!((1000..4000).contains(&lockstep), "{lockstep} in lockstep");
    }

    #[test]
    fn push_rejects_invalid_names() {
        let mut r = OriginalHeaderNames::new();
        assert!(r.push("bad name").is_err());
        assert!(r.push("").is_err());
        assert!(r.is_empty());
        r.push("Good").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(format!("{r:?}"), "[\"Good\"]");
    }
}
