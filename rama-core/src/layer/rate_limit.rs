//! [`RateLimitLayer`]: at most `num` calls per `per`, with bursts of up to `burst` calls.
//!
//! A token bucket, kept as one instant (the "theoretical arrival time" of the generic cell
//! rate algorithm) behind a `Mutex` that is held for a few arithmetic operations and never
//! across an `.await`. A call that finds no token either waits for one
//! ([`LimitPolicy::Wait`], it reserves the next token and sleeps until it is due, so waiters
//! are served in arrival order without polling) or fails at once with [`RateLimited`]
//! ([`LimitPolicy::Reject`]), which says when a token will be available.
//!
//! Every service the layer makes has its own bucket; clones of one service share it.
//!
//! # Cancel safety
//!
//! A waiting call that is dropped (a timeout above it fired, the client went away) hands
//! its booked token back, so abandoned waits do not eat into the rate.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::{LimitPolicy, RateLimitLayer, RateLimited};
//! use std::{convert::Infallible, time::Duration};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let svc = RateLimitLayer::new(2, Duration::from_secs(1))
//!     .with_policy(LimitPolicy::Reject)
//!     .into_layer(service_fn(async |x: u8| Ok::<_, Infallible>(x)));
//! assert_eq!(svc.serve(1).await.unwrap(), 1);
//! assert_eq!(svc.serve(2).await.unwrap(), 2);
//! let err = svc.serve(3).await.unwrap_err();
//! let limited = err.downcast_ref::<RateLimited>().unwrap();
//! assert_eq!(limited.retry_after(), Some(Duration::from_millis(500)));
//! # }
//! ```

use super::{Layer, LimitPolicy};
use crate::{Service, error::BoxError};
use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::time::Instant;

/// Periods are capped at 100 years so that instant arithmetic cannot overflow.
const MAX_PERIOD: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A [`Layer`] that produces [`RateLimit`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitLayer {
    num: u32,
    per: Duration,
    burst: u32,
    policy: LimitPolicy,
}

impl RateLimitLayer {
    /// At most `num` calls per `per`, in bursts of up to `num`; further calls wait.
    ///
    /// `num == 0` admits nothing (calls are rejected rather than left waiting forever);
    /// `per == 0` admits everything.
    #[must_use]
    pub const fn new(num: u32, per: Duration) -> Self {
        Self {
            num,
            per,
            burst: num,
            policy: LimitPolicy::Wait,
        }
    }

    /// Allow bursts of up to `burst` calls (at least 1) after a quiet period.
    #[must_use]
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Set what happens when no token is available.
    #[must_use]
    pub const fn with_policy(mut self, policy: LimitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls allowed per period.
    #[must_use]
    pub const fn num(&self) -> u32 {
        self.num
    }

    /// The period.
    #[must_use]
    pub const fn per(&self) -> Duration {
        self.per
    }

    /// The largest burst.
    #[must_use]
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// What happens when no token is available.
    #[must_use]
    pub const fn policy(&self) -> LimitPolicy {
        self.policy
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit::new(inner, *self)
    }
}

/// A service that admits calls at a fixed rate; see the [module docs](self).
#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    config: RateLimitLayer,
    /// Time between two tokens; `None` when no token is ever added (`num == 0`).
    interval: Option<Duration>,
    /// How far ahead of now the bucket may be booked before a call has to wait.
    tolerance: Duration,
    /// The theoretical arrival time: when the bucket will be full again.
    tat: Arc<Mutex<Instant>>,
}

impl<S> RateLimit<S> {
    /// Wrap `inner` with the limit described by `config`.
    pub fn new(inner: S, config: RateLimitLayer) -> Self {
        let per = config.per.min(MAX_PERIOD);
        let interval = (config.num > 0).then(|| per / config.num);
        let tolerance = interval
            .unwrap_or_default()
            .saturating_mul(config.burst.max(1) - 1);
        Self {
            inner,
            config,
            interval,
            tolerance,
            tat: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// The limit of this service.
    pub const fn config(&self) -> &RateLimitLayer {
        &self.config
    }

    /// The wrapped service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwrap the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// Take a token now, or say how long to wait for one (booking it if the policy waits).
    fn admit(&self) -> Result<Option<Reservation<'_>>, RateLimited> {
        let Some(interval) = self.interval else {
            return Err(RateLimited { retry_after: None });
        };
        let now = Instant::now();
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let booked_until = (*tat).max(now);
        let wait = booked_until
            .saturating_duration_since(now)
            .saturating_sub(self.tolerance);
        if wait.is_zero() {
            *tat = booked_until + interval;
            return Ok(None);
        }
        match self.config.policy {
            LimitPolicy::Reject => Err(RateLimited {
                retry_after: Some(wait),
            }),
            LimitPolicy::Wait => {
                *tat = booked_until + interval;
                Ok(Some(Reservation {
                    tat: &self.tat,
                    interval,
                    due: now + wait,
                    used: false,
                }))
            }
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A token booked for later; handed back if the waiting call is dropped before it is due.
struct Reservation<'a> {
    tat: &'a Mutex<Instant>,
    interval: Duration,
    due: Instant,
    used: bool,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.used {
            let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
            // hand the slot back: the next booking comes one interval earlier. When later
            // bookings are outstanding, two calls may then share a due time, but no more
            // calls pass per period than the limit allows, since this slot went unused
            if let Some(earlier) = tat.checked_sub(self.interval) {
                *tat = earlier;
            }
        }
    }
}

impl<S, Input> Service<Input> for RateLimit<S>
where
    S: Service<Input>,
    S::Error: Into<BoxError>,
    Input: Send,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, input: Input) -> Result<S::Output, BoxError> {
        if let Some(mut reservation) = self.admit()? {
            tokio::time::sleep_until(reservation.due).await;
            reservation.used = true;
        }
        self.inner.serve(input).await.map_err(Into::into)
    }
}

/// The error of a call rejected by a [`RateLimit`] with [`LimitPolicy::Reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    retry_after: Option<Duration>,
}

impl RateLimited {
    /// How long until a call would be admitted; `None` if the limit admits nothing.
    #[must_use]
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.retry_after {
            Some(after) => write!(f, "rate limited: retry after {after:?}"),
            None => f.write_str("rate limited: the limit admits no calls"),
        }
    }
}

impl std::error::Error for RateLimited {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::convert::Infallible;

    fn echo() -> impl Service<u32, Output = u32, Error = Infallible> + Clone {
        service_fn(async |x: u32| Ok::<_, Infallible>(x))
    }

    #[tokio::test(start_paused = true)]
    async fn reject_policy_allows_a_burst_then_refills_at_the_rate() {
        let svc = RateLimitLayer::new(10, Duration::from_secs(1))
            .with_burst(3)
            .with_policy(LimitPolicy::Reject)
            .into_layer(echo());
        for i in 0..3 {
            assert_eq!(svc.serve(i).await.unwrap(), i);
        }
        let err = svc.serve(3).await.unwrap_err();
        let limited = err.downcast_ref::<RateLimited>().unwrap();
        assert_eq!(limited.retry_after(), Some(Duration::from_millis(100)));
        assert_eq!(err.to_string(), "rate limited: retry after 100ms");

        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(svc.serve(4).await.unwrap(), 4);
        assert!(svc.serve(5).await.is_err());

        // a long quiet period refills the bucket up to the burst, not beyond
        tokio::time::advance(Duration::from_secs(60)).await;
        for i in 0..3 {
            assert!(svc.serve(i).await.is_ok());
        }
        assert!(svc.serve(9).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn wait_policy_spaces_calls_at_the_rate() {
        let svc = Arc::new(
            RateLimitLayer::new(4, Duration::from_secs(1))
                .with_burst(1)
                .into_layer(echo()),
        );
        let start = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..5u32 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                svc.serve(i).await.unwrap();
                Instant::now() - start
            }));
        }
        let mut done = Vec::new();
        for task in tasks {
            done.push(task.await.unwrap());
        }
        done.sort();
        let expected: Vec<_> = (0..5).map(|i| Duration::from_millis(250 * i)).collect();
        assert_eq!(done, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_waiter_gives_its_token_back() {
        let svc = RateLimitLayer::new(1, Duration::from_secs(10)).into_layer(echo());
        svc.serve(0).await.unwrap();
        // the second call books the token due in 10s, then gives up after 1s
        let gave_up = tokio::time::timeout(Duration::from_secs(1), svc.serve(1)).await;
        assert!(gave_up.is_err());
        // the next call gets that token when it is due (9s from now), not 10s later
        let start = Instant::now();
        svc.serve(2).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(9));
    }

    #[tokio::test(start_paused = true)]
    async fn degenerate_limits_do_not_hang() {
        let none = RateLimitLayer::new(0, Duration::from_secs(1)).into_layer(echo());
        let err = tokio::time::timeout(Duration::from_secs(1), none.serve(1))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.downcast_ref::<RateLimited>().unwrap().retry_after(),
            None
        );

        let all = RateLimitLayer::new(1, Duration::ZERO)
            .with_policy(LimitPolicy::Reject)
            .into_layer(echo());
        for i in 0..1_000 {
            assert_eq!(all.serve(i).await.unwrap(), i);
        }

        let huge = RateLimitLayer::new(1, Duration::MAX)
            .with_burst(u32::MAX)
            .with_policy(LimitPolicy::Reject)
            .into_layer(echo());
        assert_eq!(huge.serve(1).await.unwrap(), 1);
    }
}
