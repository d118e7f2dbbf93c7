//! Connection balancing between the worker threads of
//! [`ThreadListeners::Balanced`](super::ThreadListeners::Balanced).
//!
//! Each worker accepts from a `SO_REUSEPORT` socket of its own, and Linux picks the socket
//! by a hash of the addresses: 64 keep-alive connections typically land 36 on one thread
//! and 28 on the other, and the requests of the busier thread wait longer (a higher tail
//! latency). So each worker counts its open connections, and one that has
//! [`HANDOVER_SLACK`] or more above the least loaded worker hands a newly accepted
//! connection to that worker instead of serving it: the socket leaves its reactor
//! (`epoll_ctl` DEL), travels through the other worker's inbox (a wake-up of that thread)
//! and joins the other reactor there. That costs a few system calls, paid only while the
//! counts are uneven: with long connections a handful of times, with a stream of short ones
//! (a layer-4 forwarder's connection rate) for about a quarter of them. Even so its
//! connection rate was as high as the plain per-thread layout's (see [`ThreadListeners`]):
//! a thread that falls behind no longer keeps its share of new connections waiting.
//!
//! [`ThreadListeners`]: super::ThreadListeners

use crossbeam_utils::CachePadded;
use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};
use tokio::sync::mpsc;

/// A worker hands a new connection over when it has at least this many more open
/// connections than the least loaded worker (so the counts end at most this far apart).
pub(crate) const HANDOVER_SLACK: usize = 2;

/// A connection on its way to another worker: the socket, out of the reactor of the
/// worker that accepted it, and the peer address `accept` reported.
#[derive(Debug)]
pub(crate) struct Handover {
    pub(crate) stream: std::net::TcpStream,
    pub(crate) peer: SocketAddr,
}

/// One worker's count of open connections, alone on its cache line: each worker writes its
/// own at every connection, and reads the others' only when it accepts. Each count is an
/// `Arc` of its own, which the worker's connections hold (so that the reference counting of
/// a connection also stays with its worker).
type Count = CachePadded<AtomicUsize>;

/// What the workers share: their counts and the senders of their inboxes.
#[derive(Debug)]
struct Shared {
    open: Box<[Arc<Count>]>,
    inboxes: Box<[mpsc::UnboundedSender<Handover>]>,
}

/// One worker's part: its index, its inbox, and the shared counts.
#[derive(Debug)]
pub(crate) struct Worker {
    index: usize,
    shared: Arc<Shared>,
    inbox: mpsc::UnboundedReceiver<Handover>,
}

/// The workers of one balanced set, `n` of them.
pub(crate) fn workers(n: usize) -> Vec<Worker> {
    let (inboxes, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::unbounded_channel()).unzip();
    let shared = Arc::new(Shared {
        open: (0..n).map(|_| Arc::new(Count::default())).collect(),
        inboxes: inboxes.into_boxed_slice(),
    });
    receivers
        .into_iter()
        .enumerate()
        .map(|(index, inbox)| Worker {
            index,
            shared: Arc::clone(&shared),
            inbox,
        })
        .collect()
}

/// Counts one open connection of a worker until it is dropped (when the connection's task
/// ends).
#[derive(Debug)]
pub(crate) struct OpenConnection(Arc<Count>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Worker {
    /// The next connection another worker handed over; never ends while the worker lives
    /// (it holds a sender of its own inbox).
    pub(crate) async fn next_handover(&mut self) -> Option<Handover> {
        self.inbox.recv().await
    }

    /// Stops taking handovers and returns those that arrived: a worker that stops
    /// accepting still serves them (senders that find the inbox closed serve their
    /// connection themselves).
    pub(crate) fn close_inbox(&mut self) -> Vec<Handover> {
        self.inbox.close();
        std::iter::from_fn(|| self.inbox.try_recv().ok()).collect()
    }

    /// The worker a connection accepted here should go to, if this one has
    /// [`HANDOVER_SLACK`] or more open connections above the least loaded one.
    pub(crate) fn handover_target(&self) -> Option<usize> {
        let open = &self.shared.open;
        let mine = open[self.index].load(Ordering::Relaxed);
        let (least, count) = open
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.index)
            .map(|(i, c)| (i, c.load(Ordering::Relaxed)))
            .min_by_key(|(_, c)| *c)?;
        (mine >= count + HANDOVER_SLACK).then_some(least)
    }

    /// Sends `handover` to worker `to`, counting it there at once (so that a burst of
    /// accepts here does not all go to the same worker before it counts them). Gives the
    /// connection back when that worker no longer takes any.
    pub(crate) fn hand_over(&self, to: usize, handover: Handover) -> Result<(), Handover> {
        let count = &self.shared.open[to];
        count.fetch_add(1, Ordering::Relaxed);
        self.shared.inboxes[to].send(handover).map_err(|err| {
            count.fetch_sub(1, Ordering::Relaxed);
            err.0
        })
    }

    /// Counts a connection accepted here and kept.
    pub(crate) fn open_here(&self) -> OpenConnection {
        self.shared.open[self.index].fetch_add(1, Ordering::Relaxed);
        self.counted_here()
    }

    /// The count of a connection handed over to this worker: already counted by the
    /// sender.
    pub(crate) fn counted_here(&self) -> OpenConnection {
        OpenConnection(Arc::clone(&self.shared.open[self.index]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_over_only_at_the_slack_and_to_the_least_loaded() {
        let ws = workers(3);
        let mut held = Vec::new();
        for _ in 0..HANDOVER_SLACK - 1 {
            held.push(ws[0].open_here());
        }
        assert_eq!(ws[0].handover_target(), None);
        held.push(ws[1].open_here());
        held.push(ws[0].open_here());
        // worker 0: SLACK open, worker 1: one, worker 2: none
        assert_eq!(ws[0].handover_target(), Some(2));
        assert_eq!(ws[1].handover_target(), None);
        held.truncate(0);
        assert_eq!(ws[0].handover_target(), None);
    }

    #[test]
    fn a_handover_counts_at_its_destination_from_the_send() {
        let mut ws = workers(2);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let peer = stream.local_addr().unwrap();
        ws[0].hand_over(1, Handover { stream, peer }).unwrap();
        let held: Vec<_> = (0..HANDOVER_SLACK - 1).map(|_| ws[0].open_here()).collect();
        // 1 (in flight) against SLACK - 1: nothing to hand over yet
        assert_eq!(ws[0].handover_target(), None);
        let arrived = ws[1].close_inbox();
        assert_eq!(arrived.len(), 1);
        assert_eq!(arrived[0].peer, peer);
        // a closed inbox gives the connection back and undoes the count
        let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let back = ws[0].hand_over(1, Handover { stream, peer }).unwrap_err();
        assert_eq!(back.peer, peer);
        assert_eq!(ws[1].shared.open[1].load(Ordering::Relaxed), 1);
        drop(held);
    }
}
