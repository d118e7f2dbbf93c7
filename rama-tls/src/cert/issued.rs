//! [`IssuedCertificate`] (a certificate chain with its private key) and [`self_signed`].

use super::{CertError, pem};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, pem::PemObject,
};
use std::{
    fmt,
    net::IpAddr,
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};

/// How long a [`self_signed`] certificate is valid: one year.
pub const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How far in the past a new certificate's validity starts, so that peers whose clocks lag
/// a little accept it.
const BACKDATE: Duration = Duration::from_secs(60 * 60);

/// A certificate chain (leaf first) and the leaf's private key, ready to serve.
///
/// Share it behind an [`Arc`]; the [`Debug`](fmt::Debug) output never shows the key.
pub struct IssuedCertificate {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    names: Vec<String>,
    not_after: SystemTime,
    rustls_key: OnceLock<Arc<rustls::sign::CertifiedKey>>,
}

impl IssuedCertificate {
    pub(crate) fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        names: Vec<String>,
        not_after: SystemTime,
    ) -> Self {
        Self {
            chain,
            key,
            names,
            not_after,
            rustls_key: OnceLock::new(),
        }
    }

    /// A certificate chain and key read from PEM: the chain's certificates in order (leaf
    /// first) and one private key (PKCS#8, PKCS#1 or SEC1; ECDSA, Ed25519 or RSA).
    ///
    /// # Errors
    ///
    /// A parse [`CertError`] when there is no certificate, no key, or the key's type is not
    /// supported.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CertError::parse("read certificate PEM", Some(Box::new(e))))?;
        if chain.is_empty() {
            return Err(CertError::parse("no certificate in the PEM input", None));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| CertError::parse("read private key PEM", Some(Box::new(e))))?;
        let loaded = Self::new(chain, key, Vec::new(), SystemTime::UNIX_EPOCH);
        // refuse a key rustls cannot sign with now rather than at the first handshake
        loaded.rustls_certified_key()?;
        Ok(loaded)
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
        pem::encode("CERTIFICATE", self.cert_der())
    }

    /// The whole chain as PEM, leaf first.
    #[must_use]
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|c| pem::encode("CERTIFICATE", c))
            .collect()
    }

    /// The private key as PEM (`-----BEGIN PRIVATE KEY-----`, PKCS#8, for generated keys).
    /// Keep it secret.
    #[must_use]
    pub fn key_pem(&self) -> String {
        pem::encode(key_label(&self.key), self.key.secret_der())
    }

    /// The names (DNS names and IP addresses) the leaf was issued for; empty when the
    /// certificate was loaded from PEM.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// When the leaf stops being valid ([`SystemTime::UNIX_EPOCH`] when loaded from PEM:
    /// unknown).
    #[must_use]
    pub const fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// The chain and key as rustls' signing material, built once and then shared.
    ///
    /// # Errors
    ///
    /// When rustls does not support the key.
    pub fn rustls_certified_key(&self) -> Result<Arc<rustls::sign::CertifiedKey>, CertError> {
        if let Some(key) = self.rustls_key.get() {
            return Ok(key.clone());
        }
        let provider = rustls::crypto::ring::default_provider();
        let signing = provider
            .key_provider
            .load_private_key(self.key_der())
            .map_err(|e| CertError::parse("load private key into rustls", Some(Box::new(e))))?;
        let certified = Arc::new(rustls::sign::CertifiedKey::new(self.chain.clone(), signing));
        Ok(self.rustls_key.get_or_init(|| certified).clone())
    }
}

impl fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("names", &self.names)
            .field("chain_len", &self.chain.len())
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// A self-signed certificate for `names` (DNS names, `*.`-wildcards or IP addresses), valid
/// for [`SELF_SIGNED_VALIDITY`], with a fresh ECDSA P-256 key: the quick start for a TLS
/// server in tests and local tools. Clients must trust this very certificate (for example
/// `curl --cacert cert.pem`).
///
/// ```
/// let cert = rama_tls::cert::self_signed(&["localhost", "127.0.0.1"])?;
/// assert!(cert.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(cert.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
/// assert_eq!(cert.names(), ["localhost", "127.0.0.1"]);
/// # Ok::<(), rama_tls::cert::CertError>(())
/// ```
///
/// # Errors
///
/// When a name is not a DNS name or IP address, or when there are no names.
pub fn self_signed<N: AsRef<str>>(names: &[N]) -> Result<IssuedCertificate, CertError> {
    let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
    let params = leaf_params(&names, SELF_SIGNED_VALIDITY)?;
    let key = KeyPair::generate().map_err(|e| CertError::generate("generate key", e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| CertError::generate("sign self-signed certificate", e))?;
    Ok(IssuedCertificate::new(
        vec![cert.der().clone()],
        PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        names,
        params.not_after.into(),
    ))
}

/// The PEM label of a private key's encoding.
pub(crate) const fn key_label(key: &PrivateKeyDer<'_>) -> &'static str {
    match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    }
}

/// The subject alternative name for `name`: an IP address, or a DNS name (a leading `*.`
/// wildcard allowed).
pub(crate) fn san_for(name: &str) -> Result<SanType, CertError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let base = name.strip_prefix("*.").unwrap_or(name);
    match ServerName::try_from(base) {
        Ok(ServerName::DnsName(_)) => name
            .to_owned()
            .try_into()
            .map(SanType::DnsName)
            .map_err(|_| CertError::invalid_name(name)),
        _ => Err(CertError::invalid_name(name)),
    }
}

/// Parameters for a leaf (end-entity) certificate: the names as SANs and the first one as
/// common name, server and client authentication, valid from an hour ago for `validity`.
pub(crate) fn leaf_params(
    names: &[String],
    validity: Duration,
) -> Result<CertificateParams, CertError> {
    let Some(first) = names.first() else {
        return Err(CertError::invalid_name(""));
    };
    let mut params = CertificateParams::default();
    params.subject_alt_names = names.iter().map(|n| san_for(n)).collect::<Result<_, _>>()?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, first.as_str());
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    set_validity(&mut params, validity);
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// Valid from an hour ago for `validity` from now.
pub(crate) fn set_validity(params: &mut CertificateParams, validity: Duration) {
    let now = SystemTime::now();
    params.not_before = now.checked_sub(BACKDATE).unwrap_or(now).into();
    params.not_after = now.checked_add(validity).unwrap_or(now).into();
}

/// A random positive 128-bit serial number (RFC 5280 allows up to 20 octets).
pub(crate) fn random_serial() -> Result<SerialNumber, CertError> {
    let mut bytes = [0u8; 16];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| {
            CertError::generate(
                "draw a random serial number",
                std::io::Error::other("the system random source failed"),
            )
        })?;
    bytes[0] &= 0x7f;
    // a leading zero octet would be dropped by DER; keep the length fixed
    bytes[0] |= 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn san_table() {
        for (name, ok) in [
            ("localhost", true),
            ("example.com", true),
            ("*.example.com", true),
            ("127.0.0.1", true),
            ("::1", true),
            ("", false),
            ("exa mple.com", false),
            ("*.", false),
            ("a*.example.com", false),
            ("bücher.example", false),
        ] {
            assert_eq!(san_for(name).is_ok(), ok, "{name:?}");
        }
        assert!(matches!(san_for("::1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(san_for("localhost"), Ok(SanType::DnsName(_))));
    }

    #[test]
    fn self_signed_parts_agree() {
        let cert = self_signed(&["localhost"]).unwrap();
        assert_eq!(cert.chain_der().len(), 1);
        let pem_cert = CertificateDer::from_pem_slice(cert.cert_pem().as_bytes()).unwrap();
        assert_eq!(&pem_cert, cert.cert_der());
        let pem_key = PrivateKeyDer::from_pem_slice(cert.key_pem().as_bytes()).unwrap();
        assert_eq!(pem_key.secret_der(), cert.key_der().secret_der());
        assert!(cert.not_after() > SystemTime::now() + SELF_SIGNED_VALIDITY / 2);
        assert!(!format!("{cert:?}").contains("key:"));

        let ck = cert.rustls_certified_key().unwrap();
        ck.keys_match().unwrap();
        // built once, then shared
        assert!(Arc::ptr_eq(&ck, &cert.rustls_certified_key().unwrap()));

        let loaded = IssuedCertificate::from_pem(&cert.chain_pem(), &cert.key_pem()).unwrap();
        assert_eq!(loaded.cert_der(), cert.cert_der());
        loaded.rustls_certified_key().unwrap().keys_match().unwrap();
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(self_signed::<&str>(&[]).unwrap_err().is_invalid_name());
        assert!(self_signed(&["not a name"]).unwrap_err().is_invalid_name());
        let cert = self_signed(&["localhost"]).unwrap();
        assert!(
            IssuedCertificate::from_pem("", &cert.key_pem())
                .unwrap_err()
                .is_parse()
        );
        assert!(
            IssuedCertificate::from_pem(&cert.cert_pem(), "junk")
                .unwrap_err()
                .is_parse()
        );
    }

    #[test]
    fn serials_are_random_and_positive() {
        let a = random_serial().unwrap().to_bytes();
        let b = random_serial().unwrap().to_bytes();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert_eq!(a[0] & 0x80, 0);
    }
}
