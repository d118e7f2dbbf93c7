//! tcpforward: a layer-4 forwarder made of `rama_tcp::server::TcpListener` and
//! `rama_tcp::forward::Forwarder`, the subject of `bench/tcp_forward.sh`.
//!
//! ```text
//! tcpforward --bind 127.0.0.1:9100 --to 127.0.0.1:9000 [--threads 2]
//! ```
//!
//! Runs until SIGINT or SIGTERM, then stops accepting and waits up to 5 s for the
//! connections in flight.

use clap::Parser;
use rama_core::graceful::Shutdown;
use rama_net::address::Authority;
use rama_tcp::{forward::Forwarder, server::TcpListener};
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
    /// Worker threads of the tokio runtime (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Listen backlog.
    #[arg(long, default_value_t = 4096)]
    backlog: u32,
}

fn main() -> io::Result<()> {
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = builder.enable_all().build()?;
    runtime.block_on(async move {
        let listener = TcpListener::builder()
            .backlog(cli.backlog)
            .bind(cli.bind)
            .await?;
        eprintln!(
            "forwarding {} -> {}",
            listener.local_addr()?,
            cli.to
        );
        let shutdown = Shutdown::default();
        let forwarder = Forwarder::new(cli.to);
        shutdown.spawn_task_fn(async |guard| listener.serve_graceful(guard, forwarder).await);
        if let Err(err) = shutdown.shutdown_with_limit(Duration::from_secs(5)).await {
            eprintln!("{err}");
        }
        Ok(())
    })
}
