//! Run a TCP service behind a listener: bind, announce the address, serve until Ctrl-C or
//! SIGTERM, then drain within the graceful timeout.

use crate::cmd::args::ServeArgs;
use rama::{
    Service,
    error::{BoxError, ErrorContext, OpaqueError},
    graceful::{Shutdown, ShutdownGuard},
    tcp::{
        TcpStream,
        server::{TcpListener, serve_graceful_on_threads},
    },
};
use std::{io::Write, net::SocketAddr};

/// Serve `service` on `bind` until shutdown; `name` names the server in logs.
///
/// Prints `listening on ADDR` (the bound address, with the real port for port 0) as one line
/// on stdout once connections are accepted.
pub(super) async fn serve_tcp<S>(
    name: &'static str,
    bind: SocketAddr,
    serve_args: &ServeArgs,
    service: S,
) -> Result<(), OpaqueError>
where
    S: Service<TcpStream, Error: Into<BoxError>>,
{
    serve_tcp_with(name, bind, serve_args, |_guard| Ok(service)).await
}

/// [`serve_tcp`] with a service built from the server's [`ShutdownGuard`]: work the service
/// spawns beyond its connections (tunnels handed over after an HTTP `CONNECT`) can be
/// tracked with it (`Executor::graceful(guard)`), so that shutdown waits for that work too,
/// up to the graceful timeout. An error building the service is returned before binding.
pub(super) async fn serve_tcp_with<S, F>(
    name: &'static str,
    bind: SocketAddr,
    serve_args: &ServeArgs,
    make_service: F,
) -> Result<(), OpaqueError>
where
    S: Service<TcpStream, Error: Into<BoxError>>,
    F: FnOnce(ShutdownGuard) -> Result<S, OpaqueError>,
{
    // handlers first (default_signal installs them when called): a signal sent right after
    // the announcement must not kill the process
    let signal = rama::graceful::default_signal();
    let shutdown = Shutdown::new(signal);
    let service = make_service(shutdown.guard())?;
    // single-threaded runtimes, one per core unless `--threads` says otherwise: the layout
    // of haproxy's threads and nginx's workers, cheaper per connection than work stealing;
    // `--listeners` chooses how they get connections (see rama-tcp's
    // `serve_graceful_on_threads`)
    let threads = serve_args.worker_threads();
    let addr = serve_graceful_on_threads(
        TcpListener::builder(),
        bind,
        threads,
        serve_args.listeners,
        shutdown.guard(),
        service,
    )
    .await
    .map_err(OpaqueError::from_boxed)
    .with_context(|| format!("start {name} server"))?;

    announce(addr);
    tracing::info!(%addr, server = name, %threads, "accepting connections");

    let limit = serve_args.graceful_timeout;
    match shutdown.shutdown_with_limit(limit).await {
        Ok(took) => tracing::info!(?took, "shut down cleanly"),
        Err(err) => tracing::warn!("{err}; closing them"),
    }
    Ok(())
}

/// Print the `listening on ADDR` line; if stdout is gone (closed by the caller), log it and
/// keep serving: the address is in the log too.
fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = writeln!(stdout, "listening on {addr}").and_then(|()| stdout.flush()) {
        tracing::warn!(%err, "cannot print the listening address to stdout");
    }
}
