//! [`self_signed`] certificates, and the parameters of every leaf this module issues.

use super::CertError;
use crate::config::CertifiedKey;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{PrivatePkcs8KeyDer, ServerName};
use std::{
    net::IpAddr,
    time::{Duration, SystemTime},
};

/// How long a [`self_signed`] certificate is valid: one year.
pub const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How far in the past a new certificate's validity starts, so that peers whose clocks lag
/// a little accept it.
const BACKDATE: Duration = Duration::from_secs(60 * 60);

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
pub fn self_signed<N: AsRef<str>>(names: &[N]) -> Result<CertifiedKey, CertError> {
    let names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
    let params = leaf_params(&names, SELF_SIGNED_VALIDITY)?;
    let key = KeyPair::generate().map_err(|e| CertError::generate("generate key", e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| CertError::generate("sign self-signed certificate", e))?;
    certified(cert.der().clone(), &key, names, &params)
}

/// The issued leaf and its key as a [`CertifiedKey`].
pub(crate) fn certified(
    cert: rustls::pki_types::CertificateDer<'static>,
    key: &KeyPair,
    names: Vec<String>,
    params: &CertificateParams,
) -> Result<CertifiedKey, CertError> {
    let key = PrivatePkcs8KeyDer::from(key.serialize_der()).into();
    CertifiedKey::new(vec![cert], key)
        .map(|k| k.with_issued_for(names, params.not_after.into()))
        .map_err(|e| CertError::generate("assemble certificate and key", e))
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
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
        let cert = self_signed(&["localhost"]).unwrap();
        assert_eq!(cert.chain_der().len(), 1);
        let pem_cert = CertificateDer::from_pem_slice(cert.cert_pem().as_bytes()).unwrap();
        assert_eq!(&pem_cert, cert.cert_der());
        let pem_key = PrivateKeyDer::from_pem_slice(cert.key_pem().as_bytes()).unwrap();
        assert_eq!(pem_key.secret_der(), cert.key_der().secret_der());
        assert!(cert.not_after().unwrap() > SystemTime::now() + SELF_SIGNED_VALIDITY / 2);
        assert_eq!(cert.names(), ["localhost"]);

        let loaded = CertifiedKey::from_pem(&cert.chain_pem(), &cert.key_pem()).unwrap();
        assert_eq!(loaded.cert_der(), cert.cert_der());
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(self_signed::<&str>(&[]).unwrap_err().is_invalid_name());
        assert!(self_signed(&["not a name"]).unwrap_err().is_invalid_name());
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
