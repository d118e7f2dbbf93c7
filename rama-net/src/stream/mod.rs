//! Streams: the [`Stream`] trait every transport implements, the facts a listener records
//! about an accepted socket ([`SocketInfo`]), peeking at the first bytes of a stream without
//! consuming them ([`peek`], [`RewindStream`]) and forwarding two streams into each other
//! ([`forward_bidirectional`]).
//!
//! # Example: detect a protocol, then hand the whole stream on
//!
//! ```
//! use rama_net::stream::{PeekOutcome, peek_until};
//! use std::time::Duration;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let (mut client, server) = tokio::io::duplex(1024);
//! client.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
//!
//! // read until we have seen the first space (or 16 bytes, or 1 second passed)
//! let peeked = peek_until(server, 16, Duration::from_secs(1), |b| b.contains(&b' ')).await?;
//! assert_eq!(peeked.outcome, PeekOutcome::Enough);
//! assert!(peeked.bytes.starts_with(b"GET "));
//!
//! // the next reader sees the stream from its very first byte
//! let mut stream = peeked.stream;
//! let mut head = [0u8; 18];
//! stream.read_exact(&mut head).await?;
//! assert_eq!(&head, b"GET / HTTP/1.1\r\n\r\n");
//! # Ok(())
//! # }
//! ```

mod forward;
mod peek;
mod rewind;
mod socket_info;

pub use forward::{
    DEFAULT_FORWARD_BUFFER_SIZE, ForwardConfig, ForwardError, ForwardErrorKind, ForwardStats,
    forward_bidirectional,
};
pub use peek::{MAX_PEEK_BYTES, PeekOutcome, Peeked, peek, peek_until};
pub use rewind::RewindStream;
pub use socket_info::SocketInfo;

use tokio::io::{AsyncRead, AsyncWrite};

/// A bidirectional byte stream that can move between tasks: TCP, TLS over TCP, a Unix
/// socket, an in-memory duplex, a [`RewindStream`] around any of them.
///
/// This is a trait alias: every `AsyncRead + AsyncWrite + Send + Sync + 'static` type is a
/// `Stream` through a blanket impl, so there is nothing to implement.
///
/// # Why `Unpin` is not required
///
/// Some streams are not `Unpin` (a stream built from an `async` block, some TLS or
/// compression adapters), and requiring it would force every such stream into a
/// `Box::pin`. So `Stream` does not require it; the helpers that need to move a stream
/// between polls ([`peek`], [`forward_bidirectional`]) ask for `Unpin` themselves. A
/// `!Unpin` stream can always be passed as `Box::pin(stream)`, which is `Unpin` and still a
/// `Stream`.
///
/// ```
/// use rama_net::stream::Stream;
///
/// fn assert_stream<S: Stream>(_: &S) {}
///
/// let (a, _b) = tokio::io::duplex(64);
/// assert_stream(&a);
/// ```
pub trait Stream: AsyncRead + AsyncWrite + Send + Sync + 'static {}

impl<T> Stream for T where T: AsyncRead + AsyncWrite + Send + Sync + 'static {}
