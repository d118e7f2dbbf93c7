//! [`TlsAcceptorLayer`] and [`TlsAcceptorService`]: terminate TLS with BoringSSL on an
//! accepted stream and hand the [`TlsStream`] to the inner service.

use super::{
    TlsError, server_config,
    stream::{TlsStream, negotiated_parameters},
};
use crate::client_hello::{PeekClientHelloConfig, peek_client_hello};
use crate::config::{ConfigError, ServerConfig};
use boring::ssl::SslAcceptor;
use rama_core::{Layer, Service, error::BoxError, extensions::ExtensionsRef};
use rama_net::stream::{RewindStream, Stream};
use std::{fmt, sync::Arc, time::Duration};

/// Terminates TLS (BoringSSL) in front of the inner service. Build it once from a
/// [`ServerConfig`]; clones share the BoringSSL context.
///
/// The certificate comes from the config's
/// [`ServerCertSource`](crate::config::ServerCertSource): a static one, one per SNI
/// (chosen in BoringSSL's early ClientHello callback), or one resolved asynchronously per
/// ClientHello. With [`ServerConfig::store_client_hello`] the ClientHello is peeked first and
/// stored, parsed, in the stream's extensions.
#[derive(Clone)]
pub struct TlsAcceptorLayer {
    state: Arc<AcceptorState>,
}

struct AcceptorState {
    acceptor: SslAcceptor,
    capture: bool,
    timeout: Option<Duration>,
}

impl TlsAcceptorLayer {
    /// An acceptor for `config`.
    ///
    /// # Errors
    /// When BoringSSL refuses a part of the config (an unknown suite or group, a key that does
    /// not match its certificate, an unsupported version range, ...).
    pub fn new(config: &ServerConfig) -> Result<Self, ConfigError> {
        Ok(Self::from_boring(
            server_config::build(config)?,
            config.handshake_timeout,
            config.store_client_hello,
        ))
    }

    /// An acceptor from a BoringSSL acceptor built by hand, for what the neutral config does
    /// not cover.
    #[must_use]
    pub fn from_boring(acceptor: SslAcceptor, timeout: Option<Duration>, capture: bool) -> Self {
        Self {
            state: Arc::new(AcceptorState {
                acceptor,
                capture,
                timeout,
            }),
        }
    }

    /// The BoringSSL acceptor in use.
    #[must_use]
    pub fn boring_acceptor(&self) -> &SslAcceptor {
        &self.state.acceptor
    }
}

impl fmt::Debug for TlsAcceptorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptorLayer")
            .field("capture", &self.state.capture)
            .field("timeout", &self.state.timeout)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for TlsAcceptorLayer {
    type Service = TlsAcceptorService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TlsAcceptorService {
            inner,
            state: self.state.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        TlsAcceptorService {
            inner,
            state: self.state,
        }
    }
}

/// The service [`TlsAcceptorLayer`] makes: handshakes (bounded by the handshake timeout),
/// then serves the [`TlsStream`] with the inner service.
pub struct TlsAcceptorService<S> {
    inner: S,
    state: Arc<AcceptorState>,
}

impl<S: fmt::Debug> fmt::Debug for TlsAcceptorService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptorService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Clone> Clone for TlsAcceptorService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            state: self.state.clone(),
        }
    }
}

impl<S> TlsAcceptorService<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, IO> Service<IO> for TlsAcceptorService<S>
where
    IO: Stream + ExtensionsRef + Unpin,
    S: Service<TlsStream<RewindStream<IO>>, Error: Into<BoxError>>,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, stream: IO) -> Result<Self::Output, Self::Error> {
        let handshake = self.state.handshake(stream);
        let tls = match self.state.timeout {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| TlsError::timeout(limit))??,
            None => handshake.await?,
        };
        self.inner.serve(tls).await.map_err(Into::into)
    }
}

impl AcceptorState {
    async fn handshake<IO>(&self, stream: IO) -> Result<TlsStream<RewindStream<IO>>, TlsError>
    where
        IO: Stream + ExtensionsRef + Unpin,
    {
        let (stream, hello) = if self.capture {
            let peek_config = PeekClientHelloConfig::new().with_timeout(
                self.timeout
                    .unwrap_or(crate::config::DEFAULT_HANDSHAKE_TIMEOUT),
            );
            let peeked = peek_client_hello(stream, &peek_config).await;
            let hello = peeked.client_hello.map_err(TlsError::client_hello)?;
            (peeked.stream, Some(hello))
        } else {
            (RewindStream::without_prefix(stream), None)
        };
        let tls = tokio_boring::accept(&self.acceptor, stream)
            .await
            .map_err(|e| TlsError::handshake(e.to_string()))?;
        let params = negotiated_parameters(tls.ssl(), None);
        let mut extensions = tls.get_ref().extensions().clone();
        extensions.insert(params);
        if let Some(hello) = hello {
            extensions.insert(hello);
        }
        Ok(TlsStream::from_parts(tls, extensions))
    }
}
