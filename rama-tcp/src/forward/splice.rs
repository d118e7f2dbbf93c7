//! Zero-copy forwarding between two TCP sockets with `splice(2)` (Linux only).
//!
//! Each direction owns a pipe: bytes move socket → pipe → socket inside the kernel, never
//! through user space. Readiness comes from tokio's reactor (`poll_read_ready`,
//! `poll_write_ready`, `try_io`), so a direction waits exactly for what it needs: the source
//! to become readable when its pipe is empty, the destination to become writable when its
//! pipe holds bytes.
//!
//! A subtlety of `splice(socket → pipe)`: `EAGAIN` means either "the socket has no data" or
//! "the pipe has no free slot" (a pipe counts pages, not bytes, so it can be full with fewer
//! bytes than its size). Only the first may clear the socket's read readiness, otherwise the
//! data left in the socket would never be announced again (tokio's readiness is
//! edge-triggered). So an `EAGAIN` while the pipe holds bytes is treated as "pipe full": the
//! readiness is kept and the direction drains the pipe before reading again.

use super::{TcpForwardError, Transferred};
use rama_net::stream::ForwardErrorKind;
use std::{
    future::poll_fn,
    io,
    os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
    pin::pin,
    task::{Context, Poll, ready},
    time::Duration,
};
use tokio::{io::Interest, net::TcpStream, time::Instant};

/// How many bytes a pipe should hold; the kernel rounds up to a power of two of pages.
///
/// Larger pipes mean fewer `splice` calls per byte. Unprivileged users are limited in the
/// total size of their pipes (`/proc/sys/fs/pipe-user-pages-soft`); when the resize is
/// refused the default size (64 KiB) is kept.
pub(crate) const PIPE_SIZE: usize = 1 << 20;

/// A pipe used as the in-kernel buffer of one direction. Both ends close on drop.
#[derive(Debug)]
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    fn new(size: usize) -> io::Result<Self> {
        let mut fds: [libc::c_int; 2] = [-1, -1];
        // SAFETY: `fds` is a valid, writable array of two c_ints, as pipe2 requires.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both fds are open and owned by nobody else; each
        // OwnedFd takes sole ownership and closes it on drop.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let requested = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        // SAFETY: F_SETPIPE_SZ takes an int argument and only acts on the open fd we own.
        let set = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, requested) };
        let capacity = if set > 0 {
            usize::try_from(set).unwrap_or(DEFAULT_PIPE_SIZE)
        } else {
            // refused (limit reached): keep the default size
            // SAFETY: F_GETPIPE_SZ takes no argument and only reads the pipe's size.
            let got = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ) };
            usize::try_from(got)
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_PIPE_SIZE)
        };
        Ok(Self {
            read,
            write,
            capacity,
        })
    }
}

const DEFAULT_PIPE_SIZE: usize = 1 << 16;

/// Move up to `len` bytes from `fd_in` to `fd_out`, one of which is a pipe, without blocking.
fn splice(fd_in: RawFd, fd_out: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: both fds are open for the duration of the call (they are borrowed from live
    // sockets and pipes owned by the caller); null offsets are required for pipes and
    // sockets; splice reads and writes no user memory.
    let n = unsafe {
        libc::splice(
            fd_in,
            std::ptr::null_mut(),
            fd_out,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        // n >= 0 and at most `len`, so it fits in usize
        Ok(n.unsigned_abs())
    }
}

/// The state of one direction (source socket → pipe → destination socket).
#[derive(Debug)]
struct Direction {
    pipe: Pipe,
    /// Bytes in the pipe, read from the source and not yet written to the destination.
    in_pipe: usize,
    /// The last read hit `EAGAIN` while the pipe held bytes: drain before reading again.
    pipe_full: bool,
    /// The source reached end of stream.
    read_eof: bool,
    /// The destination's write side was shut down: this direction is finished.
    done: bool,
    /// Bytes written to the destination.
    written: u64,
    /// Bytes read from the source (activity, for the idle timer).
    read: u64,
}

impl Direction {
    const fn new(pipe: Pipe) -> Self {
        Self {
            pipe,
            in_pipe: 0,
            pipe_full: false,
            read_eof: false,
            done: false,
            written: 0,
            read: 0,
        }
    }
}

/// What one poll of a direction ended with.
enum Step {
    /// The direction is finished (EOF forwarded, write side shut down).
    Done,
    /// Waiting for readiness; the wakers are registered.
    Pending,
}

/// Which end of a direction failed.
enum Failed {
    /// Reading from the source (or creating the pipe) failed.
    Read(io::Error),
    /// Writing to or shutting down the destination failed.
    Write(io::Error),
}

/// Why the splice path stopped early.
#[derive(Debug)]
pub(crate) enum SpliceFailure {
    /// Splice cannot be used for these sockets (no byte was moved yet): use a user-space copy.
    Unsupported(io::Error),
    /// The forwarding failed.
    Failed(TcpForwardError),
}

/// Whether a `splice` error means "this pair of fds cannot be spliced" rather than an IO
/// failure of the connection.
fn is_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

/// Forward `client` ⇄ `upstream` with splice until both directions reached end of stream
/// (each end's write side is shut down after the other's EOF), an error happens, or no byte
/// moved for `idle_timeout`.
pub(crate) async fn splice_bidirectional(
    client: &TcpStream,
    upstream: &TcpStream,
    idle_timeout: Option<Duration>,
    pipe_size: usize,
) -> Result<Transferred, SpliceFailure> {
    // both pipes up front: if the process is out of fds, the copy fallback still works
    let mut to_upstream = Direction::new(Pipe::new(pipe_size).map_err(SpliceFailure::Unsupported)?);
    let mut to_client = Direction::new(Pipe::new(pipe_size).map_err(SpliceFailure::Unsupported)?);
    // a far-away deadline stands in for "no timeout" so the poll below stays simple
    let idle = idle_timeout.unwrap_or(Duration::from_secs(86_400 * 365));
    let mut sleep = pin!(tokio::time::sleep(idle));
    let mut last_activity = 0u64;

    let result: Result<(), (ForwardErrorKind, Option<io::Error>)> = poll_fn(|cx| {
        let outcome = poll_both(cx, client, upstream, &mut to_upstream, &mut to_client);
        let activity = to_upstream.read + to_upstream.written + to_client.read + to_client.written;
        if activity != last_activity {
            last_activity = activity;
            sleep.as_mut().reset(Instant::now() + idle);
        }
        match outcome {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => {
                ready!(sleep.as_mut().poll(cx));
                Poll::Ready(Err((ForwardErrorKind::IdleTimeout, None)))
            }
        }
    })
    .await;

    let transferred = Transferred {
        client_to_upstream: to_upstream.written,
        upstream_to_client: to_client.written,
    };
    match result {
        Ok(()) => Ok(transferred),
        Err((_, Some(err)))
            if is_unsupported(&err) && to_upstream.read == 0 && to_client.read == 0 =>
        {
            Err(SpliceFailure::Unsupported(err))
        }
        Err((kind, source)) => Err(SpliceFailure::Failed(TcpForwardError::new(
            kind,
            transferred,
            idle,
            source,
        ))),
    }
}

fn poll_both(
    cx: &mut Context<'_>,
    client: &TcpStream,
    upstream: &TcpStream,
    to_upstream: &mut Direction,
    to_client: &mut Direction,
) -> Poll<Result<(), (ForwardErrorKind, Option<io::Error>)>> {
    let up = if to_upstream.done {
        Step::Done
    } else {
        match poll_direction(cx, client, upstream, to_upstream) {
            Ok(step) => step,
            Err(Failed::Read(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::ClientRead, Some(e))));
            }
            Err(Failed::Write(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::UpstreamWrite, Some(e))));
            }
        }
    };
    let down = if to_client.done {
        Step::Done
    } else {
        match poll_direction(cx, upstream, client, to_client) {
            Ok(step) => step,
            Err(Failed::Read(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::UpstreamRead, Some(e))));
            }
            Err(Failed::Write(e)) => {
                return Poll::Ready(Err((ForwardErrorKind::ClientWrite, Some(e))));
            }
        }
    };
    match (up, down) {
        (Step::Done, Step::Done) => Poll::Ready(Ok(())),
        _ => Poll::Pending,
    }
}

/// Drive one direction as far as it goes without blocking.
fn poll_direction(
    cx: &mut Context<'_>,
    from: &TcpStream,
    to: &TcpStream,
    st: &mut Direction,
) -> Result<Step, Failed> {
    loop {
        let mut again = false;

        // 1. fill the pipe from the source
        if !st.read_eof
            && !st.pipe_full
            && st.in_pipe < st.pipe.capacity
            && let Poll::Ready(ready) = from.poll_read_ready(cx)
        {
            ready.map_err(Failed::Read)?;
            let want = st.pipe.capacity - st.in_pipe;
            let had = st.in_pipe;
            let (from_fd, pipe_w) = (from.as_raw_fd(), st.pipe.write.as_raw_fd());
            let res = from.try_io(Interest::READABLE, || {
                match splice(from_fd, pipe_w, want) {
                    // the pipe holds bytes, so EAGAIN may mean "pipe full": keep the
                    // socket's readiness (see the module docs)
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock && had > 0 => Ok(None),
                    other => other.map(Some),
                }
            });
            match res {
                Ok(Some(0)) => {
                    st.read_eof = true;
                    again = true;
                }
                Ok(Some(n)) => {
                    st.in_pipe += n;
                    st.read += n as u64;
                    again = true;
                }
                Ok(None) => st.pipe_full = true,
                // readiness was cleared: poll again to register the waker
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => again = true,
                Err(e) => return Err(Failed::Read(e)),
            }
        }

        // 2. drain the pipe into the destination
        if st.in_pipe > 0
            && let Poll::Ready(ready) = to.poll_write_ready(cx)
        {
            ready.map_err(Failed::Write)?;
            let (pipe_r, to_fd, len) = (st.pipe.read.as_raw_fd(), to.as_raw_fd(), st.in_pipe);
            match to.try_io(Interest::WRITABLE, || splice(pipe_r, to_fd, len)) {
                Ok(0) => {
                    return Err(Failed::Write(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "splice wrote no byte to the destination",
                    )));
                }
                Ok(n) => {
                    st.in_pipe -= n;
                    st.written += n as u64;
                    st.pipe_full = false;
                    again = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => again = true,
                Err(e) => return Err(Failed::Write(e)),
            }
        }

        // 3. end of stream reached and forwarded: half-close the destination
        if st.read_eof && st.in_pipe == 0 {
            shutdown_write(to).map_err(Failed::Write)?;
            st.done = true;
            return Ok(Step::Done);
        }

        if !again {
            return Ok(Step::Pending);
        }
    }
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
    fn pipe_has_a_capacity() {
        let pipe = Pipe::new(PIPE_SIZE).unwrap();
        assert!(pipe.capacity >= DEFAULT_PIPE_SIZE);
        assert_ne!(pipe.read.as_raw_fd(), pipe.write.as_raw_fd());
    }

    #[test]
    fn splice_between_non_pipes_is_unsupported() {
        // neither end is a pipe: the kernel refuses with EINVAL, the fallback trigger
        let input = std::fs::File::open("/dev/zero").unwrap();
        let output = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        let err = splice(input.as_raw_fd(), output.as_raw_fd(), 1).unwrap_err();
        assert!(is_unsupported(&err), "{err}");
    }
}
