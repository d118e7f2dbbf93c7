//! [`TlsError`]: why a TLS handshake (accepting or connecting) did not complete, for every
//! backend (the rustls and BoringSSL layers return the same type).

use rama_core::error::BoxError;
use std::{fmt, time::Duration};

/// Why a TLS handshake did not complete. The message says which step failed (and with
/// which peer name, on the client side); the source is the backend's (rustls, BoringSSL) or
/// the I/O error.
/// Use the `is_*` predicates; the text is not API.
#[derive(Debug)]
pub struct TlsError {
    kind: Kind,
    peer: Option<String>,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum Kind {
    Timeout(Duration),
    Handshake,
    ClientHello,
    Certificate,
    Connect,
    ServerName,
}

impl TlsError {
    pub(crate) fn timeout(limit: Duration) -> Self {
        Self::new(Kind::Timeout(limit), None)
    }

    pub(crate) fn handshake(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Handshake, Some(source.into()))
    }

    pub(crate) fn client_hello(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::ClientHello, Some(source.into()))
    }

    #[cfg_attr(
        all(not(feature = "rustls"), not(test)),
        expect(
            dead_code,
            reason = "BoringSSL reports a resolver failure as a handshake error"
        )
    )]
    pub(crate) fn certificate(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Certificate, Some(source.into()))
    }

    pub(crate) fn connect(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Connect, Some(source.into()))
    }

    pub(crate) fn server_name(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::ServerName, Some(source.into()))
    }

    const fn new(kind: Kind, source: Option<BoxError>) -> Self {
        Self {
            kind,
            peer: None,
            source,
        }
    }

    /// Names the server the client was connecting to.
    pub(crate) fn with_peer(mut self, peer: impl fmt::Display) -> Self {
        self.peer = Some(peer.to_string());
        self
    }

    /// The handshake took longer than its limit.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout(_))
    }

    /// The TLS handshake itself failed (protocol error, certificate refused, peer closed).
    #[must_use]
    pub const fn is_handshake(&self) -> bool {
        matches!(self.kind, Kind::Handshake)
    }

    /// The ClientHello could not be read (capture on): not TLS, malformed, or too large.
    #[must_use]
    pub const fn is_client_hello(&self) -> bool {
        matches!(self.kind, Kind::ClientHello)
    }

    /// No certificate could be chosen for the ClientHello (the resolver failed).
    #[must_use]
    pub const fn is_certificate(&self) -> bool {
        matches!(self.kind, Kind::Certificate)
    }

    /// The connector below TLS failed: no TLS was attempted.
    #[must_use]
    pub const fn is_connect(&self) -> bool {
        matches!(self.kind, Kind::Connect)
    }

    /// There was no usable server name to connect with.
    #[must_use]
    pub const fn is_server_name(&self) -> bool {
        matches!(self.kind, Kind::ServerName)
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Timeout(limit) => write!(f, "TLS handshake timed out after {limit:?}")?,
            Kind::Handshake => f.write_str("TLS handshake failed")?,
            Kind::ClientHello => f.write_str("read the TLS ClientHello")?,
            Kind::Certificate => f.write_str("choose a TLS certificate for the ClientHello")?,
            Kind::Connect => f.write_str("connect below TLS")?,
            Kind::ServerName => f.write_str("no usable server name for the TLS handshake")?,
        }
        if let Some(peer) = &self.peer {
            write!(f, " with {peer}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_predicates() {
        let err = TlsError::timeout(Duration::from_secs(2)).with_peer("a.test:443");
        assert!(err.is_timeout() && !err.is_handshake());
        assert_eq!(
            err.to_string(),
            "TLS handshake timed out after 2s with a.test:443"
        );
        let err = TlsError::handshake(std::io::Error::other("bad record"));
        assert!(err.is_handshake());
        assert_eq!(
            std::error::Error::source(&err).unwrap().to_string(),
            "bad record"
        );
        assert!(TlsError::client_hello("x").is_client_hello());
        assert!(TlsError::certificate("x").is_certificate());
        assert!(TlsError::connect("x").is_connect());
        assert!(TlsError::server_name("x").is_server_name());
    }
}
