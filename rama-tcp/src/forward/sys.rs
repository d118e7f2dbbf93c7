//! The system-call wrappers of the Linux forwarding path: [`Pipe`], [`splice`] and the
//! copy-mode [`Buffer`] that receives into uninitialised memory.
//!
//! All the `unsafe` of the forwarding lives here.

use std::{
    io,
    mem::MaybeUninit,
    os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
};

/// The size of a pipe when the kernel does not tell (Linux's default, 16 pages).
const DEFAULT_PIPE_SIZE: usize = 1 << 16;

/// A non-blocking pipe, the in-kernel buffer of one forwarding direction. Both ends close
/// on drop.
#[derive(Debug)]
pub(crate) struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    /// A pipe of (at least) `size` bytes, or of the default size when the kernel refuses to
    /// grow it (unprivileged users are limited by `/proc/sys/fs/pipe-user-pages-soft`).
    pub(crate) fn new(size: usize) -> io::Result<Self> {
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
            // SAFETY: F_GETPIPE_SZ takes no argument and only reads the size of our pipe.
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

    /// How many bytes the pipe holds at most (fewer when the data arrived in small pieces:
    /// the kernel counts pages, one per piece).
    pub(crate) const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The end to splice into.
    pub(crate) fn write_fd(&self) -> RawFd {
        self.write.as_raw_fd()
    }

    /// The end to splice from.
    pub(crate) fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

/// Move up to `len` bytes from `fd_in` to `fd_out`, one of which must be a pipe, without
/// blocking (`SPLICE_F_NONBLOCK`) and moving pages instead of copying where possible
/// (`SPLICE_F_MOVE`).
///
/// The caller keeps both fds open for the duration of the call.
///
/// Unlike `send`, `splice` has no `MSG_NOSIGNAL`: writing into a socket whose peer is gone
/// raises `SIGPIPE`. Rust programs ignore `SIGPIPE` from the start (the standard library sets
/// it to `SIG_IGN` before `main`), so the call fails with `EPIPE` instead; a host program
/// that restores the default handler must ignore `SIGPIPE` itself.
pub(crate) fn splice(fd_in: RawFd, fd_out: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: the caller keeps both fds open during the call; null offsets are what pipes
    // and sockets require; splice reads and writes no memory of this process.
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
        // 0 <= n <= len
        Ok(n.unsigned_abs())
    }
}

/// A receive buffer that is never zeroed: `recv` writes into it, and only the bytes it
/// wrote are ever read. Zeroing a fresh buffer per connection showed up in profiles of
/// short connections.
#[derive(Debug)]
pub(crate) struct Buffer {
    mem: Box<[MaybeUninit<u8>]>,
    /// `mem[start..end]` was written by the last `recv` and not yet consumed.
    start: usize,
    end: usize,
}

impl Buffer {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            mem: Box::new_uninit_slice(capacity),
            start: 0,
            end: 0,
        }
    }

    /// How many bytes one `recv` can fill.
    pub(crate) const fn capacity(&self) -> usize {
        self.mem.len()
    }

    /// No received byte is waiting to be written.
    pub(crate) const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Receive from the socket `fd` into the (empty) buffer without blocking; returns the
    /// number of bytes received, 0 at end of stream.
    ///
    /// The caller keeps `fd` open for the duration of the call.
    pub(crate) fn recv_from(&mut self, fd: RawFd) -> io::Result<usize> {
        debug_assert!(self.is_empty(), "recv into a buffer that still holds bytes");
        // SAFETY: `mem` is a valid, writable region of `mem.len()` bytes for the whole call;
        // recv writes at most that many and never reads them, so uninitialised memory is
        // fine; the caller keeps `fd` open.
        let n = unsafe { libc::recv(fd, self.mem.as_mut_ptr().cast(), self.mem.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // 0 <= n <= mem.len()
        let n = n.unsigned_abs();
        (self.start, self.end) = (0, n);
        Ok(n)
    }

    /// The received bytes not yet consumed.
    pub(crate) fn pending(&self) -> &[u8] {
        let pending = &self.mem[self.start..self.end];
        // SAFETY: `start <= end <= n` of the last successful recv, which initialised
        // `mem[..n]`; MaybeUninit<u8> and u8 have the same layout.
        unsafe { &*(std::ptr::from_ref(pending) as *const [u8]) }
    }

    /// Mark `n` pending bytes as written.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }
}

/// Whether a `splice` error means "these fds cannot be spliced" rather than an I/O failure
/// of the connection.
pub(crate) fn is_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_pipe_carries_bytes_and_reports_its_capacity() {
        let pipe = Pipe::new(1 << 20).unwrap();
        assert!(pipe.capacity() >= DEFAULT_PIPE_SIZE);
        // SAFETY (test): the fds stay owned by `pipe`; ManuallyDrop keeps the File from
        // closing them.
        let mut w =
            std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(pipe.write_fd()) });
        let mut r =
            std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(pipe.read_fd()) });
        w.write_all(b"through").unwrap();
        let mut buf = [0u8; 7];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"through");
    }

    #[test]
    fn splice_between_two_non_pipes_is_unsupported() {
        // neither end is a pipe: the kernel refuses with EINVAL, the fallback trigger
        let input = std::fs::File::open("/dev/zero").unwrap();
        let output = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        let err = splice(input.as_raw_fd(), output.as_raw_fd(), 1).unwrap_err();
        assert!(is_unsupported(&err), "{err}");
        assert!(!is_unsupported(&io::Error::from_raw_os_error(
            libc::ECONNRESET
        )));
    }

    #[test]
    fn buffer_receives_and_hands_out_only_received_bytes() {
        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let mut buf = Buffer::new(8);
        assert_eq!(buf.capacity(), 8);
        assert!(buf.is_empty() && buf.pending().is_empty());
        a.write_all(b"hey").unwrap();
        assert_eq!(buf.recv_from(b.as_raw_fd()).unwrap(), 3);
        assert_eq!(buf.pending(), b"hey");
        buf.consume(1);
        assert_eq!(buf.pending(), b"ey");
        buf.consume(10);
        assert!(buf.is_empty());
        let err = buf.recv_from(b.as_raw_fd()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        a.write_all(b"0123456789").unwrap();
        assert_eq!(buf.recv_from(b.as_raw_fd()).unwrap(), 8);
        assert_eq!(buf.pending(), b"01234567");
        buf.consume(8);
        assert_eq!(buf.recv_from(b.as_raw_fd()).unwrap(), 2);
        assert_eq!(buf.pending(), b"89");
        buf.consume(2);
        drop(a);
        assert_eq!(buf.recv_from(b.as_raw_fd()).unwrap(), 0);
    }

    #[test]
    fn splice_moves_bytes_from_a_pipe_to_a_file() {
        let pipe = Pipe::new(4096).unwrap();
        // SAFETY (test): see above.
        let mut w =
            std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(pipe.write_fd()) });
        w.write_all(b"abc").unwrap();
        let sink = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        assert_eq!(splice(pipe.read_fd(), sink.as_raw_fd(), 10).unwrap(), 3);
        // the pipe is empty now: non-blocking splice says so
        let err = splice(pipe.read_fd(), sink.as_raw_fd(), 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
}
