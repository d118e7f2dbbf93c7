//! [`TimeoutLayer`]: fail a call that takes longer than a fixed duration.
//!
//! The error is a [`BoxError`]: either the inner service's error, converted, or an
//! [`Elapsed`] that says how long the call was allowed to take. Find it with
//! `err.downcast_ref::<Elapsed>()` or [`find_in_chain`](crate::error::find_in_chain).
//!
//! Why `BoxError` and not a `TimeoutError<E>` enum: most stacks already end in `BoxError`
//! (routers and boxed services erase their error), and `BoxError` is not itself an
//! [`std::error::Error`], so an enum wrapping it could not be one either: `?`,
//! [`ErrorContext`](crate::error::ErrorContext) and the other layers would stop composing.
//! The typed value is still there to match on after a downcast.
//!
//! A service that wants a typed error anyway can map it back with
//! [`MapErrLayer`](super::MapErrLayer).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::{Elapsed, TimeoutLayer};
//! use std::{convert::Infallible, time::Duration};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let slow = service_fn(async |x: u32| {
//!     tokio::time::sleep(Duration::from_secs(5)).await;
//!     Ok::<_, Infallible>(x)
//! });
//! let svc = TimeoutLayer::new(Duration::from_secs(1)).into_layer(slow);
//! let err = svc.serve(1).await.unwrap_err();
//! let elapsed = err.downcast_ref::<Elapsed>().unwrap();
//! assert_eq!(elapsed.duration(), Duration::from_secs(1));
//! # }
//! ```

use super::Layer;
use crate::future::MapFuture;
use crate::{Service, error::BoxError};
use std::{fmt, time::Duration};

/// A [`Layer`] that produces [`Timeout`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutLayer {
    duration: Duration,
}

impl TimeoutLayer {
    /// Fail calls that take longer than `duration`.
    #[must_use]
    pub const fn new(duration: Duration) -> Self {
        Self { duration }
    }

    /// How long a call may take.
    #[must_use]
    pub const fn duration(&self) -> Duration {
        self.duration
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout::new(inner, self.duration)
    }
}

/// A service that fails with [`Elapsed`] when its inner service takes longer than a duration.
///
/// The inner call is dropped (cancelled) when the time is up.
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    duration: Duration,
}

impl<S> Timeout<S> {
    /// Wrap `inner`, failing calls that take longer than `duration`.
    pub const fn new(inner: S, duration: Duration) -> Self {
        Self { inner, duration }
    }

    /// How long a call may take.
    pub const fn duration(&self) -> Duration {
        self.duration
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

impl<S, Input> Service<Input> for Timeout<S>
where
    S: Service<Input>,
    S::Error: Into<BoxError>,
{
    type Output = S::Output;
    type Error = BoxError;

    fn serve(&self, input: Input) -> impl Future<Output = Result<S::Output, BoxError>> + Send {
        // call the inner service now, so that the input is not held across an await
        let call = tokio::time::timeout(self.duration, self.inner.serve(input));
        let duration = self.duration;
        MapFuture::new(
            call,
            move |timed: Result<Result<S::Output, S::Error>, _>| match timed {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(Elapsed { duration }) as BoxError),
            },
        )
    }
}

/// The error of a call that did not finish within its [`Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    duration: Duration,
}

impl Elapsed {
    /// An `Elapsed` for a limit of `duration`, for services that time out on their own.
    #[must_use]
    pub const fn new(duration: Duration) -> Self {
        Self { duration }
    }

    /// How long the call was allowed to take.
    #[must_use]
    pub const fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.duration)
    }
}

impl std::error::Error for Elapsed {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{error::OpaqueError, service_fn};
    use std::convert::Infallible;

    fn sleepy() -> impl Service<u64, Output = u64, Error = Infallible> {
        service_fn(async |ms: u64| {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, Infallible>(ms)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn fast_calls_pass_slow_calls_elapse() {
        let svc = TimeoutLayer::new(Duration::from_millis(100)).into_layer(sleepy());
        assert_eq!(svc.serve(99).await.unwrap(), 99);

        let start = tokio::time::Instant::now();
        let err = svc.serve(101).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        let elapsed = err.downcast_ref::<Elapsed>().unwrap();
        assert_eq!(elapsed.duration(), Duration::from_millis(100));
        assert_eq!(err.to_string(), "timed out after 100ms");
    }

    #[tokio::test(start_paused = true)]
    async fn inner_errors_pass_through_unchanged() {
        let failing =
            service_fn(async |()| Err::<(), _>(OpaqueError::from_display("upstream refused")));
        let svc = Timeout::new(failing, Duration::from_secs(1));
        let err = svc.serve(()).await.unwrap_err();
        assert!(err.downcast_ref::<Elapsed>().is_none());
        assert_eq!(err.to_string(), "upstream refused");
    }

    #[tokio::test(start_paused = true)]
    async fn elapsed_is_found_behind_context() {
        use crate::error::ErrorContext;
        let svc = Timeout::new(sleepy(), Duration::from_millis(10));
        let err = svc.serve(1_000).await.context("call upstream").unwrap_err();
        assert_eq!(format!("{err:#}"), "call upstream: timed out after 10ms");
        assert!(err.has::<Elapsed>());
    }
}
