//! HTTPS for [`EasyHttpWebClient`](super::EasyHttpWebClient) (feature `tls`): the rama-tls
//! connector layers it runs over its TCP connector, one per ALPN offer, and what each
//! origin negotiated before.
//!
//! - [`AlpnOffer`]: which protocols a handshake offers: `h2` and `http/1.1` (the default,
//!   [`ClientVersion::Auto`](super::ClientVersion::Auto)), `http/1.1` only
//!   ([`ClientVersion::Http1`](super::ClientVersion::Http1)) or `h2` only
//!   ([`ClientVersion::H2PriorKnowledge`](super::ClientVersion::H2PriorKnowledge), or a
//!   request whose version is `HTTP/2.0`).
//! - The connector layers are built from one rama-tls
//!   [`ClientConfig`](rama_tls::config::ClientConfig) (roots, `insecure`, client
//!   certificate, versions; its ALPN list is replaced by the offer), each once, on first use.
//! - With both offered, the first connection to an origin tells which version it speaks
//!   (concurrent first requests wait for it rather than each opening a connection); the
//!   client remembers it per origin, so later requests go straight to the pool of that
//!   version (HTTP/1 connections parked, one shared h2 connection).
#![cfg(feature = "tls")]

use super::pool::PoolVersion;
use rama_tls::config::{ClientConfig, ConfigError};
use rama_tls::rustls::TlsConnectorLayer;
use rama_tls::types::{AlpnList, ApplicationProtocol};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The ALPN protocols a TLS handshake offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlpnOffer {
    /// `h2`, then `http/1.1`: the server picks.
    Both,
    /// `http/1.1` only.
    Http1,
    /// `h2` only.
    H2,
}

impl AlpnOffer {
    const fn index(self) -> usize {
        match self {
            Self::Both => 0,
            Self::Http1 => 1,
            Self::H2 => 2,
        }
    }

    fn alpn(self) -> AlpnList {
        match self {
            Self::Both => AlpnList::h2_http11(),
            Self::Http1 => [ApplicationProtocol::HTTP_11].into_iter().collect(),
            Self::H2 => [ApplicationProtocol::H2].into_iter().collect(),
        }
    }
}

/// The version to speak on a connection whose handshake negotiated `alpn` after `offer`:
/// what ALPN chose, else (no ALPN) h2 only when nothing but h2 was offered.
pub(crate) fn negotiated_version(
    alpn: Option<&ApplicationProtocol>,
    offer: AlpnOffer,
) -> PoolVersion {
    match alpn {
        Some(p) if *p == ApplicationProtocol::H2 => PoolVersion::H2,
        Some(_) => PoolVersion::Http1,
        None if offer == AlpnOffer::H2 => PoolVersion::H2,
        None => PoolVersion::Http1,
    }
}

/// The TLS connector layers of a client, one per [`AlpnOffer`], built on first use.
pub(crate) struct TlsLayers {
    config: ClientConfig,
    layers: [OnceLock<TlsConnectorLayer>; 3],
}

impl std::fmt::Debug for TlsLayers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsLayers")
            .field("verification", &self.config.verification)
            .finish_non_exhaustive()
    }
}

impl TlsLayers {
    /// Layers from `config`, none built yet (so a client that never speaks https never
    /// loads a root store).
    pub(crate) fn new(config: ClientConfig) -> Self {
        Self {
            config,
            layers: Default::default(),
        }
    }

    /// Layers from `config`, with the default offer's built now, so a config the backend
    /// cannot honour fails here.
    pub(crate) fn validated(config: ClientConfig) -> Result<Self, ConfigError> {
        let layers = Self::new(config);
        layers.layer(AlpnOffer::Both)?;
        Ok(layers)
    }

    /// The connector layer that offers `offer`.
    pub(crate) fn layer(&self, offer: AlpnOffer) -> Result<&TlsConnectorLayer, ConfigError> {
        let slot = &self.layers[offer.index()];
        if let Some(layer) = slot.get() {
            return Ok(layer);
        }
        let config = self.config.clone().with_alpn(offer.alpn());
        let layer = TlsConnectorLayer::new(&config)?;
        Ok(slot.get_or_init(|| layer))
    }
}

/// At most this many origins are remembered; past it the memory starts over.
const MAX_REMEMBERED: usize = 4096;

/// The version each https origin negotiated when both were offered, and the gates that let
/// one request at a time find out for an origin not known yet.
#[derive(Debug, Default)]
pub(crate) struct AlpnMemory {
    known: Mutex<HashMap<http::uri::Authority, PoolVersion>>,
    discovering: Mutex<HashMap<http::uri::Authority, Arc<tokio::sync::Mutex<()>>>>,
}

impl AlpnMemory {
    /// What `origin` negotiated last, if known.
    pub(crate) fn get(&self, origin: &http::uri::Authority) -> Option<PoolVersion> {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(origin)
            .copied()
    }

    /// Records what `origin` negotiated.
    pub(crate) fn set(&self, origin: &http::uri::Authority, version: PoolVersion) {
        let mut map = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_REMEMBERED && !map.contains_key(origin) {
            map.clear();
        }
        map.insert(origin.clone(), version);
    }

    /// The gate of `origin`'s first connection: concurrent first requests wait on it, then
    /// find the version known (or, when that connection failed, try themselves).
    pub(crate) fn gate(&self, origin: &http::uri::Authority) -> Arc<tokio::sync::Mutex<()>> {
        self.discovering
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(origin.clone())
            .or_default()
            .clone()
    }

    /// Drops `origin`'s gate once its version is known (waiters keep their clones).
    pub(crate) fn release(&self, origin: &http::uri::Authority) {
        self.discovering
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_alpn_table() {
        let h2 = ApplicationProtocol::H2;
        let h1 = ApplicationProtocol::HTTP_11;
        for (alpn, offer, want) in [
            (Some(&h2), AlpnOffer::Both, PoolVersion::H2),
            (Some(&h1), AlpnOffer::Both, PoolVersion::Http1),
            (None, AlpnOffer::Both, PoolVersion::Http1),
            (None, AlpnOffer::Http1, PoolVersion::Http1),
            (None, AlpnOffer::H2, PoolVersion::H2),
            (Some(&h1), AlpnOffer::H2, PoolVersion::Http1),
        ] {
            assert_eq!(negotiated_version(alpn, offer), want, "{alpn:?} {offer:?}");
        }
    }

    #[test]
    fn layers_offer_their_alpn_and_are_built_once() {
        let layers = TlsLayers::validated(ClientConfig::new()).unwrap();
        for (offer, want) in [
            (AlpnOffer::Both, vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            (AlpnOffer::Http1, vec![b"http/1.1".to_vec()]),
            (AlpnOffer::H2, vec![b"h2".to_vec()]),
        ] {
            let layer = layers.layer(offer).unwrap();
            assert_eq!(layer.rustls_config().alpn_protocols, want, "{offer:?}");
            assert!(std::ptr::eq(layer, layers.layer(offer).unwrap()));
        }
        let bad = ClientConfig::new().with_min_version(rama_tls::types::ProtocolVersion::TLS_V1_0);
        assert!(TlsLayers::validated(bad).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let memory = AlpnMemory::default();
        let a = http::uri::Authority::from_static("a.test:443");
        assert_eq!(memory.get(&a), None);
        memory.set(&a, PoolVersion::H2);
        assert_eq!(memory.get(&a), Some(PoolVersion::H2));
        for i in 0..MAX_REMEMBERED + 1 {
            let other = http::uri::Authority::try_from(format!("h{i}.test:443")).unwrap();
            memory.set(&other, PoolVersion::Http1);
        }
        assert!(memory.known.lock().unwrap().len() <= MAX_REMEMBERED);
        let gate = memory.gate(&a);
        assert!(Arc::ptr_eq(&gate, &memory.gate(&a)));
        memory.release(&a);
        assert!(!Arc::ptr_eq(&gate, &memory.gate(&a)));
    }
}
