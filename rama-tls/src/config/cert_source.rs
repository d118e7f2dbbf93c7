//! Where an acceptor gets its certificate: a static key, a per-SNI map, or an asynchronous
//! resolver asked per ClientHello.

use super::*;
use crate::types::{AlpnList, CipherSuite, SignatureScheme};
use rama_core::error::BoxError;
use std::{collections::HashMap, fmt, future::Future, pin::Pin, sync::Arc};

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
