//! Layers around a TCP service: a per-connection time limit and a limit on open
//! connections, from `rama::layer`, composed as a tuple (first element outermost).
//!
//! The service greets each client and then echoes every line it sends in upper case.
//!
//! ```text
//! stream ──> ConsumeErr ──> ConcurrencyLimit ──> Timeout ──> shout (the service)
//!            log errors,    at most MAX_CONNS    end the
//!            then drop      open: reject the     connection
//!            the stream     rest (closed)        after SECS
//! ```
//!
//! ```text
//! cargo run -p rama-examples --bin tcp_listener_layers [BIND] [SECS] [MAX_CONNS]
//! #   BIND defaults to 127.0.0.1:62013, SECS (per connection) to 30, MAX_CONNS to 2
//! nc 127.0.0.1 62013
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    extensions::ExtensionsRef,
    graceful::Shutdown,
    layer::{ConcurrencyLimitLayer, ConsumeErrLayer, TimeoutLayer},
    net::stream::SocketInfo,
    service_fn,
    tcp::{TcpStream, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DEFAULT_BIND: &str = "127.0.0.1:62013";
const DEFAULT_SECS: f64 = 30.0;
const DEFAULT_MAX_CONNS: usize = 2;

/// Greet the client, then echo each line in upper case until it closes.
async fn shout(mut stream: TcpStream) -> Result<(), std::io::Error> {
    let peer = stream
        .extensions()
        .get::<SocketInfo>()
        .map(SocketInfo::peer_addr);
    let (reader, mut writer) = stream.get_mut().split();
    if let Some(peer) = peer {
        writer
            .write_all(format!("hello {peer}\n").as_bytes())
            .await?;
    }
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        writer.write_all(line.to_uppercase().as_bytes()).await?;
        writer.write_all(b"\n").await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62013")?;
    let secs: f64 = match args.next() {
        Some(s) => s.parse().context("parse SECS (second argument)")?,
        None => DEFAULT_SECS,
    };
    let per_connection =
        Duration::try_from_secs_f64(secs).context("SECS must be a number of seconds >= 0")?;
    let max_conns: usize = match args.next() {
        Some(s) => s.parse().context("parse MAX_CONNS (third argument)")?,
        None => DEFAULT_MAX_CONNS,
    };

    let service = (
        // outermost: a timed-out or rejected connection is logged, then simply closed
        ConsumeErrLayer::new().with_level(tracing::Level::INFO),
        // the permit is held for the whole connection: this limits open connections
        ConcurrencyLimitLayer::reject(max_conns),
        // innermost: the whole connection must finish within `per_connection`
        TimeoutLayer::new(per_connection),
    )
        .into_layer(service_fn(shout));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    tracing::info!(?per_connection, max_conns, "serving with layers");
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
