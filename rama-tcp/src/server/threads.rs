//! [`serve_graceful_on_threads`]: one listening socket served by several OS threads, each
//! running its own single-threaded tokio runtime.
//!
//! This is the layout of haproxy's and nginx's workers: the next idle thread accepts the
//! next connection and serves it to the end, with no work stealing and no cross-thread
//! wake-ups. For short connections (a layer-4 forwarder's connection rate) it costs about
//! 9% less CPU per connection than one work-stealing runtime on the same cores (measured
//! with `bench/tcp_forward.sh`, see `bench/README.md`). A single multi-threaded runtime
//! remains the better choice when connections are long and uneven, since a busy thread
//! cannot hand work to an idle one here.

use super::{BindError, TcpListenerBuilder};
use crate::TcpStream;
use rama_core::{Service, error::BoxError, graceful::ShutdownGuard};
use std::{io, net::SocketAddr, num::NonZeroUsize, sync::Arc};

/// Bind `addr` with `builder` and serve it with `service` from `threads` worker threads,
/// each with its own single-threaded runtime, until `guard`'s shutdown.
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
    guard: ShutdownGuard,
    service: S,
) -> Result<SocketAddr, BoxError>
where
    S: Service<TcpStream, Error: Into<BoxError>>,
{
    let socket = builder.bind_std(addr)?;
    let local = socket
        .local_addr()
        .map_err(|err| BindError::new(addr, err))?;
    let service = Arc::new(service);
    for n in 0..threads.get() {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<io::Result<()>>();
        let socket = socket.try_clone()?;
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
                    listener.serve_graceful(guard.clone(), service).await;
                    guard.drained().await;
                });
            })?;
        ready_rx
            .await
            .map_err(|_| io::Error::other("tcp worker thread ended before accepting"))??;
    }
    Ok(local)
}
