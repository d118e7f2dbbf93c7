//! What a TLS backend is asked to do, in words that do not depend on the backend: a
//! [`ServerConfig`] for acceptors and a [`ClientConfig`] for connectors, with the
//! certificates they serve ([`CertifiedKey`], [`ServerCertSource`]), how they verify the peer
//! ([`ClientAuth`], [`ServerVerification`]) and the protocol ids of [`types`](crate::types).
//!
//! Each backend (the [`rustls`](crate::rustls) one today) turns these into its own
//! configuration once, when its layer is built, and refuses what it cannot honour with an
//! error rather than silently ignoring it.
//!
//! ```
//! use rama_tls::config::{ClientAuth, ClientConfig, CertifiedKey, ServerConfig, ServerVerification};
//! use rama_tls::types::{AlpnList, ProtocolVersion};
//!
//! # fn pems() -> (String, String) {
//! #     let c = rama_tls::cert::self_signed(&["localhost"]).unwrap();
//! #     (c.chain_pem(), c.key_pem())
//! # }
//! let (cert_pem, key_pem) = pems();
//! let server = ServerConfig::new(CertifiedKey::from_pem(&cert_pem, &key_pem)?.into())
//!     .with_alpn(AlpnList::h2_http11())
//!     .with_min_version(ProtocolVersion::TLS_V1_3)
//!     .with_client_hello_capture(true);
//! assert!(matches!(server.client_auth, ClientAuth::None));
//!
//! let client = ClientConfig::new()
//!     .with_verification(ServerVerification::custom_pem(&cert_pem)?)
//!     .with_alpn(AlpnList::h2_http11());
//! assert!(!client.verification.is_insecure());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cert_source;
mod client;
mod client_auth;
mod error;
mod key;
mod key_log;
mod server;
mod target;

pub use cert_source::*;
pub use client::*;
pub use client_auth::*;
pub use error::*;
pub use key::*;
pub use key_log::*;
pub use server::*;
pub use target::*;

use std::time::Duration;

/// How long an acceptor or connector waits for a handshake by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests;
