//! [`ClientConfig`]: what a TLS connector is asked to do, with the server name it sends and
//! how it verifies the server.

use super::*;
use crate::types::{AlpnList, CipherSuite, ProtocolVersion, SignatureScheme, SupportedGroup};
use rama_net::address::Host;
use rustls_pki_types::CertificateDer;
use std::{sync::Arc, time::Duration};

/// The server name a client sends (SNI) and verifies the certificate for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ClientServerName {
    /// The host of the connection's target (the default). An IP address is verified
    /// against the certificate's IP SANs and, as TLS requires, not sent as SNI.
    #[default]
    FromTarget,
    /// This name (a DNS name or IP address), whatever the target.
    Override(Host),
    /// Send no SNI. Certificates are then verified against the target's host.
    NoSni,
}

/// How a client verifies the server's certificate.
#[derive(Debug, Clone, Default)]
pub enum ServerVerification {
    /// Against the Mozilla root store compiled in (webpki-roots; the default).
    #[default]
    WebPkiRoots,
    /// Against the operating system's trust store.
    SystemRoots,
    /// Against these CA certificates only (`curl --cacert`).
    Custom(Vec<CertificateDer<'static>>),
    /// Not at all (`curl -k`): for tests and debugging only, since anyone on the path can
    /// then read and change the traffic. Connectors log a warning when they are built so.
    Insecure,
}

impl ServerVerification {
    /// [`ServerVerification::Custom`] with the CA certificates of `pem`.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or is malformed.
    pub fn custom_pem(pem: &str) -> Result<Self, ConfigError> {
        Ok(Self::Custom(certs_from_pem(pem)?))
    }

    /// Whether certificates are not verified.
    #[must_use]
    pub const fn is_insecure(&self) -> bool {
        matches!(self, Self::Insecure)
    }
}

/// What a TLS connector is asked to do. Build it with [`ClientConfig::new`] and the `with_*`
/// methods; every field is public to read.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The server name to send and verify.
    pub server_name: ClientServerName,
    /// The ALPN protocols to offer, in order; empty: no ALPN.
    pub alpn: AlpnList,
    /// How the server's certificate is verified.
    pub verification: ServerVerification,
    /// The certificate and key to present when the server asks (mTLS).
    pub client_cert: Option<Arc<CertifiedKey>>,
    /// The lowest version offered (`None`: the backend's lowest).
    pub min_version: Option<ProtocolVersion>,
    /// The highest version offered (`None`: the backend's highest).
    pub max_version: Option<ProtocolVersion>,
    /// The cipher suites offered, in order (`None`: the backend's defaults).
    pub cipher_suites: Option<Vec<CipherSuite>>,
    /// The key exchange groups offered, in order (`None`: the backend's defaults).
    pub groups: Option<Vec<SupportedGroup>>,
    /// The signature schemes offered, in order (`None`: the backend's defaults). rustls does
    /// not support choosing them and refuses a config that sets them; the BoringSSL backend
    /// will.
    pub signature_schemes: Option<Vec<SignatureScheme>>,
    /// Where session secrets are logged (off by default).
    pub key_log: KeyLog,
    /// How long the handshake may take (`None`: no limit).
    pub handshake_timeout: Option<Duration>,
}

impl ClientConfig {
    /// SNI from the target, no ALPN, webpki roots, no client certificate, the backend's
    /// versions, suites and groups, no key log, a [`DEFAULT_HANDSHAKE_TIMEOUT`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            ..Self::default()
        }
    }

    /// Send and verify this server name.
    #[must_use]
    pub fn with_server_name(mut self, server_name: ClientServerName) -> Self {
        self.server_name = server_name;
        self
    }

    /// Offer these ALPN protocols.
    #[must_use]
    pub fn with_alpn(mut self, alpn: AlpnList) -> Self {
        self.alpn = alpn;
        self
    }

    /// Verify the server this way.
    #[must_use]
    pub fn with_verification(mut self, verification: ServerVerification) -> Self {
        self.verification = verification;
        self
    }

    /// Present this certificate when asked (mTLS).
    #[must_use]
    pub fn with_client_cert(mut self, cert: Arc<CertifiedKey>) -> Self {
        self.client_cert = Some(cert);
        self
    }

    /// The lowest version to offer.
    #[must_use]
    pub const fn with_min_version(mut self, version: ProtocolVersion) -> Self {
        self.min_version = Some(version);
        self
    }

    /// The highest version to offer.
    #[must_use]
    pub const fn with_max_version(mut self, version: ProtocolVersion) -> Self {
        self.max_version = Some(version);
        self
    }

    /// Offer only these cipher suites, in this order.
    #[must_use]
    pub fn with_cipher_suites(mut self, suites: Vec<CipherSuite>) -> Self {
        self.cipher_suites = Some(suites);
        self
    }

    /// Offer only these key exchange groups, in this order.
    #[must_use]
    pub fn with_groups(mut self, groups: Vec<SupportedGroup>) -> Self {
        self.groups = Some(groups);
        self
    }

    /// Use only these signature schemes, in this order (not supported by rustls).
    #[must_use]
    pub fn with_signature_schemes(mut self, schemes: Vec<SignatureScheme>) -> Self {
        self.signature_schemes = Some(schemes);
        self
    }

    /// Log session secrets.
    #[must_use]
    pub fn with_key_log(mut self, key_log: KeyLog) -> Self {
        self.key_log = key_log;
        self
    }

    /// Limit the handshake to `timeout` (`None`: no limit).
    #[must_use]
    pub const fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }
}
