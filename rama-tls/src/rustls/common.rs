//! What the server and client configs share: the crypto provider (ring) narrowed to the
//! configured suites and groups, the protocol versions, the key log, and our
//! [`CertifiedKey`] as rustls signing material.

use crate::config::{CertifiedKey, ConfigError, KeyLog};
use crate::types::{CipherSuite, ProtocolVersion, SupportedGroup};
use rustls::crypto::CryptoProvider;
use std::{
    fmt,
    fs::File,
    io::Write,
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

/// The ring provider with only `suites` and `groups` (in that order) when given.
pub(crate) fn provider(
    suites: Option<&[CipherSuite]>,
    groups: Option<&[SupportedGroup]>,
) -> Result<Arc<CryptoProvider>, ConfigError> {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(suites) = suites {
        provider.cipher_suites = suites
            .iter()
            .map(|want| {
                rustls::crypto::ring::ALL_CIPHER_SUITES
                    .iter()
                    .find(|s| u16::from(s.suite()) == u16::from(*want))
                    .copied()
                    .ok_or_else(|| {
                        ConfigError::new(format!("cipher suite {want} is not supported by rustls"))
                    })
            })
            .collect::<Result<_, _>>()?;
        if provider.cipher_suites.is_empty() {
            return Err(ConfigError::new("the cipher suite list is empty"));
        }
    }
    if let Some(groups) = groups {
        provider.kx_groups = groups
            .iter()
            .map(|want| {
                rustls::crypto::ring::ALL_KX_GROUPS
                    .iter()
                    .find(|g| u16::from(g.name()) == u16::from(*want))
                    .copied()
                    .ok_or_else(|| {
                        ConfigError::new(format!(
                            "key exchange group {want} is not supported by rustls (ring)"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        if provider.kx_groups.is_empty() {
            return Err(ConfigError::new("the key exchange group list is empty"));
        }
    }
    Ok(Arc::new(provider))
}

/// The rustls versions between `min` and `max` (inclusive; `None`: unbounded).
pub(crate) fn versions(
    min: Option<ProtocolVersion>,
    max: Option<ProtocolVersion>,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, ConfigError> {
    for v in [min, max].into_iter().flatten() {
        if v != ProtocolVersion::TLS_V1_2 && v != ProtocolVersion::TLS_V1_3 {
            return Err(ConfigError::new(format!(
                "rustls speaks TLS 1.2 and 1.3 only, not {v}"
            )));
        }
    }
    let lo = min.map_or(0, u16::from);
    let hi = max.map_or(u16::MAX, u16::from);
    let versions: Vec<_> = rustls::ALL_VERSIONS
        .iter()
        .copied()
        .filter(|v| (lo..=hi).contains(&u16::from(v.version)))
        .collect();
    if versions.is_empty() {
        return Err(ConfigError::new(format!(
            "no TLS version between {} and {}",
            ProtocolVersion::from(lo),
            ProtocolVersion::from(hi)
        )));
    }
    Ok(versions)
}

/// The rustls key log for `key_log`.
pub(crate) fn key_log(key_log: &KeyLog) -> Result<Arc<dyn rustls::KeyLog>, ConfigError> {
    Ok(match key_log {
        KeyLog::Disabled => Arc::new(rustls::NoKeyLog),
        KeyLog::FromEnv => Arc::new(rustls::KeyLogFile::new()),
        KeyLog::File(path) => Arc::new(FileKeyLog::open(path)?),
    })
}

/// Appends NSS key log lines to a file.
struct FileKeyLog {
    file: Mutex<File>,
}

impl FileKeyLog {
    fn open(path: &Path) -> Result<Self, ConfigError> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| {
            ConfigError::with_source(format!("open key log file {}", path.display()), e)
        })?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }
}

impl fmt::Debug for FileKeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKeyLog")
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line =
            String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        push_hex(&mut line, client_random);
        line.push(' ');
        push_hex(&mut line, secret);
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(err) = file.write_all(line.as_bytes()) {
            tracing::warn!(%err, "write TLS key log");
        }
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// `key` as rustls signing material, made once per [`CertifiedKey`] and then shared.
pub(crate) fn rustls_key(
    key: &CertifiedKey,
) -> Result<Arc<rustls::sign::CertifiedKey>, ConfigError> {
    key.backend_material(|key| {
        let signing = rustls::crypto::ring::default_provider()
            .key_provider
            .load_private_key(key.key_der())
            .map_err(|e| ConfigError::with_source("load the private key into rustls", e))?;
        Ok(rustls::sign::CertifiedKey::new(
            key.chain_der().to_vec(),
            signing,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges() {
        let v12 = ProtocolVersion::TLS_V1_2;
        let v13 = ProtocolVersion::TLS_V1_3;
        assert_eq!(versions(None, None).unwrap().len(), 2);
        assert_eq!(versions(Some(v13), None).unwrap().len(), 1);
        assert_eq!(versions(None, Some(v12)).unwrap().len(), 1);
        assert!(versions(Some(v13), Some(v12)).is_err());
        assert!(versions(Some(ProtocolVersion::TLS_V1_0), None).is_err());
    }

    #[test]
    fn provider_narrowing() {
        let p = provider(Some(&[CipherSuite::TLS_CHACHA20_POLY1305_SHA256]), None).unwrap();
        assert_eq!(p.cipher_suites.len(), 1);
        assert!(provider(Some(&[CipherSuite::from(0x0005)]), None).is_err());
        assert!(provider(Some(&[]), None).is_err());
        let g = provider(None, Some(&[SupportedGroup::from(0x0017)])).unwrap();
        assert_eq!(g.kx_groups.len(), 1);
        assert!(provider(None, Some(&[SupportedGroup::from(0x0100)])).is_err());
    }

    #[test]
    fn key_log_file_lines() {
        let path = std::env::temp_dir().join(format!("rama-keylog-{}.txt", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let log = FileKeyLog::open(&path).unwrap();
        rustls::KeyLog::log(&log, "CLIENT_RANDOM", &[0xab, 0x01], &[0xff]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "CLIENT_RANDOM ab01 ff\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn keys_convert_once() {
        let cert = crate::cert::self_signed(&["localhost"]).unwrap();
        let a = rustls_key(&cert).unwrap();
        a.keys_match().unwrap();
        assert!(Arc::ptr_eq(&a, &rustls_key(&cert).unwrap()));
    }
}
