//! The shutdown signal of the CLI: Ctrl-C (SIGINT) or SIGTERM, with handlers installed
//! **before** the command reports that it is listening.
//!
//! `rama_core::graceful::default_signal` installs its handlers when its future is first
//! polled, inside a spawned task; a SIGTERM that arrives between "listening on ..." and that
//! first poll would hit the default disposition and kill the process. Scripts send SIGTERM
//! as soon as they have read the address, so the handlers are installed up front here.

use std::io;

/// Install the handlers now; the returned future resolves on the first Ctrl-C or SIGTERM.
#[cfg(unix)]
pub(crate) fn install() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("received Ctrl-C (SIGINT)"),
            _ = terminate.recv() => tracing::info!("received SIGTERM"),
        }
    })
}

/// Install the handler now; the returned future resolves on the first Ctrl-C.
#[cfg(not(unix))]
pub(crate) fn install() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    let ctrl_c = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        let mut ctrl_c = ctrl_c;
        ctrl_c.recv().await;
        tracing::info!("received Ctrl-C");
    })
}
