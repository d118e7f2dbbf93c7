//! tcpforward: a layer-4 forwarder made of `rama_tcp::server::TcpListener` and
//! `rama_tcp::forward::Forwarder`, the subject of `bench/tcp_forward.sh`.
//!
//! ```text
//! tcpforward --bind 127.0.0.1:9100 --to 127.0.0.1:9000 [--threads 2] [--multi-thread]
//! ```
//!
//! By default it runs one single-threaded tokio runtime per thread, all accepting from one
//! shared listening socket (the next free thread takes the next connection), the layout of
//! haproxy's threads. `--reuseport` gives each runtime its own `SO_REUSEPORT` socket instead
//! (the kernel spreads connections by hash, like nginx workers); `--multi-thread` runs one
//! work-stealing runtime with one listener.
//!
//! Runs until SIGINT or SIGTERM, then stops accepting and waits up to 5 s for the
//! connections in flight.

use clap::Parser;
use rama_core::graceful::Shutdown;
use rama_net::address::Authority;
use rama_tcp::{
    forward::Forwarder,
    server::{TcpListener, ThreadListeners, serve_graceful_on_threads},
};
use std::{io, net::SocketAddr, time::Duration};

#[derive(Debug, Parser)]
#[command(about = "a rama layer-4 forwarder for benchmarks")]
struct Cli {
    /// Address to listen on.
    #[arg(long)]
    bind: SocketAddr,
    /// Where to forward every connection.
    #[arg(long)]
    to: Authority,
    /// Threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// One multi-threaded runtime and one listener, instead of a single-threaded runtime
    /// per thread.
    #[arg(long)]
    multi_thread: bool,
    /// With a runtime per thread: give each its own `SO_REUSEPORT` listener (the kernel
    /// spreads connections by hash) instead of sharing one listening socket (the next free
    /// thread accepts).
    #[arg(long)]
    reuseport: bool,
    /// Listen backlog.
    #[arg(long, default_value_t = 4096)]
    backlog: u32,
}

fn main() -> io::Result<()> {
    let cli = Cli::parse();
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
        .unwrap_or(1)
        .max(1);
    let builder = TcpListener::builder()
        .backlog(cli.backlog)
        .reuse_port(cli.reuseport);
    let forwarder = Forwarder::new(cli.to.clone());

    let mut main_rt = if cli.multi_thread {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = main_rt.enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = Shutdown::default();
        if cli.multi_thread {
            let listener = builder.bind(cli.bind).await?;
            shutdown.spawn_task_fn(async |guard| listener.serve_graceful(guard, forwarder).await);
        } else {
            let threads =
                std::num::NonZeroUsize::new(threads).unwrap_or(std::num::NonZeroUsize::MIN);
            let listeners = if cli.reuseport {
                ThreadListeners::PerThread
            } else {
                ThreadListeners::Shared
            };
            serve_graceful_on_threads(
                builder,
                cli.bind,
                threads,
                listeners,
                shutdown.guard(),
                forwarder,
            )
            .await
            .map_err(io::Error::other)?;
        }
        eprintln!(
            "forwarding {} -> {} on {threads} thread(s)",
            cli.bind, cli.to
        );
        if let Err(err) = shutdown.shutdown_with_limit(Duration::from_secs(5)).await {
            eprintln!("{err}");
        }
        Ok(())
    })
}
