//! [`forward_bidirectional`]: copy bytes between two streams in both directions at once,
//! as every layer-4 proxy, CONNECT tunnel and SOCKS5 relay does once the handshake is done.
//!
//! - Both directions run concurrently in one future, each with its own buffer of
//!   [`ForwardConfig::buffer_size`] bytes.
//! - Half-close is propagated: when one side ends its writing (EOF on read), everything read
//!   from it is written and flushed to the other side, then the other side's write half is
//!   shut down; the opposite direction keeps running until it ends too.
//! - No byte that was read is dropped on the way to a clean end: a direction is finished only
//!   after its last bytes are written and flushed.
//! - An idle timeout ([`ForwardConfig::with_idle_timeout`]) ends a tunnel in which no byte
//!   moved in either direction for that long.
//! - Errors say which side and which operation failed ([`ForwardErrorKind`]) and carry the
//!   byte counts reached so far ([`ForwardStats`]).
//!
//! With an idle timeout set (the default) it needs a tokio runtime with its time driver
//! enabled (`enable_all` or `enable_time`, which `#[tokio::main]` does), like every tokio
//! timer; so does [`peek`](super::peek) for its timeout.
//!
//! ```
//! use rama_net::stream::{ForwardConfig, forward_bidirectional};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // `client` and `upstream` are what a proxy holds; the `*_peer` ends play the real peers
//! let (mut client_peer, mut client) = tokio::io::duplex(1024);
//! let (mut upstream, mut upstream_peer) = tokio::io::duplex(1024);
//!
//! let relay = tokio::spawn(async move {
//!     forward_bidirectional(&mut client, &mut upstream, &ForwardConfig::new()).await
//! });
//!
//! client_peer.write_all(b"ping").await?;
//! client_peer.shutdown().await?; // half-close: the client is done sending
//! let mut got = Vec::new();
//! upstream_peer.read_to_end(&mut got).await?; // sees "ping", then EOF
//! assert_eq!(got, b"ping");
//!
//! upstream_peer.write_all(b"pong").await?; // the other direction still runs
//! drop(upstream_peer);
//! let mut got = Vec::new();
//! client_peer.read_to_end(&mut got).await?;
//! assert_eq!(got, b"pong");
//!
//! let stats = relay.await??;
//! assert_eq!((stats.client_to_upstream(), stats.upstream_to_client()), (4, 4));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The default size of each direction's buffer in [`forward_bidirectional`] (64 KiB), so
/// 128 KiB per tunnel.
///
/// Measured over loopback TCP (1 GiB one way, release build, 2 busy cores, best of 3):
/// 8 to 64 KiB all moved about 0.5 to 0.8 GiB/s, 128 KiB about 0.9, 256 KiB 1.2 to 1.7.
/// Larger buffers pay off for a few fat tunnels; with thousands of tunnels the memory
/// matters more, hence this middle ground. Set it with [`ForwardConfig::with_buffer_size`].
pub const DEFAULT_FORWARD_BUFFER_SIZE: usize = 64 * 1024;

/// The default idle timeout of [`forward_bidirectional`]: 10 minutes without a byte in either
/// direction (the same as nginx's stream `proxy_timeout`).
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

const MIN_BUFFER_SIZE: usize = 512;
const MAX_BUFFER_SIZE: usize = 16 * 1024 * 1024;

/// How many read/write rounds one direction may do per poll before yielding, so that one
/// busy tunnel cannot starve the other tasks of its worker thread.
const ROUNDS_PER_POLL: usize = 64;

/// Settings of [`forward_bidirectional`].
///
/// ```
/// use rama_net::stream::ForwardConfig;
/// use std::time::Duration;
///
/// let config = ForwardConfig::new()
///     .with_buffer_size(16 * 1024)
///     .with_idle_timeout(Duration::from_secs(30));
/// assert_eq!(config.buffer_size(), 16 * 1024);
/// assert_eq!(config.idle_timeout(), Some(Duration::from_secs(30)));
/// assert_eq!(ForwardConfig::new().without_idle_timeout().idle_timeout(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardConfig {
    buffer_size: usize,
    idle_timeout: Option<Duration>,
}

impl Default for ForwardConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ForwardConfig {
    /// Buffers of [`DEFAULT_FORWARD_BUFFER_SIZE`] bytes per direction and an idle timeout of
    /// 10 minutes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            buffer_size: DEFAULT_FORWARD_BUFFER_SIZE,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
        }
    }

    /// Set the size of each direction's buffer, clamped to 512 B ..= 16 MiB.
    #[must_use]
    pub const fn with_buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = if bytes < MIN_BUFFER_SIZE {
            MIN_BUFFER_SIZE
        } else if bytes > MAX_BUFFER_SIZE {
            MAX_BUFFER_SIZE
        } else {
            bytes
        };
        self
    }

    /// End the forwarding with [`ForwardErrorKind::IdleTimeout`] once no byte moved in
    /// either direction for `idle`. The clock restarts whenever a byte is read or written;
    /// `Duration::ZERO` ends a tunnel at the first moment it has nothing to move.
    #[must_use]
    pub const fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// Never time out, however long the tunnel is idle.
    #[must_use]
    pub const fn without_idle_timeout(mut self) -> Self {
        self.idle_timeout = None;
        self
    }

    /// The size of each direction's buffer.
    #[must_use]
    pub const fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    /// The idle timeout, if any.
    #[must_use]
    pub const fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }
}

/// How many bytes [`forward_bidirectional`] wrote in each direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ForwardStats {
    client_to_upstream: u64,
    upstream_to_client: u64,
}

impl ForwardStats {
    /// Counts of bytes written in each direction, for forwarders other than
    /// [`forward_bidirectional`] (e.g. a zero-copy `splice(2)` path) that report the same way.
    #[must_use]
    pub const fn new(client_to_upstream: u64, upstream_to_client: u64) -> Self {
        Self {
            client_to_upstream,
            upstream_to_client,
        }
    }

    /// Bytes read from the client and written to the upstream.
    #[must_use]
    pub const fn client_to_upstream(&self) -> u64 {
        self.client_to_upstream
    }

    /// Bytes read from the upstream and written to the client.
    #[must_use]
    pub const fn upstream_to_client(&self) -> u64 {
        self.upstream_to_client
    }
}

/// Which side and operation made [`forward_bidirectional`] fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardErrorKind {
    /// Reading from the client failed.
    ClientRead,
    /// Writing, flushing or shutting down the write half of the client failed.
    ClientWrite,
    /// Reading from the upstream failed.
    UpstreamRead,
    /// Writing, flushing or shutting down the write half of the upstream failed.
    UpstreamWrite,
    /// No byte moved in either direction for the configured idle timeout.
    IdleTimeout,
}

impl ForwardErrorKind {
    /// The failure was on the client's stream.
    #[must_use]
    pub const fn is_client_side(self) -> bool {
        matches!(self, Self::ClientRead | Self::ClientWrite)
    }

    /// The failure was on the upstream's stream.
    #[must_use]
    pub const fn is_upstream_side(self) -> bool {
        matches!(self, Self::UpstreamRead | Self::UpstreamWrite)
    }

    const fn as_str(self) -> &'static str {
        match self {
            Self::ClientRead => "client read",
            Self::ClientWrite => "client write",
            Self::UpstreamRead => "upstream read",
            Self::UpstreamWrite => "upstream write",
            Self::IdleTimeout => "idle timeout",
        }
    }
}

impl fmt::Display for ForwardErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`forward_bidirectional`] stopped before both directions ended cleanly.
#[derive(Debug)]
pub struct ForwardError {
    kind: ForwardErrorKind,
    stats: ForwardStats,
    idle: Duration,
    source: Option<io::Error>,
}

impl ForwardError {
    /// An I/O failure of the given side and operation, after `stats`; for forwarders other
    /// than [`forward_bidirectional`] that report the same way. `kind` should not be
    /// [`ForwardErrorKind::IdleTimeout`]; use [`idle_timeout`](Self::idle_timeout) for that.
    #[must_use]
    pub const fn io(kind: ForwardErrorKind, stats: ForwardStats, source: io::Error) -> Self {
        Self {
            kind,
            stats,
            idle: Duration::ZERO,
            source: Some(source),
        }
    }

    /// No byte moved in either direction for `idle`, after `stats`.
    #[must_use]
    pub const fn idle_timeout(stats: ForwardStats, idle: Duration) -> Self {
        Self {
            kind: ForwardErrorKind::IdleTimeout,
            stats,
            idle,
            source: None,
        }
    }

    /// Which side and operation failed.
    #[must_use]
    pub const fn kind(&self) -> ForwardErrorKind {
        self.kind
    }

    /// The bytes written in each direction before the failure.
    #[must_use]
    pub const fn stats(&self) -> ForwardStats {
        self.stats
    }

    /// The tunnel was idle for longer than the configured timeout.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind, ForwardErrorKind::IdleTimeout)
    }

    /// The I/O error behind the failure (`None` for an idle timeout).
    #[must_use]
    pub const fn io_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_timeout() {
            write!(
                f,
                "forward: no bytes in either direction for {:?}",
                self.idle
            )?;
        } else {
            write!(f, "forward: {} failed", self.kind.as_str())?;
        }
        write!(
            f,
            " (after {} bytes client to upstream, {} bytes upstream to client)",
            self.stats.client_to_upstream, self.stats.upstream_to_client
        )
    }
}

impl std::error::Error for ForwardError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Copy bytes from `client` to `upstream` and from `upstream` to `client` at the same time,
/// until both directions have ended (EOF read and the write half of the other side shut
/// down), an I/O error happens, or the tunnel is idle for the configured timeout.
///
/// The streams are borrowed, so they stay usable (e.g. to read their extensions) afterwards.
/// A `!Unpin` stream can be passed as `&mut Box::pin(stream)`.
///
/// # Cancel safety
///
/// Dropping the future stops the forwarding; bytes that were read but not yet written are
/// lost with it. Use the idle timeout rather than an outer timeout where that matters.
///
/// # Errors
///
/// A [`ForwardError`] naming the side and operation that failed (or the idle timeout), with
/// the byte counts reached so far.
pub async fn forward_bidirectional<C, U>(
    client: &mut C,
    upstream: &mut U,
    config: &ForwardConfig,
) -> Result<ForwardStats, ForwardError>
where
    C: AsyncRead + AsyncWrite + Unpin + ?Sized,
    U: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    Forward {
        client,
        upstream,
        to_upstream: Direction::new(config.buffer_size),
        to_client: Direction::new(config.buffer_size),
        idle: config.idle_timeout.map(|d| IdleTimer {
            timeout: d,
            last_progress: Instant::now(),
            sleep: Box::pin(tokio::time::sleep(d)),
        }),
    }
    .await
}

struct IdleTimer {
    timeout: Duration,
    last_progress: Instant,
    sleep: Pin<Box<Sleep>>,
}

struct Forward<'a, C: ?Sized, U: ?Sized> {
    client: &'a mut C,
    upstream: &'a mut U,
    to_upstream: Direction,
    to_client: Direction,
    idle: Option<IdleTimer>,
}

impl<C, U> Forward<'_, C, U>
where
    C: ?Sized,
    U: ?Sized,
{
    fn stats(&self) -> ForwardStats {
        ForwardStats {
            client_to_upstream: self.to_upstream.written,
            upstream_to_client: self.to_client.written,
        }
    }

    fn error(&self, kind: ForwardErrorKind, source: Option<io::Error>) -> ForwardError {
        ForwardError {
            kind,
            stats: self.stats(),
            idle: self.idle.as_ref().map_or(Duration::ZERO, |t| t.timeout),
            source,
        }
    }
}

impl<C, U> Future for Forward<'_, C, U>
where
    C: AsyncRead + AsyncWrite + Unpin + ?Sized,
    U: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    type Output = Result<ForwardStats, ForwardError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut progress = false;

        if !this.to_upstream.finished {
            match this.to_upstream.poll_copy(
                cx,
                Pin::new(&mut *this.client),
                Pin::new(&mut *this.upstream),
                &mut progress,
            ) {
                Poll::Ready(Ok(())) => this.to_upstream.finished = true,
                Poll::Ready(Err(Failed::Read(e))) => {
                    return Poll::Ready(Err(this.error(ForwardErrorKind::ClientRead, Some(e))));
                }
                Poll::Ready(Err(Failed::Write(e))) => {
                    return Poll::Ready(Err(this.error(ForwardErrorKind::UpstreamWrite, Some(e))));
                }
                Poll::Pending => {}
            }
        }
        if !this.to_client.finished {
            match this.to_client.poll_copy(
                cx,
                Pin::new(&mut *this.upstream),
                Pin::new(&mut *this.client),
                &mut progress,
            ) {
                Poll::Ready(Ok(())) => this.to_client.finished = true,
                Poll::Ready(Err(Failed::Read(e))) => {
                    return Poll::Ready(Err(this.error(ForwardErrorKind::UpstreamRead, Some(e))));
                }
                Poll::Ready(Err(Failed::Write(e))) => {
                    return Poll::Ready(Err(this.error(ForwardErrorKind::ClientWrite, Some(e))));
                }
                Poll::Pending => {}
            }
        }
        if this.to_upstream.finished && this.to_client.finished {
            return Poll::Ready(Ok(this.stats()));
        }

        if let Some(timer) = this.idle.as_mut() {
            if progress {
                timer.last_progress = Instant::now();
            }
            // the sleep is only re-armed when it fires, not on every chunk
            while timer.sleep.as_mut().poll(cx).is_ready() {
                let deadline = timer.last_progress + timer.timeout;
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(this.error(ForwardErrorKind::IdleTimeout, None)));
                }
                timer.sleep.as_mut().reset(deadline);
            }
        }
        Poll::Pending
    }
}

enum Failed {
    Read(io::Error),
    Write(io::Error),
}

/// One direction of the copy: read into `buf`, write it all out, repeat; on EOF flush and
/// shut down the writer.
struct Direction {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    read_eof: bool,
    needs_flush: bool,
    finished: bool,
    written: u64,
}

impl Direction {
    fn new(size: usize) -> Self {
        Self {
            buf: vec![0; size].into_boxed_slice(),
            start: 0,
            end: 0,
            read_eof: false,
            needs_flush: false,
            finished: false,
            written: 0,
        }
    }

    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
        progress: &mut bool,
    ) -> Poll<Result<(), Failed>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        for _ in 0..ROUNDS_PER_POLL {
            if self.start == self.end && !self.read_eof {
                let mut read_buf = ReadBuf::new(&mut self.buf);
                match reader.as_mut().poll_read(cx, &mut read_buf) {
                    Poll::Ready(Ok(())) => {
                        let n = read_buf.filled().len();
                        if n == 0 {
                            self.read_eof = true;
                        } else {
                            self.start = 0;
                            self.end = n;
                            *progress = true;
                        }
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(Failed::Read(e))),
                    Poll::Pending => {
                        // nothing more to read for now: push out what a buffering writer
                        // (TLS, BufWriter) may still hold, so the peer is not kept waiting
                        if self.needs_flush {
                            ready!(writer.as_mut().poll_flush(cx)).map_err(Failed::Write)?;
                            self.needs_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }

            while self.start < self.end {
                let n = ready!(
                    writer
                        .as_mut()
                        .poll_write(cx, &self.buf[self.start..self.end])
                )
                .map_err(Failed::Write)?;
                if n == 0 {
                    return Poll::Ready(Err(Failed::Write(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no bytes",
                    ))));
                }
                self.start += n;
                self.written += n as u64;
                self.needs_flush = true;
                *progress = true;
            }

            if self.read_eof {
                ready!(writer.as_mut().poll_flush(cx)).map_err(Failed::Write)?;
                self.needs_flush = false;
                ready!(writer.as_mut().poll_shutdown(cx)).map_err(Failed::Write)?;
                return Poll::Ready(Ok(()));
            }
        }
        // used up this poll's rounds: let other tasks run, then continue
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_clamps_buffer_size() {
        let cases = [
            (0, MIN_BUFFER_SIZE),
            (1, MIN_BUFFER_SIZE),
            (4096, 4096),
            (usize::MAX, MAX_BUFFER_SIZE),
        ];
        for (asked, got) in cases {
            assert_eq!(
                ForwardConfig::new().with_buffer_size(asked).buffer_size(),
                got
            );
        }
        assert_eq!(ForwardConfig::default(), ForwardConfig::new());
        assert_eq!(
            ForwardConfig::new().buffer_size(),
            DEFAULT_FORWARD_BUFFER_SIZE
        );
    }

    #[test]
    fn errors_built_outside_report_like_ours() {
        let stats = ForwardStats::new(3, 4);
        let err = ForwardError::io(
            ForwardErrorKind::UpstreamWrite,
            stats,
            io::ErrorKind::BrokenPipe.into(),
        );
        assert_eq!(err.kind(), ForwardErrorKind::UpstreamWrite);
        assert!(err.kind().is_upstream_side() && !err.kind().is_client_side());
        assert_eq!(err.stats(), stats);
        assert_eq!(
            err.to_string(),
            "forward: upstream write failed (after 3 bytes client to upstream, 4 bytes upstream to client)"
        );
        let err = ForwardError::idle_timeout(stats, Duration::from_secs(9));
        assert!(err.is_timeout() && err.io_error().is_none());
        assert!(err.to_string().contains("9s"), "{err}");
        assert_eq!(ForwardErrorKind::ClientRead.to_string(), "client read");
    }
}
