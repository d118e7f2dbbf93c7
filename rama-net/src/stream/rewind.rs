//! [`RewindStream`]: a stream with bytes put back in front of it.

use bytes::{Buf, Bytes};
use pin_project_lite::pin_project;
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pin_project! {
    /// A stream whose next reads first replay a `prefix` of bytes that were already read
    /// from it (by [`peek`](super::peek) or a protocol sniffer), then continue with the inner
    /// stream. Writes go straight to the inner stream.
    ///
    /// It carries the [`Extensions`] of the inner stream when that stream has them, so a
    /// `SocketInfo` recorded by the listener stays visible after peeking.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use rama_net::stream::RewindStream;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let (mut peer, inner) = tokio::io::duplex(64);
    /// peer.write_all(b"world").await?;
    /// drop(peer);
    ///
    /// let mut stream = RewindStream::new(inner, Bytes::from_static(b"hello "));
    /// let mut all = String::new();
    /// stream.read_to_string(&mut all).await?;
    /// assert_eq!(all, "hello world");
    /// # Ok(())
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct RewindStream<S> {
        prefix: Bytes,
        #[pin]
        inner: S,
    }
}

impl<S> RewindStream<S> {
    /// Wrap `inner` so that `prefix` is read before anything from `inner`.
    #[must_use]
    pub const fn new(inner: S, prefix: Bytes) -> Self {
        Self { prefix, inner }
    }

    /// Wrap `inner` with nothing to replay.
    #[must_use]
    pub const fn without_prefix(inner: S) -> Self {
        Self::new(inner, Bytes::new())
    }

    /// The bytes still to be replayed before the inner stream is read.
    #[must_use]
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The wrapped stream. Reading from it directly skips the prefix.
    #[must_use]
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably. Reading from it directly skips the prefix.
    #[must_use]
    pub const fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Split into the bytes not yet replayed and the inner stream.
    #[must_use]
    pub fn into_parts(self) -> (Bytes, S) {
        (self.prefix, self.inner)
    }
}

impl<S: AsyncRead> AsyncRead for RewindStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        if !this.prefix.is_empty() {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        this.inner.poll_read(cx, buf)
    }
}

impl<S: AsyncWrite> AsyncWrite for RewindStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<S: ExtensionsRef> ExtensionsRef for RewindStream<S> {
    fn extensions(&self) -> &Extensions {
        self.inner.extensions()
    }
}

impl<S: ExtensionsMut> ExtensionsMut for RewindStream<S> {
    fn extensions_mut(&mut self) -> &mut Extensions {
        self.inner.extensions_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn small_reads_drain_prefix_then_inner() {
        let (mut peer, inner) = tokio::io::duplex(64);
        peer.write_all(b"DEF").await.unwrap();
        drop(peer);
        let mut s = RewindStream::new(inner, Bytes::from_static(b"ABC"));
        let mut one = [0u8; 2];
        s.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"AB");
        assert_eq!(s.prefix(), b"C");
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"CDEF");
    }

    #[tokio::test]
    async fn writes_bypass_prefix() {
        let (mut peer, inner) = tokio::io::duplex(64);
        let mut s = RewindStream::new(inner, Bytes::from_static(b"unread"));
        s.write_all(b"ping").await.unwrap();
        s.shutdown().await.unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"ping");
        let (prefix, _inner) = s.into_parts();
        assert_eq!(&prefix[..], b"unread");
    }

    struct WithExt(Extensions);
    impl ExtensionsRef for WithExt {
        fn extensions(&self) -> &Extensions {
            &self.0
        }
    }
    impl ExtensionsMut for WithExt {
        fn extensions_mut(&mut self) -> &mut Extensions {
            &mut self.0
        }
    }

    #[test]
    fn forwards_extensions() {
        let mut s = RewindStream::without_prefix(WithExt(Extensions::new()));
        s.extensions_mut().insert(7u32);
        assert_eq!(s.extensions().get::<u32>(), Some(&7));
        assert_eq!(s.inner().0.get::<u32>(), Some(&7));
    }
}
