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
