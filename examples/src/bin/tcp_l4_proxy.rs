//! A layer-4 (TCP) proxy: every accepted connection is forwarded byte for byte to a target.
//!
//! Shows: `rama::tcp::forward::Forwarder` as the service of a listener. The target is
//! resolved and connected per connection (DNS, Happy Eyeballs, connect timeout); on Linux
//! the bytes move with `splice(2)` and never enter user space.
//!
//! It is served the way `rama serve forward` is: a single-threaded runtime per core, each
//! with a `SO_REUSEPORT` socket of its own (`serve_graceful_on_threads` with
//! `ThreadListeners::Balanced`: a new connection wakes one thread, and a thread with more
//! open connections than the others hands new ones over), and the connector does not ask
//! for each outbound socket's local address (`with_record_local_addr(false)`: a forwarder
//! has no use for it, and it saves a system call per connection).
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
    tcp::{
        client::{TcpConnectConfig, TcpConnector},
        forward::Forwarder,
        server::{TcpListener, ThreadListeners, serve_graceful_on_threads},
    },
};
use std::{net::SocketAddr, num::NonZeroUsize, time::Duration};

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
    let connector =
        TcpConnector::new().with_config(TcpConnectConfig::new().with_record_local_addr(false));
    let forwarder = Forwarder::with_connector(Some(target.clone()), connector);
    let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    let addr = serve_graceful_on_threads(
        TcpListener::builder(),
        bind,
        threads,
        ThreadListeners::Balanced,
        shutdown.guard(),
        forwarder,
    )
    .await?;
    println!("listening on {addr}");
    tracing::info!(%target, %threads, "forwarding every connection");
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
