//! [`serve_graceful_on_threads`]: a listening address served by several OS threads, each
//! running its own single-threaded tokio runtime.
//!
//! This is the layout of haproxy's and nginx's workers: a thread accepts a connection and
//! serves it to the end, with no work stealing and no cross-thread wake-ups. For short
//! connections (a layer-4 forwarder's connection rate) it costs about 9% less CPU per
//! connection than one work-stealing runtime on the same cores (measured with
//! `bench/tcp_forward.sh`, see `bench/README.md`). A single multi-threaded runtime remains
//! the better choice when connections are long and uneven, since a busy thread cannot hand
//! work to an idle one here.
//!
//! [`ThreadListeners`] chooses how the threads get their connections: from one shared
//! socket, or each from a `SO_REUSEPORT` socket of its own (and then, optionally,
//! balanced by handing connections from a busier thread to the least loaded one).

use super::{BindError, TcpListenerBuilder, balance};
use crate::TcpStream;
use rama_core::{Service, error::BoxError, graceful::ShutdownGuard};
use std::{io, net::SocketAddr, num::NonZeroUsize, sync::Arc};

/// How the worker threads of [`serve_graceful_on_threads`] receive connections.
///
/// The default is [`Balanced`](Self::Balanced): in `bench/tcp_forward.sh` (32 loops of
/// short connections through a layer-4 forwarder on two cores) it reached 1.02 to 1.06
/// times haproxy's connection rate in five runs, [`PerThread`](Self::PerThread) 1.03 in two,
/// [`Shared`](Self::Shared) 0.89 and 0.94; and for long connections it evens out how many
/// each thread serves, which [`PerThread`](Self::PerThread) leaves to the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreadListeners {
    /// One listening socket for all threads: the next thread that is free accepts the next
    /// connection (haproxy's default). Every thread is woken for a new connection and one
    /// of them gets it.
    Shared,
    /// One `SO_REUSEPORT` listening socket per thread (nginx's `reuseport`): Linux spreads
    /// new connections over them by a hash of the addresses, and only the thread whose
    /// socket got a connection wakes up. A thread that is busy, or preempted by another
    /// process, keeps its share of new connections waiting while the other threads may
    /// idle: with short connections on two shared cores its threads slept a third more
    /// often per connection than [`Balanced`](Self::Balanced)'s (the connection rates of
    /// the two stayed within the noise of each other).
    ///
    /// An address in use is still reported: a socket without `SO_REUSEPORT` is bound to
    /// the address first, and fails if anything listens there (a second server with
    /// `SO_REUSEPORT` would otherwise join the set silently). On other systems, which do
    /// not spread connections between such sockets, this is [`Shared`](Self::Shared).
    PerThread,
    /// [`PerThread`](Self::PerThread), and a thread with two or more open connections
    /// above the least loaded thread hands each connection it accepts to that thread: the
    /// hash spreads a few dozen long connections unevenly (36 and 28 of 64, say), and the
    /// requests of the busier thread wait longer. A handover costs a few system calls and
    /// a wake-up of the other thread, paid only while the counts are uneven: with long
    /// connections (HTTP keep-alive) a handful of times, with a stream of short ones for
    /// about a quarter of them (and its connection rate still matched
    /// [`PerThread`](Self::PerThread)'s). On systems other than Linux the threads share one
    /// socket, as with [`PerThread`](Self::PerThread) there, and the handovers still even
    /// out their counts.
    #[default]
    Balanced,
}

/// Bind `addr` with `builder` and serve it with `service` from `threads` worker threads,
/// each with its own single-threaded runtime, until `guard`'s shutdown; `listeners` says
/// whether the threads share one listening socket or each have their own.
///
/// Returns the bound address once every worker is accepting (so a port-in-use error
/// surfaces here, before anything is announced). Each worker keeps its runtime alive after it
/// stops accepting until the shutdown has drained every tracked connection
/// ([`ShutdownGuard::drained`]): its connections live on its runtime.
///
/// # Errors
///
/// When the address cannot be bound, or a worker thread or runtime cannot be started.
pub async fn serve_graceful_on_threads<S>(
    builder: TcpListenerBuilder,
    addr: SocketAddr,
    threads: NonZeroUsize,
    listeners: ThreadListeners,
    guard: ShutdownGuard,
    service: S,
) -> Result<SocketAddr, BoxError>
where
    S: Service<TcpStream, Error: Into<BoxError>>,
{
    let (local, sockets) = bind_listeners(builder, addr, threads, listeners)?;
    let service = Arc::new(service);
    let balanced = listeners == ThreadListeners::Balanced && sockets.len() > 1;
    let mut workers = if balanced {
        balance::workers(sockets.len())
    } else {
        Vec::new()
    }
    .into_iter();
    for (n, socket) in sockets.into_iter().enumerate() {
        let worker = workers.next();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<io::Result<()>>();
        let guard = guard.clone();
        let service = Arc::clone(&service);
        std::thread::Builder::new()
            .name(format!("rama-tcp-worker-{n}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => return drop(ready_tx.send(Err(err))),
                };
                runtime.block_on(async move {
                    let listener = match builder.from_std(socket) {
                        Ok(listener) => listener,
                        Err(err) => return drop(ready_tx.send(Err(err))),
                    };
                    drop(ready_tx.send(Ok(())));
                    listener.run_graceful(guard.clone(), service, worker).await;
                    guard.drained().await;
                });
            })?;
        ready_rx
            .await
            .map_err(|_| io::Error::other("tcp worker thread ended before accepting"))??;
    }
    Ok(local)
}

/// The listening sockets of the workers, one each, and the address they are bound to.
fn bind_listeners(
    builder: TcpListenerBuilder,
    addr: SocketAddr,
    threads: NonZeroUsize,
    listeners: ThreadListeners,
) -> Result<(SocketAddr, Vec<std::net::TcpListener>), BoxError> {
    let per_thread = listeners != ThreadListeners::Shared && cfg!(target_os = "linux");
    if per_thread && threads.get() > 1 {
        let local = builder.probe(addr)?;
        let builder = builder.reuse_port(true);
        let sockets = (0..threads.get())
            .map(|_| builder.bind_std(local))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((local, sockets));
    }
    let socket = builder.bind_std(addr)?;
    let local = socket
        .local_addr()
        .map_err(|err| BindError::new(addr, err))?;
    let mut sockets = Vec::with_capacity(threads.get());
    for _ in 1..threads.get() {
        sockets.push(socket.try_clone()?);
    }
    sockets.push(socket);
    Ok((local, sockets))
}
