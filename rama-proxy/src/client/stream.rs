//! [`ProxyStream`]: the connection a [`ProxyConnector`](super::ProxyConnector) hands back.

use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use rama_http::server::upgrade::Upgraded;
use rama_tls::rustls::TlsStream;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection made by a [`ProxyConnector`](super::ProxyConnector): direct, through a
/// SOCKS5 proxy, through an HTTP `CONNECT` tunnel, or to an HTTP(S) proxy itself (for
/// absolute-form requests).
///
/// Its extensions are the transport's (the `SocketInfo` of the TCP connection, which for a
/// proxied connection is the one to the proxy) plus, when a proxy was used, the
/// [`ProxyAddress`](rama_net::address::ProxyAddress) it went through.
pub struct ProxyStream<S> {
    io: Io<S>,
}

enum Io<S> {
    /// Direct, or through SOCKS5 (then the extensions add the proxy).
    Plain(S, Option<Extensions>),
    /// TLS to an `https://` proxy, for absolute-form requests (boxed: a TLS session is
    /// large, the other variants are not).
    ProxyTls(Box<TlsStream<S>>),
    /// An HTTP CONNECT tunnel.
    Tunnel(Upgraded),
}

impl<S> ProxyStream<S> {
    /// A direct connection.
    pub(crate) const fn direct(io: S) -> Self {
        Self {
            io: Io::Plain(io, None),
        }
    }

    /// A connection through a proxy that hands over the raw stream (SOCKS5, or a plain HTTP
    /// proxy for absolute-form requests), with its own extensions.
    pub(crate) const fn through(io: S, extensions: Extensions) -> Self {
        Self {
            io: Io::Plain(io, Some(extensions)),
        }
    }

    /// A TLS connection to an `https://` proxy.
    pub(crate) fn proxy_tls(io: TlsStream<S>) -> Self {
        Self {
            io: Io::ProxyTls(Box::new(io)),
        }
    }

    /// An HTTP CONNECT tunnel.
    pub(crate) const fn tunnel(io: Upgraded) -> Self {
        Self { io: Io::Tunnel(io) }
    }

    /// Whether the connection goes through a proxy.
    #[must_use]
    pub const fn is_proxied(&self) -> bool {
        !matches!(self.io, Io::Plain(_, None))
    }

    /// Whether [`ProxyStream::into_plain`] gives the transport stream back.
    #[must_use]
    pub const fn is_plain(&self) -> bool {
        matches!(self.io, Io::Plain(..))
    }

    /// The transport stream itself when nothing is layered on it (direct, or through a
    /// SOCKS5 proxy, which hands the raw stream over); `Err(self)` for TLS to the proxy or a
    /// CONNECT tunnel. A relay uses it to forward with the transport's own means
    /// (`splice(2)` between TCP sockets).
    ///
    /// # Errors
    ///
    /// `self`, unchanged, when the stream is wrapped (TLS to the proxy, CONNECT tunnel).
    pub fn into_plain(self) -> Result<S, Self> {
        match self.io {
            Io::Plain(io, _) => Ok(io),
            io => Err(Self { io }),
        }
    }
}

impl<S> fmt::Debug for ProxyStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.io {
            Io::Plain(_, None) => "direct",
            Io::Plain(_, Some(_)) => "through proxy",
            Io::ProxyTls(_) => "TLS to proxy",
            Io::Tunnel(_) => "CONNECT tunnel",
        };
        f.debug_struct("ProxyStream").field("kind", &kind).finish()
    }
}

impl<S: ExtensionsRef> ExtensionsRef for ProxyStream<S> {
    fn extensions(&self) -> &Extensions {
        match &self.io {
            Io::Plain(io, None) => io.extensions(),
            Io::Plain(_, Some(ext)) => ext,
            Io::ProxyTls(io) => io.extensions(),
            Io::Tunnel(io) => io.extensions(),
        }
    }
}

impl<S: ExtensionsMut> ExtensionsMut for ProxyStream<S> {
    fn extensions_mut(&mut self) -> &mut Extensions {
        match &mut self.io {
            Io::Plain(io, None) => io.extensions_mut(),
            Io::Plain(_, Some(ext)) => ext,
            Io::ProxyTls(io) => io.extensions_mut(),
            Io::Tunnel(io) => io.extensions_mut(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ProxyStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io, _) => Pin::new(io).poll_read(cx, buf),
            Io::ProxyTls(io) => Pin::new(&mut **io).poll_read(cx, buf),
            Io::Tunnel(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ProxyStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(io, _) => Pin::new(io).poll_write(cx, buf),
            Io::ProxyTls(io) => Pin::new(&mut **io).poll_write(cx, buf),
            Io::Tunnel(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(io, _) => Pin::new(io).poll_write_vectored(cx, bufs),
            Io::ProxyTls(io) => Pin::new(&mut **io).poll_write_vectored(cx, bufs),
            Io::Tunnel(io) => Pin::new(io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(io, _) => io.is_write_vectored(),
            Io::ProxyTls(io) => io.is_write_vectored(),
            Io::Tunnel(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io, _) => Pin::new(io).poll_flush(cx),
            Io::ProxyTls(io) => Pin::new(&mut **io).poll_flush(cx),
            Io::Tunnel(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io, _) => Pin::new(io).poll_shutdown(cx),
            Io::ProxyTls(io) => Pin::new(&mut **io).poll_shutdown(cx),
            Io::Tunnel(io) => Pin::new(io).poll_shutdown(cx),
        }
    }
}
