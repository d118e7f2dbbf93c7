//! [`TlsAcceptorLayer`] and [`TlsAcceptorService`]: terminate TLS on an accepted stream and
//! hand the [`TlsStream`] to the inner service.

use super::{
    TlsError,
    common::rustls_key,
    server_config::{self, BuiltServerConfig, FixedCert},
    stream::{TlsStream, negotiated_parameters},
};
use crate::client_hello::{PeekClientHelloConfig, peek_client_hello};
use crate::config::{CertRequest, ConfigError, ServerCertResolver, ServerConfig};
use crate::types::{AlpnList, ApplicationProtocol, CipherSuite, SignatureScheme};
use rama_core::{Layer, Service, error::BoxError, extensions::ExtensionsRef};
use rama_net::stream::{RewindStream, Stream};
use std::{fmt, sync::Arc, time::Duration};
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

/// Builds [`TlsAcceptorService`]s from one [`ServerConfig`] (turned into a rustls config
/// once, when the layer is made).
#[derive(Clone)]
pub struct TlsAcceptorLayer {
    state: Arc<AcceptorState>,
}

struct AcceptorState {
    rustls: Arc<rustls::ServerConfig>,
    resolver: Option<Arc<dyn ServerCertResolver>>,
    capture: bool,
    timeout: Option<Duration>,
}

impl TlsAcceptorLayer {
    /// A layer that terminates TLS as `config` says.
    ///
    /// # Errors
    ///
    /// When the config cannot be honoured by rustls (a version, suite or group it does not
    /// support, an unusable certificate or key, an unopenable key log file).
    pub fn new(config: &ServerConfig) -> Result<Self, ConfigError> {
        let BuiltServerConfig { rustls, resolver } = server_config::build(config)?;
        Ok(Self {
            state: Arc::new(AcceptorState {
                rustls,
                resolver,
                capture: config.store_client_hello,
                timeout: config.handshake_timeout,
            }),
        })
    }

    /// A layer over a rustls server config built elsewhere (every rustls knob), with a
    /// handshake `timeout` and ClientHello `capture`.
    #[must_use]
    pub fn from_rustls(
        config: Arc<rustls::ServerConfig>,
        timeout: Option<Duration>,
        capture: bool,
    ) -> Self {
        Self {
            state: Arc::new(AcceptorState {
                rustls: config,
                resolver: None,
                capture,
                timeout,
            }),
        }
    }

    /// The rustls config the acceptor uses.
    #[must_use]
    pub fn rustls_config(&self) -> &Arc<rustls::ServerConfig> {
        &self.state.rustls
    }
}

impl fmt::Debug for TlsAcceptorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptorLayer")
            .field("async_resolver", &self.state.resolver.is_some())
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

/// Runs the TLS handshake on each accepted stream (within the handshake timeout), inserts
/// [`NegotiatedTlsParameters`](crate::negotiated::NegotiatedTlsParameters) (and the
/// [`ClientHello`](crate::client_hello::ClientHello) when capture is on) into the
/// [`TlsStream`]'s extensions, and calls the inner service with it.
///
/// The TLS stream's extensions start as a copy of the accepted stream's (socket addresses,
/// shutdown signal). The stream below TLS is a [`RewindStream`], which replays the bytes
/// peeked for capture (and is a plain pass-through otherwise).
///
/// A failed handshake is the service's error ([`TlsError`]): the listener logs it and the
/// connection is closed; the inner service is not called.
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
        // boxed: rustls' connection state is large, and this future is moved around (into a
        // spawned task, say) before it first runs; the handshake costs far more than the box
        let handshake = Box::pin(self.state.handshake(stream));
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
        let tls = match &self.resolver {
            None => TlsAcceptor::from(self.rustls.clone())
                .accept(stream)
                .await
                .map_err(TlsError::handshake)?,
            Some(resolver) => {
                let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream)
                    .await
                    .map_err(TlsError::handshake)?;
                let request = cert_request(&start.client_hello());
                let key = resolver
                    .resolve(&request)
                    .await
                    .map_err(TlsError::certificate)?;
                let key = rustls_key(&key).map_err(TlsError::certificate)?;
                let mut config = (*self.rustls).clone();
                config.cert_resolver = Arc::new(FixedCert(key));
                start
                    .into_stream(Arc::new(config))
                    .await
                    .map_err(TlsError::handshake)?
            }
        };
        let (io, conn) = tls.get_ref();
        let params = negotiated_parameters(conn, conn.server_name().map(str::to_owned));
        let mut extensions = io.extensions().clone();
        extensions.insert(params);
        if let Some(hello) = hello {
            extensions.insert(hello);
        }
        Ok(TlsStream::from_parts(tls.into(), extensions))
    }
}

/// What a certificate resolver is told about a rustls ClientHello.
fn cert_request(hello: &rustls::server::ClientHello<'_>) -> CertRequest {
    let mut alpn = AlpnList::new();
    for id in hello.alpn().into_iter().flatten() {
        if let Ok(id) = ApplicationProtocol::try_from(id) {
            alpn.push(id);
        }
    }
    let mut request = CertRequest::for_server_name(hello.server_name().map(str::to_owned));
    request.alpn = alpn;
    request.cipher_suites = hello
        .cipher_suites()
        .iter()
        .map(|s| CipherSuite::from(u16::from(*s)))
        .collect();
    request.signature_schemes = hello
        .signature_schemes()
        .iter()
        .map(|s| SignatureScheme::from(u16::from(*s)))
        .collect();
    request
}
