//! [`LazyTimer`]: a connection's one timer, moved to a later deadline only when it fires.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::time::{Instant, Sleep};

/// A timer for deadlines that mostly move later (a connection's idle, head and response
/// deadlines, set again for each request), after nginx's lazy timers.
///
/// [`set`](Self::set) moves tokio's timer only to an earlier deadline. A later one is just
/// noted: when the timer fires before it, [`expired`](Self::expired) moves the timer there
/// and waits on. A busy connection so touches tokio's timer about once per timeout period
/// instead of once per request (about 160 instructions a request, twice in a proxy).
///
/// Polling tokio's `Sleep` registers the task's waker again each time (about 150
/// instructions: the budget, the entry's state, the waker). While the sleep is registered
/// with the waker of the task polling now, and has not fired, there is nothing to register:
/// the timer answers `Pending` from [`Sleep::is_elapsed`] alone. A connection's timer waits
/// in its own task for the connection's life, so that is every poll but the first after
/// each deadline.
pub(crate) struct LazyTimer {
    sleep: Pin<Box<Sleep>>,
    deadline: Instant,
    /// The waker of the last poll that left the sleep pending.
    waker: Option<Waker>,
    /// The sleep holds [`waker`](Self::waker) and is in tokio's timer wheel (until it fires
    /// or is reset).
    registered: bool,
}

impl LazyTimer {
    /// A timer that expires at `deadline`.
    pub(crate) fn new(deadline: Instant) -> Self {
        Self {
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            deadline,
            waker: None,
            registered: false,
        }
    }

    /// Makes `deadline` the one in force, earlier or later than the last.
    pub(crate) fn set(&mut self, deadline: Instant) {
        self.deadline = deadline;
        if self.sleep.deadline() > deadline {
            self.sleep.as_mut().reset(deadline);
            self.registered = false;
        }
    }

    /// Completes once the deadline in force has passed.
    pub(crate) fn expired(&mut self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| self.poll_expired(cx))
    }

    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let same_task = self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if self.registered && same_task && !self.sleep.is_elapsed() {
                // it will wake this task when it fires
                return Poll::Pending;
            }
            // a task out of budget gets `Pending` from the sleep without it registering
            // anything (tokio's cooperative scheduling): only a poll with budget left
            // leaves it registered
            let with_budget = tokio::task::coop::has_budget_remaining();
            if self.sleep.as_mut().poll(cx).is_pending() {
                if !same_task {
                    self.waker = Some(cx.waker().clone());
                }
                self.registered = with_budget;
                return Poll::Pending;
            }
            self.registered = false;
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

    /// Polled over and over by the same task (another branch of its `select!` wakes it),
    /// the timer answers from its state and still fires at its deadline.
    #[tokio::test(start_paused = true)]
    async fn polled_again_and_again_it_fires_on_time() {
        let start = Instant::now();
        let mut timer = LazyTimer::new(start + Duration::from_millis(1_000));
        let mut ticks = tokio::time::interval(Duration::from_millis(30));
        let mut polls = 0;
        loop {
            tokio::select! {
                biased;
                () = timer.expired() => break,
                _ = ticks.tick() => {
                    polls += 1;
                    assert!(Instant::now() - start < Duration::from_secs(5), "never fired");
                }
            }
        }
        assert_eq!(Instant::now() - start, Duration::from_millis(1_000));
        assert!(polls > 30, "{polls}");
    }

    /// Registered by one task, then awaited in another: the other task's waker is
    /// registered, so the timer still wakes whoever waits now.
    #[tokio::test(start_paused = true)]
    async fn awaited_in_another_task_it_wakes_that_task() {
        let start = Instant::now();
        let mut timer = LazyTimer::new(start + Duration::from_secs(2));
        let early = tokio::time::timeout(Duration::from_millis(500), timer.expired()).await;
        assert!(early.is_err(), "expired before its deadline");
        let waited = tokio::spawn(async move {
            timer.expired().await;
            Instant::now()
        });
        let at = tokio::time::timeout(Duration::from_secs(10), waited)
            .await
            .expect("the timer woke the second task")
            .unwrap();
        assert_eq!(at - start, Duration::from_secs(2));
    }

    /// First polled by a task out of budget (the sleep answers `Pending` without
    /// registering), the timer registers on the next poll and fires on time.
    #[tokio::test(start_paused = true)]
    async fn a_poll_without_budget_does_not_count_as_registered() {
        let start = Instant::now();
        let mut timer = LazyTimer::new(start + Duration::from_secs(1));
        // spend the task's budget, then poll the timer once (the sleep is not registered)
        while tokio::task::coop::has_budget_remaining() {
            tokio::task::coop::consume_budget().await;
        }
        let first = std::future::poll_fn(|cx| Poll::Ready(timer.poll_expired(cx))).await;
        assert!(first.is_pending());
        let fired = tokio::time::timeout(Duration::from_secs(10), timer.expired()).await;
        assert!(fired.is_ok(), "the timer never fired");
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
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
