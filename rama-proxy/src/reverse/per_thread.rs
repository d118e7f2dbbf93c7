//! One upstream client per OS thread, made on first use in that thread.
//!
//! A server that runs one single-threaded runtime per core (`rama serve`'s layout) serves a
//! connection on one thread from start to end. A shared client pool would hand that thread
//! connections whose tasks run on another thread's runtime: every request would then cross
//! threads twice (a wake-up through the other runtime's eventfd each way). A client per
//! thread keeps each exchange on the thread that serves it.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::ThreadId;

type Make<C> = Box<dyn Fn() -> C + Send + Sync>;

/// The clients made so far, by thread.
pub(crate) struct PerThread<C> {
    make: Make<C>,
    made: RwLock<Vec<(ThreadId, Arc<C>)>>,
}

impl<C> fmt::Debug for PerThread<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threads = self.made.read().map_or(0, |m| m.len());
        f.debug_struct("PerThread")
            .field("threads", &threads)
            .finish_non_exhaustive()
    }
}

impl<C> PerThread<C> {
    pub(crate) fn new(make: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            make: Box::new(make),
            made: RwLock::new(Vec::new()),
        }
    }

    /// This thread's client, made now if it has none yet.
    pub(crate) fn get(&self) -> Arc<C> {
        let me = std::thread::current().id();
        let found = self
            .made
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(id, _)| *id == me)
            .map(|(_, c)| c.clone());
        if let Some(client) = found {
            return client;
        }
        let client = Arc::new((self.make)());
        self.made
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((me, client.clone()));
        client
    }

    /// How many threads have a client.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.made.read().map_or(0, |m| m.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_client_per_thread() {
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let per = Arc::new(PerThread::new(move || {
            counter.fetch_add(1, Ordering::SeqCst)
        }));
        let here = per.get();
        assert!(
            Arc::ptr_eq(&here, &per.get()),
            "the same client on the same thread"
        );
        let other = {
            let per = per.clone();
            std::thread::spawn(move || *per.get()).join().unwrap()
        };
        assert_ne!(*here, other);
        assert_eq!(made.load(Ordering::SeqCst), 2);
        assert_eq!(per.len(), 2);
    }
}
