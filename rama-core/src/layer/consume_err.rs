//! [`ConsumeErrLayer`]: turn each error of the inner service into an output, logging it.
//!
//! The outermost layer of a connection handler often has nobody left to return an error
//! to: this layer logs the error (with `tracing`, at a chosen level, `ERROR` by default,
//! whole chain via `{:#}`) and produces an output instead, so the service's error type
//! becomes [`Infallible`]. The output is `Output::default()` ([`ConsumeErrLayer::new`]) or
//! made from the error by a closure ([`ConsumeErrLayer::with_fallback`]).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::ConsumeErrLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let parse = service_fn(async |s: &'static str| s.parse::<u16>());
//!
//! let zero_on_error = ConsumeErrLayer::new().layer(parse);
//! assert_eq!(zero_on_error.serve("x").await, Ok(0));
//!
//! let status = ConsumeErrLayer::with_fallback(|_err| 400u16).into_layer(parse);
//! assert_eq!(status.serve("8080").await, Ok(8080));
//! assert_eq!(status.serve("x").await, Ok(400));
//! # }
//! ```

use super::{Layer, trace_err::log_error};
use crate::Service;
use crate::future::MapFuture;
use std::{convert::Infallible, fmt};
use tracing::Level;

/// Makes the output that replaces an error; see [`ConsumeErrLayer`].
pub trait Fallback<E, O>: Send + Sync + 'static {
    /// The output to return instead of `err`.
    fn fallback(&self, err: E) -> O;
}

/// The [`Fallback`] that returns `Output::default()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultOutput;

impl<E, O: Default> Fallback<E, O> for DefaultOutput {
    fn fallback(&self, _err: E) -> O {
        O::default()
    }
}

impl<E, O, F> Fallback<E, O> for F
where
    F: Fn(E) -> O + Send + Sync + 'static,
{
    fn fallback(&self, err: E) -> O {
        self(err)
    }
}

/// A [`Layer`] that produces [`ConsumeErr`] services.
#[derive(Clone, Copy)]
pub struct ConsumeErrLayer<F = DefaultOutput> {
    fallback: F,
    level: Level,
}

impl ConsumeErrLayer {
    /// Replace errors with `Output::default()`, logging them at `ERROR`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            fallback: DefaultOutput,
            level: Level::ERROR,
        }
    }
}

impl Default for ConsumeErrLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> ConsumeErrLayer<F> {
    /// Replace errors with the output `fallback` makes from them, logging them at `ERROR`.
    #[must_use]
    pub const fn with_fallback(fallback: F) -> Self {
        Self {
            fallback,
            level: Level::ERROR,
        }
    }

    /// Log errors at `level`.
    #[must_use]
    pub const fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The level errors are logged at.
    #[must_use]
    pub const fn level(&self) -> Level {
        self.level
    }
}

impl<F> fmt::Debug for ConsumeErrLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumeErrLayer")
            .field("fallback", &std::any::type_name::<F>())
            .field("level", &self.level)
            .finish()
    }
}

impl<S, F: Clone> Layer<S> for ConsumeErrLayer<F> {
    type Service = ConsumeErr<S, F>;

    fn layer(&self, inner: S) -> ConsumeErr<S, F> {
        ConsumeErr::new(inner, self.fallback.clone(), self.level)
    }

    fn into_layer(self, inner: S) -> ConsumeErr<S, F> {
        ConsumeErr::new(inner, self.fallback, self.level)
    }
}

/// A service that logs the errors of its inner service and replaces them with an output.
#[derive(Clone)]
pub struct ConsumeErr<S, F = DefaultOutput> {
    inner: S,
    fallback: F,
    level: Level,
}

impl<S, F> ConsumeErr<S, F> {
    /// Wrap `inner`, replacing its errors with what `fallback` makes and logging them at
    /// `level`.
    pub const fn new(inner: S, fallback: F, level: Level) -> Self {
        Self {
            inner,
            fallback,
            level,
        }
    }

    /// The level errors are logged at.
    pub const fn level(&self) -> Level {
        self.level
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

impl<S: fmt::Debug, F> fmt::Debug for ConsumeErr<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumeErr")
            .field("inner", &self.inner)
            .field("fallback", &std::any::type_name::<F>())
            .field("level", &self.level)
            .finish()
    }
}

impl<S, F, Input> Service<Input> for ConsumeErr<S, F>
where
    S: Service<Input>,
    S::Error: fmt::Display,
    F: Fallback<S::Error, S::Output>,
{
    type Output = S::Output;
    type Error = Infallible;

    fn serve(&self, input: Input) -> impl Future<Output = Result<S::Output, Infallible>> + Send {
        MapFuture::new(self.inner.serve(input), |result: Result<_, _>| {
            Ok(result.unwrap_or_else(|err| {
                log_error(self.level, "service error consumed", &err);
                self.fallback.fallback(err)
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{layer::trace_err::tests::Recorder, service_fn};
    use tracing::subscriber::with_default;

    fn parse() -> impl Service<&'static str, Output = i32, Error = std::num::ParseIntError> + Copy {
        service_fn(async |s: &'static str| s.parse::<i32>())
    }

    #[test]
    fn errors_become_outputs_and_are_logged() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let recorder = Recorder::default();
        let by_default = ConsumeErrLayer::new()
            .with_level(Level::INFO)
            .layer(parse());
        let by_closure = ConsumeErrLayer::with_fallback(|err: std::num::ParseIntError| {
            -(err.to_string().len() as i32)
        })
        .into_layer(parse());

        with_default(recorder.clone(), || {
            assert_eq!(rt.block_on(by_default.serve("12")), Ok(12));
            assert_eq!(rt.block_on(by_default.serve("x")), Ok(0));
            assert_eq!(rt.block_on(by_closure.serve("-3")), Ok(-3));
            assert_eq!(rt.block_on(by_closure.serve("")), Ok(-38));
        });
        let logged = recorder.0.lock().unwrap().clone();
        assert_eq!(
            logged,
            [
                (Level::INFO, "invalid digit found in string".to_owned()),
                (
                    Level::ERROR,
                    "cannot parse integer from empty string".to_owned()
                ),
            ]
        );
    }
}
