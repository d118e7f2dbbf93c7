//! [`ConcurrencyLimitLayer`]: at most `max` calls in flight; the rest wait or are rejected.
//!
//! A call holds a permit from a tokio [`Semaphore`] from before the inner service is called
//! until the inner future completes (or is dropped). For a service over a stream (a
//! connection handler) the inner future lives as long as the connection, so the permit is
//! held **for the whole connection**: the layer then limits open connections, not requests.
//!
//! What happens at the limit is the [`LimitPolicy`]: `Wait` (back-pressure: the call waits
//! for a permit, first come first served) or `Reject` (the call fails at once with
//! [`LimitReached`]). Errors are [`BoxError`]s, for the reasons given in
//! [`timeout`](super::timeout).
//!
//! # Cancel safety
//!
//! Dropping a call's future, while it waits for a permit or while the inner service runs,
//! returns the permit (or leaves the queue) at once.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::{ConcurrencyLimitLayer, LimitReached};
//! use std::{convert::Infallible, sync::Arc};
//! use tokio::sync::Notify;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let release = Arc::new(Notify::new());
//! let gate = release.clone();
//! let held = service_fn(move |()| {
//!     let gate = gate.clone();
//!     async move {
//!         gate.notified().await;
//!         Ok::<_, Infallible>(())
//!     }
//! });
//! let svc = Arc::new(ConcurrencyLimitLayer::reject(1).into_layer(held));
//!
//! let first = tokio::spawn({
//!     let svc = svc.clone();
//!     async move { svc.serve(()).await }
//! });
//! tokio::task::yield_now().await; // let the first call take the only permit
//! let err = svc.serve(()).await.unwrap_err();
//! assert!(err.is::<LimitReached>());
//!
//! release.notify_one();
//! first.await.unwrap().unwrap();
//! # }
//! ```

use super::{Layer, LimitPolicy};
use crate::{Service, error::BoxError};
use std::{fmt, sync::Arc};
use tokio::sync::Semaphore;

/// A [`Layer`] that produces [`ConcurrencyLimit`] services.
///
/// Each service it makes has its own limit. To share one limit between several services,
/// give them one semaphore with [`ConcurrencyLimit::with_semaphore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyLimitLayer {
    max: usize,
    policy: LimitPolicy,
}

impl ConcurrencyLimitLayer {
    /// At most `max` calls in flight; further calls wait ([`LimitPolicy::Wait`]).
    ///
    /// A `max` of 0 admits nothing: calls are rejected rather than left waiting forever.
    #[must_use]
    pub const fn new(max: usize) -> Self {
        Self {
            max,
            policy: LimitPolicy::Wait,
        }
    }

    /// At most `max` calls in flight; further calls fail with [`LimitReached`].
    #[must_use]
    pub const fn reject(max: usize) -> Self {
        Self {
            max,
            policy: LimitPolicy::Reject,
        }
    }

    /// Set what happens at the limit.
    #[must_use]
    pub const fn with_policy(mut self, policy: LimitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The maximum number of calls in flight.
    #[must_use]
    pub const fn max(&self) -> usize {
        self.max
    }

    /// What happens at the limit.
    #[must_use]
    pub const fn policy(&self) -> LimitPolicy {
        self.policy
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit::new(inner, self.max, self.policy)
    }
}

/// A service that lets at most a fixed number of calls run at once; see the
/// [module docs](self).
#[derive(Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    semaphore: Arc<Semaphore>,
    max: usize,
    policy: LimitPolicy,
}

impl<S> ConcurrencyLimit<S> {
    /// Wrap `inner`, allowing `max` calls in flight (capped at [`Semaphore::MAX_PERMITS`]).
    pub fn new(inner: S, max: usize, policy: LimitPolicy) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        Self::with_semaphore(inner, Arc::new(Semaphore::new(max)), policy)
    }

    /// Wrap `inner`, taking permits from `semaphore`, which other services may share.
    pub fn with_semaphore(inner: S, semaphore: Arc<Semaphore>, policy: LimitPolicy) -> Self {
        let max = semaphore.available_permits();
        Self {
            inner,
            semaphore,
            max,
            policy,
        }
    }

    /// The limit this service was made with.
    pub const fn max(&self) -> usize {
        self.max
    }

    /// How many more calls may start right now.
    pub fn available(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// What happens at the limit.
    pub const fn policy(&self) -> LimitPolicy {
        self.policy
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

impl<S: fmt::Debug> fmt::Debug for ConcurrencyLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimit")
            .field("inner", &self.inner)
            .field("max", &self.max)
            .field("available", &self.available())
            .field("policy", &self.policy)
            .finish()
    }
}

impl<S, Input> Service<Input> for ConcurrencyLimit<S>
where
    S: Service<Input>,
    S::Error: Into<BoxError>,
    Input: Send,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, input: Input) -> Result<S::Output, BoxError> {
        let rejected = || -> BoxError { Box::new(LimitReached { max: self.max }) };
        let permit = match self.policy {
            // with nothing to wait for, waiting would hang: reject instead
            LimitPolicy::Wait if self.max > 0 => self
                .semaphore
                .acquire()
                .await
                .map_err(|_closed| rejected())?,
            LimitPolicy::Wait | LimitPolicy::Reject => {
                self.semaphore.try_acquire().map_err(|_| rejected())?
            }
        };
        let result = self.inner.serve(input).await.map_err(Into::into);
        drop(permit);
        result
    }
}

/// The error of a call rejected by a [`ConcurrencyLimit`] with [`LimitPolicy::Reject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitReached {
    max: usize,
}

impl LimitReached {
    pub(crate) const fn new(max: usize) -> Self {
        Self { max }
    }

    /// The limit that was reached.
    #[must_use]
    pub const fn max(&self) -> usize {
        self.max
    }
}

impl fmt::Display for LimitReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "concurrency limit of {} reached", self.max)
    }
}

impl std::error::Error for LimitReached {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::{
        convert::Infallible,
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    /// An inner service that records the peak number of concurrent calls and holds each call
    /// until `release` has been passed by every participant.
    fn held(
        in_flight: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
        release: Arc<tokio::sync::Semaphore>,
    ) -> impl Service<u32, Output = u32, Error = Infallible> {
        service_fn(move |x: u32| {
            let (in_flight, peak, release) = (in_flight.clone(), peak.clone(), release.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                release.acquire().await.unwrap().forget();
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, Infallible>(x)
            }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn wait_policy_queues_the_extra_call() {
        const N: usize = 3;
        let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let svc = Arc::new(ConcurrencyLimitLayer::new(N).into_layer(held(
            in_flight.clone(),
            peak.clone(),
            release.clone(),
        )));

        let mut tasks = Vec::new();
        for i in 0..=N {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move { svc.serve(i as u32).await }));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        // N calls run, the N+1-th waits for a permit
        assert_eq!(in_flight.load(Ordering::SeqCst), N);
        assert_eq!(svc.available(), 0);
        assert!(!tasks[N].is_finished());

        release.add_permits(N + 1);
        for (i, task) in tasks.into_iter().enumerate() {
            let out = tokio::time::timeout(Duration::from_secs(1), task)
                .await
                .unwrap();
            assert_eq!(out.unwrap().unwrap(), i as u32);
        }
        assert_eq!(peak.load(Ordering::SeqCst), N);
        assert_eq!(svc.available(), N);
    }

    #[tokio::test(start_paused = true)]
    async fn reject_policy_fails_the_extra_call_at_once() {
        let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let svc = Arc::new(ConcurrencyLimitLayer::reject(2).into_layer(held(
            in_flight.clone(),
            peak,
            release.clone(),
        )));
        let mut tasks = Vec::new();
        for i in 0..2 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move { svc.serve(i).await }));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(in_flight.load(Ordering::SeqCst), 2);

        let err = svc.serve(9).await.unwrap_err();
        let reached = err.downcast_ref::<LimitReached>().unwrap();
        assert_eq!(reached.max(), 2);
        assert_eq!(err.to_string(), "concurrency limit of 2 reached");

        // once a call completes its permit is back and a new call gets through
        release.add_permits(1);
        tokio::time::sleep(Duration::from_millis(10)).await;
        release.add_permits(2);
        assert_eq!(svc.serve(7).await.unwrap(), 7);
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(svc.available(), 2);
    }

    #[tokio::test]
    async fn permit_is_returned_when_the_call_is_dropped() {
        let svc = ConcurrencyLimitLayer::reject(1).into_layer(service_fn(async |()| {
            std::future::pending::<()>().await;
            Ok::<_, Infallible>(())
        }));
        let timed_out = tokio::time::timeout(Duration::from_millis(5), svc.serve(())).await;
        assert!(timed_out.is_err());
        assert_eq!(svc.available(), 1);
    }

    #[tokio::test]
    async fn zero_limit_rejects_instead_of_hanging() {
        let svc = ConcurrencyLimitLayer::new(0)
            .into_layer(service_fn(async |()| Ok::<_, Infallible>(())));
        let out = tokio::time::timeout(Duration::from_secs(1), svc.serve(())).await;
        assert!(out.unwrap().unwrap_err().is::<LimitReached>());
    }

    #[tokio::test]
    async fn shared_semaphore_limits_two_services_together() {
        let sem = Arc::new(Semaphore::new(1));
        let pending = || {
            service_fn(async |()| {
                std::future::pending::<()>().await;
                Ok::<_, Infallible>(())
            })
        };
        let a = Arc::new(ConcurrencyLimit::with_semaphore(
            pending(),
            sem.clone(),
            LimitPolicy::Reject,
        ));
        let b = ConcurrencyLimit::with_semaphore(pending(), sem, LimitPolicy::Reject);
        let task = tokio::spawn({
            let a = a.clone();
            async move { a.serve(()).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(b.serve(()).await.unwrap_err().is::<LimitReached>());
        task.abort();
    }
}
