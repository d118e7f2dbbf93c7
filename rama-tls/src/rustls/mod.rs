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
//! ```
//! use rama_core::{Layer, Service, error::BoxError, service_fn};
//! use rama_net::{address::Authority, client::EstablishedClientConnection, stream::RewindStream};
//! use rama_tcp::{TcpStream, server::TcpListener};
//! use rama_tls::{
//!     cert::CertificateAuthority,
//!     config::{ClientConfig, ClientServerName, ServerConfig, ServerVerification},
//!     rustls::{TlsAcceptorLayer, TlsConnectorLayer, TlsStream},
//!     types::AlpnList,
//! };
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! // server: TLS in front of a service that greets with the ALPN it agreed on
//! let ca = CertificateAuthority::generate("doc CA")?;
//! let server = ServerConfig::new(ca.issue(&["localhost"])?.into()).with_alpn(AlpnList::h2_http11());
//! let greet = service_fn(async |mut tls: TlsStream<RewindStream<TcpStream>>| {
//!     let alpn = tls.negotiated().and_then(|p| p.alpn.clone()).map(|a| a.to_string());
//!     tls.write_all(alpn.unwrap_or_default().as_bytes()).await?;
//!     tls.shutdown().await
//! });
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let port = listener.local_addr()?.port();
//! tokio::spawn(listener.serve(TlsAcceptorLayer::new(&server)?.into_layer(greet)));
//!
//! // client: TLS over any connector of streams; this one dials an IP authority directly
//! let dial = service_fn(async |target: Authority| {
//!     let ip = target.host().as_ip().ok_or("an IP address is needed here")?;
//!     let conn = TcpStream::connect((ip, target.port()).into()).await?;
//!     Ok::<_, BoxError>(EstablishedClientConnection::new(conn, target))
//! });
//! let client = ClientConfig::new()
//!     .with_verification(ServerVerification::custom_pem(&ca.cert_pem())?)
//!     .with_server_name(ClientServerName::Override("localhost".parse()?))
//!     .with_alpn(AlpnList::h2_http11());
//! let connector = TlsConnectorLayer::new(&client)?.into_layer(dial);
//!
//! let target: Authority = format!("127.0.0.1:{port}").parse()?;
//! let EstablishedClientConnection { mut conn, .. } = connector.serve(target).await?;
//! assert!(conn.negotiated().is_some_and(|p| p.is_h2()));
//! let mut greeting = String::new();
//! conn.read_to_string(&mut greeting).await?;
//! assert_eq!(greeting, "h2");
//! # Ok(())
//! # }
//! ```

mod acceptor;
mod client_config;
mod common;
mod connector;
mod server_config;
mod stream;

pub use crate::error::TlsError;
pub use acceptor::{TlsAcceptorLayer, TlsAcceptorService};
pub use connector::{TlsConnector, TlsConnectorLayer};
pub use stream::TlsStream;
