//! [`OnClientUpgrade`]: the raw IO of an HTTP/1 client connection that switched protocols.

use crate::server::upgrade::Upgraded;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::Notify;

/// In the extensions of a `101` response (or a 2xx answer to `CONNECT`): the connection's
/// raw IO, taken once. Its first reads return the bytes the connection had read past the
/// response head.
///
/// The connection's task hands the IO over just after it delivered the response head, so
/// right after the response arrived it may not be there yet: [`upgraded`](Self::upgraded)
/// waits for it (and answers `None` if the connection ends without handing it over: a
/// tunnel with request bytes still unsent is not clean); [`take`](Self::take) does not wait.
#[derive(Clone)]
pub struct OnClientUpgrade(Arc<Slot>);

struct Slot {
    state: Mutex<State>,
    changed: Notify,
}

enum State {
    /// The connection task has not handed the IO over yet.
    Pending,
    Ready(Upgraded),
    /// Taken by a clone.
    Taken,
    /// The connection ended without handing the IO over.
    Gone,
}

impl OnClientUpgrade {
    /// A pending upgrade, and the filler its connection task hands the IO over with.
    pub(crate) fn pending() -> (Self, UpgradeFiller) {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Pending),
            changed: Notify::new(),
        });
        (Self(slot.clone()), UpgradeFiller(Some(slot)))
    }

    /// The upgraded stream if it was handed over and no clone took it; does not wait.
    #[must_use]
    pub fn take(&self) -> Option<Upgraded> {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, State::Taken) {
            State::Ready(io) => Some(io),
            State::Pending => {
                *state = State::Pending;
                None
            }
            State::Gone => {
                *state = State::Gone;
                None
            }
            State::Taken => None,
        }
    }

    /// The upgraded stream, once the connection task handed it over; `None` when the
    /// connection ended without doing so, or a clone took it.
    pub async fn upgraded(&self) -> Option<Upgraded> {
        loop {
            // registered before the check, so a hand-over between the two is not missed
            let changed = self.0.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if !matches!(
                *self.0.state.lock().unwrap_or_else(PoisonError::into_inner),
                State::Pending
            ) {
                return self.take();
            }
            changed.await;
        }
    }
}

impl fmt::Debug for OnClientUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnClientUpgrade").finish_non_exhaustive()
    }
}

/// The connection task's side of an [`OnClientUpgrade`]: [`fill`](Self::fill) hands the IO
/// over; dropped unfilled, it tells the waiters the IO will not come.
pub(crate) struct UpgradeFiller(Option<Arc<Slot>>);

impl UpgradeFiller {
    /// Hands `io` over to the [`OnClientUpgrade`] (and wakes whoever waits for it).
    pub(crate) fn fill(mut self, io: Upgraded) {
        if let Some(slot) = self.0.take() {
            finish(&slot, State::Ready(io));
        }
    }
}

impl Drop for UpgradeFiller {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            finish(&slot, State::Gone);
        }
    }
}

fn finish(slot: &Slot, to: State) {
    *slot.state.lock().unwrap_or_else(PoisonError::into_inner) = to;
    slot.changed.notify_waiters();
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rama_core::extensions::Extensions;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn upgraded() -> (Upgraded, tokio::io::DuplexStream) {
        let (ours, theirs) = tokio::io::duplex(64);
        (
            Upgraded::new(Box::new(ours), Bytes::new(), Extensions::new()),
            theirs,
        )
    }

    #[tokio::test]
    async fn upgraded_waits_for_the_hand_over() {
        let (on, filler) = OnClientUpgrade::pending();
        assert!(on.take().is_none(), "nothing handed over yet");
        let (io, mut peer) = upgraded();
        let handing = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            filler.fill(io);
        });
        let mut io = tokio::time::timeout(Duration::from_secs(5), on.upgraded())
            .await
            .unwrap()
            .expect("handed over");
        handing.await.unwrap();
        io.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        peer.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
        assert!(on.take().is_none(), "taken once");
        assert!(
            on.upgraded().await.is_none(),
            "taken once, also when waiting"
        );
    }

    #[tokio::test]
    async fn a_dropped_filler_ends_the_wait_with_none() {
        let (on, filler) = OnClientUpgrade::pending();
        let waiting = tokio::spawn({
            let on = on.clone();
            async move { on.upgraded().await.is_none() }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(filler);
        let none = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert!(none);
        assert!(on.take().is_none());
    }
}
