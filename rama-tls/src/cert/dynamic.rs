//! [`DynamicIssuer`]: a leaf per SNI, signed by a CA, minted once and cached.

use super::{CertError, CertificateAuthority, LEAF_VALIDITY, leaf::san_for};
use crate::config::{BoxFuture, CertRequest, CertifiedKey, ServerCertResolver};
use rama_core::error::BoxError;
use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};
use tokio::sync::OnceCell;

/// How many names a [`DynamicIssuer`] keeps by default.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// How long a [`DynamicIssuer`] serves a minted leaf before minting a fresh one: one day.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A cached leaf is never served in its last hour of validity.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60 * 60);

/// Mints a leaf certificate per server name (a DNS name from SNI, or an IP address) signed
/// by a [`CertificateAuthority`], and caches it.
///
/// - Names are compared case-insensitively, without a trailing dot.
/// - The cache holds at most [`with_max_entries`](Self::with_max_entries) names; when full,
///   expired entries go first, then the least recently used one.
/// - An entry expires after [`with_cache_ttl`](Self::with_cache_ttl), and always an hour
///   before its leaf does; the next request mints a fresh leaf.
/// - Concurrent first requests for the same name wait for one mint and share its result.
///
/// See the [module docs](super) for an example.
pub struct DynamicIssuer {
    ca: Arc<CertificateAuthority>,
    max_entries: usize,
    ttl: Duration,
    leaf_validity: Duration,
    fallback_name: Option<String>,
    cache: Mutex<Cache>,
    minted: AtomicU64,
}

type Slot = Arc<OnceCell<Arc<CertifiedKey>>>;

#[derive(Default)]
struct Cache {
    entries: HashMap<String, Entry>,
    /// A counter that orders uses, for least-recently-used eviction.
    clock: u64,
}

struct Entry {
    slot: Slot,
    created: Instant,
    last_used: u64,
}

impl DynamicIssuer {
    /// An issuer signing with `ca`, with [`DEFAULT_MAX_ENTRIES`], [`DEFAULT_CACHE_TTL`] and
    /// leaves valid for [`LEAF_VALIDITY`].
    #[must_use]
    pub fn new(ca: Arc<CertificateAuthority>) -> Self {
        Self {
            ca,
            max_entries: DEFAULT_MAX_ENTRIES,
            ttl: DEFAULT_CACHE_TTL,
            leaf_validity: LEAF_VALIDITY,
            fallback_name: None,
            cache: Mutex::new(Cache::default()),
            minted: AtomicU64::new(0),
        }
    }

    /// Keep at most `max` names (at least one).
    #[must_use]
    pub fn with_max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
    }

    /// Serve a minted leaf for at most `ttl`.
    #[must_use]
    pub const fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long minted leaves are valid.
    #[must_use]
    pub const fn with_leaf_validity(mut self, validity: Duration) -> Self {
        self.leaf_validity = validity;
        self
    }

    /// The name to issue for when a ClientHello has no SNI (clients send none when they
    /// connect to an IP address); without one such handshakes are refused.
    #[must_use]
    pub fn with_fallback_name(mut self, name: impl Into<String>) -> Self {
        self.fallback_name = Some(name.into());
        self
    }

    /// The CA that signs the leaves.
    #[must_use]
    pub const fn ca(&self) -> &Arc<CertificateAuthority> {
        &self.ca
    }

    /// How many leaves this issuer has minted so far (cache misses that succeeded).
    #[must_use]
    pub fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
    }

    /// How many names the cache holds now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf for `name`, minted on the first request (or after its entry expired or was
    /// evicted), else from the cache.
    ///
    /// # Cancel safety
    ///
    /// Cancelling a request that is minting leaves the name to the next request, which mints
    /// it; other waiters are not affected.
    ///
    /// # Errors
    ///
    /// When `name` is neither a DNS name nor an IP address, or minting fails (errors are not
    /// cached).
    pub async fn issue(&self, name: &str) -> Result<Arc<CertifiedKey>, CertError> {
        let name = normalize(name);
        // refuse bad names before they take a cache entry
        san_for(&name)?;
        let slot = self.slot_for(&name);
        let result = slot
            .get_or_try_init(|| async {
                let leaf = self.ca.issue_with_validity(&[&name], self.leaf_validity)?;
                self.minted.fetch_add(1, Ordering::Relaxed);
                Ok::<_, CertError>(Arc::new(leaf))
            })
            .await
            .cloned();
        if result.is_err() {
            // drop the empty slot so the failure is not remembered
            let mut cache = self.lock();
            if cache
                .entries
                .get(&name)
                .is_some_and(|e| Arc::ptr_eq(&e.slot, &slot) && !e.slot.initialized())
            {
                cache.entries.remove(&name);
            }
        }
        result
    }

    /// The cached, unexpired leaf for `name`, without minting.
    #[must_use]
    pub fn cached(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        let name = normalize(name);
        let mut cache = self.lock();
        cache.clock += 1;
        let clock = cache.clock;
        let entry = cache.entries.get_mut(&name)?;
        let leaf = entry.slot.get()?.clone();
        if self.expired(entry.created, &leaf) {
            return None;
        }
        entry.last_used = clock;
        Some(leaf)
    }

    /// The slot for `name`: the cached one when fresh, else a new empty one (evicting when
    /// the cache is full).
    fn slot_for(&self, name: &str) -> Slot {
        let now = Instant::now();
        let mut cache = self.lock();
        cache.clock += 1;
        let clock = cache.clock;
        if let Some(entry) = cache.entries.get_mut(name) {
            let fresh = match entry.slot.get() {
                Some(leaf) => !self.expired(entry.created, leaf),
                // being minted right now: wait for it
                None => true,
            };
            if fresh {
                entry.last_used = clock;
                return entry.slot.clone();
            }
            cache.entries.remove(name);
        }
        if cache.entries.len() >= self.max_entries {
            cache.entries.retain(|_, e| {
                e.slot
                    .get()
                    .is_none_or(|leaf| !self.expired(e.created, leaf))
            });
        }
        while cache.entries.len() >= self.max_entries {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => cache.entries.remove(&key),
                None => break,
            };
        }
        let slot = Slot::default();
        cache.entries.insert(
            name.to_owned(),
            Entry {
                slot: slot.clone(),
                created: now,
                last_used: clock,
            },
        );
        slot
    }

    fn expired(&self, created: Instant, leaf: &CertifiedKey) -> bool {
        created.elapsed() >= self.ttl
            || leaf
                .not_after()
                .is_some_and(|end| SystemTime::now() + EXPIRY_MARGIN >= end)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // the cache stays consistent across a panic (each change is one map operation)
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for DynamicIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicIssuer")
            .field("max_entries", &self.max_entries)
            .field("ttl", &self.ttl)
            .field("leaf_validity", &self.leaf_validity)
            .field("fallback_name", &self.fallback_name)
            .field("cached", &self.len())
            .field("minted", &self.minted())
            .finish_non_exhaustive()
    }
}

impl ServerCertResolver for DynamicIssuer {
    /// The leaf for the ClientHello's SNI; a ClientHello without SNI is refused (there is no
    /// name to mint for).
    fn resolve<'a>(
        &'a self,
        request: &'a CertRequest,
    ) -> BoxFuture<'a, Result<Arc<CertifiedKey>, BoxError>> {
        Box::pin(async move {
            let Some(name) = request
                .server_name
                .as_deref()
                .or(self.fallback_name.as_deref())
            else {
                return Err(
                    "the ClientHello has no SNI: no name to issue a certificate for".into(),
                );
            };
            self.issue(name).await.map_err(Into::into)
        })
    }
}

impl<T: ServerCertResolver> ServerCertResolver for Arc<T> {
    fn resolve<'a>(
        &'a self,
        request: &'a CertRequest,
    ) -> BoxFuture<'a, Result<Arc<CertifiedKey>, BoxError>> {
        (**self).resolve(request)
    }
}

/// Lower case, without a trailing dot.
fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::test_util::verify;

    fn issuer() -> DynamicIssuer {
        DynamicIssuer::new(Arc::new(CertificateAuthority::generate("dyn CA").unwrap()))
    }

    #[tokio::test]
    async fn mints_once_per_name_and_verifies() {
        let issuer = issuer();
        let a = issuer.issue("a.example").await.unwrap();
        let a2 = issuer.issue("A.Example.").await.unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        let ip = issuer.issue("127.0.0.1").await.unwrap();
        assert_eq!(issuer.minted(), 2);
        assert_eq!(issuer.len(), 2);
        verify(issuer.ca(), &a, "a.example").unwrap();
        verify(issuer.ca(), &ip, "127.0.0.1").unwrap();
        assert!(verify(issuer.ca(), &a, "b.example").is_err());
        assert!(Arc::ptr_eq(&issuer.cached("a.example").unwrap(), &a));
        assert!(issuer.cached("b.example").is_none());

        // as a certificate resolver: by SNI, refusing a ClientHello without one
        let by_sni = issuer
            .resolve(&CertRequest::for_server_name(Some("a.example".into())))
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&by_sni, &a));
        assert!(issuer.resolve(&CertRequest::default()).await.is_err());
        let issuer = issuer.with_fallback_name("127.0.0.1");
        let by_ip = issuer.resolve(&CertRequest::default()).await.unwrap();
        verify(issuer.ca(), &by_ip, "127.0.0.1").unwrap();
    }

    #[tokio::test]
    async fn bad_names_are_refused_and_not_cached() {
        let issuer = issuer();
        for name in ["", "a b", "*", "exa_mple..com"] {
            assert!(
                issuer.issue(name).await.unwrap_err().is_invalid_name(),
                "{name:?}"
            );
        }
        assert!(issuer.is_empty());
        assert_eq!(issuer.minted(), 0);
    }

    #[tokio::test]
    async fn cache_is_bounded_and_evicts_the_least_recently_used() {
        let issuer = issuer().with_max_entries(3);
        for i in 0..10 {
            issuer.issue(&format!("n{i}.test")).await.unwrap();
            assert!(issuer.len() <= 3);
        }
        assert_eq!(issuer.minted(), 10);
        assert_eq!(issuer.len(), 3);
        // n7, n8, n9 are cached; touch n7, then add n10: n8 goes
        issuer.issue("n7.test").await.unwrap();
        assert_eq!(issuer.minted(), 10);
        issuer.issue("n10.test").await.unwrap();
        assert!(issuer.cached("n7.test").is_some());
        assert!(issuer.cached("n8.test").is_none());
        assert!(issuer.cached("n9.test").is_some());
        // an evicted name is minted again
        issuer.issue("n0.test").await.unwrap();
        assert_eq!(issuer.minted(), 12);
        assert_eq!(issuer.len(), 3);
    }

    #[tokio::test]
    async fn entries_expire() {
        let issuer = issuer().with_cache_ttl(Duration::from_millis(50));
        let first = issuer.issue("ttl.test").await.unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(issuer.cached("ttl.test").is_none());
        let second = issuer.issue("ttl.test").await.unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(issuer.minted(), 2);

        // leaves about to expire are not served from the cache either
        let short = issuer_with_validity(Duration::from_secs(30 * 60));
        short.issue("short.test").await.unwrap();
        short.issue("short.test").await.unwrap();
        assert_eq!(short.minted(), 2);
    }

    fn issuer_with_validity(validity: Duration) -> DynamicIssuer {
        issuer().with_leaf_validity(validity)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_requests_mint_once() {
        let issuer = Arc::new(issuer());
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let issuer = issuer.clone();
                tokio::spawn(async move { issuer.issue("same.test").await.unwrap() })
            })
            .collect();
        let mut leaves = Vec::new();
        for task in tasks {
            leaves.push(
                tokio::time::timeout(Duration::from_secs(10), task)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(issuer.minted(), 1);
        assert!(leaves.iter().all(|l| Arc::ptr_eq(l, &leaves[0])));
    }
}
