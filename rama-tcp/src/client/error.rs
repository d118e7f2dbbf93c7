//! [`TcpConnectError`]: why a connect failed, naming the target.

use rama_core::error::BoxError;
use rama_net::address::{Authority, ProxyAddress};
use std::{fmt, io, net::SocketAddr, time::Duration};

/// A TCP connect failed. The message names the target and the cause:
///
/// - `connect to example.invalid:80: resolve: <resolver error>`
/// - `connect to 127.0.0.1:1: connection refused`
/// - `connect to localhost:1: every address failed: [::1]:1: connection refused; 127.0.0.1:1: connection refused`
/// - `connect to 10.0.0.1:80: timed out after 2s`
#[derive(Debug)]
pub struct TcpConnectError {
    target: Authority,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Both lookups failed (errors in AAAA, A order; either may be missing).
    Resolve(Vec<BoxError>),
    /// The lookups succeeded but returned no address.
    NoAddresses,
    /// Every attempt failed.
    Connect(Vec<(SocketAddr, io::Error)>),
    /// The total timeout passed.
    Timeout(Duration),
    /// The request asked for an upstream proxy (shown without its password), which a plain
    /// TCP connector cannot honour.
    ProxyRequested(String),
}

impl TcpConnectError {
    pub(crate) const fn resolve(target: Authority, errors: Vec<BoxError>) -> Self {
        Self {
            target,
            kind: Kind::Resolve(errors),
        }
    }

    pub(crate) const fn no_addresses(target: Authority) -> Self {
        Self {
            target,
            kind: Kind::NoAddresses,
        }
    }

    pub(crate) const fn connect(target: Authority, attempts: Vec<(SocketAddr, io::Error)>) -> Self {
        Self {
            target,
            kind: Kind::Connect(attempts),
        }
    }

    pub(crate) const fn timeout(target: Authority, after: Duration) -> Self {
        Self {
            target,
            kind: Kind::Timeout(after),
        }
    }

    pub(crate) fn proxy_requested(target: Authority, proxy: &ProxyAddress) -> Self {
        Self {
            target,
            kind: Kind::ProxyRequested(proxy.to_string()),
        }
    }

    /// The host and port that could not be connected to.
    #[must_use]
    pub const fn target(&self) -> &Authority {
        &self.target
    }

    /// The name could not be resolved to any address.
    #[must_use]
    pub const fn is_resolve(&self) -> bool {
        matches!(self.kind, Kind::Resolve(_) | Kind::NoAddresses)
    }

    /// The total connect timeout passed.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout(_))
    }

    /// Every address refused the connection (nothing listens there).
    #[must_use]
    pub fn is_refused(&self) -> bool {
        match &self.kind {
            Kind::Connect(attempts) => {
                !attempts.is_empty()
                    && attempts
                        .iter()
                        .all(|(_, e)| e.kind() == io::ErrorKind::ConnectionRefused)
            }
            _ => false,
        }
    }

    /// Why name resolution failed, one error per address family asked (empty unless
    /// resolution failed); a resolver's typed error (such as rama-net's `DnsError`) can be
    /// recovered with `downcast_ref`.
    #[must_use]
    pub fn resolve_errors(&self) -> &[BoxError] {
        match &self.kind {
            Kind::Resolve(errors) => errors,
            _ => &[],
        }
    }

    /// The addresses tried and why each failed (empty unless connect attempts were made).
    #[must_use]
    pub fn attempts(&self) -> &[(SocketAddr, io::Error)] {
        match &self.kind {
            Kind::Connect(attempts) => attempts,
            _ => &[],
        }
    }
}

/// An I/O error in words, without the `(os error N)` suffix for the common cases.
struct Cause<'a>(&'a io::Error);

impl fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.0.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused",
            io::ErrorKind::ConnectionReset => "connection reset",
            io::ErrorKind::HostUnreachable => "host unreachable",
            io::ErrorKind::NetworkUnreachable => "network unreachable",
            io::ErrorKind::AddrNotAvailable => "local address not available",
            io::ErrorKind::TimedOut => "timed out (by the OS)",
            _ => return write!(f, "{}", self.0),
        };
        f.write_str(text)
    }
}

impl fmt::Display for TcpConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect to {}: ", self.target)?;
        match &self.kind {
            Kind::Resolve(errors) => {
                f.write_str("resolve: ")?;
                for (i, err) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{err}")?;
                }
                Ok(())
            }
            Kind::NoAddresses => f.write_str("resolve: no IPv6 or IPv4 address"),
            Kind::Timeout(after) => write!(f, "timed out after {after:?}"),
            Kind::ProxyRequested(proxy) => write!(
                f,
                "the request asks for the proxy {proxy}, but a TCP connector connects directly \
                 (wrap it in a proxy connector such as rama-proxy's ProxyConnector)"
            ),
            Kind::Connect(attempts) => match attempts.as_slice() {
                [] => f.write_str("no address to connect to"),
                [(addr, err)] if self.target.host().as_ip() == Some(addr.ip()) => {
                    write!(f, "{}", Cause(err))
                }
                [(addr, err)] => write!(f, "{addr}: {}", Cause(err)),
                many => {
                    f.write_str("every address failed: ")?;
                    for (i, (addr, err)) in many.iter().enumerate() {
                        if i > 0 {
                            f.write_str("; ")?;
                        }
                        write!(f, "{addr}: {}", Cause(err))?;
                    }
                    Ok(())
                }
            },
        }
    }
}

/// Every cause (DNS errors, per-address connect errors) is rendered in the message, so none
/// is returned again as the `source`: a reporter walking the chain would print it twice. Read
/// them with [`TcpConnectError::resolve_errors`] and [`TcpConnectError::attempts`].
impl std::error::Error for TcpConnectError {}

impl From<TcpConnectError> for io::Error {
    fn from(err: TcpConnectError) -> Self {
        let kind = match &err.kind {
            Kind::Timeout(_) => io::ErrorKind::TimedOut,
            Kind::Connect(attempts) => attempts
                .last()
                .map_or(io::ErrorKind::Other, |(_, e)| e.kind()),
            Kind::Resolve(_) | Kind::NoAddresses => io::ErrorKind::NotFound,
            Kind::ProxyRequested(_) => io::ErrorKind::Unsupported,
        };
        Self::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(s: &str) -> Authority {
        s.parse().unwrap()
    }

    #[test]
    fn messages() {
        let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
        let cases: Vec<(TcpConnectError, &str)> = vec![
            (
                TcpConnectError::connect(
                    auth("127.0.0.1:1"),
                    vec![("127.0.0.1:1".parse().unwrap(), refused())],
                ),
                "connect to 127.0.0.1:1: connection refused",
            ),
            (
                TcpConnectError::connect(
                    auth("localhost:1"),
                    vec![("127.0.0.1:1".parse().unwrap(), refused())],
                ),
                "connect to localhost:1: 127.0.0.1:1: connection refused",
            ),
            (
                TcpConnectError::connect(
                    auth("localhost:1"),
                    vec![
                        ("[::1]:1".parse().unwrap(), refused()),
                        ("127.0.0.1:1".parse().unwrap(), refused()),
                    ],
                ),
                "connect to localhost:1: every address failed: [::1]:1: connection refused; 127.0.0.1:1: connection refused",
            ),
            (
                TcpConnectError::timeout(auth("127.0.0.1:80"), Duration::from_secs(2)),
                "connect to 127.0.0.1:80: timed out after 2s",
            ),
            (
                TcpConnectError::resolve(auth("example.invalid:80"), vec!["no record".into()]),
                "connect to example.invalid:80: resolve: no record",
            ),
            (
                TcpConnectError::no_addresses(auth("example.com:80")),
                "connect to example.com:80: resolve: no IPv6 or IPv4 address",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn predicates() {
        let refused = TcpConnectError::connect(
            auth("127.0.0.1:1"),
            vec![(
                "127.0.0.1:1".parse().unwrap(),
                io::Error::from(io::ErrorKind::ConnectionRefused),
            )],
        );
        assert!(refused.is_refused() && !refused.is_timeout() && !refused.is_resolve());
        assert_eq!(refused.attempts().len(), 1);
        assert_eq!(refused.target().port(), 1);
        let timeout = TcpConnectError::timeout(auth("127.0.0.1:1"), Duration::from_secs(1));
        assert!(timeout.is_timeout() && !timeout.is_refused());
        assert_eq!(io::Error::from(timeout).kind(), io::ErrorKind::TimedOut);
        let resolve = TcpConnectError::resolve(auth("a.invalid:1"), vec![]);
        assert!(resolve.is_resolve());
    }
}
