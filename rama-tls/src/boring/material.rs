//! The neutral vocabulary as BoringSSL values: [`CertifiedKey`] as X509 and PKey, protocol
//! versions as [`SslVersion`], groups as BoringSSL curve names, cipher suites as OpenSSL
//! cipher names, and the key log.

use crate::config::{CertifiedKey, ConfigError, KeyLog};
use crate::types::{CipherSuite, ProtocolVersion, SupportedGroup};
use boring::{
    pkey::{PKey, Private},
    ssl::{SslCipher, SslContextBuilder, SslVersion},
    x509::X509,
};
use std::{
    collections::HashMap,
    fs::File,
    io::Write,
    path::Path,
    sync::{Arc, Mutex, PoisonError, Weak},
};

/// A certificate chain (leaf first) and its private key, parsed by BoringSSL.
pub(crate) struct BoringKey {
    pub(crate) leaf: X509,
    pub(crate) intermediates: Vec<X509>,
    pub(crate) key: PKey<Private>,
}

impl BoringKey {
    /// Parses `key`'s DER chain and private key (PKCS#8, PKCS#1 or SEC1).
    pub(crate) fn from_certified(key: &CertifiedKey) -> Result<Self, ConfigError> {
        let mut chain = key.chain_der().iter().map(|der| {
            X509::from_der(der).map_err(|e| ConfigError::with_source("parse a certificate", e))
        });
        let leaf = chain
            .next()
            .ok_or_else(|| ConfigError::new("a certificate chain is empty"))??;
        let intermediates = chain.collect::<Result<_, _>>()?;
        let private = PKey::private_key_from_der(key.key_der().secret_der())
            .map_err(|e| ConfigError::with_source("load the private key into BoringSSL", e))?;
        Ok(Self {
            leaf,
            intermediates,
            key: private,
        })
    }

    /// Installs this chain and key on a context (static server certificate, client
    /// certificate) and checks that they match.
    pub(crate) fn install(&self, ctx: &mut SslContextBuilder) -> Result<(), ConfigError> {
        let err = |e| ConfigError::with_source("install the certificate in BoringSSL", e);
        ctx.set_certificate(&self.leaf).map_err(err)?;
        for cert in &self.intermediates {
            ctx.add_extra_chain_cert(cert.clone()).map_err(err)?;
        }
        let mismatch = |e| {
            ConfigError::with_source(
                "the private key does not match the certificate (or is unusable)",
                e,
            )
        };
        ctx.set_private_key(&self.key).map_err(mismatch)?;
        ctx.check_private_key().map_err(mismatch)
    }

    /// Installs this chain and key on one connection (certificate chosen per ClientHello).
    pub(crate) fn install_on(
        &self,
        ssl: &mut boring::ssl::SslRef,
    ) -> Result<(), boring::error::ErrorStack> {
        ssl.set_certificate(&self.leaf)?;
        for cert in &self.intermediates {
            ssl.add_chain_cert(cert)?;
        }
        ssl.set_private_key(&self.key)
    }
}

/// The key (kept only weakly) and its parsed form.
type CacheEntry = (Weak<CertifiedKey>, Arc<BoringKey>);

/// Keys a resolver hands out, parsed once per [`CertifiedKey`] (a resolver such as the
/// dynamic issuer returns the same `Arc` for a cached certificate): keyed by the `Arc`'s
/// address, which the kept `Weak` stops from being reused while the entry lives. Bounded:
/// when full, entries whose key is gone are dropped, and if none is, all of them.
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<usize, CacheEntry>>,
    capacity: usize,
}

impl KeyCache {
    /// A cache for up to `capacity` keys.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The parsed form of `key`, parsing it on first sight.
    pub(crate) fn get(&self, key: &Arc<CertifiedKey>) -> Result<Arc<BoringKey>, ConfigError> {
        let id = Arc::as_ptr(key) as usize;
        let lock = || self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((weak, parsed)) = lock().get(&id)
            && weak.strong_count() > 0
        {
            return Ok(parsed.clone());
        }
        let parsed = Arc::new(BoringKey::from_certified(key)?);
        let mut entries = lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (weak, _)| weak.strong_count() > 0);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(id, (Arc::downgrade(key), parsed.clone()));
        Ok(parsed)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The BoringSSL version for a neutral one; BoringSSL speaks TLS 1.0 to 1.3.
pub(crate) fn ssl_version(version: ProtocolVersion) -> Result<SslVersion, ConfigError> {
    match version.value() {
        0x0301 => Ok(SslVersion::TLS1),
        0x0302 => Ok(SslVersion::TLS1_1),
        0x0303 => Ok(SslVersion::TLS1_2),
        0x0304 => Ok(SslVersion::TLS1_3),
        _ => Err(ConfigError::new(format!(
            "BoringSSL speaks TLS 1.0 to 1.3, not {version}"
        ))),
    }
}

/// The neutral id of a BoringSSL version.
pub(crate) fn version_id(version: SslVersion) -> ProtocolVersion {
    let id = [
        (SslVersion::TLS1, 0x0301),
        (SslVersion::TLS1_1, 0x0302),
        (SslVersion::TLS1_2, 0x0303),
        (SslVersion::TLS1_3, 0x0304),
    ]
    .into_iter()
    .find_map(|(v, id)| (v == version).then_some(id))
    .unwrap_or(0);
    ProtocolVersion::from(id)
}

/// Sets min and max versions; the minimum defaults to TLS 1.2 (as with rustls).
pub(crate) fn set_versions(
    ctx: &mut SslContextBuilder,
    min: Option<ProtocolVersion>,
    max: Option<ProtocolVersion>,
) -> Result<(), ConfigError> {
    let min = min.unwrap_or(ProtocolVersion::TLS_V1_2);
    if let Some(max) = max
        && max.value() < min.value()
    {
        return Err(ConfigError::new(format!(
            "no TLS version between {min} and {max}"
        )));
    }
    let err = |e| ConfigError::with_source("set the TLS versions", e);
    ctx.set_min_proto_version(Some(ssl_version(min)?))
        .map_err(err)?;
    ctx.set_max_proto_version(max.map(ssl_version).transpose()?)
        .map_err(err)
}

/// BoringSSL's name for a group, as `SSL_CTX_set1_curves_list` reads it.
pub(crate) fn group_name(group: SupportedGroup) -> Result<&'static str, ConfigError> {
    Ok(match group.value() {
        0x0017 => "P-256",
        0x0018 => "P-384",
        0x0019 => "P-521",
        0x001d => "X25519",
        0x11ec => "X25519MLKEM768",
        _ => {
            return Err(ConfigError::new(format!(
                "key exchange group {group} is not supported by BoringSSL"
            )));
        }
    })
}

/// The groups as a BoringSSL curves list (`X25519:P-256`), in the given order.
pub(crate) fn curves_list(groups: &[SupportedGroup]) -> Result<String, ConfigError> {
    if groups.is_empty() {
        return Err(ConfigError::new("the key exchange group list is empty"));
    }
    let names = groups
        .iter()
        .map(|g| group_name(*g))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names.join(":"))
}

/// The TLS 1.2 (and older) suites as an OpenSSL cipher list, in the given order. TLS 1.3
/// suites are skipped: BoringSSL always offers its three TLS 1.3 suites in a fixed order.
/// `None` when only TLS 1.3 suites were given (the default TLS 1.2 list then stays).
pub(crate) fn cipher_list(suites: &[CipherSuite]) -> Result<Option<String>, ConfigError> {
    if suites.is_empty() {
        return Err(ConfigError::new("the cipher suite list is empty"));
    }
    let mut names = Vec::new();
    for suite in suites {
        if suite.is_tls13() {
            if SslCipher::from_value(suite.value()).is_none() {
                return Err(ConfigError::new(format!(
                    "cipher suite {suite} is not supported by BoringSSL"
                )));
            }
            continue;
        }
        let cipher = SslCipher::from_value(suite.value()).ok_or_else(|| {
            ConfigError::new(format!(
                "cipher suite {suite} is not supported by BoringSSL"
            ))
        })?;
        names.push(cipher.name());
    }
    Ok((!names.is_empty()).then(|| names.join(":")))
}

/// Sets the key log callback: NSS key log lines appended to a file.
pub(crate) fn set_key_log(
    ctx: &mut SslContextBuilder,
    key_log: &KeyLog,
) -> Result<(), ConfigError> {
    let path = match key_log {
        KeyLog::Disabled => return Ok(()),
        KeyLog::FromEnv => match std::env::var_os("SSLKEYLOGFILE") {
            Some(path) if !path.is_empty() => path.into(),
            _ => return Ok(()),
        },
        KeyLog::File(path) => path.clone(),
    };
    let file = Arc::new(Mutex::new(open_key_log(&path)?));
    ctx.set_keylog_callback(move |_ssl, line| {
        let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(err) = writeln!(file, "{line}") {
            tracing::warn!(%err, "write TLS key log");
        }
    });
    Ok(())
}

fn open_key_log(path: &Path) -> Result<File, ConfigError> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| ConfigError::with_source(format!("open key log file {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Arc<CertifiedKey> {
        Arc::new(crate::config::CertifiedKey::from_pem(TEST_CERT, TEST_KEY).unwrap())
    }

    // a throwaway self-signed P-256 certificate and its key, made with openssl for this test
    const TEST_CERT: &str = include_str!("fixtures/cache_cert.pem");
    const TEST_KEY: &str = include_str!("fixtures/cache_key.pem");

    #[test]
    fn key_cache_parses_once_and_stays_bounded() {
        let cache = KeyCache::new(2);
        let (a, b, c) = (key(), key(), key());
        let first = cache.get(&a).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get(&a).unwrap()));
        assert!(!Arc::ptr_eq(&first, &cache.get(&b).unwrap()));
        assert_eq!(cache.len(), 2);
        // full: `a` is gone, so its entry makes room
        drop(a);
        cache.get(&c).unwrap();
        assert_eq!(cache.len(), 2);
        // full of live keys: cleared, then refilled
        let d = key();
        cache.get(&d).unwrap();
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&b).is_ok());
    }

    #[test]
    fn versions_table() {
        for (id, ok) in [
            (0x0301, true),
            (0x0303, true),
            (0x0304, true),
            (0x0300, false),
            (0x7f1c, false),
        ] {
            let v = ProtocolVersion::from(id);
            assert_eq!(ssl_version(v).is_ok(), ok, "{v}");
            if let Ok(ssl) = ssl_version(v) {
                assert_eq!(version_id(ssl), v);
            }
        }
    }

    #[test]
    fn version_range_is_checked() {
        let mut ctx = SslContextBuilder::new(boring::ssl::SslMethod::tls()).unwrap();
        assert!(set_versions(&mut ctx, None, None).is_ok());
        assert!(
            set_versions(
                &mut ctx,
                Some(ProtocolVersion::TLS_V1_3),
                Some(ProtocolVersion::TLS_V1_2)
            )
            .is_err()
        );
        assert!(set_versions(&mut ctx, None, Some(ProtocolVersion::TLS_V1_3)).is_ok());
    }

    #[test]
    fn cipher_lists_table() {
        let suite = |v: u16| CipherSuite::from(v);
        assert_eq!(
            cipher_list(&[suite(0xc02f), suite(0xc02b)])
                .unwrap()
                .as_deref(),
            Some("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256")
        );
        assert_eq!(cipher_list(&[suite(0x1301)]).unwrap(), None);
        assert!(cipher_list(&[]).is_err());
        assert!(cipher_list(&[suite(0x0005)]).is_err(), "RC4 is gone");
        assert!(
            cipher_list(&[suite(0x1305)]).is_err(),
            "CCM_8 is not in BoringSSL"
        );
    }

    #[test]
    fn curves_lists_table() {
        let g = |v: u16| SupportedGroup::from(v);
        assert_eq!(
            curves_list(&[g(0x001d), g(0x0017)]).unwrap(),
            "X25519:P-256"
        );
        assert!(curves_list(&[]).is_err());
        assert!(curves_list(&[g(0x0100)]).is_err());
    }
}
