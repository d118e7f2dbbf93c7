//! [`ClientAuth`]: client certificate verification on the server side (mutual TLS).

use super::*;
use rustls_pki_types::CertificateDer;

/// Client certificate verification on the server side (mutual TLS).
#[derive(Debug, Clone, Default)]
pub enum ClientAuth {
    /// No client certificate is asked for (the default).
    #[default]
    None,
    /// A client certificate is asked for and verified against `roots` when sent; clients
    /// without one are served too.
    Optional {
        /// The CA certificates client certificates must chain to.
        roots: Vec<CertificateDer<'static>>,
    },
    /// A client certificate that chains to `roots` is required; clients without one (or
    /// with another) are refused during the handshake.
    Required {
        /// The CA certificates client certificates must chain to.
        roots: Vec<CertificateDer<'static>>,
    },
}

impl ClientAuth {
    /// [`ClientAuth::Required`] with the CA certificates of `pem`.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or is malformed.
    pub fn required_pem(pem: &str) -> Result<Self, ConfigError> {
        Ok(Self::Required {
            roots: certs_from_pem(pem)?,
        })
    }

    /// [`ClientAuth::Optional`] with the CA certificates of `pem`.
    ///
    /// # Errors
    ///
    /// When the PEM holds no certificate or is malformed.
    pub fn optional_pem(pem: &str) -> Result<Self, ConfigError> {
        Ok(Self::Optional {
            roots: certs_from_pem(pem)?,
        })
    }
}
