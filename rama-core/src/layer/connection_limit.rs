//! [`ConnectionLimitLayer`]: at most `max` connections at once, counting the work a connection
//! hands to other tasks for as long as that work lasts.
//!
//! A [`ConcurrencyLimit`](super::ConcurrencyLimit) holds its permit until the call returns.
//! That is not always the end of the connection: an HTTP proxy answers `CONNECT` with a
//! `200`, its HTTP engine returns, and the tunnel goes on in a task of its own. This layer
//! puts the permit into the input's [`Extensions`](crate::extensions::Extensions) instead,
//! as a [`ConnectionPermit`]: the permit goes back when the last clone of it is dropped, so
//! whatever keeps the connection (its stream, with the extensions it carries, or a clone of
//! those extensions) keeps counting. A connection over the limit is rejected at once with
//! [`LimitReached`] (the listener then closes it).
//!
//! The permit must not be copied into things that live longer than the connection: rama's
//! HTTP client, for one, makes new extensions for the connections it pools rather than
//! copying a request's.
//!
//! ```
//! use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
//! use rama_core::layer::{ConnectionLimitLayer, ConnectionPermit, LimitReached};
//! use rama_core::{Layer, Service, service_fn};
//! use std::convert::Infallible;
//!
//! # #[derive(Default)]
//! # struct Conn(Extensions);
//! # impl ExtensionsRef for Conn { fn extensions(&self) -> &Extensions { &self.0 } }
//! # impl ExtensionsMut for Conn { fn extensions_mut(&mut self) -> &mut Extensions { &mut self.0 } }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // the call returns at once, but hands the connection's permit to work that goes on
//! let (handed_tx, handed_rx) = std::sync::mpsc::channel();
//! let svc = ConnectionLimitLayer::new(1).into_layer(service_fn(move |conn: Conn| {
//!     let permit = conn.extensions().get::<ConnectionPermit>().cloned();
//!     handed_tx.send(permit).unwrap();
//!     async { Ok::<_, Infallible>(()) }
//! }));
//! svc.serve(Conn::default()).await.unwrap();
//! let tunnel = handed_rx.recv().unwrap();
//! // the tunnel still counts: the next connection is over the limit
//! let err = svc.serve(Conn::default()).await.unwrap_err();
//! assert!(err.is::<LimitReached>());
//! drop(tunnel);
//! svc.serve(Conn::default()).await.unwrap();
//! # }
//! ```

use super::{Layer, LimitReached};
use crate::error::BoxError;
use crate::extensions::ExtensionsMut;
use crate::future::MapFuture;
use crate::service::{Either, Service};
use std::future::{Future, ready};
use std::{fmt, sync::Arc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A [`Layer`] that produces [`ConnectionLimit`] services, each with its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimitLayer {
    max: usize,
}

impl ConnectionLimitLayer {
    /// At most `max` connections at once; more are rejected.
    #[must_use]
    pub const fn new(max: usize) -> Self {
        Self { max }
    }
}

impl<S> Layer<S> for ConnectionLimitLayer {
    type Service = ConnectionLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConnectionLimit::new(inner, self.max)
    }
}

/// Serves at most `max` connections at once; see the [module docs](self).
pub struct ConnectionLimit<S> {
    inner: S,
    max: usize,
    semaphore: Arc<Semaphore>,
}

impl<S> ConnectionLimit<S> {
    /// Wrap `inner`, serving at most `max` connections at once.
    pub fn new(inner: S, max: usize) -> Self {
        Self {
            inner,
            max,
            semaphore: Arc::new(Semaphore::new(max)),
        }
    }

    /// How many more connections would be accepted now.
    #[must_use]
    pub fn available(&self) -> usize {
        self.semaphore.available_permits()
    }
}

impl<S: fmt::Debug> fmt::Debug for ConnectionLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionLimit")
            .field("inner", &self.inner)
            .field("max", &self.max)
            .field("available", &self.available())
            .finish()
    }
}

/// One connection's place under a [`ConnectionLimit`], in the extensions of the connection it
/// admitted; the place is free again once every clone is dropped.
#[derive(Clone)]
pub struct ConnectionPermit(
    #[expect(dead_code, reason = "held for its drop")] Arc<OwnedSemaphorePermit>,
);

impl fmt::Debug for ConnectionPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionPermit").finish_non_exhaustive()
    }
}

impl<S, Input> Service<Input> for ConnectionLimit<S>
where
    S: Service<Input>,
    S::Error: Into<BoxError>,
    Input: ExtensionsMut + Send + 'static,
{
    type Output = S::Output;
    type Error = BoxError;

    fn serve(&self, mut input: Input) -> impl Future<Output = Result<S::Output, BoxError>> + Send {
        match Arc::clone(&self.semaphore).try_acquire_owned() {
            Ok(permit) => {
                input
                    .extensions_mut()
                    .insert(ConnectionPermit(Arc::new(permit)));
                let into: fn(S::Error) -> BoxError = Into::into;
                Either::A(MapFuture::new(
                    self.inner.serve(input),
                    move |result: Result<S::Output, S::Error>| result.map_err(into),
                ))
            }
            Err(_) => Either::B(ready(
                Err(Box::new(LimitReached::new(self.max)) as BoxError),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::{Extensions, ExtensionsRef};
    use crate::service_fn;
    use std::convert::Infallible;
    use std::time::Duration;

    #[derive(Default)]
    struct Conn(Extensions);

    impl ExtensionsRef for Conn {
        fn extensions(&self) -> &Extensions {
            &self.0
        }
    }

    impl ExtensionsMut for Conn {
        fn extensions_mut(&mut self) -> &mut Extensions {
            &mut self.0
        }
    }

    #[tokio::test]
    async fn a_connection_counts_until_the_task_it_handed_off_ends() {
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        let svc = ConnectionLimitLayer::new(2).into_layer(service_fn(move |conn: Conn| {
            let mut done = done_rx.clone();
            async move {
                // the "tunnel": a task that keeps the connection's extensions
                let kept = conn.0.clone();
                tokio::spawn(async move {
                    let _kept = kept;
                    let _ = done.wait_for(|d| *d).await;
                });
                Ok::<_, Infallible>(())
            }
        }));
        svc.serve(Conn::default()).await.unwrap();
        svc.serve(Conn::default()).await.unwrap();
        assert_eq!(svc.available(), 0);
        let err = svc.serve(Conn::default()).await.unwrap_err();
        assert_eq!(
            err.downcast_ref::<LimitReached>().map(LimitReached::max),
            Some(2)
        );

        done_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), async {
            while svc.available() < 2 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the tunnels' permits come back");
        svc.serve(Conn::default()).await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_call_gives_its_place_back() {
        let svc = ConnectionLimitLayer::new(1).into_layer(service_fn(async |_: Conn| {
            Err::<(), _>(std::io::Error::other("no"))
        }));
        assert!(svc.serve(Conn::default()).await.is_err());
        assert_eq!(svc.available(), 1);
    }
}
