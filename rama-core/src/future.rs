//! Futures that services return instead of `async` blocks, where the size of the future
//! matters.
//!
//! A service future is built for every request and moved at least once (into a task or a
//! box), so its size is paid per request, and an HTTP proxy nests a dozen of them. An
//! `async` block that awaits a future it captured holds that future twice (once captured,
//! once awaited), and an `async fn` holds its input twice; [`MapFuture`] holds the inner
//! future once, and [`Either`](crate::service::Either) of futures is a future, so a
//! service that chooses between an early answer and its inner service's call can return
//! the choice itself:
//!
//! ```
//! use rama_core::future::MapFuture;
//! use rama_core::service::Either;
//! use std::future::{Ready, ready};
//!
//! fn answer(early: bool) -> Either<Ready<u32>, MapFuture<Ready<u32>, fn(u32) -> u32>> {
//!     if early {
//!         Either::A(ready(1))
//!     } else {
//!         Either::B(MapFuture::new(ready(20), |n| n + 1))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! assert_eq!(answer(true).await, 1);
//! assert_eq!(answer(false).await, 21);
//! # }
//! ```
//!
//! Written here rather than taken from `futures-util` (whose `FutureExt::map` is the same
//! thing): the core crate keeps its dependency list short, and this is one small type.

use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project! {
    /// A future that applies `f` to the output of `inner`.
    #[must_use = "futures do nothing unless polled"]
    pub struct MapFuture<Fut, F> {
        #[pin]
        inner: Fut,
        f: F,
    }
}

impl<Fut, F> MapFuture<Fut, F> {
    /// `inner`, its output passed through `f`.
    pub const fn new(inner: Fut, f: F) -> Self {
        Self { inner, f }
    }
}

impl<Fut, F, T> Future for MapFuture<Fut, F>
where
    Fut: Future,
    F: FnMut(Fut::Output) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        let out = ready!(this.inner.poll(cx));
        Poll::Ready((this.f)(out))
    }
}

impl<Fut, F> fmt::Debug for MapFuture<Fut, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapFuture").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Either;
    use std::future::ready;

    #[tokio::test]
    async fn maps_the_output_once_ready() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let mapped = MapFuture::new(rx, |r: Result<u8, _>| r.map(u16::from).map(|n| n * 2));
        tx.send(21).unwrap();
        assert_eq!(mapped.await, Ok(42));
    }

    #[test]
    fn holds_the_inner_future_once() {
        let inner = async {
            let buf = [0u8; 512];
            ready(()).await;
            buf.len()
        };
        let inner_size = std::mem::size_of_val(&inner);
        let mapped = MapFuture::new(inner, |n: usize| n + 1);
        assert!(std::mem::size_of_val(&mapped) <= inner_size + 8);
    }

    #[tokio::test]
    async fn either_of_futures_is_a_future() {
        let a: Either<_, std::future::Ready<&str>> = Either::A(ready("a"));
        let b: Either<std::future::Ready<&str>, _> = Either::B(ready("b"));
        assert_eq!((a.await, b.await), ("a", "b"));
    }
}
