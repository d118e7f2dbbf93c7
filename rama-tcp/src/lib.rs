//! rama-tcp: rama's TCP transport — a listener with graceful shutdown, a connector with
//! Happy Eyeballs, and layer-4 forwarding.
//!
//! # Start here
//!
//! | you want to | use |
//! |---|---|
//! | accept connections and serve each with a service | [`server::TcpListener`] |
//! | set socket options on the listener (backlog, reuseport, keepalive) | [`server::TcpListenerBuilder`] |
//! | serve an address from a single-threaded runtime per core (one shared socket, or a `SO_REUSEPORT` socket each, optionally balanced) | [`server::serve_graceful_on_threads`], [`server::ThreadListeners`] |
//! | open a connection to `host:port` (DNS, Happy Eyeballs, timeout) | [`client::TcpConnector`], [`client::tcp_connect`] |
//! | relay a connection to another endpoint (layer-4 proxy) | [`forward::Forwarder`], [`forward::forward_tcp`] |
//! | read a connection's addresses | [`TcpStream`] and its [`SocketInfo`](rama_net::stream::SocketInfo) extension |
//!
//! # Example: a layer-4 proxy
//!
//! ```no_run
//! use rama_core::graceful::Shutdown;
//! use rama_tcp::{forward::Forwarder, server::TcpListener};
//! use std::time::Duration;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
//! let listener = TcpListener::bind("127.0.0.1:8080").await?;
//! let forwarder = Forwarder::new("127.0.0.1:3000".parse()?);
//! shutdown.spawn_task_fn(async |guard| listener.serve_graceful(guard, forwarder).await);
//! shutdown.shutdown_with_limit(Duration::from_secs(30)).await?;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod forward;
pub mod server;
mod stream;

pub use stream::TcpStream;
