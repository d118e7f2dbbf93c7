//! [`NegotiatedTlsParameters`]: what a handshake agreed on, as every backend reports it.
//!
//! After a successful handshake the acceptor inserts it into the TLS stream's extensions
//! (and the connector into the connection's and the input's), so the layers above read it
//! without knowing the backend: an HTTP server picks h2 by [`alpn`], a logger prints the
//! [`version`] and [`cipher_suite`], an mTLS service looks at the
//! [`peer_certificates`].
//!
//! ```
//! use rama_core::extensions::Extensions;
//! use rama_tls::negotiated::NegotiatedTlsParameters;
//! use rama_tls::types::{ApplicationProtocol, CipherSuite, ProtocolVersion};
//!
//! let mut ext = Extensions::new();
//! ext.insert(
//!     NegotiatedTlsParameters::new(ProtocolVersion::TLS_V1_3, CipherSuite::TLS_AES_128_GCM_SHA256)
//!         .with_alpn(Some(ApplicationProtocol::H2)),
//! );
//! // later, in an HTTP server
//! let h2 = ext
//!     .get::<NegotiatedTlsParameters>()
//!     .is_some_and(|tls| tls.alpn == Some(ApplicationProtocol::H2));
//! assert!(h2);
//! ```
//!
//! [`alpn`]: NegotiatedTlsParameters::alpn
//! [`version`]: NegotiatedTlsParameters::version
//! [`cipher_suite`]: NegotiatedTlsParameters::cipher_suite
//! [`peer_certificates`]: NegotiatedTlsParameters::peer_certificates

use crate::types::{ApplicationProtocol, CipherSuite, ProtocolVersion, SupportedGroup};
use rustls_pki_types::CertificateDer;
use std::sync::Arc;

/// The parameters a TLS handshake agreed on. Cheap to clone (the certificates are shared).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NegotiatedTlsParameters {
    /// The protocol version, e.g. [`ProtocolVersion::TLS_V1_3`].
    pub version: ProtocolVersion,
    /// The cipher suite.
    pub cipher_suite: CipherSuite,
    /// The key exchange group, when the backend reports it.
    pub key_exchange_group: Option<SupportedGroup>,
    /// The ALPN protocol both sides agreed on; `None` when there was no ALPN.
    pub alpn: Option<ApplicationProtocol>,
    /// The server name: on the server side what the client sent (SNI), on the client side
    /// what was sent (or verified, when no SNI was sent).
    pub server_name: Option<String>,
    /// The peer's certificate chain, leaf first, DER encoded: the server's for a client, the
    /// client's (mTLS) for a server; empty when the peer sent none.
    pub peer_certificates: Arc<[CertificateDer<'static>]>,
}

impl NegotiatedTlsParameters {
    /// Parameters with `version` and `cipher_suite`, nothing else known yet.
    #[must_use]
    pub fn new(version: ProtocolVersion, cipher_suite: CipherSuite) -> Self {
        Self {
            version,
            cipher_suite,
            key_exchange_group: None,
            alpn: None,
            server_name: None,
            peer_certificates: Arc::new([]),
        }
    }

    /// Sets the key exchange group.
    #[must_use]
    pub const fn with_key_exchange_group(mut self, group: Option<SupportedGroup>) -> Self {
        self.key_exchange_group = group;
        self
    }

    /// Sets the agreed ALPN protocol.
    #[must_use]
    pub fn with_alpn(mut self, alpn: Option<ApplicationProtocol>) -> Self {
        self.alpn = alpn;
        self
    }

    /// Sets the server name.
    #[must_use]
    pub fn with_server_name(mut self, server_name: Option<String>) -> Self {
        self.server_name = server_name;
        self
    }

    /// Sets the peer's certificate chain.
    #[must_use]
    pub fn with_peer_certificates(mut self, chain: Vec<CertificateDer<'static>>) -> Self {
        self.peer_certificates = chain.into();
        self
    }

    /// The peer's leaf certificate, if it sent one.
    #[must_use]
    pub fn peer_certificate(&self) -> Option<&CertificateDer<'static>> {
        self.peer_certificates.first()
    }

    /// Whether ALPN chose HTTP/2 (`h2`).
    #[must_use]
    pub fn is_h2(&self) -> bool {
        self.alpn.as_ref() == Some(&ApplicationProtocol::H2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads() {
        let params =
            NegotiatedTlsParameters::new(ProtocolVersion::TLS_V1_2, CipherSuite::from(0xc02f));
        assert!(!params.is_h2());
        assert!(params.peer_certificate().is_none());
        let params = params
            .with_alpn(Some(ApplicationProtocol::H2))
            .with_server_name(Some("a.test".into()))
            .with_key_exchange_group(Some(SupportedGroup::from(0x001d)))
            .with_peer_certificates(vec![CertificateDer::from(vec![1, 2, 3])]);
        assert!(params.is_h2());
        assert_eq!(params.peer_certificate().unwrap().as_ref(), &[1, 2, 3]);
        // clones share the chain
        let clone = params.clone();
        assert!(Arc::ptr_eq(
            &clone.peer_certificates,
            &params.peer_certificates
        ));
        assert_eq!(clone, params);
    }
}
