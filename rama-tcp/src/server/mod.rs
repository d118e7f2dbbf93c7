//! The TCP server side: [`TcpListener`] binds with socket options ([`TcpListenerBuilder`])
//! and serves every accepted connection with a [`Service`](rama_core::Service), with
//! graceful shutdown ([`TcpListener::serve_graceful`]).
//!
//! ```
//! use rama_core::{extensions::ExtensionsRef, service_fn};
//! use rama_net::stream::SocketInfo;
//! use rama_tcp::{TcpStream, server::TcpListener};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! // a service that tells each client its own address
//! tokio::spawn(listener.serve(service_fn(async |mut stream: TcpStream| {
//!     let peer = stream.extensions().get::<SocketInfo>().map(|i| i.peer_addr());
//!     stream.write_all(format!("{peer:?}").as_bytes()).await
//! })));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer).await?;
//! assert_eq!(answer, format!("{:?}", Some(client.local_addr()?)));
//! # Ok(())
//! # }
//! ```

mod accept_error;
mod balance;
mod bind_error;
mod listener;
mod threads;

pub use bind_error::BindError;
pub use listener::{DEFAULT_BACKLOG, TcpListener, TcpListenerBuilder};
pub use threads::{ThreadListeners, serve_graceful_on_threads};
