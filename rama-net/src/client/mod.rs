//! The client connector contract: a connector is a [`Service`] that takes an input (a request,
//! a target address, ...) and returns the input together with an established connection,
//! [`EstablishedClientConnection`]. [`ConnectorService`] names such services.
//!
//! # Building a connector stack
//!
//! Each step of establishing a connection is a connector that wraps the one below it:
//!
//! ```text
//! TlsConnector<ProxyConnector<TcpConnector<DnsResolver>>>
//!      │              │              └─ resolves the target host with a DnsResolver and opens a
//!      │              │                 TCP stream (Happy Eyeballs): Connection = TcpStream
//!      │              └─ calls the inner connector for the proxy's address, then speaks
//!      │                 HTTP CONNECT or SOCKS5 on that stream: Connection = the same stream
//!      └─ calls the inner connector, then runs the TLS handshake (SNI and ALPN from the input):
//!         Connection = TlsStream<inner Connection>
//! ```
//!
//! A connector reads what it needs (target authority, proxy address, TLS settings) from the
//! input and its extensions, calls `inner.connect(input)`, transforms the `conn` it gets back
//! and returns it with the `input`, to which it may add facts it learned (the peer's socket
//! address, the negotiated ALPN) as extensions. The HTTP client at the top of the stack then
//! runs its handshake over the final `conn` and sends the input request on it.
//!
//! # Example: a connector that wraps another
//!
//! ```
//! use rama_core::{Service, error::BoxError, service_fn};
//! use rama_net::client::{ConnectorService, EstablishedClientConnection};
//! use rama_net::stream::RewindStream;
//! use tokio::io::DuplexStream;
//!
//! /// Wraps every connection of its inner connector in a `RewindStream` (a stand-in for TLS).
//! struct Wrap<C>(C);
//!
//! impl<C, Input> Service<Input> for Wrap<C>
//! where
//!     C: ConnectorService<Input>,
//!     Input: Send + 'static,
//! {
//!     type Output = EstablishedClientConnection<RewindStream<C::Connection>, Input>;
//!     type Error = BoxError;
//!
//!     async fn serve(&self, input: Input) -> Result<Self::Output, BoxError> {
//!         let established = self.0.connect(input).await.map_err(Into::into)?;
//!         Ok(established.map_conn(RewindStream::without_prefix))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BoxError> {
//! // the innermost "transport": hands out one end of an in-memory pipe
//! let transport = service_fn(async |target: &'static str| {
//!     let (conn, _peer) = tokio::io::duplex(64);
//!     Ok::<_, std::io::Error>(EstablishedClientConnection { conn, input: target })
//! });
//! let connector = Wrap(transport);
//! let EstablishedClientConnection { conn, input } = connector.connect("example.com:443").await?;
//! let _: RewindStream<DuplexStream> = conn;
//! assert_eq!(input, "example.com:443");
//! # Ok(())
//! # }
//! ```

mod established;
mod request;

pub use established::EstablishedClientConnection;
pub use request::ConnectRequest;

use crate::stream::Stream;
use rama_core::Service;
use rama_core::error::BoxError;

/// A [`Service`] that establishes a connection for an input: its output is an
/// [`EstablishedClientConnection`] of a [`Stream`] and the input, and its error converts
/// into a [`BoxError`].
///
/// Implemented for every such service; implement [`Service`] and call
/// [`connect`](ConnectorService::connect) on it where a connector is expected. Bounding a
/// wrapped connector by `ConnectorService<Input>` names its connection type
/// (`C::Connection`) without spelling out the whole output type.
pub trait ConnectorService<Input>: Send + Sync + 'static {
    /// The stream this connector produces.
    type Connection: Stream;
    /// What a failed connect produces.
    type Error: Into<BoxError> + Send + 'static;

    /// Establish a connection for `input`; this is [`Service::serve`].
    fn connect(
        &self,
        input: Input,
    ) -> impl Future<
        Output = Result<EstablishedClientConnection<Self::Connection, Input>, Self::Error>,
    > + Send;
}

impl<S, Input, Conn> ConnectorService<Input> for S
where
    S: Service<Input, Output = EstablishedClientConnection<Conn, Input>>,
    S::Error: Into<BoxError>,
    Conn: Stream,
{
    type Connection = Conn;
    type Error = S::Error;

    #[inline]
    fn connect(
        &self,
        input: Input,
    ) -> impl Future<
        Output = Result<EstablishedClientConnection<Self::Connection, Input>, Self::Error>,
    > + Send {
        self.serve(input)
    }
}
