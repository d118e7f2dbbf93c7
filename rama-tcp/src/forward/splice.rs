//! Forwarding between two TCP sockets that switches to `splice(2)` for bulk transfers
//! (Linux only).
//!
//! Each direction starts in *copy* mode: bytes go through a small user-space buffer. A
//! connection that only exchanges a few small messages never pays for a pipe (two `pipe2`,
//! two `fcntl`, four `close`). As soon as one read fills the buffer, or the direction carried
//! [`SPLICE_AFTER`] bytes, the direction switches to *splice* mode: it gets a pipe and bytes
//! move socket → pipe → socket inside the kernel, never through user space. If the kernel
//! refuses to splice (`EINVAL`) or no pipe can be made (out of fds), the direction stays in
//! copy mode with a larger buffer.
//!
//! Readiness comes from tokio's reactor (`poll_read_ready`, `poll_write_ready`, `try_io`),
//! so a direction waits exactly for what it needs: the source to become readable when its
//! buffer or pipe is empty, the destination to become writable when it holds bytes. The one
//! exception is a direction's first write, tried before the reactor reported the
//! destination writable (see `write_before_readiness`).
//!
//! A subtlety of `splice(socket → pipe)`: `EAGAIN` means either "the socket has no data" or
//! "the pipe has no free slot" (a pipe counts pages, one per piece of data, so it can be
//! full with fewer bytes than its size). Only the first may clear the socket's read
//! readiness, otherwise the data left in the socket would never be announced again (tokio's
//! readiness is edge-triggered). So an `EAGAIN` while the pipe holds bytes is treated as
//! "pipe full": the readiness is kept and the direction drains the pipe before reading again.

use super::{
    TcpForwardError, Transferred,
    sys::{Buffer, Pipe, is_unsupported, splice},
};
use rama_net::stream::ForwardErrorKind;
use std::{
    future::poll_fn,
    io,
    os::fd::AsRawFd,
    task::{Context, Poll},
    time::Duration,
};
use tokio::{io::Interest, net::TcpStream, time::Instant};

/// The size of a pipe in splice mode; the kernel rounds it up to a power of two of pages.
/// Larger pipes mean fewer `splice` calls per byte.
pub(crate) const PIPE_SIZE: usize = 1 << 20;

/// The buffer of copy mode. A read that fills it switches the direction to splice.
const COPY_BUFFER: usize = 16 * 1024;

/// After this many bytes a direction switches to splice even if no read filled the buffer.
pub(crate) const SPLICE_AFTER: u64 = 256 * 1024;

/// The buffer of a direction that cannot splice.
const FALLBACK_BUFFER: usize = 64 * 1024;

/// How bytes move in one direction.
#[derive(Debug)]
enum Mode {
    /// Through a user-space buffer.
    Copy(Buffer),
    /// Through a pipe holding `in_pipe` bytes. `pipe_full`: the last read hit `EAGAIN`
    /// while the pipe held bytes, so drain it before reading again.
    Splice {
        pipe: Pipe,
        in_pipe: usize,
        pipe_full: bool,
    },
}

/// The state of one direction (source socket → buffer or pipe → destination socket).
#[derive(Debug)]
struct Direction {
    mode: Mode,
    /// Switch to splice once the buffer is drained.
    upgrade: bool,
    /// Splice failed or is not wanted: stay in copy mode.
    copy_only: bool,
    /// Splice mode was used at some point.
    spliced: bool,
    /// The size of a pipe when switching to splice.
    pipe_size: usize,
    /// The source reached end of stream.
    read_eof: bool,
    /// The destination's write side was shut down: this direction is finished.
    done: bool,
    /// Bytes written to the destination.
    written: u64,
    /// Bytes read from the source.
    read: u64,
    /// The first write was tried before tokio reported the destination writable (see
    /// [`write_before_readiness`]).
    early_write_tried: bool,
}

impl Direction {
    fn new(pipe_size: usize, copy_only: bool) -> Self {
        Self {
            mode: Mode::Copy(Buffer::new(if copy_only {
                FALLBACK_BUFFER
            } else {
                COPY_BUFFER
            })),
            upgrade: false,
            copy_only,
            spliced: false,
            pipe_size,
            read_eof: false,
            done: false,
            written: 0,
            read: 0,
            early_write_tried: false,
        }
    }
}

/// Which end of a direction failed.
enum Failed {
    /// Reading from the source failed.
    Read(io::Error),
    /// Writing to or shutting down the destination failed.
    Write(io::Error),
}

/// How to forward: the pipe size of splice mode, or copy mode only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpliceConfig {
    pub(crate) pipe_size: usize,
    pub(crate) copy_only: bool,
    /// The caller closes both sockets as soon as the forwarding ends, so the last
    /// direction to finish skips its `shutdown(SHUT_WR)`: the close sends the FIN.
    pub(crate) close_follows: bool,
}

impl Default for SpliceConfig {
    fn default() -> Self {
        Self {
            pipe_size: PIPE_SIZE,
            copy_only: false,
            close_follows: false,
        }
    }
}

/// What a finished forwarding reports: the byte counts, and whether each direction ended
/// in splice mode (for tests).
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) transferred: Transferred,
    #[cfg_attr(not(test), expect(dead_code, reason = "read by tests only"))]
    pub(crate) spliced: (bool, bool),
}

/// Forward `client` ⇄ `upstream` until both directions reached end of stream (each end's
/// write side is shut down after the other's EOF), an error happens, or no byte moved for
/// `idle_timeout`.
pub(crate) async fn forward(
    client: &TcpStream,
    upstream: &TcpStream,
    idle_timeout: Option<Duration>,
    config: SpliceConfig,
) -> Result<Outcome, TcpForwardError> {
    let mut to_upstream = Direction::new(config.pipe_size, config.copy_only);
    let mut to_client = Direction::new(config.pipe_size, config.copy_only);
    // a far-away deadline stands in for "no timeout" so the poll below stays simple
    // the idle timer is re-armed only when it fires, not on every chunk: a timer-wheel
    // update per read would cost more than the read on short connections
    // clamped so that `Instant + idle` cannot overflow; a year is "never" for a tunnel
    let idle_timeout = idle_timeout.map(|d| d.min(Duration::from_secs(365 * 86_400)));
    let idle = idle_timeout.unwrap_or(Duration::ZERO);
    let mut sleep = idle_timeout.map(|d| Box::pin(tokio::time::sleep(d)));
    let mut last_activity = 0u64;
    let mut last_progress = Instant::now();

    let result = poll_fn(|cx| {
        let outcome = poll_both(
            cx,
            client,
            upstream,
            &mut to_upstream,
            &mut to_client,
            config.close_follows,
        );
        if outcome.is_ready() {
            return outcome;
        }
        let activity = to_upstream.read + to_upstream.written + to_client.read + to_client.written;
        if activity != last_activity {
            last_activity = activity;
            last_progress = Instant::now();
        }
        if let Some(sleep) = sleep.as_mut() {
            while sleep.as_mut().poll(cx).is_ready() {
                let deadline = last_progress + idle;
                if Instant::now() >= deadline {
                    return Poll::Ready(Err((ForwardErrorKind::IdleTimeout, None)));
                }
                sleep.as_mut().reset(deadline);
            }
        }
        Poll::Pending
    })
    .await;

    let transferred = Transferred {
        client_to_upstream: to_upstream.written,
        upstream_to_client: to_client.written,
    };
    match result {
        Ok(()) => Ok(Outcome {
            transferred,
            spliced: (to_upstream.spliced, to_client.spliced),
        }),
        Err((kind, source)) => Err(TcpForwardError::new(kind, transferred, idle, source)),
    }
}

type PollError = (ForwardErrorKind, Option<io::Error>);

fn poll_both(
    cx: &mut Context<'_>,
    client: &TcpStream,
    upstream: &TcpStream,
    to_upstream: &mut Direction,
    to_client: &mut Direction,
    close_follows: bool,
) -> Poll<Result<(), PollError>> {
    if !to_upstream.done {
        let last = close_follows && to_client.done;
        match poll_direction(cx, client, upstream, to_upstream, last) {
            Ok(()) => {}
            Err(Failed::Read(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::ClientRead, Some(e))));
            }
            Err(Failed::Write(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::UpstreamWrite, Some(e))));
            }
        }
    }
    if !to_client.done {
        let last = close_follows && to_upstream.done;
        match poll_direction(cx, upstream, client, to_client, last) {
            Ok(()) => {}
            Err(Failed::Read(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::UpstreamRead, Some(e))));
            }
            Err(Failed::Write(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::ClientWrite, Some(e))));
            }
        }
    }
    if to_upstream.done && to_client.done {
        Poll::Ready(Ok(()))
    } else {
        Poll::Pending
    }
}

/// Drive one direction as far as it goes without blocking; on return either the direction
/// is done or the wakers it waits for are registered. `closing`: the sockets are closed
/// right after this direction ends, so its half-close is left to the close.
fn poll_direction(
    cx: &mut Context<'_>,
    from: &TcpStream,
    to: &TcpStream,
    st: &mut Direction,
    closing: bool,
) -> Result<(), Failed> {
    loop {
        let again = match &mut st.mode {
            Mode::Copy(_) => step_copy(cx, from, to, st)?,
            Mode::Splice { .. } => step_splice(cx, from, to, st)?,
        };

        let drained = match &st.mode {
            Mode::Copy(buf) => buf.is_empty(),
            Mode::Splice { in_pipe, .. } => *in_pipe == 0,
        };
        if st.read_eof && drained {
            if !closing {
                shutdown_write(to).map_err(Failed::Write)?;
            }
            st.done = true;
            // give the pipe's fds and the buffer back now, not when the other side ends
            st.mode = Mode::Copy(Buffer::new(0));
            return Ok(());
        }
        if !again {
            return Ok(());
        }
    }
}

/// One round of copy mode. Returns whether to go round again.
fn step_copy(
    cx: &mut Context<'_>,
    from: &TcpStream,
    to: &TcpStream,
    st: &mut Direction,
) -> Result<bool, Failed> {
    let Mode::Copy(buf) = &mut st.mode else {
        return Ok(false);
    };
    let mut again = false;

    if buf.is_empty() && st.upgrade && !st.read_eof {
        st.upgrade = false;
        match Pipe::new(st.pipe_size) {
            Ok(pipe) => {
                st.spliced = true;
                st.mode = Mode::Splice {
                    pipe,
                    in_pipe: 0,
                    pipe_full: false,
                };
                return Ok(true);
            }
            Err(err) => {
                tracing::debug!(%err, "no pipe for splice, forwarding with a user-space copy");
                st.copy_only = true;
                *buf = Buffer::new(FALLBACK_BUFFER);
            }
        }
    }

    if buf.is_empty()
        && !st.read_eof
        && let Poll::Ready(ready) = from.poll_read_ready(cx)
    {
        ready.map_err(Failed::Read)?;
        let fd = from.as_raw_fd();
        let mut short = None;
        let res = from.try_io(Interest::READABLE, || {
            let n = buf.recv_from(fd)?;
            if n > 0 && n < buf.capacity() {
                // a short read emptied the socket's queue: report "would block" to tokio so
                // it clears the readiness now, which saves the read that would only say
                // EAGAIN (tokio's own poll_read does the same)
                short = Some(n);
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        });
        let read = match (res, short) {
            (_, Some(n)) | (Ok(n), None) => Some(n),
            // readiness was cleared: the next round registers the waker
            (Err(e), None) if e.kind() == io::ErrorKind::WouldBlock => None,
            (Err(e), None) => return Err(Failed::Read(e)),
        };
        match read {
            Some(0) => st.read_eof = true,
            Some(n) => {
                st.read += n as u64;
                if !st.copy_only && (n == buf.capacity() || st.read >= SPLICE_AFTER) {
                    st.upgrade = true;
                }
            }
            None => {}
        }
        again = true;
    }

    if !buf.is_empty() {
        let wrote = match to.poll_write_ready(cx) {
            Poll::Ready(ready) => {
                ready.map_err(Failed::Write)?;
                again = true;
                written(to.try_write(buf.pending()))?
            }
            Poll::Pending if !st.early_write_tried => {
                st.early_write_tried = true;
                write_before_readiness(to, buf.pending())?
            }
            Poll::Pending => None,
        };
        if let Some(n) = wrote {
            buf.consume(n);
            st.written += n as u64;
            again = true;
        }
    }
    Ok(again)
}

/// The first write of a direction, tried while tokio has not reported `to` writable yet.
///
/// A new upstream connection is writable at once, but tokio learns that only from the
/// reactor's next turn (its readiness starts empty when the socket is registered), so the
/// first bytes a client sends would wait for a turn of the event loop: an `epoll_wait`
/// per connection. Sending straight away saves it; `EAGAIN` just means the wait was needed
/// after all, and the waker `poll_write_ready` registered stays in place for it. Only the
/// first write of a direction is tried this way: later ones find the readiness that the
/// reactor has reported by then.
fn write_before_readiness(to: &TcpStream, bytes: &[u8]) -> Result<Option<usize>, Failed> {
    // MSG_NOSIGNAL: a peer that is gone is an EPIPE error, not a SIGPIPE (tokio's writes
    // ask for the same)
    written(socket2::SockRef::from(to).send_with_flags(bytes, libc::MSG_NOSIGNAL))
}

/// What a non-blocking write of a non-empty buffer did: `Some(n)` bytes, `None` when the
/// destination is full (`EAGAIN`), or the error (also for a destination that took none).
fn written(res: io::Result<usize>) -> Result<Option<usize>, Failed> {
    match res {
        Ok(0) => Err(Failed::Write(io::Error::new(
            io::ErrorKind::WriteZero,
            "the destination accepted no bytes",
        ))),
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(Failed::Write(e)),
    }
}

/// One round of splice mode. Returns whether to go round again.
fn step_splice(
    cx: &mut Context<'_>,
    from: &TcpStream,
    to: &TcpStream,
    st: &mut Direction,
) -> Result<bool, Failed> {
    let Mode::Splice {
        pipe,
        in_pipe,
        pipe_full,
    } = &mut st.mode
    else {
        return Ok(false);
    };
    let mut again = false;

    // 1. fill the pipe from the source
    if !st.read_eof
        && !*pipe_full
        && *in_pipe < pipe.capacity()
        && let Poll::Ready(ready) = from.poll_read_ready(cx)
    {
        ready.map_err(Failed::Read)?;
        let (want, had) = (pipe.capacity() - *in_pipe, *in_pipe);
        let (from_fd, pipe_w) = (from.as_raw_fd(), pipe.write_fd());
        let res = from.try_io(Interest::READABLE, || {
            match splice(from_fd, pipe_w, want) {
                // the pipe holds bytes, so EAGAIN may mean "pipe full": keep the socket's
                // readiness (see the module docs)
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && had > 0 => Ok(None),
                other => other.map(Some),
            }
        });
        match res {
            Ok(Some(0)) => st.read_eof = true,
            Ok(Some(n)) => {
                *in_pipe += n;
                st.read += n as u64;
            }
            Ok(None) => *pipe_full = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if is_unsupported(&e) && had == 0 => {
                // these sockets cannot be spliced: copy instead, for good
                tracing::debug!(err = %e, "splice refused, forwarding with a user-space copy");
                st.copy_only = true;
                st.mode = Mode::Copy(Buffer::new(FALLBACK_BUFFER));
                return Ok(true);
            }
            Err(e) => return Err(Failed::Read(e)),
        }
        again = true;
    }

    // 2. drain the pipe into the destination
    if *in_pipe > 0
        && let Poll::Ready(ready) = to.poll_write_ready(cx)
    {
        ready.map_err(Failed::Write)?;
        let (pipe_r, to_fd, len) = (pipe.read_fd(), to.as_raw_fd(), *in_pipe);
        match to.try_io(Interest::WRITABLE, || splice(pipe_r, to_fd, len)) {
            Ok(0) => {
                return Err(Failed::Write(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "splice wrote no byte to the destination",
                )));
            }
            Ok(n) => {
                *in_pipe -= n;
                st.written += n as u64;
                *pipe_full = false;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Failed::Write(e)),
        }
        again = true;
    }
    Ok(again)
}

/// Shut down the write side of `stream`; a peer that is already gone is not an error.
fn shutdown_write(stream: &TcpStream) -> io::Result<()> {
    match socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_start_in_copy_mode() {
        let d = Direction::new(PIPE_SIZE, false);
        assert!(!d.spliced);
        match d.mode {
            Mode::Copy(buf) => assert_eq!(buf.capacity(), COPY_BUFFER),
            Mode::Splice { .. } => unreachable!(),
        }
        match Direction::new(PIPE_SIZE, true).mode {
            Mode::Copy(buf) => assert_eq!(buf.capacity(), FALLBACK_BUFFER),
            Mode::Splice { .. } => unreachable!(),
        }
    }
}
