//! [`Backoff`]: how long to wait before the next attempt, and [`ExponentialBackoff`].

use std::time::Duration;

/// How long to wait before another attempt.
pub trait Backoff: Send + Sync + 'static {
    /// The delay before the next attempt after `attempts` attempts (1 after the first call),
    /// or `None` to give up.
    fn delay(&self, attempts: u32) -> Option<Duration>;
}

/// Exponential backoff with full jitter: before attempt `n + 1` wait a random duration in
/// `[0, min(max, base * 2^(n - 1))]`, and make at most `max_attempts` attempts in all.
///
/// Full jitter (AWS architecture blog, "Exponential Backoff and Jitter") spreads the retries
/// of many clients that failed together, so they do not hit the recovering peer at once.
///
/// ```
/// use rama_core::layer::retry::{Backoff, ExponentialBackoff};
/// use std::time::Duration;
///
/// let backoff = ExponentialBackoff::new(Duration::from_millis(50), Duration::from_secs(1), 4);
/// for attempts in 1..4 {
///     assert!(backoff.delay(attempts).unwrap() <= Duration::from_millis(50 << (attempts - 1)));
/// }
/// assert_eq!(backoff.delay(4), None); // four attempts made: give up
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExponentialBackoff {
    base: Duration,
    max: Duration,
    max_attempts: u32,
    jitter: bool,
}

impl ExponentialBackoff {
    /// Delays start at `base`, double per attempt up to `max`, with full jitter; at most
    /// `max_attempts` attempts in all (the first call included).
    #[must_use]
    pub const fn new(base: Duration, max: Duration, max_attempts: u32) -> Self {
        Self {
            base,
            max,
            max_attempts,
            jitter: true,
        }
    }

    /// Wait exactly the exponential delay, without jitter (predictable, e.g. for tests).
    #[must_use]
    pub const fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The first delay (before jitter).
    #[must_use]
    pub const fn base(&self) -> Duration {
        self.base
    }

    /// The largest delay (before jitter).
    #[must_use]
    pub const fn max(&self) -> Duration {
        self.max
    }

    /// The most attempts made, the first call included.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before jitter after `attempts` attempts: `min(max, base * 2^(attempts - 1))`.
    #[must_use]
    pub fn ceiling(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1);
        2u32.checked_pow(doublings)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |delay| delay.min(self.max))
    }
}

impl Backoff for ExponentialBackoff {
    fn delay(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let ceiling = self.ceiling(attempts);
        if !self.jitter {
            return Some(ceiling);
        }
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(fastrand::u64(0..=nanos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn ceiling_doubles_up_to_max() {
        let b = ExponentialBackoff::new(10 * MS, 70 * MS, 100);
        let cases = [
            (1, 10),
            (2, 20),
            (3, 40),
            (4, 70),
            (5, 70),
            (40, 70),
            (u32::MAX, 70),
        ];
        for (attempts, want) in cases {
            assert_eq!(b.ceiling(attempts), want * MS, "attempts {attempts}");
            let want_delay = (attempts < 100).then_some(want * MS);
            assert_eq!(
                b.without_jitter().delay(attempts),
                want_delay,
                "attempts {attempts}"
            );
        }
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_varies() {
        let b = ExponentialBackoff::new(100 * MS, Duration::from_secs(5), 10);
        for attempts in 1..10 {
            let samples: Vec<_> = (0..200).map(|_| b.delay(attempts).unwrap()).collect();
            assert!(samples.iter().all(|d| *d <= b.ceiling(attempts)));
            let first = samples[0];
            assert!(samples.iter().any(|d| *d != first), "jitter must vary");
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let b = ExponentialBackoff::new(MS, MS, 3);
        assert!(b.delay(1).is_some());
        assert!(b.delay(2).is_some());
        assert_eq!(b.delay(3), None);
        assert_eq!(ExponentialBackoff::new(MS, MS, 0).delay(1), None);
    }
}
