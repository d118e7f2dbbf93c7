//! [`CertificateAuthority`]: a CA that signs leaf certificates, generated or loaded from PEM.

use super::{
    CertError,
    leaf::{certified, leaf_params, random_serial, set_validity},
};
use crate::config::{CertifiedKey, pem_encode};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::{
    fmt,
    fs::{self, OpenOptions},
    io::Write,
    path::Path,
    time::Duration,
};

/// How long a generated CA certificate is valid: ten years.
pub const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// How long the leaves a CA issues are valid by default: thirty days.
pub const LEAF_VALIDITY: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A certificate authority: its certificate and the key that signs leaves.
///
/// Generate one ([`generate`](Self::generate)), or load one from PEM
/// ([`from_pem`](Self::from_pem), [`load`](Self::load)); store it with
/// [`write_pem_files`](Self::write_pem_files), which writes the private key readable by its
/// owner only (mode `0600`). Clients that trust [`cert_pem`](Self::cert_pem) accept every
/// leaf it [`issue`](Self::issue)s.
///
/// ```
/// use rama_tls::cert::CertificateAuthority;
///
/// let ca = CertificateAuthority::generate("rama test CA")?;
/// let leaf = ca.issue(&["example.com", "127.0.0.1"])?;
/// // the chain a server sends: the leaf (the CA itself is the client's trust anchor)
/// assert_eq!(leaf.chain_der().len(), 1);
/// assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// # Ok::<(), rama_tls::cert::CertError>(())
/// ```
pub struct CertificateAuthority {
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl CertificateAuthority {
    /// A new CA with `common_name` as subject, a fresh ECDSA P-256 key, valid for
    /// [`CA_VALIDITY`].
    ///
    /// # Errors
    ///
    /// When key generation or signing fails.
    pub fn generate(common_name: &str) -> Result<Self, CertError> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "rama");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, CA_VALIDITY);
        params.serial_number = Some(random_serial()?);
        let key = KeyPair::generate().map_err(|e| CertError::generate("generate CA key", e))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| CertError::generate("self-sign CA certificate", e))?;
        Ok(Self {
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A CA from its certificate and its private key, both PEM. The key must be PKCS#8
    /// (`-----BEGIN PRIVATE KEY-----`, what `openssl genpkey` writes; convert others with
    /// `openssl pkcs8 -topk8 -nocrypt`), ECDSA P-256/P-384, Ed25519 or RSA.
    ///
    /// # Errors
    ///
    /// A parse [`CertError`] when either cannot be read or the key is not PKCS#8.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| CertError::parse("read CA certificate PEM", Some(Box::new(e))))?;
        let key = KeyPair::from_pem(key_pem)
            .map_err(|e| CertError::parse("read CA private key PEM (PKCS#8)", Some(Box::new(e))))?;
        let issuer = Issuer::from_ca_cert_der(&cert, key)
            .map_err(|e| CertError::parse("read CA certificate", Some(Box::new(e))))?;
        Ok(Self { cert, issuer })
    }

    /// [`from_pem`](Self::from_pem) with the PEM read from two files.
    ///
    /// # Errors
    ///
    /// An I/O [`CertError`] naming the file that could not be read, or a parse error.
    pub fn load(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<Self, CertError> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        let cert = fs::read_to_string(cert_path)
            .map_err(|e| CertError::io("read CA certificate", cert_path, e))?;
        let key = fs::read_to_string(key_path)
            .map_err(|e| CertError::io("read CA private key", key_path, e))?;
        Self::from_pem(&cert, &key)
    }

    /// Load the CA from the two files when both exist; generate one with `common_name`
    /// and write it there when neither does (what a MITM proxy does on its first start).
    ///
    /// # Errors
    ///
    /// When only one of the two files exists (a lone key is never overwritten), or loading,
    /// generating or writing fails.
    pub fn load_or_generate(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
        common_name: &str,
    ) -> Result<Self, CertError> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Self::load(cert_path, key_path),
            (false, false) => {
                let ca = Self::generate(common_name)?;
                ca.write_pem_files(cert_path, key_path)?;
                Ok(ca)
            }
            (true, false) => Err(CertError::io(
                "CA certificate exists without its key",
                key_path,
                std::io::ErrorKind::NotFound.into(),
            )),
            (false, true) => Err(CertError::io(
                "CA key exists without its certificate",
                cert_path,
                std::io::ErrorKind::NotFound.into(),
            )),
        }
    }

    /// Write the certificate (mode `0644`) and the private key (mode `0600`: readable by
    /// its owner only) as PEM, replacing existing files. On non-Unix systems the modes are
    /// not set.
    ///
    /// # Errors
    ///
    /// An I/O [`CertError`] naming the file that could not be written.
    pub fn write_pem_files(
        &self,
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<(), CertError> {
        let (cert_path, key_path) = (cert_path.as_ref(), key_path.as_ref());
        write_with_mode(key_path, self.key_pem().as_bytes(), 0o600)
            .map_err(|e| CertError::io("write CA private key", key_path, e))?;
        write_with_mode(cert_path, self.cert_pem().as_bytes(), 0o644)
            .map_err(|e| CertError::io("write CA certificate", cert_path, e))
    }

    /// The CA certificate, DER encoded.
    #[must_use]
    pub const fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// The CA certificate as PEM: what clients add to their trust store.
    #[must_use]
    pub fn cert_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.cert)
    }

    /// The CA's private key as PKCS#8 PEM. Keep it secret.
    #[must_use]
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A rustls root store that holds this CA only: what a client (or an mTLS server) uses
    /// to trust the leaves it issues.
    ///
    /// # Errors
    ///
    /// When rustls does not accept the certificate as a trust anchor.
    pub fn root_store(&self) -> Result<rustls::RootCertStore, CertError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).map_err(|e| {
            CertError::parse("add CA certificate to a root store", Some(Box::new(e)))
        })?;
        Ok(roots)
    }

    /// A leaf for `names` (DNS names, `*.`-wildcards or IP addresses; the first is the
    /// common name), valid for [`LEAF_VALIDITY`], for server and client authentication,
    /// with a fresh ECDSA P-256 key, signed by this CA.
    ///
    /// # Errors
    ///
    /// When a name is neither a DNS name nor an IP address, there are no names, or signing
    /// fails.
    pub fn issue<N: AsRef<str>>(&self, names: &[N]) -> Result<CertifiedKey, CertError> {
        self.issue_with_validity(names, LEAF_VALIDITY)
    }

    /// [`issue`](Self::issue) with a chosen validity.
    ///
    /// # Errors
    ///
    /// As [`issue`](Self::issue).
    pub fn issue_with_validity<N: AsRef<str>>(
        &self,
        names: &[N],
        validity: Duration,
    ) -> Result<CertifiedKey, CertError> {
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
        let mut params = leaf_params(&names, validity)?;
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(|e| CertError::generate("generate leaf key", e))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| CertError::generate("sign leaf certificate", e))?;
        certified(cert.der().clone(), &key, names, &params)
    }
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("cert_len", &self.cert.len())
            .finish_non_exhaustive()
    }
}

/// Write `data` to `path` with permission bits `mode` (Unix), also when the file existed
/// with other bits: the bits are fixed before the first byte is written.
fn write_with_mode(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(mode);
        let file = options.open(path)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        let mut file = file;
        file.write_all(data)?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        let mut file = options.open(path)?;
        file.write_all(data)?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::test_util::verify;

    #[test]
    fn issued_leaves_verify_against_the_ca_only() {
        let ca = CertificateAuthority::generate("test CA").unwrap();
        let leaf = ca.issue(&["example.com", "127.0.0.1", "::1"]).unwrap();
        verify(&ca, &leaf, "example.com").unwrap();
        verify(&ca, &leaf, "127.0.0.1").unwrap();
        verify(&ca, &leaf, "::1").unwrap();
        // a name the leaf was not issued for
        assert!(verify(&ca, &leaf, "other.example").is_err());
        // another CA does not vouch for it
        let other = CertificateAuthority::generate("other CA").unwrap();
        assert!(verify(&other, &leaf, "example.com").is_err());

        let wildcard = ca.issue(&["*.example.org"]).unwrap();
        verify(&ca, &wildcard, "www.example.org").unwrap();
    }

    #[test]
    fn pem_round_trip_keeps_signing_for_the_same_ca() {
        let ca = CertificateAuthority::generate("round trip CA").unwrap();
        let loaded = CertificateAuthority::from_pem(&ca.cert_pem(), &ca.key_pem()).unwrap();
        assert_eq!(loaded.cert_der(), ca.cert_der());
        // a leaf signed by the reloaded CA chains to the original certificate
        let leaf = loaded.issue(&["reloaded.test"]).unwrap();
        verify(&ca, &leaf, "reloaded.test").unwrap();
    }

    #[test]
    fn bad_pem_is_refused() {
        let ca = CertificateAuthority::generate("CA").unwrap();
        for (cert, key) in [
            ("", ca.key_pem()),
            (ca.cert_pem().as_str(), String::new()),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ca.key_pem(),
            ),
        ] {
            let err = CertificateAuthority::from_pem(cert, &key).unwrap_err();
            assert!(err.is_parse(), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_are_written_with_their_modes_and_load_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "rama-tls-ca-test-{}-{}",
            std::process::id(),
            random_serial().unwrap().to_bytes()[1]
        ));
        fs::create_dir_all(&dir).unwrap();
        let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
        // a pre-existing key file with wide bits is narrowed
        fs::write(&key_path, "old").unwrap();
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o666)).unwrap();

        let ca = CertificateAuthority::generate("file CA").unwrap();
        ca.write_pem_files(&cert_path, &key_path).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key_path), 0o600);
        assert_eq!(mode(&cert_path), 0o644);

        let loaded = CertificateAuthority::load(&cert_path, &key_path).unwrap();
        assert_eq!(loaded.cert_der(), ca.cert_der());
        let again =
            CertificateAuthority::load_or_generate(&cert_path, &key_path, "ignored").unwrap();
        assert_eq!(again.cert_der(), ca.cert_der());

        // a lone key is never overwritten
        fs::remove_file(&cert_path).unwrap();
        let err = CertificateAuthority::load_or_generate(&cert_path, &key_path, "x").unwrap_err();
        assert!(err.is_io());
        assert_eq!(fs::read_to_string(&key_path).unwrap(), ca.key_pem());

        // neither exists: generated and written
        fs::remove_file(&key_path).unwrap();
        let fresh = CertificateAuthority::load_or_generate(&cert_path, &key_path, "fresh").unwrap();
        assert_ne!(fresh.cert_der(), ca.cert_der());
        assert_eq!(mode(&key_path), 0o600);

        let missing = CertificateAuthority::load(dir.join("nope.pem"), &key_path).unwrap_err();
        assert!(missing.is_io());
        assert!(missing.to_string().contains("nope.pem"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
