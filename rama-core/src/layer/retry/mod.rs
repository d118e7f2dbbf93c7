//! [`RetryLayer`]: call the inner service again when a [`Policy`] says a result deserves it.
//!
//! The input is moved into each attempt, so a retry needs a copy made *before* the attempt.
//! The policy makes it ([`Policy::clone_input`]) and may refuse: an input that cannot be
//! copied (a stream, a request whose body is already being read) is served once, and its
//! result is final. After each attempt the policy decides ([`Policy::decide`]) to stop or to
//! retry after a delay, usually taken from a [`Backoff`] such as [`ExponentialBackoff`].
//!
//! [`RetryErrors`] is the ready-made policy: retry the errors of a `Clone` input (all of them,
//! or those [`RetryErrors::when`] accepts) for as long as its backoff allows.
//!
//! # Cancel safety
//!
//! Dropping the future of a [`Retry`] call drops the attempt in flight (or the pending sleep)
//! and the copy of the input kept for the next attempt; nothing is left running.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::retry::{ExponentialBackoff, RetryErrors, RetryLayer};
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! static CALLS: AtomicU32 = AtomicU32::new(0);
//! let flaky = service_fn(async |x: u32| match CALLS.fetch_add(1, Ordering::SeqCst) {
//!     0 | 1 => Err("try again"),
//!     _ => Ok(x),
//! });
//! let backoff = ExponentialBackoff::new(Duration::from_millis(10), Duration::from_secs(1), 5);
//! let svc = RetryLayer::new(RetryErrors::new(backoff)).into_layer(flaky);
//! assert_eq!(svc.serve(7).await, Ok(7));
//! assert_eq!(CALLS.load(Ordering::SeqCst), 3);
//! # }
//! ```

mod backoff;
mod policy;

pub use backoff::{Backoff, ExponentialBackoff};
pub use policy::{AllErrors, Decision, Policy, RetryErrors, Retryable};

use super::Layer;
use crate::Service;

/// A [`Layer`] that produces [`Retry`] services.
#[derive(Debug, Clone)]
pub struct RetryLayer<P> {
    policy: P,
}

impl<P> RetryLayer<P> {
    /// Retry as `policy` decides.
    #[must_use]
    pub const fn new(policy: P) -> Self {
        Self { policy }
    }
}

impl<S, P: Clone> Layer<S> for RetryLayer<P> {
    type Service = Retry<S, P>;

    fn layer(&self, inner: S) -> Retry<S, P> {
        Retry::new(inner, self.policy.clone())
    }

    fn into_layer(self, inner: S) -> Retry<S, P> {
        Retry::new(inner, self.policy)
    }
}

/// A service that calls its inner service again while its [`Policy`] asks for it; see the
/// [module docs](self).
///
/// The result returned is the one of the last attempt.
#[derive(Debug, Clone)]
pub struct Retry<S, P> {
    inner: S,
    policy: P,
}

impl<S, P> Retry<S, P> {
    /// Wrap `inner`, retrying as `policy` decides.
    pub const fn new(inner: S, policy: P) -> Self {
        Self { inner, policy }
    }

    /// The retry policy.
    pub const fn policy(&self) -> &P {
        &self.policy
    }

    /// The wrapped service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwrap the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, P, Input> Service<Input> for Retry<S, P>
where
    S: Service<Input>,
    P: Policy<Input, S::Output, S::Error>,
    Input: Send,
{
    type Output = S::Output;
    type Error = S::Error;

    async fn serve(&self, input: Input) -> Result<S::Output, S::Error> {
        let mut input = input;
        let mut attempts: u32 = 0;
        loop {
            let spare = self.policy.clone_input(&input);
            let result = self.inner.serve(input).await;
            attempts = attempts.saturating_add(1);
            let Some(next) = spare else {
                return result;
            };
            match self.policy.decide(attempts, &result) {
                Decision::Stop => return result,
                Decision::Retry { after } => {
                    tracing::debug!(attempts, ?after, "retrying call");
                    drop(result);
                    tokio::time::sleep(after).await;
                    input = next;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::{
        sync::{
            Arc,
            atomic::{AtomicU32, Ordering},
        },
        time::Duration,
    };
    use tokio::time::Instant;

    /// Fails the first `failures` calls, then echoes its input.
    fn flaky(
        failures: u32,
        calls: Arc<AtomicU32>,
    ) -> impl Service<u32, Output = u32, Error = String> {
        service_fn(move |x: u32| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    Err(format!("failure {n}"))
                } else {
                    Ok(x)
                }
            }
        })
    }

    fn backoff(max_attempts: u32) -> ExponentialBackoff {
        ExponentialBackoff::new(
            Duration::from_millis(100),
            Duration::from_secs(10),
            max_attempts,
        )
        .without_jitter()
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success_with_growing_delays() {
        let calls = Arc::new(AtomicU32::new(0));
        let svc = RetryLayer::new(RetryErrors::new(backoff(5))).into_layer(flaky(3, calls.clone()));
        let start = Instant::now();
        assert_eq!(svc.serve(42).await, Ok(42));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // delays of 100ms, 200ms and 400ms between the four attempts
        assert_eq!(start.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_last_error() {
        let calls = Arc::new(AtomicU32::new(0));
        let svc = RetryLayer::new(RetryErrors::new(backoff(3)))
            .into_layer(flaky(u32::MAX, calls.clone()));
        assert_eq!(svc.serve(1).await, Err("failure 2".to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn inputs_the_policy_cannot_copy_are_served_once() {
        /// Retries every error but refuses to copy odd inputs.
        struct EvenOnly;
        impl Policy<u32, u32, String> for EvenOnly {
            fn clone_input(&self, input: &u32) -> Option<u32> {
                input.is_multiple_of(2).then_some(*input)
            }
            fn decide(&self, _: u32, result: &Result<u32, String>) -> Decision {
                match result {
                    Ok(_) => Decision::Stop,
                    Err(_) => Decision::Retry {
                        after: Duration::from_millis(1),
                    },
                }
            }
        }

        let calls = Arc::new(AtomicU32::new(0));
        let svc = Retry::new(flaky(1, calls.clone()), EvenOnly);
        assert_eq!(svc.serve(3).await, Err("failure 0".to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(svc.serve(4).await, Ok(4));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn only_errors_the_predicate_accepts_are_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let policy = RetryErrors::new(backoff(5)).when(|err: &String| err != "failure 1");
        let svc = Retry::new(flaky(u32::MAX, calls.clone()), policy);
        // "failure 0" is retried, "failure 1" is final
        assert_eq!(svc.serve(1).await, Err("failure 1".to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn successes_are_not_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let svc = Retry::new(flaky(0, calls.clone()), RetryErrors::new(backoff(5)));
        assert_eq!(svc.serve(9).await, Ok(9));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
