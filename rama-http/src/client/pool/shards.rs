//! [`Shards`]: one value per shard, each on cache lines of its own, picked by thread.
//!
//! The pool's HTTP/1 handles and its counters are sharded by the thread that owns the
//! connection. A server that runs one single-threaded runtime per core (`rama serve`)
//! checks a handle out and in on every request, from every core: with one map behind one
//! lock, and one set of counters, every request moved those cache lines from the other
//! core (an uncontended lock still writes its line). With a shard per thread each core
//! keeps its own lines.

use crossbeam_utils::CachePadded;
use std::hash::{Hash, Hasher};
use std::thread::ThreadId;

/// How many shards: more than the cores of most machines this runs on; threads beyond
/// that share shards (correct, just a shared lock again).
pub(super) const SHARDS: usize = 16;

/// One `T` per shard, each [`CachePadded`] (128 bytes on x86-64 and aarch64: two cache
/// lines, as the adjacent-line prefetcher pairs them) so that neighbours do not share a
/// line; shard 0 is for what no thread owns (see [`shard_of`]).
pub(super) struct Shards<T>(Box<[CachePadded<T>]>);

impl<T: Default> Default for Shards<T> {
    fn default() -> Self {
        Self((0..SHARDS).map(|_| CachePadded::default()).collect())
    }
}

impl<T> Shards<T> {
    /// The shard of `home` (see [`shard_of`]).
    pub(super) fn of(&self, home: Option<ThreadId>) -> &T {
        &self.0[shard_of(home)]
    }

    /// The current thread's shard.
    pub(super) fn here(&self) -> &T {
        self.of(Some(super::http1::current_thread_id()))
    }

    /// Every shard.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|padded| &**padded)
    }
}

/// The shard of what a thread owns: shard 0 for no thread (handles of work-stealing
/// runtimes), else one of the others by the thread's id. Ids count up from 1 as threads
/// are made, so consecutive threads (a server's runtimes) get distinct shards.
pub(super) fn shard_of(home: Option<ThreadId>) -> usize {
    home.map_or(0, |id| {
        let mut n = IdHasher(0);
        id.hash(&mut n);
        shard_of_count(n.0)
    })
}

/// The shard of the thread counted `n`: one of 1..[`SHARDS`].
fn shard_of_count(n: u64) -> usize {
    1 + (n % (SHARDS as u64 - 1)) as usize
}

/// Reads the integer a [`ThreadId`] hashes itself as (its counter; `ThreadId::as_u64` is
/// not stable).
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write(&mut self, bytes: &[u8]) {
        // not how `ThreadId` hashes today; fold whatever comes
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_counted_one_after_another_get_distinct_shards() {
        for first in [1, 2, 17, 1_000_003] {
            let mut shards: Vec<usize> = (first..first + SHARDS as u64 - 1)
                .map(shard_of_count)
                .collect();
            assert!(shards.iter().all(|&s| (1..SHARDS).contains(&s)));
            shards.sort_unstable();
            shards.dedup();
            assert_eq!(shards.len(), SHARDS - 1, "from {first}");
        }
        assert_eq!(shard_of(None), 0);
        assert!((1..SHARDS).contains(&shard_of(Some(std::thread::current().id()))));
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn shards_do_not_share_cache_lines() {
        let shards: Shards<u64> = Shards::default();
        let addrs: Vec<usize> = shards
            .iter()
            .map(|v| std::ptr::from_ref(v) as usize)
            .collect();
        assert_eq!(addrs.len(), SHARDS);
        assert!(addrs.windows(2).all(|w| w[1] - w[0] >= 128));
    }
}
