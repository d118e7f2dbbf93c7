//! Peek at the first bytes of a stream and get back a stream that replays them:
//! [`peek`] (up to `n` bytes) and [`peek_until`] (until a predicate has seen enough).

use super::RewindStream;
use bytes::{BufMut, Bytes, BytesMut};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The most bytes [`peek`] and [`peek_until`] will buffer (256 KiB); larger requests are
/// lowered to this. Enough for a TLS ClientHello split over many records, an HTTP/2 preface
/// or a PROXY protocol header, small enough that a slow client cannot make us hold much.
pub const MAX_PEEK_BYTES: usize = 256 * 1024;

/// How much is asked from the stream per read while peeking.
const READ_CHUNK: usize = 8 * 1024;

/// Why peeking stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeekOutcome {
    /// The predicate of [`peek_until`] returned `true` (for [`peek`]: `n` bytes were read).
    Enough,
    /// The byte limit was reached before the predicate was satisfied.
    LimitReached,
    /// The stream ended (EOF) first; the peeked bytes are all the stream will ever send.
    Eof,
    /// The timeout passed first; the peeked bytes are what arrived in time.
    TimedOut,
}

/// What [`peek`] and [`peek_until`] return: the bytes seen, why reading stopped, and the
/// stream that will replay those bytes to its next reader.
#[derive(Debug)]
pub struct Peeked<S> {
    /// The bytes read from the stream, in order. Cheap to clone.
    pub bytes: Bytes,
    /// Why peeking stopped.
    pub outcome: PeekOutcome,
    /// The stream, rewound: its next reads return `bytes` first, then the rest.
    pub stream: RewindStream<S>,
}

/// Read up to `n` bytes from `stream` (fewer on EOF or when `timeout` passes) and return
/// them with a stream that replays them. `n` is capped at [`MAX_PEEK_BYTES`].
///
/// The outcome is [`PeekOutcome::Enough`] once `n` bytes are in.
///
/// # Cancel safety
///
/// Not cancel safe: `stream` is moved in, so dropping the future drops the stream and the
/// bytes read so far. Do not wrap it in `tokio::time::timeout` or `select!`; use the
/// `timeout` argument, which returns what arrived in time together with the stream.
///
/// # Errors
///
/// The I/O error of a failed read.
pub async fn peek<S>(stream: S, n: usize, timeout: Duration) -> io::Result<Peeked<S>>
where
    S: AsyncRead + Unpin,
{
    let n = n.min(MAX_PEEK_BYTES);
    peek_until(stream, n, timeout, |seen| seen.len() >= n).await
}

/// Read from `stream` until `enough(&bytes_so_far)` returns `true`, `max_bytes` are buffered,
/// the stream ends or `timeout` passes, whichever comes first; return the bytes with a stream
/// that replays them. `max_bytes` is capped at [`MAX_PEEK_BYTES`].
///
/// `enough` is called after every read with everything read so far (first with an empty
/// slice, before anything is read). Return `true` as soon as you can decide, also when the
/// answer is "this is not my protocol".
///
/// # Cancel safety
///
/// Not cancel safe: `stream` is moved in, so dropping the future drops the stream and the
/// bytes read so far. Do not wrap it in `tokio::time::timeout` or `select!`; use the
/// `timeout` argument, which returns what arrived in time together with the stream.
///
/// # Errors
///
/// The I/O error of a failed read.
pub async fn peek_until<S, F>(
    mut stream: S,
    max_bytes: usize,
    timeout: Duration,
    mut enough: F,
) -> io::Result<Peeked<S>>
where
    S: AsyncRead + Unpin,
    F: FnMut(&[u8]) -> bool,
{
    let max_bytes = max_bytes.min(MAX_PEEK_BYTES);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = BytesMut::with_capacity(max_bytes.min(READ_CHUNK));

    let outcome = loop {
        if enough(&buf) {
            break PeekOutcome::Enough;
        }
        let room = max_bytes - buf.len();
        if room == 0 {
            break PeekOutcome::LimitReached;
        }
        buf.reserve(room.min(READ_CHUNK));
        let mut limited = (&mut buf).limit(room);
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut limited)).await {
            Err(_elapsed) => break PeekOutcome::TimedOut,
            Ok(Ok(0)) => break PeekOutcome::Eof,
            Ok(Ok(_)) => {}
            Ok(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
            Ok(Err(err)) => return Err(err),
        }
    };

    let bytes = buf.freeze();
    Ok(Peeked {
        stream: RewindStream::new(stream, bytes.clone()),
        bytes,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const SECOND: Duration = Duration::from_secs(1);

    async fn read_all<S: AsyncRead + Unpin>(mut s: S) -> Vec<u8> {
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn peek_n_then_replay_everything() {
        let (mut peer, server) = tokio::io::duplex(64);
        peer.write_all(b"0123456789").await.unwrap();
        drop(peer);
        let p = peek(server, 4, SECOND).await.unwrap();
        assert_eq!(p.outcome, PeekOutcome::Enough);
        assert_eq!(&p.bytes[..], b"0123");
        assert_eq!(read_all(p.stream).await, b"0123456789");
    }

    #[tokio::test]
    async fn eof_before_n() {
        let (mut peer, server) = tokio::io::duplex(64);
        peer.write_all(b"ab").await.unwrap();
        drop(peer);
        let p = peek(server, 10, SECOND).await.unwrap();
        assert_eq!(p.outcome, PeekOutcome::Eof);
        assert_eq!(&p.bytes[..], b"ab");
        assert_eq!(read_all(p.stream).await, b"ab");
    }

    #[tokio::test]
    async fn predicate_decides_and_limit_caps() {
        let (mut peer, server) = tokio::io::duplex(64);
        peer.write_all(b"no newline here").await.unwrap();
        let p = peek_until(server, 5, SECOND, |b| b.contains(&b'\n'))
            .await
            .unwrap();
        assert_eq!(p.outcome, PeekOutcome::LimitReached);
        assert_eq!(&p.bytes[..], b"no ne");
        drop(peer);
        assert_eq!(read_all(p.stream).await, b"no newline here");
    }

    #[tokio::test]
    async fn predicate_true_on_empty_reads_nothing() {
        let (_peer, server) = tokio::io::duplex(64);
        let p = peek_until(server, 5, SECOND, |_| true).await.unwrap();
        assert_eq!(p.outcome, PeekOutcome::Enough);
        assert!(p.bytes.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_returns_what_arrived() {
        let (mut peer, server) = tokio::io::duplex(64);
        peer.write_all(b"partial").await.unwrap();
        let p = peek(server, 100, Duration::from_secs(5)).await.unwrap();
        assert_eq!(p.outcome, PeekOutcome::TimedOut);
        assert_eq!(&p.bytes[..], b"partial");
        peer.write_all(b" rest").await.unwrap();
        drop(peer);
        assert_eq!(read_all(p.stream).await, b"partial rest");
    }

    #[tokio::test]
    async fn huge_request_is_capped() {
        let (mut peer, server) = tokio::io::duplex(64 * 1024);
        let writer = tokio::spawn(async move {
            let chunk = vec![7u8; 32 * 1024];
            for _ in 0..(MAX_PEEK_BYTES / chunk.len() + 2) {
                if peer.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        });
        let p = tokio::time::timeout(SECOND * 5, peek(server, usize::MAX, SECOND))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.outcome, PeekOutcome::Enough);
        assert_eq!(p.bytes.len(), MAX_PEEK_BYTES);
        drop(p);
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn read_error_is_returned() {
        #[derive(Debug)]
        struct Broken;
        impl AsyncRead for Broken {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                _: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<io::Result<()>> {
                std::task::Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()))
            }
        }
        let err = peek(Broken, 4, SECOND).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
