//! What to do when `accept(2)` fails: retry at once, or back off and retry.
//!
//! An accept loop must never die of an error: a connection that was reset before it could be
//! accepted is that connection's problem, and running out of file descriptors or memory is a
//! state that passes once other connections close. Retrying the latter at once would spin the
//! CPU at 100% while the condition lasts, so the loop sleeps, doubling the pause from
//! [`MIN_BACKOFF`] up to [`MAX_BACKOFF`], until an accept succeeds again.

use std::{io, time::Duration};

/// The first pause after a resource error.
pub(crate) const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// The longest pause between retries while resources stay exhausted.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How an accept error is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptErrorClass {
    /// Only the connection being accepted failed (it was aborted or reset, or its protocol
    /// reported an error): accept the next one at once.
    Connection,
    /// The process or the system ran out of a resource (fds, buffers, memory): back off.
    Resource,
    /// Anything else: log it loudly and back off, as the cause is unknown.
    Other,
}

/// Classify an accept error.
pub(crate) fn classify(err: &io::Error) -> AcceptErrorClass {
    match err.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionRefused
        | io::ErrorKind::Interrupted
        | io::ErrorKind::WouldBlock => return AcceptErrorClass::Connection,
        io::ErrorKind::OutOfMemory => return AcceptErrorClass::Resource,
        _ => {}
    }
    #[cfg(unix)]
    if let Some(code) = err.raw_os_error() {
        // Linux's accept(2) passes on errors of the new socket's protocol: treat them as
        // belonging to that connection (the man page asks to retry them like EAGAIN).
        #[cfg(target_os = "linux")]
        if matches!(
            code,
            libc::ENETDOWN
                | libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
                | libc::ETIMEDOUT
        ) {
            return AcceptErrorClass::Connection;
        }
        if matches!(
            code,
            libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM
        ) {
            return AcceptErrorClass::Resource;
        }
    }
    AcceptErrorClass::Other
}

/// Doubling pauses between `MIN_BACKOFF` and `MAX_BACKOFF`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) const fn new() -> Self {
        Self { next: MIN_BACKOFF }
    }

    /// The pause to take now; the next one is twice as long, up to the maximum.
    pub(crate) fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        pause
    }

    /// Start over from the shortest pause (an accept succeeded).
    pub(crate) const fn reset(&mut self) {
        self.next = MIN_BACKOFF;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_accept_errors() {
        let cases: &[(io::Error, AcceptErrorClass)] = &[
            (
                io::Error::from_raw_os_error(libc::ECONNABORTED),
                AcceptErrorClass::Connection,
            ),
            (
                io::Error::from_raw_os_error(libc::ECONNRESET),
                AcceptErrorClass::Connection,
            ),
            (
                io::Error::from_raw_os_error(libc::EINTR),
                AcceptErrorClass::Connection,
            ),
            (
                io::Error::from_raw_os_error(libc::EAGAIN),
                AcceptErrorClass::Connection,
            ),
            (
                io::Error::from_raw_os_error(libc::EMFILE),
                AcceptErrorClass::Resource,
            ),
            (
                io::Error::from_raw_os_error(libc::ENFILE),
                AcceptErrorClass::Resource,
            ),
            (
                io::Error::from_raw_os_error(libc::ENOBUFS),
                AcceptErrorClass::Resource,
            ),
            (
                io::Error::from_raw_os_error(libc::ENOMEM),
                AcceptErrorClass::Resource,
            ),
            (
                io::Error::from(io::ErrorKind::OutOfMemory),
                AcceptErrorClass::Resource,
            ),
            (
                io::Error::from_raw_os_error(libc::EBADF),
                AcceptErrorClass::Other,
            ),
            (
                io::Error::from_raw_os_error(libc::EINVAL),
                AcceptErrorClass::Other,
            ),
            (io::Error::other("strange"), AcceptErrorClass::Other),
        ];
        for (err, want) in cases {
            assert_eq!(classify(err), *want, "{err}");
        }
        #[cfg(target_os = "linux")]
        assert_eq!(
            classify(&io::Error::from_raw_os_error(libc::EPROTO)),
            AcceptErrorClass::Connection
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets() {
        let mut b = Backoff::new();
        let pauses: Vec<_> = (0..9).map(|_| b.next_pause()).collect();
        assert_eq!(pauses[0], Duration::from_millis(10));
        assert_eq!(pauses[1], Duration::from_millis(20));
        assert_eq!(pauses[2], Duration::from_millis(40));
        assert_eq!(pauses[6], Duration::from_millis(640));
        assert_eq!(pauses[7], MAX_BACKOFF);
        assert_eq!(pauses[8], MAX_BACKOFF);
        b.reset();
        assert_eq!(b.next_pause(), MIN_BACKOFF);
    }
}
