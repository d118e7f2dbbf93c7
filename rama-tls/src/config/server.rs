//! [`ServerConfig`]: what a TLS acceptor is asked to do.

use super::*;
use crate::types::{AlpnList, CipherSuite, ProtocolVersion, SignatureScheme, SupportedGroup};
use std::time::Duration;

/// What a TLS acceptor is asked to do. Build it with [`ServerConfig::new`] and the `with_*`
/// methods; every field is public to read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The certificate to serve.
    pub cert: ServerCertSource,
    /// The ALPN protocols the server accepts, in its order of preference; empty: no ALPN.
    pub alpn: AlpnList,
    /// The lowest version accepted (`None`: the backend's lowest, TLS 1.2 for rustls).
    pub min_version: Option<ProtocolVersion>,
    /// The highest version accepted (`None`: the backend's highest).
    pub max_version: Option<ProtocolVersion>,
    /// The cipher suites allowed, in order of preference (`None`: the backend's defaults).
    pub cipher_suites: Option<Vec<CipherSuite>>,
    /// The key exchange groups allowed, in order of preference (`None`: the defaults).
    pub groups: Option<Vec<SupportedGroup>>,
    /// The signature schemes allowed, in order of preference (`None`: the backend's
    /// defaults). rustls does not support choosing them and refuses a config that sets
    /// them; the BoringSSL backend will.
    pub signature_schemes: Option<Vec<SignatureScheme>>,
    /// Whether and how client certificates are verified.
    pub client_auth: ClientAuth,
    /// Where session secrets are logged (off by default).
    pub key_log: KeyLog,
    /// Whether the parsed ClientHello is stored in the TLS stream's extensions (as
    /// [`ClientHello`](crate::client_hello::ClientHello)).
    pub store_client_hello: bool,
    /// How long the handshake may take (`None`: no limit).
    pub handshake_timeout: Option<Duration>,
}

impl ServerConfig {
    /// Serve `cert`, no ALPN, the backend's versions, suites and groups, no client
    /// authentication, no key log, no ClientHello capture, a
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`].
    #[must_use]
    pub fn new(cert: ServerCertSource) -> Self {
        Self {
            cert,
            alpn: AlpnList::new(),
            min_version: None,
            max_version: None,
            cipher_suites: None,
            groups: None,
            signature_schemes: None,
            client_auth: ClientAuth::None,
            key_log: KeyLog::Disabled,
            store_client_hello: false,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
        }
    }

    /// Accept these ALPN protocols, in this order of preference.
    #[must_use]
    pub fn with_alpn(mut self, alpn: AlpnList) -> Self {
        self.alpn = alpn;
        self
    }

    /// The lowest version to accept.
    #[must_use]
    pub const fn with_min_version(mut self, version: ProtocolVersion) -> Self {
        self.min_version = Some(version);
        self
    }

    /// The highest version to accept.
    #[must_use]
    pub const fn with_max_version(mut self, version: ProtocolVersion) -> Self {
        self.max_version = Some(version);
        self
    }

    /// Allow only these cipher suites, in this order.
    #[must_use]
    pub fn with_cipher_suites(mut self, suites: Vec<CipherSuite>) -> Self {
        self.cipher_suites = Some(suites);
        self
    }

    /// Allow only these key exchange groups, in this order.
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

    /// Verify client certificates (mTLS).
    #[must_use]
    pub fn with_client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = client_auth;
        self
    }

    /// Log session secrets.
    #[must_use]
    pub fn with_key_log(mut self, key_log: KeyLog) -> Self {
        self.key_log = key_log;
        self
    }

    /// Store the parsed ClientHello in the TLS stream's extensions.
    #[must_use]
    pub const fn with_client_hello_capture(mut self, on: bool) -> Self {
        self.store_client_hello = on;
        self
    }

    /// Limit the handshake to `timeout` (`None`: no limit).
    #[must_use]
    pub const fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }
}
