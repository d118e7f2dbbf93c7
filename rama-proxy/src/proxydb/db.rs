//! [`MemoryProxyDB`]: the upstream proxies held in memory, and how one is picked for a
//! [`ProxyFilter`] ([`Selection`]).

use super::error::{LoadError, ProxyDBError};
use super::filter::ProxyFilter;
use super::record::{self, Proxy};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a proxy is picked among those that match, when the filter has no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// Uniformly at random.
    #[default]
    Random,
    /// In turn, in database order (one counter for the whole database).
    RoundRobin,
}

/// An in-memory proxy database, cheap to clone (shared).
///
/// A filter with a `session` always picks the same proxy among those that match
/// (rendezvous hashing of session and proxy id): nothing is remembered per session, so
/// memory stays bounded, and a session only moves when its proxy leaves the matching set.
/// Each pick scans the records (fine for thousands; index them for millions).
///
/// ```
/// use rama_proxy::proxydb::{MemoryProxyDB, ProxyFilter, Selection};
///
/// let db = MemoryProxyDB::from_json(r#"[
///     {"id": "us1", "address": "http://127.0.0.1:3128", "country": "us", "residential": true},
///     {"id": "de1", "address": "socks5h://127.0.0.1:1080", "country": "de", "datacenter": true}
/// ]"#)?
/// .with_selection(Selection::RoundRobin);
///
/// let filter = ProxyFilter { country: Some("de".into()), ..ProxyFilter::default() };
/// assert_eq!(db.select(&filter)?.id, "de1");
///
/// let nowhere = ProxyFilter { country: Some("fr".into()), ..ProxyFilter::default() };
/// assert!(db.select(&nowhere).unwrap_err().is_no_match());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MemoryProxyDB {
    proxies: Arc<[Proxy]>,
    selection: Selection,
    next: Arc<AtomicUsize>,
}

impl MemoryProxyDB {
    /// A database of `proxies`.
    ///
    /// # Errors
    ///
    /// When two proxies share an id.
    pub fn new(proxies: Vec<Proxy>) -> Result<Self, LoadError> {
        let mut seen = HashSet::new();
        for (index, proxy) in proxies.iter().enumerate() {
            if !seen.insert(proxy.id.as_str()) {
                return Err(LoadError::new(format!(
                    "record #{}: the id {:?} is used twice",
                    index + 1,
                    proxy.id
                )));
            }
        }
        Ok(Self {
            proxies: proxies.into(),
            selection: Selection::default(),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Load a JSON array of records (fields: `id`, `address`, and optionally `country`,
    /// `city`, `state`, `pool`, `datacenter`, `residential`, `mobile`, `asn`, `carrier`).
    ///
    /// # Errors
    ///
    /// Invalid JSON, an unknown field, a bad address, a duplicate id; the error names the
    /// record.
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        Self::new(record::from_json(text)?)
    }

    /// Load CSV whose first line names the columns
    /// [`CSV_COLUMNS`](super::CSV_COLUMNS) in order.
    ///
    /// # Errors
    ///
    /// A malformed line, a wrong column count, a bad value; the error names the line.
    pub fn from_csv(text: &str) -> Result<Self, LoadError> {
        Self::new(record::from_csv(text)?)
    }

    /// Load a file: CSV when its name ends in `.csv`, else JSON.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or as [`from_json`](Self::from_json) /
    /// [`from_csv`](Self::from_csv); the error names the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|err| LoadError::new(format!("read {}: {err}", path.display())))?;
        let is_csv = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
        let db = if is_csv {
            Self::from_csv(&text)
        } else {
            Self::from_json(&text)
        };
        db.map_err(|err| err.in_file(path))
    }

    /// Pick with `selection` when the filter has no session (default: random).
    #[must_use]
    pub fn with_selection(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }

    /// All proxies, in load order.
    #[must_use]
    pub fn proxies(&self) -> &[Proxy] {
        &self.proxies
    }

    /// Pick a proxy that matches `filter`.
    ///
    /// # Errors
    ///
    /// [`ProxyDBError::is_no_match`] when none matches.
    pub fn select(&self, filter: &ProxyFilter) -> Result<&Proxy, ProxyDBError> {
        let candidates = || self.proxies.iter().filter(|p| filter.matches(p));
        let count = candidates().count();
        if count == 0 {
            return Err(ProxyDBError::no_match(format!(
                "no upstream proxy matches {}",
                describe(filter)
            )));
        }
        let picked = if let Some(session) = &filter.session {
            candidates().max_by_key(|p| rendezvous(session, &p.id))
        } else {
            let index = match self.selection {
                Selection::Random => fastrand::usize(..count),
                Selection::RoundRobin => self.next.fetch_add(1, Ordering::Relaxed) % count,
            };
            candidates().nth(index)
        };
        picked.ok_or_else(|| ProxyDBError::no_match("the proxy database changed while picking"))
    }
}

/// The filter's attributes, for error messages (no session value: it may be private).
fn describe(filter: &ProxyFilter) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("id", &filter.id),
        ("country", &filter.country),
        ("city", &filter.city),
        ("state", &filter.state),
        ("pool", &filter.pool),
        ("carrier", &filter.carrier),
    ] {
        if let Some(value) = value {
            parts.push(format!("{key}={value}"));
        }
    }
    if let Some(asn) = filter.asn {
        parts.push(format!("asn={asn}"));
    }
    for (key, on) in [
        ("datacenter", filter.datacenter),
        ("residential", filter.residential),
        ("mobile", filter.mobile),
    ] {
        if on {
            parts.push(key.to_owned());
        }
    }
    if parts.is_empty() {
        "the empty filter (the database is empty)".to_owned()
    } else {
        format!("the filter {}", parts.join(", "))
    }
}

/// FNV-1a over session and id: stable across runs and builds (unlike `DefaultHasher`).
fn rendezvous(session: &str, id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in session.bytes().chain([0xFF]).chain(id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits mix poorly for short inputs: finish with a xorshift-multiply
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn db(n: usize) -> MemoryProxyDB {
        let records: Vec<String> = (0..n)
            .map(|i| {
                let country = if i % 2 == 0 { "us" } else { "de" };
                format!(
                    r#"{{"id":"p{i}","address":"http://127.0.0.1:{}","country":"{country}"}}"#,
                    10_000 + i
                )
            })
            .collect();
        MemoryProxyDB::from_json(&format!("[{}]", records.join(","))).unwrap()
    }

    fn country(c: &str) -> ProxyFilter {
        ProxyFilter {
            country: Some(c.into()),
            ..ProxyFilter::default()
        }
    }

    #[test]
    fn round_robin_cycles_through_matches() {
        let db = db(6).with_selection(Selection::RoundRobin);
        let picks: Vec<&str> = (0..6)
            .map(|_| db.select(&country("us")).unwrap().id.as_str())
            .collect();
        assert_eq!(picks, ["p0", "p2", "p4", "p0", "p2", "p4"]);
    }

    #[test]
    fn random_only_picks_matches_and_spreads() {
        let db = db(10);
        let mut seen = HashMap::new();
        for _ in 0..500 {
            let p = db.select(&country("de")).unwrap();
            assert_eq!(p.country.as_deref(), Some("de"));
            *seen.entry(p.id.clone()).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
    }

    #[test]
    fn sessions_stick_and_spread() {
        let db = db(20);
        let mut used = HashSet::new();
        for s in 0..50 {
            let filter = ProxyFilter {
                session: Some(format!("s{s}")),
                ..country("us")
            };
            let first = db.select(&filter).unwrap().id.clone();
            for _ in 0..5 {
                assert_eq!(db.select(&filter).unwrap().id, first);
            }
            used.insert(first);
        }
        assert!(
            used.len() >= 5,
            "sessions spread over few proxies: {used:?}"
        );
    }

    #[test]
    fn session_moves_only_when_its_proxy_leaves() {
        let full = db(20);
        let filter = |s: usize| ProxyFilter {
            session: Some(format!("s{s}")),
            ..ProxyFilter::default()
        };
        let before: Vec<String> = (0..100)
            .map(|s| full.select(&filter(s)).unwrap().id.clone())
            .collect();
        // drop p3 from the database
        let fewer = MemoryProxyDB::new(
            full.proxies()
                .iter()
                .filter(|p| p.id != "p3")
                .cloned()
                .collect(),
        )
        .unwrap();
        for (s, old) in before.iter().enumerate() {
            let new = &fewer.select(&filter(s)).unwrap().id;
            if old != "p3" {
                assert_eq!(new, old, "session s{s} moved although its proxy stayed");
            }
        }
    }

    #[test]
    fn no_match_and_duplicates() {
        let err = db(2).select(&country("fr")).unwrap_err();
        assert!(err.is_no_match());
        assert!(err.to_string().contains("country=fr"), "{err}");
        let dup = MemoryProxyDB::from_json(
            r#"[{"id":"a","address":"http://127.0.0.1:1"},{"id":"a","address":"http://127.0.0.1:2"}]"#,
        )
        .unwrap_err();
        assert!(
            dup.to_string()
                .contains("record #2: the id \"a\" is used twice"),
            "{dup}"
        );
    }

    #[test]
    fn from_path_names_the_file() {
        let dir = std::env::temp_dir().join(format!("rama-proxydb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("db.csv");
        std::fs::write(&csv, "id,address,country,city,state,pool,datacenter,residential,mobile,asn,carrier\na,http://127.0.0.1:1,us,,,,,,,,\nb,oops,,,,,,,,,\n").unwrap();
        let err = MemoryProxyDB::from_path(&csv).unwrap_err().to_string();
        assert!(err.contains("db.csv: line 3"), "{err}");
        let json = dir.join("db.json");
        std::fs::write(&json, r#"[{"id":"a","address":"socks5://127.0.0.1:1080"}]"#).unwrap();
        assert_eq!(MemoryProxyDB::from_path(&json).unwrap().proxies().len(), 1);
        let missing = MemoryProxyDB::from_path(dir.join("nope.json"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.json"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
