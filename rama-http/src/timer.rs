//! [`LazyTimer`]: a connection's one timer, moved to a later deadline only when it fires.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::time::{Instant, Sleep};

/// A timer for deadlines that mostly move later (a connection's idle, head and response
/// deadlines, set again for each request), after nginx's lazy timers.
///
/// [`set`](Self::set) moves tokio's timer only to an earlier deadline. A later one is just
/// noted: when the timer fires before it, [`expired`](Self::expired) moves the timer there
/// and waits on. A busy connection so touches tokio's timer about once per timeout period
/// instead of once per request (about 160 instructions a request, twice in a proxy).
pub(crate) struct LazyTimer {
    sleep: Pin<Box<Sleep>>,
    deadline: Instant,
}

impl LazyTimer {
    /// A timer that expires at `deadline`.
    pub(crate) fn new(deadline: Instant) -> Self {
        Self {
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            deadline,
        }
    }

    /// Makes `deadline` the one in force, earlier or later than the last.
    pub(crate) fn set(&mut self, deadline: Instant) {
        self.deadline = deadline;
        if self.sleep.deadline() > deadline {
            self.sleep.as_mut().reset(deadline);
        }
    }

    /// Completes once the deadline in force has passed.
    pub(crate) fn expired(&mut self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| self.poll_expired(cx))
    }

    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            // it fired at its own deadline: that is the one in force, or an earlier one
            if self.sleep.deadline() >= self.deadline {
                return Poll::Ready(());
            }
            self.sleep.as_mut().reset(self.deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_is_waited_for_and_an_earlier_one_taken_at_once() {
        let start = Instant::now();
        let mut timer = LazyTimer::new(start + Duration::from_secs(1));
        // moved later: the timer fires at 1 s, re-arms, and expires at 5 s
        timer.set(start + Duration::from_secs(5));
        timer.expired().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
        // moved later again after expiring, then earlier: the earlier one counts
        timer.set(Instant::now() + Duration::from_secs(10));
        timer.set(Instant::now() + Duration::from_secs(2));
        let before = Instant::now();
        timer.expired().await;
        assert_eq!(Instant::now() - before, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn not_expired_before_the_deadline() {
        let start = Instant::now();
        let mut timer = LazyTimer::new(start + Duration::from_millis(100));
        timer.set(start + Duration::from_secs(3));
        let early = tokio::time::timeout(Duration::from_millis(2_900), timer.expired()).await;
        assert!(early.is_err(), "expired before its deadline");
        timer.expired().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
    }
}
