//! Least connections: the usable upstream with the fewest requests in flight; ties are
//! broken in round-robin order, so equal upstreams share the load evenly.

use super::round_robin::RoundRobin;

/// Picks among `n` upstreams the usable one with the lowest `load`; the scan starts at the
/// next round-robin turn, and the first of equal loads wins.
pub(crate) fn pick(
    turns: &RoundRobin,
    n: usize,
    mut usable: impl FnMut(usize) -> bool,
    load: impl Fn(usize) -> usize,
) -> Option<usize> {
    let start = turns.start(n);
    let mut best: Option<(usize, usize)> = None;
    for i in (0..n).map(|off| (start + off) % n) {
        if !usable(i) {
            continue;
        }
        let l = load(i);
        if best.is_none_or(|(_, b)| l < b) {
            best = Some((i, l));
            if l == 0 {
                break; // nothing beats an idle upstream
            }
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_least_loaded() {
        let turns = RoundRobin::default();
        let loads = [3, 1, 2];
        for _ in 0..5 {
            assert_eq!(pick(&turns, 3, |_| true, |i| loads[i]), Some(1));
        }
        // the least loaded is unusable: the next least
        assert_eq!(pick(&turns, 3, |i| i != 1, |i| loads[i]), Some(2));
        assert_eq!(pick(&turns, 3, |_| false, |i| loads[i]), None);
    }

    #[test]
    fn ties_rotate() {
        let turns = RoundRobin::default();
        let mut counts = [0; 3];
        for _ in 0..30 {
            counts[pick(&turns, 3, |_| true, |_| 4).unwrap()] += 1;
        }
        assert_eq!(counts, [10, 10, 10]);
    }
}
