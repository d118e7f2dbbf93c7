//! [`EarlyFrameTap`]: an IO wrapper that shows the bytes read through it to an
//! [`EarlyFrameParser`] until the parser stops, then publishes the record.

use super::early_frames::{EarlyFrameParser, EarlyFrames};
use pin_project_lite::pin_project;
use std::{
    io,
    pin::Pin,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pin_project! {
    /// Wraps the server side of a connection: every byte read through it is fed to an
    /// [`EarlyFrameParser`] until the parser stops (first header block complete, a limit, bad
    /// input or end of stream); then the record is published to the [`EarlyFramesHandle`] and
    /// reads pass straight through. Writes always pass straight through.
    #[derive(Debug)]
    pub struct EarlyFrameTap<IO> {
        #[pin]
        inner: IO,
        parser: Option<Box<EarlyFrameParser>>,
        slot: Arc<OnceLock<EarlyFrames>>,
    }
}

/// Where an [`EarlyFrameTap`] publishes its record.
#[derive(Debug, Clone)]
pub struct EarlyFramesHandle(Arc<OnceLock<EarlyFrames>>);

impl EarlyFramesHandle {
    /// The record, once the tap has stopped.
    #[must_use]
    pub fn get(&self) -> Option<&EarlyFrames> {
        self.0.get()
    }
}

impl<IO> EarlyFrameTap<IO> {
    /// Wraps `inner`; the returned handle yields the record once `parser` stops.
    pub fn new(inner: IO, parser: EarlyFrameParser) -> (Self, EarlyFramesHandle) {
        let slot = Arc::new(OnceLock::new());
        (
            Self {
                inner,
                parser: Some(Box::new(parser)),
                slot: slot.clone(),
            },
            EarlyFramesHandle(slot),
        )
    }

    /// The wrapped IO.
    pub fn get_ref(&self) -> &IO {
        &self.inner
    }
}

impl<IO: AsyncRead> AsyncRead for EarlyFrameTap<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let result = this.inner.poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result
            && let Some(parser) = this.parser.as_mut()
        {
            let new = &buf.filled()[before..];
            // an empty read is the end of the stream: publish what there is
            if (new.is_empty() || parser.feed(new))
                && let Some(parser) = this.parser.take()
            {
                let _ = this.slot.set(parser.finish());
            }
        }
        result
    }
}

impl<IO: AsyncWrite> AsyncWrite for EarlyFrameTap<IO> {
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
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h2::early_frames::{PREFACE, TapOutcome};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn publishes_after_the_first_header_block_and_passes_bytes_through() {
        let (mut client, server) = tokio::io::duplex(64);
        let (mut tap, handle) = EarlyFrameTap::new(server, EarlyFrameParser::new(1024, 8, 4096));
        let mut wire = PREFACE.to_vec();
        wire.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        wire.extend_from_slice(&[0, 0, 1, 1, 4, 0, 0, 0, 1, 0x82]);
        wire.extend_from_slice(b"trailing bytes");
        let expected = wire.clone();
        let writer = tokio::spawn(async move {
            for chunk in wire.chunks(5) {
                client.write_all(chunk).await.unwrap();
            }
            client
        });
        let mut read = vec![0; expected.len()];
        tap.read_exact(&mut read).await.unwrap();
        assert_eq!(read, expected);
        let record = handle.get().unwrap();
        assert_eq!(record.outcome(), TapOutcome::Complete);
        assert_eq!(record.pseudo_header_order().len(), 1);
        drop(writer.await.unwrap());
    }

    #[tokio::test]
    async fn end_of_stream_publishes_a_partial_record() {
        let (mut client, server) = tokio::io::duplex(64);
        let (mut tap, handle) = EarlyFrameTap::new(server, EarlyFrameParser::new(1024, 8, 4096));
        client.write_all(&PREFACE[..5]).await.unwrap();
        drop(client);
        let mut all = Vec::new();
        tap.read_to_end(&mut all).await.unwrap();
        assert_eq!(handle.get().unwrap().outcome(), TapOutcome::Incomplete);
    }
}
