//! What a TLS backend is asked to do, in words that do not depend on the backend: a
//! [`ServerConfig`] for acceptors and a [`ClientConfig`] for connectors, with the
//! certificates they serve ([`CertifiedKey`], [`ServerCertSource`]), how they verify the peer
//! ([`ClientAuth`], [`ServerVerification`]) and the protocol ids of [`types`](crate::types).
//!
//! Each backend (the [`rustls`](crate::rustls) one today) turns these into its own
//! configuration once, when its layer is built, and refuses what it cannot honour with an
//! error rather than silently ignoring it.
//!
//! ```
//! use rama_tls::config::{ClientAuth, ClientConfig, CertifiedKey, ServerConfig, ServerVerification};
//! use rama_tls::types::{AlpnList, ProtocolVersion};
//!
//! # fn pems() -> (String, String) {
//! #     let c = rama_tls::cert::self_signed(&["localhost"]).unwrap();
//! #     (c.chain_pem(), c.key_pem())
//! # }
//! let (cert_pem, key_pem) = pems();
//! let server = ServerConfig::new(CertifiedKey::from_pem(&cert_pem, &key_pem)?.into())
//!     .with_alpn(AlpnList::h2_http11())
//!     .with_min_version(ProtocolVersion::TLS_V1_3)
//!     .with_client_hello_capture(true);
//! assert!(matches!(server.client_auth, ClientAuth::None));
//!
//! let client = ClientConfig::new()
//!     .with_verification(ServerVerification::custom_pem(&cert_pem)?)
//!     .with_alpn(AlpnList::h2_http11());
//! assert!(!client.verification.is_insecure());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::types::{AlpnList, CipherSuite, ProtocolVersion, SignatureScheme, SupportedGroup};
use rama_core::error::BoxError;
use rama_net::address::{Authority, Host};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use std::{
    any::Any,
    collections::HashMap,
    fmt,
    future::Future,
    path::PathBuf,
    pin::Pin,
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};

/// How long an acceptor or connector waits for a handshake by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// certificates

/// A certificate chain (leaf first) and the leaf's private key: what a server serves, or a
/// client presents for mTLS.
///
/// Share it behind an [`Arc`]. A backend converts it into its own signing material once and
/// keeps that with it, so serving the same `Arc` again costs nothing. The
/// [`Debug`](fmt::Debug) output never shows the key.
pub struct CertifiedKey {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    names: Vec<String>,
    not_after: Option<SystemTime>,
    backend: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl CertifiedKey {
    /// A chain (leaf first) and its key.
    ///
    /// # Errors
    ///
    /// When the chain is empty.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, ConfigError> {
        if chain.is_empty() {
            return Err(ConfigError::new("a certificate chain is empty"));
        }
        Ok(Self {
            chain,
            key,
            names: Vec::new(),
            not_after: None,
            backend: OnceLock::new(),
        })
    }

    /// Records the names the leaf was issued for and when it expires (what the certificate
    /// issuers know).
    #[must_use]
    pub fn with_issued_for(mut self, names: Vec<String>, not_after: SystemTime) -> Self {
        self.names = names;
        self.not_after = Some(not_after);
        self
    }

    /// A chain and key read from PEM: every `CERTIFICATE` block in order (leaf first) and
    /// the first private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    ///
    /// When there is no certificate or no key, or the PEM is malformed.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, ConfigError> {
        let chain = certs_from_pem(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| ConfigError::with_source("read private key PEM", e))?;
        Self::new(chain, key)
    }

    /// [`from_pem`](Self::from_pem) with the PEM read from two files.
    ///
    /// # Errors
    ///
    /// When a file cannot be read (the error names it) or its PEM is not usable.
    pub fn from_pem_files(
        chain_path: impl AsRef<std::path::Path>,
        key_path: impl AsRef<std::path::Path>,
    ) -> Result<Self, ConfigError> {
        let read = |p: &std::path::Path, what: &str| {
            std::fs::read_to_string(p)
                .map_err(|e| ConfigError::with_source(format!("read {what} {}", p.display()), e))
        };
        let chain = read(chain_path.as_ref(), "certificate file")?;
        let key = read(key_path.as_ref(), "private key file")?;
        Self::from_pem(&chain, &key)
    }

    /// The leaf certificate, DER encoded.
    #[must_use]
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    /// The chain, leaf first, DER encoded (what a server sends).
    #[must_use]
    pub fn chain_der(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The private key, DER encoded (PKCS#8 for generated keys).
    #[must_use]
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// The leaf certificate as PEM.
    #[must_use]
    pub fn cert_pem(&self) -> String {
        pem_encode("CERTIFICATE", self.cert_der())
    }

    /// The whole chain as PEM, leaf first.
    #[must_use]
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|c| pem_encode("CERTIFICATE", c))
            .collect()
    }

    /// The private key as PEM (`-----BEGIN PRIVATE KEY-----` for generated keys). Keep it
    /// secret.
    #[must_use]
    pub fn key_pem(&self) -> String {
        let label = match &self.key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        pem_encode(label, self.key.secret_der())
    }

    /// The names (DNS names, IP addresses) the leaf was issued for, when this crate issued
    /// it; empty otherwise.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// When the leaf expires, when this crate issued it.
    #[must_use]
    pub const fn not_after(&self) -> Option<SystemTime> {
        self.not_after
    }

    /// The backend's material for this key, made by `make` on first use and kept.
    #[cfg_attr(
        all(not(feature = "rustls"), not(test)),
        expect(dead_code, reason = "only backends call it, and none is enabled")
    )]
    pub(crate) fn backend_material<T, E>(
        &self,
        make: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        if let Some(Ok(material)) = self.backend.get().map(|m| m.clone().downcast::<T>()) {
            return Ok(material);
        }
        let material = Arc::new(make(self)?);
        // another backend's material may hold the slot: then this one is simply not kept
        let _ = self
            .backend
            .set(material.clone() as Arc<dyn Any + Send + Sync>);
        Ok(material)
    }
}

impl fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("chain_len", &self.chain.len())
            .field("names", &self.names)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Every `CERTIFICATE` block of `pem`, in order.
///
/// # Errors
///
/// When the PEM is malformed or holds no certificate.
pub fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::with_source("read certificate PEM", e))?;
    if certs.is_empty() {
        return Err(ConfigError::new("no certificate in the PEM input"));
    }
    Ok(certs)
}

/// Where an acceptor gets the certificate it serves.
#[derive(Clone)]
pub enum ServerCertSource {
    /// One chain and key for every connection.
    Static(Arc<CertifiedKey>),
    /// A chain per server name (SNI), with an optional default.
    BySni(SniCertMap),
    /// Asked per ClientHello, asynchronously (a [`DynamicIssuer`](crate::cert::DynamicIssuer),
    /// a lookup in a store, ...).
    Resolver(Arc<dyn ServerCertResolver>),
}

impl ServerCertSource {
    /// A source that asks `resolver` per ClientHello.
    pub fn resolver(resolver: impl ServerCertResolver) -> Self {
        Self::Resolver(Arc::new(resolver))
    }
}

impl From<CertifiedKey> for ServerCertSource {
    fn from(key: CertifiedKey) -> Self {
        Self::Static(Arc::new(key))
    }
}

impl From<Arc<CertifiedKey>> for ServerCertSource {
    fn from(key: Arc<CertifiedKey>) -> Self {
        Self::Static(key)
    }
}

impl From<SniCertMap> for ServerCertSource {
    fn from(map: SniCertMap) -> Self {
        Self::BySni(map)
    }
}

impl fmt::Debug for ServerCertSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(key) => f.debug_tuple("Static").field(key).finish(),
            Self::BySni(map) => f.debug_tuple("BySni").field(map).finish(),
            Self::Resolver(_) => f.write_str("Resolver(..)"),
        }
    }
}

/// Certificates chosen by server name: an exact name first, then a `*.` wildcard one label
/// up, then the default. Names are compared case-insensitively.
///
/// ```
/// # use rama_tls::config::{CertifiedKey, SniCertMap};
/// # use std::sync::Arc;
/// # let cert = |n: &str| {
/// #     let c = rama_tls::cert::self_signed(&[n]).unwrap();
/// #     Arc::new(CertifiedKey::from_pem(&c.chain_pem(), &c.key_pem()).unwrap())
/// # };
/// let map = SniCertMap::new()
///     .with_cert("a.example", cert("a.example"))
///     .with_cert("*.b.example", cert("*.b.example"))
///     .with_default(cert("fallback"));
/// assert!(map.get(Some("A.example")).is_some());
/// assert!(map.get(Some("www.b.example")).is_some());
/// assert!(map.get(None).is_some()); // the default
/// assert!(SniCertMap::new().get(Some("x")).is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SniCertMap {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl SniCertMap {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve `cert` for `name` (a DNS name, or `*.` and a domain for its direct subdomains).
    #[must_use]
    pub fn with_cert(mut self, name: &str, cert: Arc<CertifiedKey>) -> Self {
        self.insert(name, cert);
        self
    }

    /// Serve `cert` for `name`.
    pub fn insert(&mut self, name: &str, cert: Arc<CertifiedKey>) {
        self.by_name.insert(normalize_name(name), cert);
    }

    /// Serve `cert` when no name matches (and to clients that send no SNI).
    #[must_use]
    pub fn with_default(mut self, cert: Arc<CertifiedKey>) -> Self {
        self.default = Some(cert);
        self
    }

    /// The certificate for `server_name`.
    #[must_use]
    pub fn get(&self, server_name: Option<&str>) -> Option<&Arc<CertifiedKey>> {
        let found = server_name.and_then(|name| {
            let name = normalize_name(name);
            self.by_name.get(&name).or_else(|| {
                let (_, parent) = name.split_once('.')?;
                self.by_name.get(&format!("*.{parent}"))
            })
        });
        found.or(self.default.as_ref())
    }

    /// Every name and its certificate (wildcards as `*.domain`), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<CertifiedKey>)> {
        self.by_name
            .iter()
            .map(|(name, cert)| (name.as_str(), cert))
    }

    /// The certificate served when no name matches.
    #[must_use]
    pub const fn default_cert(&self) -> Option<&Arc<CertifiedKey>> {
        self.default.as_ref()
    }

    /// How many names have a certificate.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no name has a certificate (a default may still be set).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn normalize_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// What a [`ServerCertResolver`] is told about the ClientHello it chooses a certificate for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertRequest {
    /// The server name the client asked for (SNI), if any.
    pub server_name: Option<String>,
    /// The ALPN protocols the client offered, in its order.
    pub alpn: AlpnList,
    /// The cipher suites the client offered, in its order.
    pub cipher_suites: Vec<CipherSuite>,
    /// The signature schemes the client accepts, in its order.
    pub signature_schemes: Vec<SignatureScheme>,
}

impl CertRequest {
    /// A request for `server_name` with nothing else known.
    #[must_use]
    pub fn for_server_name(server_name: Option<String>) -> Self {
        Self {
            server_name,
            ..Self::default()
        }
    }
}

/// A boxed future, `Send`, borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Chooses (or mints) the certificate for a ClientHello, asynchronously.
///
/// [`DynamicIssuer`](crate::cert::DynamicIssuer) implements it (a leaf per SNI), and so does
/// any `Fn(&CertRequest) -> Future` closure through [`resolver_fn`].
pub trait ServerCertResolver: Send + Sync + 'static {
    /// The certificate to serve for `request`; an error aborts the handshake.
    fn resolve<'a>(
        &'a self,
        request: &'a CertRequest,
    ) -> BoxFuture<'a, Result<Arc<CertifiedKey>, BoxError>>;
}

/// A [`ServerCertResolver`] from a closure that returns a future.
///
/// ```
/// use rama_tls::config::{CertRequest, ServerCertSource, resolver_fn};
/// use std::sync::Arc;
///
/// let cert = rama_tls::cert::self_signed(&["localhost"])?;
/// let cert = Arc::new(cert);
/// let source = ServerCertSource::resolver(resolver_fn(move |req: CertRequest| {
///     let cert = cert.clone();
///     async move {
///         match req.server_name.as_deref() {
///             Some("localhost") => Ok(cert),
///             _ => Err("unknown server name".into()),
///         }
///     }
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolver_fn<F, Fut>(f: F) -> ResolverFn<F>
where
    F: Fn(CertRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Arc<CertifiedKey>, BoxError>> + Send + 'static,
{
    ResolverFn(f)
}

/// The [`ServerCertResolver`] made by [`resolver_fn`].
#[derive(Clone)]
pub struct ResolverFn<F>(F);

impl<F> fmt::Debug for ResolverFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResolverFn(..)")
    }
}

impl<F, Fut> ServerCertResolver for ResolverFn<F>
where
    F: Fn(CertRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Arc<CertifiedKey>, BoxError>> + Send + 'static,
{
    fn resolve<'a>(
        &'a self,
        request: &'a CertRequest,
    ) -> BoxFuture<'a, Result<Arc<CertifiedKey>, BoxError>> {
        Box::pin((self.0)(request.clone()))
    }
}

// ---------------------------------------------------------------------------------------
// shared knobs

/// Where the session secrets of each handshake are written in the NSS key log format, for
/// Wireshark. Off unless asked for: anyone with the file can decrypt the traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyLog {
    /// No key log (the default).
    #[default]
    Disabled,
    /// The file named by the `SSLKEYLOGFILE` environment variable, when it is set.
    FromEnv,
    /// This file (appended to).
    File(PathBuf),
}

/// Client certificate verification on the server side (mutual TLS).
#[derive(Debug, Clone, Default)]
pub enum ClientAuth {
    /// No client certificate is asked for (the default).
    #[default]
    None,
    /// A client certificate is asked for and verified against `roots` when sent; clients
    /// without one are served too.
    Optional {
        /// The CA certificates client certificates must chain to.
        roots: Vec<CertificateDer<'static>>,
    },
    /// A client certificate that chains to `roots` is required; clients without one (or
    /// with another) are refused during the handshake.
    Required {
        /// The CA certificates client certificates must chain to.
        roots: Vec<CertificateDer<'static>>,
    },
}

impl ClientAuth {
    /// [`ClientAuth::Required`] with the CA certificates of `pem`.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or is malformed.
    pub fn required_pem(pem: &str) -> Result<Self, ConfigError> {
        Ok(Self::Required {
            roots: certs_from_pem(pem)?,
        })
    }

    /// [`ClientAuth::Optional`] with the CA certificates of `pem`.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or is malformed.
    pub fn optional_pem(pem: &str) -> Result<Self, ConfigError> {
        Ok(Self::Optional {
            roots: certs_from_pem(pem)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// server

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

// ---------------------------------------------------------------------------------------
// client

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

/// The input of a TLS connector: where the connection goes, so the connector knows the
/// server name to send and verify.
///
/// Implemented for [`Authority`], [`Host`] and rama-net's
/// [`ConnectRequest`](rama_net::client::ConnectRequest) (rama-tcp's `TcpRequest`).
pub trait TlsTarget {
    /// The host the connection is for; `None` when unknown (then only a
    /// [`ClientServerName::Override`] lets the handshake proceed).
    fn tls_target_host(&self) -> Option<&Host>;
}

impl TlsTarget for Authority {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self.host())
    }
}

impl TlsTarget for Host {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self)
    }
}

impl TlsTarget for rama_net::client::ConnectRequest {
    fn tls_target_host(&self) -> Option<&Host> {
        Some(self.authority.host())
    }
}

// ---------------------------------------------------------------------------------------
// errors and PEM

/// A TLS configuration that cannot be used: unreadable certificates or keys, or a setting
/// the backend cannot honour (the message says which).
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<BoxError>,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `der` as a PEM block (RFC 7468) with `label`: base64 in 64-character lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let mut b64 = Vec::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(BASE64[((n >> (18 - 6 * i)) & 0x3f) as usize]);
            } else {
                b64.push(b'=');
            }
        }
    }
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.chunks(64) {
        out.extend(line.iter().map(|&c| char::from(c)));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_padding_table() {
        // RFC 4648 section 10 test vectors
        for (input, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let pem = pem_encode("X", input.as_bytes());
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            assert_eq!(body, b64, "{input:?}");
        }
    }

    #[test]
    fn pem_round_trips() {
        let der: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let pem = pem_encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        let parsed = certs_from_pem(&pem).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].as_ref(), der.as_slice());
        let two = format!("{pem}{}", pem_encode("CERTIFICATE", b"xyz"));
        assert_eq!(certs_from_pem(&two).unwrap().len(), 2);
    }

    #[test]
    fn bad_pem_is_refused() {
        for pem in [
            "",
            "junk",
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ] {
            assert!(certs_from_pem(pem).is_err(), "{pem:?}");
            assert!(ServerVerification::custom_pem(pem).is_err());
            assert!(ClientAuth::required_pem(pem).is_err());
        }
        let cert = pem_encode("CERTIFICATE", b"abc");
        let err = CertifiedKey::from_pem(&cert, "no key").unwrap_err();
        assert!(err.to_string().contains("private key"), "{err}");
        assert!(CertifiedKey::new(Vec::new(), PrivateKeyDer::Pkcs8(vec![1].into())).is_err());
        let err =
            CertifiedKey::from_pem_files("/nonexistent/c.pem", "/nonexistent/k.pem").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/c.pem"), "{err}");
    }

    #[test]
    fn key_pem_label_follows_the_encoding() {
        let key_pem = pem_encode("EC PRIVATE KEY", b"sec1");
        let key = CertifiedKey::from_pem(&pem_encode("CERTIFICATE", b"c"), &key_pem).unwrap();
        assert!(matches!(key.key_der(), PrivateKeyDer::Sec1(_)));
        assert_eq!(key.key_pem(), key_pem);
        assert!(!format!("{key:?}").contains("sec1"));
    }

    #[test]
    fn backend_material_is_made_once() {
        let key = CertifiedKey::from_pem(
            &pem_encode("CERTIFICATE", b"c"),
            &pem_encode("PRIVATE KEY", b"k"),
        )
        .unwrap();
        let mut calls = 0;
        let a = key
            .backend_material(|_| {
                calls += 1;
                Ok::<_, ()>(7u32)
            })
            .unwrap();
        let b = key.backend_material(|_| Ok::<_, ()>(8u32)).unwrap();
        assert_eq!((*a, *b, calls), (7, 7, 1));
        // another type is made, not kept
        let s = key.backend_material(|_| Ok::<_, ()>("x")).unwrap();
        assert_eq!(*s, "x");
        assert!(key.backend_material(|_| Err::<u8, _>("fails")).is_err());
    }

    #[test]
    fn sni_map_table() {
        let k = |tag: &str| {
            Arc::new(
                CertifiedKey::from_pem(
                    &pem_encode("CERTIFICATE", tag.as_bytes()),
                    &pem_encode("PRIVATE KEY", b"k"),
                )
                .unwrap(),
            )
        };
        let map = SniCertMap::new()
            .with_cert("a.test", k("a"))
            .with_cert("*.w.test", k("w"))
            .with_cert("x.w.test", k("xw"));
        let tag = |name: Option<&str>| {
            map.get(name)
                .map(|c| String::from_utf8(c.cert_der().to_vec()).unwrap())
        };
        for (name, want) in [
            (Some("a.test"), Some("a")),
            (Some("A.TEST."), Some("a")),
            (Some("b.w.test"), Some("w")),
            (Some("x.w.test"), Some("xw")),
            (Some("deep.b.w.test"), None),
            (Some("w.test"), None),
            (None, None),
        ] {
            assert_eq!(tag(name).as_deref(), want, "{name:?}");
        }
        let with_default = map.clone().with_default(k("d"));
        assert_eq!(
            with_default.get(Some("zzz")).map(|c| c.cert_der().len()),
            Some(1)
        );
        assert_eq!(with_default.len(), 3);
    }

    #[test]
    fn targets() {
        let authority: Authority = "example.com:443".parse().unwrap();
        assert_eq!(
            authority.tls_target_host().unwrap().to_string(),
            "example.com"
        );
        let req = rama_net::client::ConnectRequest::new("127.0.0.1:8443".parse().unwrap());
        assert_eq!(req.tls_target_host().unwrap().to_string(), "127.0.0.1");
    }

    #[test]
    fn defaults_are_safe() {
        let client = ClientConfig::new();
        assert!(matches!(
            client.verification,
            ServerVerification::WebPkiRoots
        ));
        assert_eq!(client.key_log, KeyLog::Disabled);
        assert_eq!(client.handshake_timeout, Some(DEFAULT_HANDSHAKE_TIMEOUT));
        assert_eq!(client.server_name, ClientServerName::FromTarget);
        let server = ServerConfig::new(SniCertMap::new().into());
        assert!(!server.store_client_hello);
        assert!(matches!(server.client_auth, ClientAuth::None));
    }
}
