//! Round robin: each request goes to the next usable upstream in turn.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The turn counter; see [`pick`](RoundRobin::pick).
#[derive(Debug, Default)]
pub(crate) struct RoundRobin {
    next: AtomicUsize,
}

impl RoundRobin {
    /// The position where this request's scan starts (advances the turn).
    pub(crate) fn start(&self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.next.fetch_add(1, Ordering::Relaxed) % n
        }
    }

    /// The first usable upstream of `n`, from the next turn on. With every upstream usable,
    /// `k * n` calls pick each exactly `k` times.
    pub(crate) fn pick(&self, n: usize, mut usable: impl FnMut(usize) -> bool) -> Option<usize> {
        let start = self.start(n);
        (0..n).map(|off| (start + off) % n).find(|&i| usable(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_turns_and_skips() {
        let rr = RoundRobin::default();
        let mut counts = [0; 3];
        for _ in 0..300 {
            counts[rr.pick(3, |_| true).unwrap()] += 1;
        }
        assert_eq!(counts, [100, 100, 100]);
        // upstream 1 unusable: its turns go to the next one
        let picks: Vec<usize> = (0..6).map(|_| rr.pick(3, |i| i != 1).unwrap()).collect();
        assert_eq!(picks, [0, 2, 2, 0, 2, 2]);
        assert_eq!(rr.pick(3, |_| false), None);
        assert_eq!(rr.pick(0, |_| true), None);
    }
}
