//! The neutral [`ClientConfig`] plus [`BoringClientExt`] as a BoringSSL [`SslConnector`].

use super::{
    client_ext::BoringClientExt,
    material::{BoringKey, cipher_list, curves_list, set_key_log, set_versions},
    server_config::set_verify_schemes,
};
use crate::config::{ClientConfig, ConfigError, ServerVerification};
use boring::ssl::{SslConnector, SslContextBuilder, SslMethod, SslVerifyMode};
use boring::x509::{X509, store::X509StoreBuilder};

/// Builds the connector for `config` and `ext`.
pub(crate) fn build(
    config: &ClientConfig,
    ext: &BoringClientExt,
) -> Result<SslConnector, ConfigError> {
    let mut builder = SslConnector::builder(SslMethod::tls())
        .map_err(|e| ConfigError::with_source("create a BoringSSL client context", e))?;
    let ctx: &mut SslContextBuilder = &mut builder;
    set_versions(ctx, config.min_version, config.max_version)?;
    let list = match (&ext.cipher_list, &config.cipher_suites) {
        (Some(raw), _) => Some(raw.clone()),
        (None, Some(suites)) => cipher_list(suites)?,
        (None, None) => None,
    };
    if let Some(list) = list {
        ctx.set_strict_cipher_list(&list)
            .map_err(|e| ConfigError::with_source(format!("set the cipher list {list}"), e))?;
    }
    if let Some(groups) = &config.groups {
        let list = curves_list(groups)?;
        ctx.set_curves_list(&list)
            .map_err(|e| ConfigError::with_source(format!("set the groups {list}"), e))?;
    }
    if let Some(schemes) = &config.signature_schemes {
        set_verify_schemes(ctx, schemes)?;
    }
    if !config.alpn.is_empty() {
        ctx.set_alpn_protos(&config.alpn.to_wire())
            .map_err(|e| ConfigError::with_source("set the ALPN list", e))?;
    }
    set_verification(ctx, &config.verification)?;
    if let Some(cert) = &config.client_cert {
        BoringKey::from_certified(cert)?.install(ctx)?;
    }
    set_key_log(ctx, &config.key_log)?;
    ctx.set_grease_enabled(ext.grease);
    ctx.set_permute_extensions(ext.permute_extensions);
    if ext.ocsp_stapling {
        ctx.enable_ocsp_stapling();
    }
    if ext.signed_cert_timestamps {
        ctx.enable_signed_cert_timestamps();
    }
    for algorithm in &ext.cert_compression {
        super::compression::register(ctx, *algorithm)?;
    }
    Ok(builder.build())
}

fn set_verification(
    ctx: &mut SslContextBuilder,
    verification: &ServerVerification,
) -> Result<(), ConfigError> {
    match verification {
        // BoringSSL has no bundled roots: both use the system's (OpenSSL's default paths,
        // already set by `SslConnector::builder`).
        ServerVerification::WebPkiRoots | ServerVerification::SystemRoots => Ok(()),
        ServerVerification::Custom(roots) => {
            if roots.is_empty() {
                return Err(ConfigError::new("the custom root list is empty"));
            }
            let mut store = X509StoreBuilder::new()
                .map_err(|e| ConfigError::with_source("create a certificate store", e))?;
            for root in roots {
                let cert = X509::from_der(root)
                    .map_err(|e| ConfigError::with_source("parse a root certificate", e))?;
                store
                    .add_cert(cert)
                    .map_err(|e| ConfigError::with_source("trust a root certificate", e))?;
            }
            ctx.set_cert_store(store.build());
            Ok(())
        }
        ServerVerification::Insecure => {
            ctx.set_verify(SslVerifyMode::NONE);
            Ok(())
        }
    }
}
