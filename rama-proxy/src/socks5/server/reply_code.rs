//! [`reply_code_for`]: the SOCKS5 reply a failed connect deserves.

use crate::policy::find_policy_error;
use crate::proxydb::ProxyDBError;
use crate::socks5::client::Socks5ClientError;
use crate::socks5::proto::ReplyCode;
use rama_core::error::find_in_chain;
use rama_tcp::client::TcpConnectError;
use std::error::Error;
use std::io;

/// The reply code for a connector error: refused by [policy](crate::policy), or no upstream
/// proxy in the [proxy database](crate::proxydb) for the client's filter → 2 (not allowed by
/// ruleset); a name that does not resolve → 4 (host unreachable); a timeout → 6 (TTL
/// expired); connection refused → 5; network unreachable → 3; host unreachable → 4; an
/// upstream SOCKS5 proxy's failure → its reply code; anything else → 1 (general failure).
///
/// ```
/// use rama_proxy::socks5::{proto::ReplyCode, server::reply_code_for};
/// use std::io;
///
/// let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
/// assert_eq!(reply_code_for(&refused), ReplyCode::ConnectionRefused);
/// let other = io::Error::other("disk on fire");
/// assert_eq!(reply_code_for(&other), ReplyCode::GeneralFailure);
/// ```
#[must_use]
pub fn reply_code_for(err: &(dyn Error + 'static)) -> ReplyCode {
    // the target policy refused it, or the upstream proxy database has no proxy for this
    // client's filter: both are "not allowed by ruleset" (RFC 1928 reply 2), not a failure
    if find_policy_error(err).is_some() || find_in_chain::<ProxyDBError>(err).is_some() {
        return ReplyCode::NotAllowed;
    }
    if let Some(tcp) = find_in_chain::<TcpConnectError>(err) {
        if tcp.is_resolve() {
            return ReplyCode::HostUnreachable;
        }
        if tcp.is_timeout() {
            return ReplyCode::TtlExpired;
        }
        if tcp.is_refused() {
            return ReplyCode::ConnectionRefused;
        }
        if let Some((_, last)) = tcp.attempts().last() {
            return code_for_io(last.kind());
        }
        return ReplyCode::GeneralFailure;
    }
    if let Some(code) =
        find_in_chain::<Socks5ClientError>(err).and_then(Socks5ClientError::reply_code)
    {
        return code;
    }
    if let Some(io) = find_in_chain::<io::Error>(err) {
        return code_for_io(io.kind());
    }
    ReplyCode::GeneralFailure
}

const fn code_for_io(kind: io::ErrorKind) -> ReplyCode {
    match kind {
        io::ErrorKind::ConnectionRefused => ReplyCode::ConnectionRefused,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NotFound => ReplyCode::HostUnreachable,
        io::ErrorKind::NetworkUnreachable => ReplyCode::NetworkUnreachable,
        io::ErrorKind::TimedOut => ReplyCode::TtlExpired,
        io::ErrorKind::PermissionDenied => ReplyCode::NotAllowed,
        _ => ReplyCode::GeneralFailure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::error::OpaqueError;

    #[test]
    fn io_kinds_table() {
        let cases = [
            (
                io::ErrorKind::ConnectionRefused,
                ReplyCode::ConnectionRefused,
            ),
            (io::ErrorKind::HostUnreachable, ReplyCode::HostUnreachable),
            (
                io::ErrorKind::NetworkUnreachable,
                ReplyCode::NetworkUnreachable,
            ),
            (io::ErrorKind::TimedOut, ReplyCode::TtlExpired),
            (io::ErrorKind::PermissionDenied, ReplyCode::NotAllowed),
            (io::ErrorKind::BrokenPipe, ReplyCode::GeneralFailure),
        ];
        for (kind, code) in cases {
            assert_eq!(reply_code_for(&io::Error::from(kind)), code, "{kind:?}");
            // also when wrapped in context
            let wrapped = OpaqueError::from_std(io::Error::from(kind)).context("connect");
            assert_eq!(reply_code_for(&wrapped), code, "wrapped {kind:?}");
        }
    }

    #[test]
    fn no_upstream_proxy_is_not_allowed_by_ruleset() {
        let db = crate::proxydb::MemoryProxyDB::from_json("[]").unwrap();
        let err = db
            .select(&crate::proxydb::ProxyFilter::default())
            .unwrap_err();
        assert!(err.is_no_match());
        let wrapped = OpaqueError::from_std(err).context("pick an upstream proxy");
        assert_eq!(reply_code_for(&wrapped), ReplyCode::NotAllowed);
    }
}
