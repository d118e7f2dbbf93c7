//! rama's TLS layer: a backend-neutral vocabulary, ClientHello capture, an SNI router,
//! certificate issuing, and the rustls (default) and BoringSSL backends.
//!
//! TLS is a layer like any other: an acceptor turns an accepted stream into a TLS stream and
//! hands it on, a connector does the same for a client's stream. What each handshake learns
//! (the negotiated version, cipher, ALPN and SNI, the peer's certificates, and when asked the
//! exact ClientHello the peer sent) is inserted into the stream's extensions, where HTTP
//! servers, fingerprinting and proxies read it.
//!
//! - [`types`]: protocol ids (versions, cipher suites, groups, signature schemes, extension
//!   types, ALPN) with GREASE awareness.
//! - [`client_hello`]: our own parser of the raw ClientHello and a service that peeks it
//!   without consuming it.
//! - [`sni`]: route raw TLS streams by SNI without terminating them.
//! - [`config`] and [`negotiated`]: what a backend is asked to do and what it agreed on.
//! - [`cert`]: self-signed certificates, a CA, and a per-SNI dynamic issuer (feature `rustls`).
//! - [`rustls`]: the rustls backend (feature `rustls`, on by default); [`boring`]: the
//!   BoringSSL backend (feature `boring`); both return [`error::TlsError`].

pub mod client_hello;
pub mod config;
#[cfg(any(feature = "rustls", feature = "boring"))]
pub mod error;
pub mod negotiated;
pub mod sni;
pub mod types;

#[cfg(feature = "boring")]
pub mod boring;
#[cfg(feature = "rustls")]
pub mod cert;
#[cfg(feature = "rustls")]
pub mod rustls;
