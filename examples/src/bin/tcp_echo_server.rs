//! A TCP echo server: the smallest useful rama service behind a `TcpListener`, with
//! graceful shutdown.
//!
//! Shows: writing a `Service<TcpStream>` with `service_fn`, reading the peer address from
//! the stream's extensions (`SocketInfo`), and stopping on Ctrl-C/SIGTERM while open
//! connections get up to 10 seconds to finish.
//!
//! ```text
//! cargo run -p rama-examples --bin tcp_echo_server [BIND]     # BIND defaults to 127.0.0.1:62011
//! nc 127.0.0.1 62011                                         # type a line, get it back
//! ```

use rama::{
    error::{BoxError, ErrorContext},
    extensions::ExtensionsRef,
    graceful::Shutdown,
    net::stream::SocketInfo,
    service_fn,
    tcp::{TcpStream, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};
use tokio::io::AsyncWriteExt;

const DEFAULT_BIND: &str = "127.0.0.1:62011";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62011")?;

    // the service: called once per accepted connection, with the stream as its input
    let echo = service_fn(async |mut stream: TcpStream| {
        let peer = stream
            .extensions()
            .get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        let (mut reader, mut writer) = stream.get_mut().split();
        let echoed = tokio::io::copy(&mut reader, &mut writer).await?;
        writer.shutdown().await?;
        tracing::info!(?peer, echoed, "connection done");
        Ok::<_, std::io::Error>(())
    });

    let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, echo).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
