//! Route raw TLS streams by SNI without terminating them: [`SniRouter`].
//!
//! The router peeks the ClientHello of each accepted stream (through
//! [`peek_client_hello`], so no byte is consumed), picks a backend by the SNI host name and
//! forwards the untouched TLS byte stream to it, in both directions, with
//! [`forward_bidirectional`]. The backend terminates TLS; the router never sees a key or a
//! certificate, only the plaintext ClientHello.
//!
//! Rules ([`SniRoutes`]):
//! - an exact name (`api.example.com`) matches that name only;
//! - a wildcard `*.example.com` matches every name below `example.com`, at any depth
//!   (`a.example.com`, `a.b.example.com`), but not `example.com` itself;
//! - matching is ASCII case-insensitive and ignores one trailing dot;
//! - exact names win over wildcards, and the longest matching wildcard wins;
//! - a stream without SNI, or whose SNI matches no rule, goes to the default route;
//! - without a default route such a stream gets a TLS `unrecognized_name` alert, is closed,
//!   and a log line says which name had no route.
//!
//! ```
//! use rama_net::dns::DenyAllDns;
//! use rama_tcp::client::TcpConnector;
//! use rama_tls::sni::SniRouter;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let router = SniRouter::new(TcpConnector::with_resolver(DenyAllDns::new()))
//!     .with_route("a.test", "127.0.0.1:9001".parse()?)?
//!     .with_route("*.b.test", "127.0.0.1:9002".parse()?)?
//!     .with_default_route("127.0.0.1:9000".parse()?);
//!
//! let backend = |sni| router.routes().route(sni).map(ToString::to_string);
//! assert_eq!(backend(Some("A.Test")).as_deref(), Some("127.0.0.1:9001"));
//! assert_eq!(backend(Some("x.y.b.test")).as_deref(), Some("127.0.0.1:9002"));
//! assert_eq!(backend(Some("b.test")).as_deref(), Some("127.0.0.1:9000"));
//! assert_eq!(backend(None).as_deref(), Some("127.0.0.1:9000"));
//! # Ok(())
//! # }
//! ```
//!
//! Serve it with a listener: `TcpListener::bind(addr).await?.serve(router)`; see the
//! `tls_sni_router` example.

use crate::client_hello::{PeekClientHelloConfig, PeekedClientHello, peek_client_hello};
use rama_core::Service;
use rama_core::error::{BoxError, ErrorContext};
use rama_net::address::Authority;
use rama_net::client::ConnectRequest;
use rama_net::client::EstablishedClientConnection;
use rama_net::stream::{ForwardConfig, ForwardStats, forward_bidirectional};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// A fatal TLS alert `unrecognized_name` (112) in a plaintext record, as a server sends it
/// before its ServerHello.
const UNRECOGNIZED_NAME_ALERT: [u8; 7] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 112];

/// SNI rules: exact names, `*.suffix` wildcards and a default route, each to a backend.
#[derive(Debug, Clone, Default)]
pub struct SniRoutes {
    exact: HashMap<String, Authority>,
    /// `(".example.com", backend)`, longest suffix first.
    wildcards: Vec<(String, Authority)>,
    default: Option<Authority>,
}

impl SniRoutes {
    /// No rules, no default route.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule: `pattern` is a host name (`a.example.com`) or a wildcard
    /// (`*.example.com`). A rule for the same pattern replaces the earlier one.
    ///
    /// # Errors
    ///
    /// When `pattern` is not a host name or `*.` followed by one.
    pub fn insert(&mut self, pattern: &str, backend: Authority) -> Result<(), SniPatternError> {
        let normalized = normalize(pattern);
        if let Some(suffix) = normalized.strip_prefix("*.") {
            check_name(pattern, suffix)?;
            let suffix = format!(".{suffix}");
            self.wildcards.retain(|(s, _)| *s != suffix);
            self.wildcards.push((suffix, backend));
            self.wildcards
                .sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
        } else {
            check_name(pattern, &normalized)?;
            self.exact.insert(normalized, backend);
        }
        Ok(())
    }

    /// Sets the backend for streams without SNI or whose SNI matches no rule.
    pub fn set_default(&mut self, backend: Authority) {
        self.default = Some(backend);
    }

    /// The backend for a stream with this SNI (`None`: no SNI).
    #[must_use]
    pub fn route(&self, sni: Option<&str>) -> Option<&Authority> {
        sni.and_then(|name| self.match_name(&normalize(name)))
            .or(self.default.as_ref())
    }

    fn match_name(&self, name: &str) -> Option<&Authority> {
        if let Some(backend) = self.exact.get(name) {
            return Some(backend);
        }
        self.wildcards
            .iter()
            .find(|(suffix, _)| name.len() > suffix.len() && name.ends_with(suffix.as_str()))
            .map(|(_, backend)| backend)
    }
}

fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn check_name(pattern: &str, name: &str) -> Result<(), SniPatternError> {
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        Ok(())
    } else {
        Err(SniPatternError {
            pattern: pattern.to_owned(),
        })
    }
}

/// A routing pattern that is neither a host name nor `*.` followed by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SniPatternError {
    pattern: String,
}

impl fmt::Display for SniPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SNI route pattern {:?} is neither a host name nor `*.` followed by one",
            self.pattern
        )
    }
}

impl std::error::Error for SniPatternError {}

/// What [`SniRouter`] did with a stream that it did not fail on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SniRouteOutcome {
    /// The stream was forwarded to `backend` until both sides closed.
    Forwarded {
        /// The SNI the client sent.
        sni: Option<String>,
        /// The backend the stream went to.
        backend: Authority,
        /// Bytes moved each way (the replayed ClientHello included).
        stats: ForwardStats,
    },
    /// No rule and no default route matched: the client got an `unrecognized_name` alert
    /// and the stream was closed.
    NoRoute {
        /// The SNI the client sent.
        sni: Option<String>,
    },
}

/// A stream [`Service`] that forwards raw TLS to a backend chosen by SNI; see the
/// [module docs](self).
///
/// `C` is the connector to the backends: a [`Service`] from [`ConnectRequest`] to an
/// [`EstablishedClientConnection`], such as rama-tcp's `TcpConnector`.
///
/// Errors (the stream is not TLS or its ClientHello is invalid or incomplete, the backend
/// cannot be reached, a side fails while forwarding) say what failed and for which SNI and
/// backend.
#[derive(Debug, Clone)]
pub struct SniRouter<C> {
    routes: Arc<SniRoutes>,
    connector: C,
    peek: PeekClientHelloConfig,
    forward: ForwardConfig,
}

impl<C> SniRouter<C> {
    /// A router without routes that connects to backends with `connector`.
    #[must_use]
    pub fn new(connector: C) -> Self {
        Self {
            routes: Arc::new(SniRoutes::new()),
            connector,
            peek: PeekClientHelloConfig::new(),
            forward: ForwardConfig::new(),
        }
    }

    /// Adds a rule (see [`SniRoutes::insert`]).
    ///
    /// # Errors
    ///
    /// When `pattern` is not a host name or `*.` followed by one.
    pub fn with_route(
        mut self,
        pattern: &str,
        backend: Authority,
    ) -> Result<Self, SniPatternError> {
        Arc::make_mut(&mut self.routes).insert(pattern, backend)?;
        Ok(self)
    }

    /// Sets the default route.
    #[must_use]
    pub fn with_default_route(mut self, backend: Authority) -> Self {
        Arc::make_mut(&mut self.routes).set_default(backend);
        self
    }

    /// Replaces all rules.
    #[must_use]
    pub fn with_routes(mut self, routes: SniRoutes) -> Self {
        self.routes = Arc::new(routes);
        self
    }

    /// Sets how the ClientHello is peeked (size limit, timeout). Non-TLS streams are
    /// always refused: without a ClientHello there is nothing to route on.
    #[must_use]
    pub const fn with_peek_config(mut self, config: PeekClientHelloConfig) -> Self {
        self.peek = config;
        self
    }

    /// Sets the forwarding buffers and idle timeout.
    #[must_use]
    pub const fn with_forward_config(mut self, config: ForwardConfig) -> Self {
        self.forward = config;
        self
    }

    /// The rules.
    #[must_use]
    pub fn routes(&self) -> &SniRoutes {
        &self.routes
    }
}

impl<C, IO, T> Service<IO> for SniRouter<C>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C: Service<
            ConnectRequest,
            Output = EstablishedClientConnection<T, ConnectRequest>,
            Error: Into<BoxError>,
        >,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Output = SniRouteOutcome;
    type Error = BoxError;

    async fn serve(&self, stream: IO) -> Result<Self::Output, Self::Error> {
        let PeekedClientHello {
            mut stream,
            client_hello,
        } = peek_client_hello(stream, &self.peek).await;
        let hello = client_hello.context("SNI router: read the ClientHello")?;
        let sni = hello.server_name().map(str::to_owned);

        let Some(backend) = self.routes.route(sni.as_deref()).cloned() else {
            tracing::info!(
                sni = sni.as_deref().unwrap_or("<none>"),
                "SNI router: no route, closing"
            );
            // best effort: the client may already be gone
            let _ = stream.write_all(&UNRECOGNIZED_NAME_ALERT).await;
            let _ = stream.shutdown().await;
            return Ok(SniRouteOutcome::NoRoute { sni });
        };

        let sni_text = sni.as_deref().unwrap_or("<none>");
        let EstablishedClientConnection {
            conn: mut upstream, ..
        } = self
            .connector
            .serve(ConnectRequest::new(backend.clone()))
            .await
            .map_err(Into::into)
            .with_context(|| {
                format!("SNI router: connect to backend {backend} for SNI {sni_text}")
            })?;
        tracing::debug!(sni = sni_text, %backend, "SNI router: forwarding");
        let stats = forward_bidirectional(&mut stream, &mut upstream, &self.forward)
            .await
            .with_context(|| format!("SNI router: forward SNI {sni_text} to {backend}"))?;
        Ok(SniRouteOutcome::Forwarded {
            sni,
            backend,
            stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> SniRoutes {
        let mut routes = SniRoutes::new();
        for (pattern, port) in [
            ("a.test", 1),
            ("*.b.test", 2),
            ("*.deep.b.test", 3),
            ("exact.b.test", 4),
            ("MiXeD.Test.", 5),
        ] {
            routes.insert(pattern, Authority::localhost(port)).unwrap();
        }
        routes
    }

    #[test]
    fn route_table() {
        let mut routes = routes();
        // (sni, expected port without default, with default 9)
        let cases: [(Option<&str>, Option<u16>); 12] = [
            (Some("a.test"), Some(1)),
            (Some("A.TEST"), Some(1)),
            (Some("a.test."), Some(1)),
            (Some("x.a.test"), None),
            (Some("x.b.test"), Some(2)),
            (Some("x.y.b.test"), Some(2)),
            (Some("b.test"), None),
            (Some("x.deep.b.test"), Some(3)),
            (Some("deep.b.test"), Some(2)),
            (Some("exact.b.test"), Some(4)),
            (Some("mixed.test"), Some(5)),
            (None, None),
        ];
        for (sni, port) in cases {
            assert_eq!(routes.route(sni).map(Authority::port), port, "{sni:?}");
        }
        routes.set_default(Authority::localhost(9));
        for (sni, port) in cases {
            assert_eq!(
                routes.route(sni).map(Authority::port),
                Some(port.unwrap_or(9)),
                "{sni:?}"
            );
        }
    }

    #[test]
    fn later_rules_replace_earlier_ones() {
        let mut routes = routes();
        routes.insert("a.test", Authority::localhost(11)).unwrap();
        routes.insert("*.B.test", Authority::localhost(12)).unwrap();
        assert_eq!(routes.route(Some("a.test")).map(Authority::port), Some(11));
        assert_eq!(
            routes.route(Some("z.b.test")).map(Authority::port),
            Some(12)
        );
        assert_eq!(routes.wildcards.len(), 2);
    }

    #[test]
    fn bad_patterns() {
        for pattern in [
            "", "*", "*.", "a..b", "a.*.test", "**.test", "a b.test", "a/b", "*.test*",
        ] {
            let err = SniRoutes::new()
                .insert(pattern, Authority::localhost(1))
                .unwrap_err();
            assert!(
                err.to_string().contains("SNI route pattern"),
                "{pattern}: {err}"
            );
        }
    }
}
