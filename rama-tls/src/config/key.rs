//! [`CertifiedKey`]: a certificate chain and its private key, read from PEM or DER, and
//! the PEM helpers the backends and the certificate issuer share.

use super::*;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use std::{
    any::Any,
    fmt,
    sync::{Arc, OnceLock},
    time::SystemTime,
};

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

/// `der` as a PEM block (RFC 7468) with `label`: base64 in 64-character lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // base64's alphabet is ASCII: 64-byte chunks are whole characters
    for line in b64.as_bytes().chunks(64) {
        out.extend(line.iter().map(|&c| char::from(c)));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
