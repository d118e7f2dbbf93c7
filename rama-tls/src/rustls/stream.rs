//! [`TlsStream`]: a rustls stream (server or client side) that carries [`Extensions`].

use crate::negotiated::NegotiatedTlsParameters;
use crate::types::{ApplicationProtocol, CipherSuite, ProtocolVersion, SupportedGroup};
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use std::{
    fmt, io,
    pin::Pin,
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TLS stream over `S` with [`Extensions`].
///
/// The acceptor and the connector build it after the handshake with a copy of the inner
/// stream's extensions (the socket addresses, the shutdown signal) plus
/// [`NegotiatedTlsParameters`] (and, when asked, the captured
/// [`ClientHello`](crate::client_hello::ClientHello)).
pub struct TlsStream<S> {
    inner: tokio_rustls::TlsStream<S>,
    extensions: Extensions,
}

impl<S> TlsStream<S> {
    /// Wrap a tokio-rustls stream with the given extensions.
    #[must_use]
    pub const fn from_parts(inner: tokio_rustls::TlsStream<S>, extensions: Extensions) -> Self {
        Self { inner, extensions }
    }

    /// The parameters the handshake agreed on (always present on streams made by this
    /// backend's acceptor and connector).
    #[must_use]
    pub fn negotiated(&self) -> Option<&NegotiatedTlsParameters> {
        self.extensions.get()
    }

    /// The stream below TLS.
    #[must_use]
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref().0
    }

    /// The stream below TLS, mutably. Reading or writing it directly corrupts the TLS
    /// session.
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut().0
    }

    /// The rustls connection state.
    #[must_use]
    pub fn rustls_state(&self) -> &rustls::CommonState {
        self.inner.get_ref().1
    }

    /// Split into the tokio-rustls stream and the extensions.
    #[must_use]
    pub fn into_parts(self) -> (tokio_rustls::TlsStream<S>, Extensions) {
        (self.inner, self.extensions)
    }
}

/// What the handshake of `state` agreed on; `server_name` is the SNI (server side) or the
/// name sent or verified (client side).
pub(crate) fn negotiated_parameters(
    state: &rustls::CommonState,
    server_name: Option<String>,
) -> NegotiatedTlsParameters {
    let version = state
        .protocol_version()
        .map_or(ProtocolVersion::from(0), |v| {
            ProtocolVersion::from(u16::from(v))
        });
    let suite = state
        .negotiated_cipher_suite()
        .map_or(CipherSuite::from(0), |s| {
            CipherSuite::from(u16::from(s.suite()))
        });
    let group = state
        .negotiated_key_exchange_group()
        .map(|g| SupportedGroup::from(u16::from(g.name())));
    let alpn = state
        .alpn_protocol()
        .and_then(|p| ApplicationProtocol::try_from(p).ok());
    let peer = state
        .peer_certificates()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    NegotiatedTlsParameters::new(version, suite)
        .with_key_exchange_group(group)
        .with_alpn(alpn)
        .with_server_name(server_name)
        .with_peer_certificates(peer)
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("inner", self.get_ref())
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

impl<S> ExtensionsRef for TlsStream<S> {
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

impl<S> ExtensionsMut for TlsStream<S> {
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    #[inline]
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    #[inline]
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    #[inline]
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    #[inline]
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    #[inline]
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    #[inline]
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rustls::common::rustls_key;
    use crate::rustls::server_config::FixedCert;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A TLS 1.3 handshake over an in-memory pipe, with ALPN h2 on both sides.
    async fn pair() -> (
        tokio_rustls::server::TlsStream<tokio::io::DuplexStream>,
        tokio_rustls::client::TlsStream<tokio::io::DuplexStream>,
    ) {
        let ca = crate::cert::CertificateAuthority::generate("stream CA").unwrap();
        let leaf = ca.issue(&["pipe.test"]).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(FixedCert(rustls_key(&leaf).unwrap())));
        server.alpn_protocols = vec![b"h2".to_vec()];
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(ca.root_store().unwrap())
            .with_no_client_auth();
        client.alpn_protocols = vec![b"h2".to_vec()];
        let (a, b) = tokio::io::duplex(64 * 1024);
        let accept = tokio_rustls::TlsAcceptor::from(Arc::new(server)).accept(a);
        let connect = tokio_rustls::TlsConnector::from(Arc::new(client))
            .connect("pipe.test".try_into().unwrap(), b);
        let (s, c) = tokio::join!(accept, connect);
        (s.unwrap(), c.unwrap())
    }

    #[tokio::test]
    async fn parameters_extensions_and_io() {
        let (server, client) = pair().await;
        let params = negotiated_parameters(server.get_ref().1, Some("pipe.test".into()));
        assert_eq!(params.version, ProtocolVersion::TLS_V1_3);
        assert!(params.cipher_suite.is_tls13());
        assert!(params.key_exchange_group.is_some());
        assert!(params.is_h2());
        assert!(params.peer_certificates.is_empty(), "no client certificate");
        let client_params = negotiated_parameters(client.get_ref().1, None);
        assert_eq!(client_params.peer_certificates.len(), 1);
        assert_eq!(client_params.cipher_suite, params.cipher_suite);

        let mut ext = Extensions::new();
        ext.insert(params.clone());
        let mut server = TlsStream::from_parts(server.into(), ext);
        let mut client = TlsStream::from_parts(client.into(), Extensions::new());
        assert_eq!(server.negotiated(), Some(&params));
        assert!(client.negotiated().is_none());
        client.extensions_mut().insert(7u8);
        assert_eq!(client.extensions().get::<u8>(), Some(&7));
        assert!(client.rustls_state().peer_certificates().is_some());

        client.write_all(b"ping").await.unwrap();
        client.flush().await.unwrap();
        let mut got = [0u8; 4];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping");
        server.shutdown().await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        let (_inner, ext) = client.into_parts();
        assert_eq!(ext.get::<u8>(), Some(&7));
        assert!(format!("{server:?}").starts_with("TlsStream"));
    }
}
