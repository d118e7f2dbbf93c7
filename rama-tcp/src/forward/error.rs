//! [`Transferred`] byte counts and [`TcpForwardError`].

use rama_net::stream::{ForwardError, ForwardErrorKind};
use std::{fmt, io, time::Duration};

/// How many bytes [`forward_tcp`](super::forward_tcp) wrote in each direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Transferred {
    /// Bytes read from the client and written to the upstream.
    pub client_to_upstream: u64,
    /// Bytes read from the upstream and written to the client.
    pub upstream_to_client: u64,
}

/// Why [`forward_tcp`](super::forward_tcp) stopped before both directions ended cleanly.
#[derive(Debug)]
pub struct TcpForwardError {
    repr: Repr,
}

#[derive(Debug)]
enum Repr {
    /// From the splice path.
    Splice {
        kind: ForwardErrorKind,
        transferred: Transferred,
        idle: Duration,
        source: Option<io::Error>,
    },
    /// From the user-space copy.
    Copy(ForwardError),
}

impl TcpForwardError {
    pub(crate) const fn new(
        kind: ForwardErrorKind,
        transferred: Transferred,
        idle: Duration,
        source: Option<io::Error>,
    ) -> Self {
        Self {
            repr: Repr::Splice {
                kind,
                transferred,
                idle,
                source,
            },
        }
    }

    pub(crate) const fn from_copy(err: ForwardError) -> Self {
        Self {
            repr: Repr::Copy(err),
        }
    }

    /// Which side and operation failed.
    #[must_use]
    pub const fn kind(&self) -> ForwardErrorKind {
        match &self.repr {
            Repr::Splice { kind, .. } => *kind,
            Repr::Copy(err) => err.kind(),
        }
    }

    /// The bytes written in each direction before the failure.
    #[must_use]
    pub const fn transferred(&self) -> Transferred {
        match &self.repr {
            Repr::Splice { transferred, .. } => *transferred,
            Repr::Copy(err) => {
                let stats = err.stats();
                Transferred {
                    client_to_upstream: stats.client_to_upstream(),
                    upstream_to_client: stats.upstream_to_client(),
                }
            }
        }
    }

    /// No byte moved for the configured idle timeout.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind(), ForwardErrorKind::IdleTimeout)
    }

    /// The I/O error behind the failure (`None` for an idle timeout).
    #[must_use]
    pub const fn io_error(&self) -> Option<&io::Error> {
        match &self.repr {
            Repr::Splice { source, .. } => source.as_ref(),
            Repr::Copy(err) => err.io_error(),
        }
    }
}

fn side(kind: ForwardErrorKind) -> &'static str {
    match kind {
        ForwardErrorKind::ClientRead => "client read",
        ForwardErrorKind::ClientWrite => "client write",
        ForwardErrorKind::UpstreamRead => "upstream read",
        ForwardErrorKind::UpstreamWrite => "upstream write",
        ForwardErrorKind::IdleTimeout => "idle timeout",
    }
}

impl fmt::Display for TcpForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Copy(err) => fmt::Display::fmt(err, f),
            Repr::Splice {
                kind,
                transferred,
                idle,
                ..
            } => {
                if matches!(kind, ForwardErrorKind::IdleTimeout) {
                    write!(f, "forward: no bytes in either direction for {idle:?}")?;
                } else {
                    write!(f, "forward: {} failed", side(*kind))?;
                }
                write!(
                    f,
                    " (after {} bytes client to upstream, {} bytes upstream to client)",
                    transferred.client_to_upstream, transferred.upstream_to_client
                )
            }
        }
    }
}

impl std::error::Error for TcpForwardError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Splice { source, .. } => source
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            Repr::Copy(err) => err.source(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_side_and_the_counts() {
        let err = TcpForwardError::new(
            ForwardErrorKind::UpstreamRead,
            Transferred {
                client_to_upstream: 3,
                upstream_to_client: 4,
            },
            Duration::from_secs(1),
            Some(io::Error::from(io::ErrorKind::ConnectionReset)),
        );
        assert_eq!(
            err.to_string(),
            "forward: upstream read failed (after 3 bytes client to upstream, 4 bytes upstream to client)"
        );
        assert!(!err.is_timeout());
        assert_eq!(
            err.io_error().map(io::Error::kind),
            Some(io::ErrorKind::ConnectionReset)
        );
        assert_eq!(err.transferred().upstream_to_client, 4);

        let idle = TcpForwardError::new(
            ForwardErrorKind::IdleTimeout,
            Transferred::default(),
            Duration::from_secs(2),
            None,
        );
        assert!(idle.is_timeout());
        assert!(
            idle.to_string()
                .starts_with("forward: no bytes in either direction for 2s")
        );
    }
}
