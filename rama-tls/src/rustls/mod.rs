//! The rustls backend: [`TlsAcceptorLayer`] terminates TLS in front of any service over a
//! stream, [`TlsConnectorLayer`] originates it over any connector's connection. Both take
//! the backend-neutral [`ServerConfig`](crate::config::ServerConfig) /
//! [`ClientConfig`](crate::config::ClientConfig), turn it into a rustls config once, and put
//! [`NegotiatedTlsParameters`](crate::negotiated::NegotiatedTlsParameters) into the
//! [`TlsStream`]'s extensions after each handshake.
//!
//! The acceptor serves a static certificate, one per SNI, or one chosen per ClientHello by an
//! async [`ServerCertResolver`](crate::config::ServerCertResolver) (such as the
//! [`DynamicIssuer`](crate::cert::DynamicIssuer)); it verifies client certificates for mTLS
//! when asked, and stores the parsed ClientHello when asked. Everything runs on the `ring`
//! crypto provider.
//!
//! ```no_run
//! use rama_core::{Layer, service_fn};
//! use rama_tcp::server::TcpListener;
//! use rama_tls::{cert, config::ServerConfig, rustls::{TlsAcceptorLayer, TlsStream}};
//! use rama_net::stream::RewindStream;
//! use rama_tcp::TcpStream;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let cert = cert::self_signed(&["localhost"])?;
//! let tls = TlsAcceptorLayer::new(&ServerConfig::new(cert.into()))?;
//! let echo = service_fn(async |mut stream: TlsStream<RewindStream<TcpStream>>| {
//!     let (mut r, mut w) = tokio::io::split(&mut stream);
//!     tokio::io::copy(&mut r, &mut w).await
//! });
//! TcpListener::bind("127.0.0.1:8443").await?.serve(tls.into_layer(echo)).await;
//! # Ok(())
//! # }
//! ```

mod acceptor;
mod client_config;
mod common;
mod connector;
mod error;
mod server_config;
mod stream;

pub use acceptor::{TlsAcceptorLayer, TlsAcceptorService};
pub use connector::{TlsConnector, TlsConnectorLayer};
pub use error::TlsError;
pub use stream::TlsStream;
