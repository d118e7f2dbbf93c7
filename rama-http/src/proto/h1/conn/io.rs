//! Reading into the connection's buffer without holding memory while idle.

use bytes::BytesMut;
use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Poll, ready};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// Capacity the read buffer gets when data arrives on an idle connection, if more than the
/// bytes that arrived: small, so that a typical head costs a fast small allocation.
const INITIAL_CAPACITY: usize = 1024;
/// How much more room a read into a non-empty buffer makes when little is left.
const READ_CHUNK: usize = 8 * 1024;
/// Size of the stack buffer an idle connection reads into.
const STACK_READ: usize = 4 * 1024;

/// Reads more bytes into `buf`; `Ok(0)` at EOF.
///
/// A buffer without capacity (released while idle) is not allocated before data is there:
/// the read goes into a buffer on the stack of the poll call (not kept in the future), and
/// only bytes that arrived are copied into a newly allocated `buf`.
///
/// # Cancel safety
///
/// Cancel safe: bytes are appended to `buf` only when the read completes.
pub(super) async fn read_some<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut BytesMut,
) -> io::Result<usize> {
    if buf.capacity() == 0 {
        return poll_fn(|cx| {
            let mut stack = [MaybeUninit::<u8>::uninit(); STACK_READ];
            let mut read = ReadBuf::uninit(&mut stack);
            ready!(Pin::new(&mut *rd).poll_read(cx, &mut read))?;
            let filled = read.filled();
            if !filled.is_empty() {
                buf.reserve(filled.len().max(INITIAL_CAPACITY));
                buf.extend_from_slice(filled);
            }
            Poll::Ready(Ok(filled.len()))
        })
        .await;
    }
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(READ_CHUNK);
    }
    rd.read_buf(buf).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn idle_buffer_is_allocated_only_for_data() {
        let (mut peer, mut io) = tokio::io::duplex(64 * 1024);
        let mut buf = BytesMut::new();
        peer.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert_eq!(read_some(&mut io, &mut buf).await.unwrap(), 16);
        assert_eq!(&buf[..], b"GET / HTTP/1.1\r\n");
        assert!(buf.capacity() >= INITIAL_CAPACITY);
        peer.write_all(&[b'a'; 20_000]).await.unwrap();
        let mut total = 0;
        while total < 20_000 {
            total += read_some(&mut io, &mut buf).await.unwrap();
        }
        assert_eq!(buf.len(), 20_016);
        drop(peer);
        let mut empty = BytesMut::new();
        assert_eq!(read_some(&mut io, &mut empty).await.unwrap(), 0);
        assert_eq!(empty.capacity(), 0);
    }
}
