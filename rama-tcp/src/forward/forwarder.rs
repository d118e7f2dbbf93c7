//! [`Forwarder`]: the layer-4 proxy service, and [`ForwardTarget`].

use super::forward_tcp_then_close;
use crate::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
};
use rama_core::{
    Service,
    error::{BoxError, ErrorContext, OpaqueError},
    extensions::ExtensionsRef,
};
use rama_net::{
    address::Authority,
    client::{ConnectorService, EstablishedClientConnection},
    stream::{ForwardConfig, SocketInfo},
};

/// Where a [`Forwarder`] without a fixed target sends a stream: insert it in the stream's
/// extensions in a layer before the forwarder (e.g. after reading a PROXY header or a SOCKS5
/// request, or from an SNI router).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget(pub Authority);

/// For each incoming [`TcpStream`], connect to the target with a connector (by default a
/// [`TcpConnector`]) and forward both directions as [`forward_tcp`](super::forward_tcp)
/// does (splice on Linux), then close both.
///
/// The target is the stream's [`ForwardTarget`] extension if it has one, else the fixed
/// target given to [`Forwarder::new`]; a [`Forwarder::dynamic`] without either fails the
/// stream with an error.
///
/// The connector gets a [`TcpRequest`] carrying a copy of the stream's extensions, so that
/// connector layers can read what the server side learned.
///
/// ```
/// use rama_core::Service;
/// use rama_tcp::{TcpStream, forward::Forwarder};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // the upstream: answers "pong" to whatever it gets
/// let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let target = upstream.local_addr()?.into();
/// tokio::spawn(async move {
///     let (mut s, _) = upstream.accept().await?;
///     let mut buf = [0u8; 4];
///     s.read_exact(&mut buf).await?;
///     s.write_all(b"pong").await
/// });
///
/// // a connection to forward: our end of a loopback pair
/// let front = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = tokio::net::TcpStream::connect(front.local_addr()?).await?;
/// let (accepted, _) = front.accept().await?;
/// let forwarder = Forwarder::new(target);
/// let relay = tokio::spawn(async move { forwarder.serve(TcpStream::new(accepted)).await });
///
/// client.write_all(b"ping").await?;
/// let mut answer = [0u8; 4];
/// client.read_exact(&mut answer).await?;
/// assert_eq!(&answer, b"pong");
/// drop(client);
/// relay.await??;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Forwarder<C = TcpConnector> {
    target: Option<Authority>,
    connector: C,
    config: ForwardConfig,
}

#[cfg(feature = "hickory")]
impl Forwarder {
    /// Forward every stream to `target` (unless it carries a [`ForwardTarget`]), connecting
    /// with a default [`TcpConnector`].
    #[must_use]
    pub fn new(target: Authority) -> Self {
        Self::with_connector(Some(target), TcpConnector::new())
    }

    /// Forward every stream to its [`ForwardTarget`] extension, connecting with a default
    /// [`TcpConnector`].
    #[must_use]
    pub fn dynamic() -> Self {
        Self::with_connector(None, TcpConnector::new())
    }
}

impl<C> Forwarder<C> {
    /// Forward to `target` (or each stream's [`ForwardTarget`]) through `connector`.
    #[must_use]
    pub fn with_connector(target: Option<Authority>, connector: C) -> Self {
        Self {
            target,
            connector,
            config: ForwardConfig::new(),
        }
    }

    /// Set the idle timeout and the buffer size of the user-space fallback.
    #[must_use]
    pub const fn with_forward_config(mut self, config: ForwardConfig) -> Self {
        self.config = config;
        self
    }

    /// The fixed target, if any.
    #[must_use]
    pub const fn target(&self) -> Option<&Authority> {
        self.target.as_ref()
    }
}

impl<C> Service<TcpStream> for Forwarder<C>
where
    C: ConnectorService<TcpRequest, Connection = TcpStream>,
{
    type Output = ();
    type Error = BoxError;

    async fn serve(&self, stream: TcpStream) -> Result<(), BoxError> {
        let target = match stream.extensions().get::<ForwardTarget>() {
            Some(ForwardTarget(target)) => target.clone(),
            None => self
                .target
                .clone()
                .context("forward: no target (neither fixed nor a ForwardTarget extension)")?,
        };
        let req = TcpRequest::with_extensions(target.clone(), stream.extensions().clone());
        let EstablishedClientConnection { conn: upstream, .. } = self
            .connector
            .connect(req)
            .await
            .map_err(|err| OpaqueError::from_boxed(err.into()).context("forward: upstream"))?;
        let peer = stream
            .extensions()
            .get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        match forward_tcp_then_close(stream, upstream, &self.config).await {
            Ok(transferred) => {
                tracing::trace!(
                    ?peer,
                    %target,
                    up = transferred.client_to_upstream,
                    down = transferred.upstream_to_client,
                    "forward done"
                );
                Ok(())
            }
            Err(err) => Err(OpaqueError::from_std(err)
                .context(format!("forward to {target}"))
                .into_boxed()),
        }
    }
}
