//! A rustls `ClientConfig` from our [`ClientConfig`](crate::config::ClientConfig), and the
//! verifier behind [`ServerVerification::Insecure`].

use super::common::{key_log, provider, rustls_key, versions};
use crate::config::{ClientConfig, ClientServerName, ConfigError, ServerVerification};
use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use std::sync::Arc;

pub(crate) fn build(config: &ClientConfig) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    if config.signature_schemes.is_some() {
        return Err(ConfigError::new(
            "the rustls backend cannot choose signature schemes (use the BoringSSL backend)",
        ));
    }
    let provider = provider(config.cipher_suites.as_deref(), config.groups.as_deref())?;
    let versions = versions(config.min_version, config.max_version)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| ConfigError::with_source("the versions do not fit the cipher suites", e))?;
    let builder = match &config.verification {
        ServerVerification::Insecure => {
            tracing::warn!(
                "TLS client built without certificate verification (insecure): anyone on the \
                 path can read and change the traffic"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        }
        verification => builder.with_root_certificates(root_store(verification)?),
    };
    let mut rustls = match &config.client_cert {
        Some(key) => {
            let key = rustls_key(key)?;
            builder.with_client_cert_resolver(Arc::new(FixedClientCert(key)))
        }
        None => builder.with_no_client_auth(),
    };
    rustls.alpn_protocols = config.alpn.to_vecs();
    rustls.key_log = key_log(&config.key_log)?;
    rustls.enable_sni = config.server_name != ClientServerName::NoSni;
    Ok(Arc::new(rustls))
}

fn root_store(verification: &ServerVerification) -> Result<rustls::RootCertStore, ConfigError> {
    let mut store = rustls::RootCertStore::empty();
    match verification {
        ServerVerification::WebPkiRoots => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        ServerVerification::SystemRoots => {
            let found = rustls_native_certs::load_native_certs();
            for err in &found.errors {
                tracing::debug!(%err, "load a system root certificate");
            }
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(ConfigError::new(
                    "no usable root certificate in the system store",
                ));
            }
        }
        ServerVerification::Custom(roots) => {
            for root in roots {
                store.add(root.clone()).map_err(|e| {
                    ConfigError::with_source("add a CA certificate to the root store", e)
                })?;
            }
        }
        ServerVerification::Insecure => {}
    }
    Ok(store)
}

/// Always presents the same client certificate.
#[derive(Debug)]
struct FixedClientCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for FixedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Accepts any server certificate, but still checks the handshake signatures (so the peer
/// holds the key of the certificate it sent).
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_stores() {
        let webpki = root_store(&ServerVerification::WebPkiRoots).unwrap();
        assert!(webpki.len() > 100, "{}", webpki.len());
        let ca = crate::cert::CertificateAuthority::generate("custom").unwrap();
        let custom = root_store(&ServerVerification::custom_pem(&ca.cert_pem()).unwrap()).unwrap();
        assert_eq!(custom.len(), 1);
        // the system store depends on the machine: either roots, or a clear error
        match root_store(&ServerVerification::SystemRoots) {
            Ok(system) => assert!(!system.is_empty()),
            Err(err) => assert!(err.to_string().contains("system store"), "{err}"),
        }
        assert!(root_store(&ServerVerification::Custom(vec![vec![1, 2, 3].into()])).is_err());
    }

    #[test]
    fn settings_reach_the_rustls_config() {
        let config = build(
            &ClientConfig::new()
                .with_alpn(crate::types::AlpnList::h2_http11())
                .with_server_name(ClientServerName::NoSni)
                .with_verification(ServerVerification::Insecure),
        )
        .unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(!config.enable_sni);
        let config = build(&ClientConfig::new()).unwrap();
        assert!(config.alpn_protocols.is_empty());
        assert!(config.enable_sni);
    }
}
