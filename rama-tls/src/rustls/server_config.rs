//! A rustls `ServerConfig` from our [`ServerConfig`](crate::config::ServerConfig).

use super::common::{key_log, provider, rustls_key, versions};
use crate::config::{
    ClientAuth, ConfigError, ServerCertResolver, ServerCertSource, ServerConfig, SniCertMap,
};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use std::{fmt, sync::Arc};

/// The rustls server config, and the async resolver when certificates are chosen per
/// ClientHello (then the config's own resolver is replaced per connection).
pub(crate) struct BuiltServerConfig {
    pub(crate) rustls: Arc<rustls::ServerConfig>,
    pub(crate) resolver: Option<Arc<dyn ServerCertResolver>>,
}

pub(crate) fn build(config: &ServerConfig) -> Result<BuiltServerConfig, ConfigError> {
    if config.signature_schemes.is_some() {
        return Err(ConfigError::new(
            "the rustls backend cannot choose signature schemes (use the BoringSSL backend)",
        ));
    }
    let provider = provider(config.cipher_suites.as_deref(), config.groups.as_deref())?;
    let versions = versions(config.min_version, config.max_version)?;
    let verifier = match &config.client_auth {
        ClientAuth::None => WebPkiClientVerifier::no_client_auth(),
        ClientAuth::Optional { roots } | ClientAuth::Required { roots } => {
            let mut store = rustls::RootCertStore::empty();
            for root in roots {
                store.add(root.clone()).map_err(|e| {
                    ConfigError::with_source("add a client CA certificate to the root store", e)
                })?;
            }
            let builder =
                WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider.clone());
            let builder = if matches!(config.client_auth, ClientAuth::Optional { .. }) {
                builder.allow_unauthenticated()
            } else {
                builder
            };
            builder
                .build()
                .map_err(|e| ConfigError::with_source("build the client certificate verifier", e))?
        }
    };
    let (cert_resolver, resolver): (Arc<dyn ResolvesServerCert>, _) = match &config.cert {
        ServerCertSource::Static(key) => (Arc::new(FixedCert(rustls_key(key)?)), None),
        ServerCertSource::BySni(map) => (Arc::new(SniResolver::new(map.clone())?), None),
        ServerCertSource::Resolver(r) => (Arc::new(NoCert), Some(r.clone())),
    };
    let mut rustls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| ConfigError::with_source("the versions do not fit the cipher suites", e))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(cert_resolver);
    rustls.alpn_protocols = config.alpn.to_vecs();
    rustls.key_log = key_log(&config.key_log)?;
    Ok(BuiltServerConfig {
        rustls: Arc::new(rustls),
        resolver,
    })
}

/// Always the same certificate.
#[derive(Debug)]
pub(crate) struct FixedCert(pub(crate) Arc<rustls::sign::CertifiedKey>);

impl ResolvesServerCert for FixedCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// No certificate: the placeholder while the async resolver has not chosen one.
#[derive(Debug)]
struct NoCert;

impl ResolvesServerCert for NoCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        None
    }
}

/// By SNI through a [`SniCertMap`].
struct SniResolver(SniCertMap);

impl SniResolver {
    fn new(map: SniCertMap) -> Result<Self, ConfigError> {
        // convert every key now, so a bad one fails here and not at its first handshake
        for key in map.iter().map(|(_, key)| key).chain(map.default_cert()) {
            rustls_key(key)?;
        }
        Ok(Self(map))
    }
}

impl fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SniResolver").field(&self.0).finish()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let key = self.0.get(hello.server_name())?;
        match rustls_key(key) {
            Ok(key) => Some(key),
            Err(err) => {
                tracing::warn!(error = %err, "TLS certificate for SNI unusable");
                None
            }
        }
    }
}
