//! A layer-4 (TCP) proxy: every accepted connection is forwarded byte for byte to a target.
//!
//! Shows: `rama::tcp::forward::Forwarder` as the service of a `TcpListener`. The target is
//! resolved and connected per connection (DNS, Happy Eyeballs, connect timeout); on Linux
//! the bytes move with `splice(2)` and never enter user space.
//!
//! ```text
//! cargo run -p rama-examples --bin tcp_l4_proxy [BIND] [TARGET]
//! #   BIND   defaults to 127.0.0.1:62012
//! #   TARGET defaults to 127.0.0.1:62011, where the tcp_echo_server example listens
//! cargo run -p rama-examples --bin tcp_echo_server &
//! cargo run -p rama-examples --bin tcp_l4_proxy &
//! nc 127.0.0.1 62012                                         # through the proxy to the echo
//! ```

use rama::{
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    net::address::Authority,
    tcp::{forward::Forwarder, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62012";
const DEFAULT_TARGET: &str = "127.0.0.1:62011";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62012")?;
    let target: Authority = args
        .next()
        .unwrap_or_else(|| DEFAULT_TARGET.to_owned())
        .parse()
        .context("parse the target (second argument), HOST:PORT")?;

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    tracing::info!(%target, "forwarding every connection");
    let forwarder = Forwarder::new(target);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, forwarder).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
