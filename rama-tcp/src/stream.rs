//! [`TcpStream`]: a tokio TCP stream that carries [`Extensions`].
//!
//! The listener inserts what it knows about each accepted connection (the socket addresses,
//! the shutdown signal) into the stream's extensions; the layers above read them and add
//! their own.
//!
//! ```
//! use rama_core::extensions::{ExtensionsMut, ExtensionsRef};
//! use rama_tcp::TcpStream;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let mut stream = TcpStream::connect(addr).await?;
//! stream.extensions_mut().insert("a note");
//! assert_eq!(stream.extensions().get::<&str>(), Some(&"a note"));
//! assert_eq!(stream.peer_addr()?, addr);
//! # Ok(())
//! # }
//! ```

use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use std::{
    fmt, io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A TCP stream with [`Extensions`].
pub struct TcpStream {
    inner: tokio::net::TcpStream,
    extensions: Extensions,
}

impl TcpStream {
    /// Wrap a tokio stream, with empty extensions.
    #[must_use]
    pub const fn new(inner: tokio::net::TcpStream) -> Self {
        Self {
            inner,
            extensions: Extensions::new(),
        }
    }

    /// Wrap a tokio stream with the given extensions.
    #[must_use]
    pub const fn from_parts(inner: tokio::net::TcpStream, extensions: Extensions) -> Self {
        Self { inner, extensions }
    }

    /// Connect to `addr` directly, without DNS or timeout; see
    /// [`TcpConnector`](crate::client::TcpConnector) for the full client.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        tokio::net::TcpStream::connect(addr).await.map(Self::new)
    }

    /// The address of the remote end.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The address of the local end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Set `TCP_NODELAY` (disable Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// The tokio stream.
    #[must_use]
    pub const fn get_ref(&self) -> &tokio::net::TcpStream {
        &self.inner
    }

    /// The tokio stream, mutably.
    pub const fn get_mut(&mut self) -> &mut tokio::net::TcpStream {
        &mut self.inner
    }

    /// Split into the tokio stream and the extensions.
    #[must_use]
    pub fn into_parts(self) -> (tokio::net::TcpStream, Extensions) {
        (self.inner, self.extensions)
    }

    /// The tokio stream, dropping the extensions.
    #[must_use]
    pub fn into_inner(self) -> tokio::net::TcpStream {
        self.inner
    }
}

impl From<tokio::net::TcpStream> for TcpStream {
    fn from(inner: tokio::net::TcpStream) -> Self {
        Self::new(inner)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("inner", &self.inner)
            .field("extensions", &self.extensions)
            .finish()
    }
}

impl ExtensionsRef for TcpStream {
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

impl ExtensionsMut for TcpStream {
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

impl AsyncRead for TcpStream {
    #[inline]
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
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

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_writes_and_reports_addresses() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        assert!(stream.local_addr().unwrap().ip().is_loopback());
        stream.set_nodelay(true).unwrap();
        assert!(stream.nodelay().unwrap());
        let bufs = [io::IoSlice::new(b"he"), io::IoSlice::new(b"llo")];
        let mut written = 0;
        while written < 5 {
            // a vectored write may be partial; finish with plain writes
            if written == 0 {
                written += stream.write_vectored(&bufs).await.unwrap();
            } else {
                stream.write_all(&b"hello"[written..]).await.unwrap();
                written = 5;
            }
        }
        let mut back = [0u8; 5];
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_exact(&mut back),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&back, b"hello");
        server.await.unwrap();

        stream.extensions_mut().insert(7u8);
        let (inner, ext) = stream.into_parts();
        assert_eq!(ext.get::<u8>(), Some(&7));
        let stream = TcpStream::from_parts(inner, ext);
        assert_eq!(stream.extensions().get::<u8>(), Some(&7));
        let _inner: tokio::net::TcpStream = stream.into_inner();
    }
}
