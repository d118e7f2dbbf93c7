//! The BoringSSL backend (feature `boring`): the same layers and the same vocabulary as the
//! [`rustls`](crate#modules) backend, plus the ClientHello knobs a browser-like client needs.
//!
//! [`TlsAcceptorLayer`] terminates TLS in front of any service over a stream,
//! [`TlsConnectorLayer`] originates it over any connector's connection. Both take the
//! backend-neutral [`ServerConfig`](crate::config::ServerConfig) /
//! [`ClientConfig`](crate::config::ClientConfig), build a BoringSSL context once, and put
//! [`NegotiatedTlsParameters`](crate::negotiated::NegotiatedTlsParameters) (version, cipher,
//! group, ALPN, SNI, peer certificates) into the [`TlsStream`]'s extensions after each
//! handshake.
//!
//! The acceptor serves a static certificate, one per SNI, or one chosen per ClientHello by an
//! async [`ServerCertResolver`](crate::config::ServerCertResolver) (BoringSSL's async
//! certificate selection, driven by tokio-boring); it verifies client certificates for mTLS
//! when asked and stores the parsed ClientHello when asked.
//!
//! The connector orders cipher suites (TLS 1.2; BoringSSL's TLS 1.3 suites are fixed),
//! groups and signature schemes as the neutral config says, and [`BoringClientExt`] adds
//! GREASE, extension permutation, OCSP stapling and SCT requests, certificate compression
//! (zlib, brotli), ALPS and ECH GREASE.
//!
//! ```
//! use rama_tls::boring::{BoringClientExt, CertCompression, TlsConnectorLayer};
//! use rama_tls::config::ClientConfig;
//! use rama_tls::types::{AlpnList, CipherSuite, SupportedGroup};
//!
//! let config = ClientConfig::new()
//!     .with_alpn(AlpnList::h2_http11())
//!     .with_cipher_suites(vec![
//!         CipherSuite::from(0xc02b), // ECDHE-ECDSA-AES128-GCM-SHA256
//!         CipherSuite::from(0xc02f), // ECDHE-RSA-AES128-GCM-SHA256
//!     ])
//!     .with_groups(vec![SupportedGroup::from(0x001d), SupportedGroup::from(0x0017)]);
//! let ext = BoringClientExt::new()
//!     .with_grease(true)
//!     .with_permute_extensions(true)
//!     .with_cert_compression(vec![CertCompression::Brotli]);
//! let layer = TlsConnectorLayer::with_ext(&config, &ext)?;
//! # drop(layer);
//!
//! // what BoringSSL cannot do is refused when the layer is built, not at the first handshake
//! let bad = config.with_groups(vec![SupportedGroup::from(0x0100)]);
//! assert!(TlsConnectorLayer::new(&bad).is_err());
//! # Ok::<_, rama_tls::config::ConfigError>(())
//! ```

mod acceptor;
mod alps;
mod client_config;
mod client_ext;
mod compression;
mod connector;
mod material;
mod server_config;
mod stream;

pub use crate::error::TlsError;
pub use acceptor::{TlsAcceptorLayer, TlsAcceptorService};
pub use client_ext::{BoringClientExt, CertCompression};
pub use connector::{TlsConnector, TlsConnectorLayer};
pub use stream::TlsStream;
