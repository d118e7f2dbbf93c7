//! [`ProxyConnectError`]: which hop of a proxied connect failed, and why.

use http::StatusCode;
use rama_core::error::{BoxError, find_in_chain};
use rama_net::address::{Authority, ProxyAddress};
use std::fmt;
use std::time::Duration;

/// Why a connection through a proxy (or the proxy handshake alone) failed.
///
/// Its `Display` names the hop: `connect to proxy http://127.0.0.1:3128`, `TLS to proxy
/// https://127.0.0.1:8443`, `proxy http://127.0.0.1:3128 answered CONNECT example.com:443
/// with 407 Proxy Authentication Required (the proxy wants credentials)`; the cause (if any)
/// is its [`source`](std::error::Error::source), printed after it by `{:#}` of an
/// [`OpaqueError`](rama_core::error::OpaqueError) that holds it (add `.context(..)`). The text is not API: use the
/// predicates.
#[derive(Debug)]
pub struct ProxyConnectError {
    kind: Kind,
    proxy: Option<String>,
    target: Authority,
    source: Option<BoxError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Connecting to the proxy itself failed (resolve, refused, timeout).
    ProxyConnect,
    /// The TLS handshake with an `https://` proxy failed.
    ProxyTls,
    /// The proxy answered the CONNECT with a non-2xx status.
    Refused(StatusCode, bool),
    /// The HTTP CONNECT exchange failed (closed, malformed answer, IO).
    Http,
    /// The SOCKS5 handshake failed.
    Socks5,
    /// Resolving the target locally (for `socks5://`) failed.
    TargetResolve,
    /// The proxy handshake took too long.
    Timeout(Duration),
    /// The proxy's scheme is not one this connector speaks.
    Unsupported,
}

impl ProxyConnectError {
    fn new(kind: Kind, target: &Authority) -> Self {
        Self {
            kind,
            proxy: None,
            target: target.clone(),
            source: None,
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Connecting to the proxy failed.
    pub(crate) fn proxy_connect(target: &Authority, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::ProxyConnect, target).with_source(source)
    }

    /// The TLS handshake with the proxy failed.
    pub(crate) fn proxy_tls(target: &Authority, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::ProxyTls, target).with_source(source)
    }

    /// The proxy answered `status`; `sent_credentials`: a `Proxy-Authorization` was sent.
    pub(crate) fn refused(target: &Authority, status: StatusCode, sent_credentials: bool) -> Self {
        Self::new(Kind::Refused(status, sent_credentials), target)
    }

    /// The CONNECT exchange failed.
    pub(crate) fn http(target: &Authority, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Http, target).with_source(source)
    }

    /// The SOCKS5 handshake failed.
    pub(crate) fn socks5(target: &Authority, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Socks5, target).with_source(source)
    }

    /// Resolving the target for `socks5://` failed.
    pub(crate) fn target_resolve(target: &Authority, source: impl Into<BoxError>) -> Self {
        Self::new(Kind::TargetResolve, target).with_source(source)
    }

    /// The proxy handshake did not finish within `limit`.
    pub(crate) fn timeout(target: &Authority, limit: Duration) -> Self {
        Self::new(Kind::Timeout(limit), target)
    }

    /// The proxy's scheme is not supported.
    pub(crate) fn unsupported(target: &Authority) -> Self {
        Self::new(Kind::Unsupported, target)
    }

    /// Names the proxy in the message (password-free).
    pub(crate) fn with_proxy(mut self, proxy: &ProxyAddress) -> Self {
        self.proxy = Some(proxy.to_string());
        self
    }

    /// The target the tunnel was for.
    #[must_use]
    pub fn target(&self) -> &Authority {
        &self.target
    }

    /// Connecting to the proxy itself failed (its name did not resolve, it refused, it
    /// timed out).
    #[must_use]
    pub fn is_proxy_unreachable(&self) -> bool {
        self.kind == Kind::ProxyConnect
    }

    /// The proxy's name did not resolve (curl's exit code 5).
    #[must_use]
    pub fn is_proxy_resolve(&self) -> bool {
        self.kind == Kind::ProxyConnect
            && self.source.as_deref().is_some_and(|source| {
                find_in_chain::<rama_tcp::client::TcpConnectError>(source)
                    .is_some_and(rama_tcp::client::TcpConnectError::is_resolve)
            })
    }

    /// The TLS handshake with an `https://` proxy failed.
    #[must_use]
    pub fn is_proxy_tls(&self) -> bool {
        self.kind == Kind::ProxyTls
    }

    /// The proxy refused to open the tunnel: it answered the CONNECT with a non-2xx status
    /// (see [`status`](Self::status)).
    #[must_use]
    pub fn is_tunnel_refused(&self) -> bool {
        matches!(self.kind, Kind::Refused(..))
    }

    /// The proxy asked for credentials or rejected the ones sent: `407`, or `401` (which
    /// some proxies, tinyproxy among them, answer to wrong credentials).
    #[must_use]
    pub fn is_auth_required(&self) -> bool {
        matches!(self.kind, Kind::Refused(s, _) if is_auth_status(s))
    }

    /// The status the proxy answered the CONNECT with, when it refused.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind {
            Kind::Refused(status, _) => Some(status),
            _ => None,
        }
    }

    /// The SOCKS5 handshake failed.
    #[must_use]
    pub fn is_socks5(&self) -> bool {
        self.kind == Kind::Socks5
    }

    /// The target's name did not resolve (`socks5://` resolves it on the client).
    #[must_use]
    pub fn is_target_resolve(&self) -> bool {
        self.kind == Kind::TargetResolve
    }

    /// The proxy handshake took too long, or connecting to the proxy timed out.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout(_))
            || (self.kind == Kind::ProxyConnect
                && self.source.as_deref().is_some_and(|source| {
                    find_in_chain::<rama_tcp::client::TcpConnectError>(source)
                        .is_some_and(rama_tcp::client::TcpConnectError::is_timeout)
                }))
    }
}

impl fmt::Display for ProxyConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = self.proxy.as_deref().unwrap_or("");
        let space = if proxy.is_empty() { "" } else { " " };
        let target = &self.target;
        match self.kind {
            Kind::ProxyConnect => write!(f, "connect to proxy{space}{proxy}"),
            Kind::ProxyTls => write!(f, "TLS to proxy{space}{proxy}"),
            Kind::Refused(status, sent) => {
                write!(
                    f,
                    "proxy{space}{proxy} answered CONNECT {target} with {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )?;
                if is_auth_status(status) {
                    f.write_str(if sent {
                        " (the proxy rejected the credentials)"
                    } else {
                        " (the proxy wants credentials)"
                    })?;
                }
                Ok(())
            }
            Kind::Http => write!(f, "CONNECT {target} through proxy{space}{proxy}"),
            Kind::Socks5 => write!(f, "SOCKS5 to {target} through proxy{space}{proxy}"),
            Kind::TargetResolve => write!(f, "resolve {target} for proxy{space}{proxy}"),
            Kind::Timeout(limit) => write!(
                f,
                "proxy{space}{proxy} handshake for {target} timed out after {} ms",
                limit.as_millis()
            ),
            Kind::Unsupported => write!(
                f,
                "proxy{space}{proxy}: unsupported proxy scheme (http, https, socks5, socks5h)"
            ),
        }
    }
}

/// `407`, or a `401` from a proxy (tinyproxy answers wrong credentials so).
fn is_auth_status(status: StatusCode) -> bool {
    status == StatusCode::PROXY_AUTHENTICATION_REQUIRED || status == StatusCode::UNAUTHORIZED
}

impl std::error::Error for ProxyConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
