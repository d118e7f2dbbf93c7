//! Certificates issued with rcgen: [`self_signed`] for quick starts, a
//! [`CertificateAuthority`] (generated, or loaded from PEM; its key written with mode
//! `0600`), and a [`DynamicIssuer`] that mints a leaf per SNI signed by that CA, cached
//! (bounded and expiring) so that each name is minted once — what a MITM proxy and
//! `tls_dynamic_certs` serve.
//!
//! Every certificate comes as a [`CertifiedKey`](crate::config::CertifiedKey): the chain
//! (leaf first) and the key, as DER or PEM, ready for any backend's config.
//!
//! ```
//! use rama_tls::cert::{CertificateAuthority, DynamicIssuer};
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), rama_tls::cert::CertError> {
//! let ca = Arc::new(CertificateAuthority::generate("rama example CA")?);
//! let issuer = DynamicIssuer::new(ca.clone()).with_max_entries(1000);
//! let first = issuer.issue("shop.example").await?;
//! let again = issuer.issue("SHOP.example").await?; // names are case-insensitive
//! assert!(Arc::ptr_eq(&first, &again));
//! assert_eq!(issuer.minted(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! All keys are ECDSA P-256, made with the `ring` provider (the one crypto provider of the
//! build).

mod authority;
mod dynamic;
mod error;
mod leaf;

pub use authority::{CA_VALIDITY, CertificateAuthority, LEAF_VALIDITY};
pub use dynamic::{DEFAULT_CACHE_TTL, DEFAULT_MAX_ENTRIES, DynamicIssuer};
pub use error::CertError;
pub use leaf::{SELF_SIGNED_VALIDITY, self_signed};

#[cfg(test)]
pub(crate) mod test_util {
    use super::CertificateAuthority;
    use crate::config::CertifiedKey;
    use rustls::{
        client::{WebPkiServerVerifier, danger::ServerCertVerifier},
        pki_types::{ServerName, UnixTime},
    };
    use std::sync::Arc;

    /// Verify `leaf` for `name` against `ca` as the only root, with rustls' webpki verifier.
    pub(crate) fn verify(
        ca: &CertificateAuthority,
        leaf: &CertifiedKey,
        name: &str,
    ) -> Result<(), rustls::Error> {
        let verifier = WebPkiServerVerifier::builder_with_provider(
            Arc::new(ca.root_store().unwrap()),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap();
        let server_name = ServerName::try_from(name.to_owned()).unwrap();
        verifier
            .verify_server_cert(
                leaf.cert_der(),
                &leaf.chain_der()[1..],
                &server_name,
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
    }
}
