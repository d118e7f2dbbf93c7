//! [`TlsStream`]: a BoringSSL stream (server or client side) that carries [`Extensions`].

use super::material::version_id;
use crate::negotiated::NegotiatedTlsParameters;
use crate::types::{ApplicationProtocol, CipherSuite, SupportedGroup};
use boring::ssl::{NameType, SslRef};
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use rustls_pki_types::CertificateDer;
use std::{
    fmt, io,
    pin::Pin,
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TLS stream over `S` after a BoringSSL handshake, with the [`Extensions`] of the stream
/// below plus the [`NegotiatedTlsParameters`] (and, when the acceptor was asked to capture
/// it, the parsed [`ClientHello`](crate::client_hello::ClientHello)).
pub struct TlsStream<S> {
    inner: tokio_boring::SslStream<S>,
    extensions: Extensions,
}

impl<S> TlsStream<S> {
    /// A stream from a finished tokio-boring stream and its extensions.
    #[must_use]
    pub const fn from_parts(inner: tokio_boring::SslStream<S>, extensions: Extensions) -> Self {
        Self { inner, extensions }
    }

    /// What the handshake agreed on.
    #[must_use]
    pub fn negotiated(&self) -> Option<&NegotiatedTlsParameters> {
        self.extensions.get()
    }

    /// The stream below TLS.
    #[must_use]
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    /// The stream below TLS, mutably (reading or writing it directly corrupts the session).
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut()
    }

    /// BoringSSL's connection state (OCSP response, SCTs, session, ...).
    #[must_use]
    pub fn ssl(&self) -> &SslRef {
        self.inner.ssl()
    }

    /// The tokio-boring stream and the extensions.
    #[must_use]
    pub fn into_parts(self) -> (tokio_boring::SslStream<S>, Extensions) {
        (self.inner, self.extensions)
    }
}

/// What `ssl` agreed on. `server_name` is what the client side sent; on the server side the
/// SNI the client sent is read from `ssl` when `server_name` is `None`.
pub(crate) fn negotiated_parameters(
    ssl: &SslRef,
    server_name: Option<String>,
) -> NegotiatedTlsParameters {
    let version = ssl
        .version2()
        .map_or(crate::types::ProtocolVersion::from(0), version_id);
    let suite = CipherSuite::from(ssl.current_cipher().map_or(0, |c| c.protocol_id()));
    let group = ssl.curve().map(SupportedGroup::from);
    let alpn = ssl
        .selected_alpn_protocol()
        .and_then(|p| ApplicationProtocol::try_from(p).ok());
    let server_name =
        server_name.or_else(|| ssl.servername(NameType::HOST_NAME).map(str::to_owned));
    NegotiatedTlsParameters::new(version, suite)
        .with_key_exchange_group(group)
        .with_alpn(alpn)
        .with_server_name(server_name)
        .with_peer_certificates(peer_chain(ssl))
}

/// The peer's chain, leaf first. A server's `SSL_get_peer_cert_chain` leaves the client's
/// leaf out, a client's includes the server's: the leaf is taken on its own and not repeated.
fn peer_chain(ssl: &SslRef) -> Vec<CertificateDer<'static>> {
    let mut chain: Vec<CertificateDer<'static>> = Vec::new();
    let leaf = ssl.peer_certificate().and_then(|c| c.to_der().ok());
    if let Some(leaf) = leaf {
        chain.push(leaf.into());
    }
    if let Some(stack) = ssl.peer_cert_chain() {
        for der in stack.iter().filter_map(|c| c.to_der().ok()) {
            if chain
                .first()
                .is_none_or(|leaf| leaf.as_ref() != der.as_slice())
            {
                chain.push(der.into());
            }
        }
    }
    chain
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
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    #[inline]
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
