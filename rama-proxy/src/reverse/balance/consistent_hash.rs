//! Consistent hashing: a ring of virtual nodes, so that adding or removing an upstream moves
//! only the keys of its share of the ring.
//!
//! Each upstream gets [`VIRTUAL_NODES`] points on a 64-bit ring, placed by hashing its URL
//! and the point's number. A key's hash picks the first point clockwise from it; when that
//! point's upstream is unavailable (unhealthy, ejected, already tried) the walk goes on to
//! the next point of another upstream. Points depend only on the upstream's URL, so a ring
//! built without one upstream keeps every other point where it was.

/// Points per upstream: enough that four upstreams each get their quarter within a few
/// per cent, few enough to build the ring in microseconds.
pub(crate) const VIRTUAL_NODES: usize = 160;

/// A 64-bit hash of `bytes` that does not change between runs or builds (FNV-1a with a
/// final mix, so that nearby inputs spread over the whole ring).
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// The splitmix64 finalizer.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The ring: points sorted by hash, each naming an upstream by its index.
#[derive(Debug, Clone, Default)]
pub(crate) struct HashRing {
    points: Vec<(u64, usize)>,
}

impl HashRing {
    /// A ring over upstreams named by `ids` (their URLs), index = position in `ids`.
    pub(crate) fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut points = Vec::new();
        for (index, id) in ids.into_iter().enumerate() {
            let mut key = Vec::with_capacity(id.len() + 8);
            for v in 0..VIRTUAL_NODES {
                key.clear();
                key.extend_from_slice(id.as_bytes());
                key.push(b'#');
                key.extend_from_slice(v.to_string().as_bytes());
                points.push((hash_bytes(&key), index));
            }
        }
        points.sort_unstable();
        Self { points }
    }

    /// The upstream indices clockwise from `hash`, each point once (an upstream appears
    /// many times; callers stop at the first usable one).
    pub(crate) fn walk(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let start = self.points.partition_point(|&(h, _)| h < hash);
        let (after, before) = self.points.split_at(start);
        before.iter().chain(after).map(|&(_, index)| index)
    }

    /// The first upstream clockwise from `hash` for which `usable` holds.
    pub(crate) fn pick(&self, hash: u64, mut usable: impl FnMut(usize) -> bool) -> Option<usize> {
        self.walk(hash).find(|&i| usable(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("http://127.0.0.1:{}", 8000 + i))
            .collect()
    }

    #[test]
    fn hash_is_stable_and_spreads() {
        // fixed values: a change of algorithm would move every key of every deployment
        assert_eq!(hash_bytes(b""), mix(0xcbf2_9ce4_8422_2325));
        assert_eq!(hash_bytes(b"a"), hash_bytes(b"a"));
        assert_ne!(hash_bytes(b"a"), hash_bytes(b"b"));
        assert_ne!(hash_bytes(b"key-1"), hash_bytes(b"key-2"));
    }

    #[test]
    fn shares_are_balanced() {
        let ids = ids(4);
        let ring = HashRing::new(ids.iter().map(String::as_str));
        let mut counts = [0usize; 4];
        for k in 0..10_000 {
            let i = ring.pick(hash_bytes(format!("user-{k}").as_bytes()), |_| true);
            counts[i.unwrap()] += 1;
        }
        for c in counts {
            // a quarter is 2500; virtual nodes keep each share within 20 %
            assert!((2000..=3000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn removing_an_upstream_moves_only_its_keys() {
        let all = ids(4);
        let ring4 = HashRing::new(all.iter().map(String::as_str));
        // without upstream 2: indices of the rest shift, names stay
        let rest: Vec<&str> = all
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 2)
            .map(|(_, s)| s.as_str())
            .collect();
        let ring3 = HashRing::new(rest.iter().copied());
        let mut moved_from_others = 0;
        let mut moved = 0;
        for k in 0..5_000 {
            let h = hash_bytes(format!("k{k}").as_bytes());
            let before = &all[ring4.pick(h, |_| true).unwrap()];
            let after = rest[ring3.pick(h, |_| true).unwrap()];
            if before != after {
                moved += 1;
                if before != &all[2] {
                    moved_from_others += 1;
                }
            }
        }
        assert_eq!(
            moved_from_others, 0,
            "only the removed upstream's keys move"
        );
        assert!(moved > 800, "its share (about a quarter) moved: {moved}");
    }

    #[test]
    fn skipping_an_unusable_upstream_is_the_same_as_removing_it() {
        let all = ids(3);
        let ring = HashRing::new(all.iter().map(String::as_str));
        let without: Vec<&str> = vec![all[0].as_str(), all[2].as_str()];
        let ring2 = HashRing::new(without.iter().copied());
        for k in 0..2_000 {
            let h = hash_bytes(format!("k{k}").as_bytes());
            let skipped = &all[ring.pick(h, |i| i != 1).unwrap()];
            let removed = without[ring2.pick(h, |_| true).unwrap()];
            assert_eq!(skipped, removed);
        }
        assert_eq!(ring.pick(7, |_| false), None);
        assert_eq!(HashRing::new([]).pick(7, |_| true), None);
    }
}
