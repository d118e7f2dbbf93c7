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

/// Which errors are worth another attempt; see [`RetryErrors::when`].
///
/// Implemented for [`AllErrors`] and for closures `Fn(&Error) -> bool`.
pub trait Retryable<Error>: Send + Sync + 'static {
    /// Whether `err` may go away on another attempt.
    fn is_retryable(&self, err: &Error) -> bool;
}

/// Every error is worth another attempt: the default of [`RetryErrors`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllErrors;

impl<Error> Retryable<Error> for AllErrors {
    fn is_retryable(&self, _err: &Error) -> bool {
        true
    }
}

impl<Error, F> Retryable<Error> for F
where
    F: Fn(&Error) -> bool + Send + Sync + 'static,
{
    fn is_retryable(&self, err: &Error) -> bool {
        self(err)
    }
}

/// Retry the errors of a `Clone` input (all of them, or those [`when`](Self::when) accepts),
/// waiting as the [`Backoff`] says, until it gives up. Successes are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryErrors<B, R = AllErrors> {
    backoff: B,
    retryable: R,
}

impl<B> RetryErrors<B> {
    /// Retry every error with the delays of `backoff`.
    #[must_use]
    pub const fn new(backoff: B) -> Self {
        Self {
            backoff,
            retryable: AllErrors,
        }
    }
}

impl<B, R> RetryErrors<B, R> {
    /// Retry only the errors `retryable` accepts, e.g. `|err: &io::Error| err.kind() ==
    /// io::ErrorKind::ConnectionRefused`.
    #[must_use]
    pub fn when<R2>(self, retryable: R2) -> RetryErrors<B, R2> {
        RetryErrors {
            backoff: self.backoff,
            retryable,
        }
    }

    /// The backoff.
    #[must_use]
    pub const fn backoff(&self) -> &B {
        &self.backoff
    }
}

impl<B, R, Input, Output, Error> Policy<Input, Output, Error> for RetryErrors<B, R>
where
    B: Backoff,
    R: Retryable<Error>,
    Input: Clone,
{
    fn clone_input(&self, input: &Input) -> Option<Input> {
        Some(input.clone())
    }

    fn decide(&self, attempts: u32, result: &Result<Output, Error>) -> Decision {
        match result {
            Err(err) if self.retryable.is_retryable(err) => self
                .backoff
                .delay(attempts)
                .map_or(Decision::Stop, |after| Decision::Retry { after }),
            _ => Decision::Stop,
        }
    }
}
