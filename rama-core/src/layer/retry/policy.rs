//! The [`Policy`] trait, its [`Decision`], and the ready-made [`RetryErrors`] policy.

use super::Backoff;
use std::time::Duration;

/// What a [`Retry`](super::Retry) service does after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Return this attempt's result.
    Stop,
    /// Sleep for `after`, then call the inner service again with the copied input.
    Retry {
        /// How long to wait before the next attempt.
        after: Duration,
    },
}

/// Decides which results are retried and how inputs are copied for a retry.
pub trait Policy<Input, Output, Error>: Send + Sync + 'static {
    /// A copy of `input`, made before each attempt, to serve again if the attempt is retried.
    ///
    /// Return `None` when the input cannot or must not be served twice: the attempt's result
    /// is then final, whatever [`decide`](Self::decide) would say.
    fn clone_input(&self, input: &Input) -> Option<Input>;

    /// After an attempt: stop, or retry after a delay. `attempts` counts the attempts made
    /// so far, this one included (1 after the first call).
    fn decide(&self, attempts: u32, result: &Result<Output, Error>) -> Decision;
}

/// Retry every error of a `Clone` input, waiting as the [`Backoff`] says, until it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryErrors<B> {
    backoff: B,
}

impl<B> RetryErrors<B> {
    /// Retry errors with the delays of `backoff`.
    #[must_use]
    pub const fn new(backoff: B) -> Self {
        Self { backoff }
    }

    /// The backoff.
    #[must_use]
    pub const fn backoff(&self) -> &B {
        &self.backoff
    }
}

impl<B, Input, Output, Error> Policy<Input, Output, Error> for RetryErrors<B>
where
    B: Backoff,
    Input: Clone,
{
    fn clone_input(&self, input: &Input) -> Option<Input> {
        Some(input.clone())
    }

    fn decide(&self, attempts: u32, result: &Result<Output, Error>) -> Decision {
        match (result, self.backoff.delay(attempts)) {
            (Err(_), Some(after)) => Decision::Retry { after },
            _ => Decision::Stop,
        }
    }
}
