//! [`BoringClientExt`]: the ClientHello knobs a browser-like client needs that the neutral
//! [`ClientConfig`](crate::config::ClientConfig) does not (yet) have.

use crate::types::AlpnList;

/// BoringSSL-only client settings, given next to the neutral
/// [`ClientConfig`](crate::config::ClientConfig) to
/// [`TlsConnectorLayer::with_ext`](super::TlsConnectorLayer::with_ext).
///
/// The neutral config already orders cipher suites (TLS 1.2 ones: BoringSSL always offers its
/// three TLS 1.3 suites first, in its own order), groups and signature schemes; this adds
/// what shapes the rest of the ClientHello. Everything is off by default, which is
/// BoringSSL's plain ClientHello.
///
/// ```
/// use rama_tls::boring::{BoringClientExt, CertCompression};
///
/// let chrome_like = BoringClientExt::new()
///     .with_grease(true)
///     .with_permute_extensions(true)
///     .with_ocsp_stapling(true)
///     .with_signed_cert_timestamps(true)
///     .with_cert_compression(vec![CertCompression::Brotli]);
/// assert!(chrome_like.grease);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BoringClientExt {
    /// GREASE values (RFC 8701) in the cipher suites, extensions, groups, versions and key
    /// shares, as Chrome sends them.
    pub grease: bool,
    /// A random order of the ClientHello extensions on every connection, as Chrome does.
    pub permute_extensions: bool,
    /// Ask for a stapled OCSP response (the `status_request` extension).
    pub ocsp_stapling: bool,
    /// Ask for signed certificate timestamps (the `signed_certificate_timestamp` extension).
    pub signed_cert_timestamps: bool,
    /// Certificate compression algorithms to offer (the `compress_certificate` extension,
    /// RFC 8879), in order; the client decompresses what the server sends.
    pub cert_compression: Vec<CertCompression>,
    /// Offer ALPS (`application_settings`) for these protocols, as Chrome does for `h2`;
    /// each must also be in the config's ALPN list. Empty: no ALPS.
    pub alps: AlpnList,
    /// Send ALPS under its new codepoint (0x44cd, current Chrome) rather than the old one
    /// (0x4469).
    pub alps_new_codepoint: bool,
    /// Send an ECH GREASE extension (`encrypted_client_hello` with random content).
    pub ech_grease: bool,
    /// A raw OpenSSL cipher string, used instead of the neutral cipher suite list (for
    /// ordering rules the list cannot express).
    pub cipher_list: Option<String>,
}

/// A certificate compression algorithm (RFC 8879) the client can decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertCompression {
    /// zlib (algorithm 1).
    Zlib,
    /// brotli (algorithm 2), what Chrome offers.
    Brotli,
}

impl BoringClientExt {
    /// Everything off: BoringSSL's plain ClientHello.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns GREASE on or off.
    #[must_use]
    pub const fn with_grease(mut self, on: bool) -> Self {
        self.grease = on;
        self
    }

    /// Turns extension permutation on or off.
    #[must_use]
    pub const fn with_permute_extensions(mut self, on: bool) -> Self {
        self.permute_extensions = on;
        self
    }

    /// Turns the OCSP stapling request on or off.
    #[must_use]
    pub const fn with_ocsp_stapling(mut self, on: bool) -> Self {
        self.ocsp_stapling = on;
        self
    }

    /// Turns the SCT request on or off.
    #[must_use]
    pub const fn with_signed_cert_timestamps(mut self, on: bool) -> Self {
        self.signed_cert_timestamps = on;
        self
    }

    /// Sets the certificate compression algorithms to offer.
    #[must_use]
    pub fn with_cert_compression(mut self, algorithms: Vec<CertCompression>) -> Self {
        self.cert_compression = algorithms;
        self
    }

    /// Offers ALPS for `protocols`, under the new or the old codepoint.
    #[must_use]
    pub fn with_alps(mut self, protocols: AlpnList, new_codepoint: bool) -> Self {
        self.alps = protocols;
        self.alps_new_codepoint = new_codepoint;
        self
    }

    /// Turns the ECH GREASE extension on or off.
    #[must_use]
    pub const fn with_ech_grease(mut self, on: bool) -> Self {
        self.ech_grease = on;
        self
    }

    /// Sets a raw OpenSSL cipher string.
    #[must_use]
    pub fn with_cipher_list(mut self, list: impl Into<String>) -> Self {
        self.cipher_list = Some(list.into());
        self
    }
}
