//! [`Pool`]: keeps client connections for reuse, keyed by [`PoolKey`].
//!
//! Rules (see the "For a pool" notes in [`client`](super)):
//!
//! - **HTTP/1**: a list of parked handles per key. A request takes a handle that
//!   [`is_ready`](super::http1::SendRequest::is_ready) (open, no body in flight) out of the
//!   list and puts it back once the response head arrived (unless the connection said it
//!   will close); the connection marks itself ready again once that response was read to its
//!   end, before the caller sees the end of the body, so the pool needs no wrapper around
//!   the response body. At most [`max_idle_per_host`](PoolConfig::with_max_idle_per_host)
//!   idle handles are kept per key (and per thread, see below; more are closed); a handle
//!   idle longer than
//!   [`idle_timeout`](PoolConfig::with_idle_timeout) and closed handles are dropped when the
//!   key is next used.
//! - **Threads**: a connection made on a single-threaded (current-thread) runtime is reused
//!   only by requests on that runtime's thread. A server that runs one such runtime per core
//!   (`rama serve`) and shares one client between them would otherwise hand a request a
//!   connection whose task runs on another thread: each exchange would then wake that
//!   thread and be woken back (an eventfd write and a context switch each way). Each
//!   thread keeps its own connections instead, with its own idle maximum, in a shard of
//!   the pool's map (and counters) of its own, so that threads do not write each other's
//!   cache lines on every request. Connections made on a work-stealing runtime are reused
//!   by anyone (they share one shard).
//! - **h2**: one shared handle per key, cloned for each request while it is not
//!   [`is_closed`](super::h2::SendRequest::is_closed). Concurrent first requests wait for one
//!   connection rather than each opening one.
//! - **Retry**: when a request on a *reused* HTTP/1 connection fails with
//!   [`Error::is_closed`](super::Error::is_closed) (the server closed the idle connection
//!   while the request was sent; nothing of a response arrived) and the connection handed
//!   the request back ([`Error::take_request`](super::Error::take_request): it was not
//!   written, or it is idempotent — `GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE` —
//!   with an empty body), it is sent once more on a new connection. Nothing is copied up
//!   front.
//! - **Metrics**: [`PoolCounters`] counts connections created, reused and evicted;
//!   [`Pool::idle_count`] tells how many are idle now.
//!
//! ```
//! use rama_http::client::pool::{Pool, PoolConfig};
//! use std::time::Duration;
//!
//! let pool = Pool::new(PoolConfig::new().with_idle_timeout(Duration::from_secs(30)));
//! assert_eq!(pool.idle_count(), 0);
//! assert_eq!(pool.counters().created(), 0);
//! ```

mod key_table;
mod shards;

use self::key_table::{HashedKey, KeyTable};
use self::shards::Shards;
use super::{Error, h2, http1};
use crate::{Body, Request, Response, swar};
use http::uri::{Authority, Scheme};
use rama_core::error::BoxError;
use rama_net::address::ProxyAddress;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// The HTTP version a pooled connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolVersion {
    /// HTTP/1.x: one request at a time per connection.
    Http1,
    /// h2: many concurrent streams on one connection.
    H2,
}

/// What a connection was made for: requests with the same key may share it.
///
/// Scheme and authority are the `http` crate's types: cloned from a request's URI without
/// copying (they share its bytes), compared and hashed case-insensitively.
#[derive(Debug, Clone)]
pub struct PoolKey {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host:port` of the origin (the port written out, no user info).
    pub authority: Authority,
    /// The proxy the connection goes through, if any: proxied and direct connections, and
    /// connections through different proxies or with different proxy credentials, never
    /// mix.
    pub proxy: Option<ProxyKey>,
    /// The HTTP version spoken on it.
    pub version: PoolVersion,
}

// Equality and hash by hand: the pool looks a key up twice per request (and hashes it
// once), and `Authority`'s own impls fold case a byte at a time (about 280 instructions to
// compare a 15-byte authority, 230 to hash a key). Here an authority spelled the same way
// (the usual case) compares as plain bytes, and the hash folds case eight bytes at a time.
impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.scheme == other.scheme
            && same_authority(&self.authority, &other.authority)
            && self.proxy == other.proxy
    }
}

impl Eq for PoolKey {}

impl std::hash::Hash for PoolKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.version.hash(state);
        self.scheme.hash(state);
        hash_ascii_case_folded(self.authority.as_str().as_bytes(), state);
        self.proxy.hash(state);
    }
}

/// Whether two authorities are the same, ASCII case aside (as `Authority`'s `==`).
fn same_authority(a: &Authority, b: &Authority) -> bool {
    let (a, b) = (a.as_str().as_bytes(), b.as_str().as_bytes());
    a == b || a.eq_ignore_ascii_case(b)
}

/// Feeds `bytes` to `state` with ASCII letters lowercased, a word of eight bytes at a time,
/// then the length (so that the zero padding of the last word cannot collide).
fn hash_ascii_case_folded<H: Hasher>(bytes: &[u8], state: &mut H) {
    for word in swar::words(bytes) {
        state.write_u64(swar::ascii_lowercase(word));
    }
    state.write_usize(bytes.len());
}

/// The proxy part of a [`PoolKey`]: the proxy (protocol, address, credentials, the
/// password included in comparisons but never printed) and whether the connection goes to
/// the proxy itself for absolute-form requests (`forward`) or tunnels through it.
#[derive(Clone)]
pub struct ProxyKey {
    proxy: ProxyAddress,
    forward: bool,
}

impl ProxyKey {
    /// The key of connections through `proxy`; `forward`: to the proxy itself, for
    /// absolute-form requests.
    #[must_use]
    pub const fn new(proxy: ProxyAddress, forward: bool) -> Self {
        Self { proxy, forward }
    }

    /// The proxy.
    #[must_use]
    pub const fn proxy(&self) -> &ProxyAddress {
        &self.proxy
    }

    /// Whether the connection goes to the proxy itself (absolute-form requests) rather
    /// than through a tunnel.
    #[must_use]
    pub const fn is_forward(&self) -> bool {
        self.forward
    }

    fn credentials(&self) -> Option<(&str, &str)> {
        self.proxy
            .credentials
            .as_ref()
            .map(|c| (c.username(), c.password()))
    }
}

impl PartialEq for ProxyKey {
    fn eq(&self, other: &Self) -> bool {
        self.forward == other.forward
            && self.proxy.protocol == other.proxy.protocol
            && self.proxy.authority == other.proxy.authority
            && self.credentials() == other.credentials()
    }
}

impl Eq for ProxyKey {}

impl std::hash::Hash for ProxyKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.forward.hash(state);
        self.proxy.protocol.hash(state);
        self.proxy.authority.hash(state);
        self.credentials().hash(state);
    }
}

impl fmt::Debug for ProxyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the address's Debug hides the password
        f.debug_struct("ProxyKey")
            .field("proxy", &self.proxy)
            .field("forward", &self.forward)
            .finish()
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    max_idle_per_host: usize,
    idle_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolConfig {
    /// At most 256 parked HTTP/1 connections per key (and thread), idle timeout 90 s.
    ///
    /// The maximum is generous on purpose: a proxy sends as many requests at once to an
    /// upstream as it has busy clients, and every connection above the maximum is closed
    /// after its response, so the next burst pays a new handshake per request (with 32 a
    /// forward proxy under 64 busy clients opened one upstream connection per 24 requests).
    /// Idle connections cost a socket and a few KiB each, and the idle timeout ends them.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_idle_per_host: 256,
            idle_timeout: Duration::from_secs(90),
        }
    }

    /// How many HTTP/1 connections are kept per key (0 disables HTTP/1 reuse).
    #[must_use]
    pub const fn with_max_idle_per_host(mut self, max: usize) -> Self {
        self.max_idle_per_host = max;
        self
    }

    /// How long an idle HTTP/1 connection is kept.
    #[must_use]
    pub const fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The maximum of parked HTTP/1 connections per key.
    #[must_use]
    pub const fn max_idle_per_host(&self) -> usize {
        self.max_idle_per_host
    }

    /// The idle timeout.
    #[must_use]
    pub const fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }
}

/// Counters of a [`Pool`]; read them with [`Pool::counters`].
///
/// Counted per thread (see the `shards` module: `reused` is counted on every pooled
/// request) and summed when read.
#[derive(Default)]
pub struct PoolCounters {
    shards: Shards<Counts>,
}

/// The counts of one shard, indexed by [`Count`].
#[derive(Default)]
struct Counts([AtomicU64; 3]);

/// Which count to add to (its index in [`Counts`]).
#[derive(Clone, Copy)]
enum Count {
    Created,
    Reused,
    Evicted,
}

impl Counts {
    const fn get(&self, count: Count) -> &AtomicU64 {
        &self.0[count as usize]
    }
}

impl PoolCounters {
    /// Connections opened (HTTP/1 and h2).
    pub fn created(&self) -> u64 {
        self.sum(Count::Created)
    }

    /// Requests sent on a connection taken from the pool.
    pub fn reused(&self) -> u64 {
        self.sum(Count::Reused)
    }

    /// Connections dropped from the pool: closed, idle too long or over the per-key maximum.
    pub fn evicted(&self) -> u64 {
        self.sum(Count::Evicted)
    }

    fn sum(&self, count: Count) -> u64 {
        self.shards
            .iter()
            .map(|counts| counts.get(count).load(Ordering::Relaxed))
            .sum()
    }

    fn add(&self, count: Count) {
        self.shards
            .here()
            .get(count)
            .fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for PoolCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolCounters")
            .field("created", &self.created())
            .field("reused", &self.reused())
            .field("evicted", &self.evicted())
            .finish()
    }
}

/// A parked HTTP/1 handle: idle when ready, else its response body is still being read.
struct Parked {
    handle: http1::SendRequest,
    /// when it was parked, or last seen busy: its idle time is counted from there
    since: Instant,
}

/// How often a key's parked HTTP/1 handles are swept for closed and expired ones. A sweep
/// walks the whole list; done on every checkout it cost more than the rest of the pool
/// under load (a forward proxy with 64 busy clients keeps 64 handles per key).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The HTTP/1 handles parked for one key by the tasks of one home (a single-threaded
/// runtime's thread, or `None`: any thread of a work-stealing runtime), newest last.
struct Parking {
    home: Option<ThreadId>,
    parked: Vec<Parked>,
    /// when [`sweep`](Self::sweep) is next due
    next_sweep: Instant,
}

impl Parking {
    fn new(home: Option<ThreadId>, now: Instant) -> Self {
        Self {
            home,
            parked: Vec::new(),
            next_sweep: now + SWEEP_EVERY,
        }
    }

    /// Drops closed handles, idle ones older than the idle timeout, and the oldest idle ones
    /// above the maximum; restarts the idle clock of the busy ones. Returns how many it
    /// dropped.
    fn sweep(&mut self, config: &PoolConfig, now: Instant) -> usize {
        self.next_sweep = now + SWEEP_EVERY;
        let before = self.parked.len();
        let mut idle = 0;
        // newest first, so that the surplus dropped is the oldest idle
        for i in (0..self.parked.len()).rev() {
            let p = &mut self.parked[i];
            let keep = if p.handle.is_closed() {
                false
            } else if p.handle.is_ready() {
                idle += 1;
                now.duration_since(p.since) <= config.idle_timeout
                    && idle <= config.max_idle_per_host
            } else {
                // its response body is still read: idle time starts later
                p.since = now;
                true
            };
            if !keep {
                self.parked.remove(i);
            }
        }
        before - self.parked.len()
    }

    /// The newest ready handle that has not idled too long; older ready ones stay (the
    /// next sweep judges them), closed ones met on the way are dropped. Returns the handle
    /// and how many it dropped.
    fn take_ready(
        &mut self,
        config: &PoolConfig,
        now: Instant,
    ) -> (Option<http1::SendRequest>, usize) {
        let mut dropped = 0;
        while let Some(i) = self.parked.iter().rposition(|p| !p.handle.is_busy()) {
            let p = self.parked.remove(i);
            if p.handle.is_closed() || now.duration_since(p.since) > config.idle_timeout {
                dropped += 1;
                continue;
            }
            return (Some(p.handle), dropped);
        }
        (None, dropped)
    }
}

/// The parked HTTP/1 handles of one key, by home (one entry per thread that made them).
type Homes = Vec<Parking>;

/// The pool maps' hasher: a key is hashed a word at a time (a multiply and a rotation per
/// eight bytes, then a final mix), where SipHash's set-up, or FNV's multiply per byte, cost
/// more than the lookup. The pool hashes a request's key once (see [`HashedKey`]).
///
/// The start value is random per pool, so that which keys collide cannot be worked out in
/// advance: in a forward proxy the keys (target authorities) are chosen by the clients.
#[derive(Clone, Copy)]
struct KeyHashing {
    seed: u64,
}

impl Default for KeyHashing {
    fn default() -> Self {
        use std::hash::BuildHasher;
        Self {
            seed: std::hash::RandomState::new().build_hasher().finish(),
        }
    }
}

impl std::hash::BuildHasher for KeyHashing {
    type Hasher = WordHasher;

    fn build_hasher(&self) -> WordHasher {
        WordHasher(self.seed)
    }
}

/// See [`KeyHashing`].
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        // MurmurHash3's 64-bit finaliser: every input bit reaches the low bits, which pick
        // the bucket
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0 ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }

    fn write(&mut self, bytes: &[u8]) {
        for word in swar::words(bytes) {
            self.write_u64(word);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, KeyHashing>;

/// The shared h2 connection of a key, and the gate that lets one caller at a time connect.
#[derive(Default)]
struct H2Entry {
    handle: Option<h2::SendRequest>,
    connecting: Arc<tokio::sync::Mutex<()>>,
}

impl H2Entry {
    /// The handle while its connection is open (a closed one is dropped, counted).
    fn open_handle(&mut self, counters: &PoolCounters) -> Option<h2::SendRequest> {
        let handle = self.handle.as_mut()?;
        if handle.poll_closed() {
            self.handle = None;
            counters.add(Count::Evicted);
            return None;
        }
        counters.add(Count::Reused);
        Some(handle.clone())
    }
}

#[derive(Default)]
struct Inner {
    config: PoolConfig,
    /// by home (see the `shards` module): a thread's own handles in its shard, those of no
    /// thread in shard 0
    http1: Shards<Mutex<KeyTable<Homes>>>,
    /// hashes the keys of `http1` (the same in every shard: a request's key is hashed once,
    /// see [`HashedKey`])
    hashing: KeyHashing,
    h2: Mutex<FastMap<PoolKey, H2Entry>>,
    counters: PoolCounters,
}

/// A connection pool for HTTP/1 and h2 client handles; cheap to clone (clones share it).
#[derive(Clone, Default)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.inner.config)
            .field("idle", &self.idle_count())
            .field("counters", &self.inner.counters)
            .finish()
    }
}

impl Pool {
    /// An empty pool with `config`.
    #[must_use]
    pub fn new(config: PoolConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// The counters (created, reused, evicted).
    #[must_use]
    pub fn counters(&self) -> &PoolCounters {
        &self.inner.counters
    }

    /// Connections idle now: open parked HTTP/1 handles whose last response body ended, and
    /// open h2 handles.
    #[must_use]
    pub fn idle_count(&self) -> usize {
        let h1: usize = self
            .inner
            .http1
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .values()
                    .flatten()
                    .flat_map(|homes| &homes.parked)
                    .filter(|p| p.handle.is_ready())
                    .count()
            })
            .sum();
        let h2 = self
            .inner
            .h2
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|e| e.handle.as_ref().is_some_and(|h| !h.is_closed()))
            .count();
        h1 + h2
    }

    /// Takes an HTTP/1 handle for `key` out of the pool that is
    /// [`is_ready`](http1::SendRequest::is_ready) and at home on this thread (see the module
    /// docs), the newest first; closed, expired and surplus idle handles are dropped on the
    /// way (a full sweep at most once a second). Give it back with
    /// [`checkin_http1`](Self::checkin_http1).
    pub fn checkout_http1(&self, key: &PoolKey) -> Option<http1::SendRequest> {
        self.checkout_hashed(self.hashed(key))
    }

    /// `key` with its hash in the HTTP/1 tables.
    fn hashed<'k>(&self, key: &'k PoolKey) -> HashedKey<'k> {
        HashedKey::new(&self.inner.hashing, key)
    }

    /// [`checkout_http1`](Self::checkout_http1) with the key's hash at hand.
    fn checkout_hashed(&self, key: HashedKey<'_>) -> Option<http1::SendRequest> {
        // this thread's own handles first, then those of any thread (each in its shard)
        let here = Some(http1::current_thread_id());
        self.checkout_from(key, here)
            .or_else(|| self.checkout_from(key, None))
    }

    /// [`checkout_http1`](Self::checkout_http1) among the handles of `home`.
    fn checkout_from(
        &self,
        key: HashedKey<'_>,
        home: Option<ThreadId>,
    ) -> Option<http1::SendRequest> {
        let mut map = self
            .inner
            .http1
            .of(home)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let homes = map.get_mut(key)?;
        let parking = homes.iter_mut().find(|p| p.home == home)?;
        let config = &self.inner.config;
        let now = Instant::now();
        let mut dropped = 0;
        if now >= parking.next_sweep {
            dropped += parking.sweep(config, now);
        }
        let (found, gone) = parking.take_ready(config, now);
        dropped += gone;
        for _ in 0..dropped {
            self.inner.counters.add(Count::Evicted);
        }
        if found.is_some() {
            self.inner.counters.add(Count::Reused);
        } else if homes.iter().all(|p| p.parked.is_empty()) {
            // a key with nothing parked goes (a forward proxy meets many hosts); one that
            // handed out a handle stays for the check-in that follows
            map.remove(key);
        }
        found
    }

    /// Parks an HTTP/1 handle for `key`, right after a response head arrived on it (its
    /// connection marks it ready once that response was read). Dropped instead, closing the
    /// connection after the response in flight, when the connection will close or the key
    /// already has the maximum of idle handles (per home).
    pub fn checkin_http1(&self, key: &PoolKey, handle: http1::SendRequest) {
        self.checkin_hashed(self.hashed(key), handle);
    }

    /// [`checkin_http1`](Self::checkin_http1) with the key's hash at hand.
    fn checkin_hashed(&self, key: HashedKey<'_>, handle: http1::SendRequest) {
        let max = self.inner.config.max_idle_per_host;
        if handle.is_closed() || max == 0 {
            self.inner.counters.add(Count::Evicted);
            return;
        }
        let now = Instant::now();
        let home = handle.home();
        let mut map = self
            .inner
            .http1
            .of(home)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let homes = map.get_or_insert_with(key, &self.inner.hashing, Homes::new);
        let parking = match homes.iter().position(|p| p.home == home) {
            Some(i) => &mut homes[i],
            None => {
                homes.push(Parking::new(home, now));
                let last = homes.len() - 1;
                &mut homes[last]
            }
        };
        // counting the idle ones walks the list: only needed when it could be full
        if parking.parked.len() >= max {
            let idle = parking
                .parked
                .iter()
                .filter(|p| p.handle.is_ready())
                .count();
            if idle >= max {
                self.inner.counters.add(Count::Evicted);
                return;
            }
        }
        parking.parked.push(Parked { handle, since: now });
    }

    /// Sends `req` on a pooled HTTP/1 connection for `key`, or on a new one from `connect`
    /// (which must spawn the connection future and return the handle); retries once on a
    /// new connection as the module docs describe.
    ///
    /// The future is an `async` block rather than an `async fn`'s: it uses the request
    /// where it captured it, where an `async fn` moves each argument into its state first
    /// (a copy of the request per call).
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` would copy the request into its state (see above)"
    )]
    pub fn send_http1<F, Fut>(
        &self,
        key: &PoolKey,
        req: Request<Body>,
        connect: F,
    ) -> impl Future<Output = Result<Response<Body>, BoxError>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<http1::SendRequest, BoxError>>,
    {
        async move {
            // hashed once for the check-out and the check-in
            let key = self.hashed(key);
            // the fresh path (connect, then send) is boxed: its future is large (DNS, TCP,
            // maybe TLS), and inline it would be part of every request's future, most of
            // which reuse a pooled connection
            let Some(handle) = self.checkout_hashed(key) else {
                return Box::pin(self.send_http1_fresh(key, req, &connect)).await;
            };
            match handle.send_request(req).await {
                Ok(res) => {
                    self.checkin_hashed(key, handle);
                    Ok(res)
                }
                Err(mut err) => match err.take_request() {
                    Some(again) if err.is_closed() => {
                        self.inner.counters.add(Count::Evicted);
                        tracing::debug!(%err, "pooled connection closed; retrying on a new one");
                        Box::pin(self.send_http1_fresh(key, again, &connect)).await
                    }
                    _ => Err(err.into()),
                },
            }
        }
    }

    async fn send_http1_fresh<F, Fut>(
        &self,
        key: HashedKey<'_>,
        req: Request<Body>,
        connect: &F,
    ) -> Result<Response<Body>, BoxError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<http1::SendRequest, BoxError>>,
    {
        let handle = connect().await?;
        self.inner.counters.add(Count::Created);
        let res = handle.send_request(req).await.map_err(BoxError::from)?;
        self.checkin_hashed(key, handle);
        Ok(res)
    }

    /// The shared h2 handle for `key`: the pooled one while open, else a new one from
    /// `connect` (which must spawn the connection future). Concurrent callers for the same
    /// key wait for one `connect`; while the connection is open, a request only takes a
    /// short lock to clone its handle.
    pub async fn h2_handle<F, Fut>(
        &self,
        key: &PoolKey,
        connect: F,
    ) -> Result<h2::SendRequest, BoxError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<h2::SendRequest, BoxError>>,
    {
        let counters = &self.inner.counters;
        let gate = {
            let mut map = self.inner.h2.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = map.get_mut(key) {
                if let Some(handle) = entry.open_handle(counters) {
                    return Ok(handle);
                }
                entry.connecting.clone()
            } else {
                map.entry(key.clone()).or_default().connecting.clone()
            }
        };
        let _connecting = gate.lock().await;
        // another caller may have connected while this one waited
        if let Some(entry) = self
            .inner
            .h2
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(key)
            && let Some(handle) = entry.open_handle(counters)
        {
            return Ok(handle);
        }
        // boxed: see `send_http1_fresh`
        let handle = Box::pin(connect()).await?;
        counters.add(Count::Created);
        self.inner
            .h2
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .handle = Some(handle.clone());
        Ok(handle)
    }

    /// Sends `req` on the shared h2 connection for `key` (see [`h2_handle`](Self::h2_handle)).
    pub async fn send_h2<F, Fut>(
        &self,
        key: &PoolKey,
        req: Request<Body>,
        connect: F,
    ) -> Result<Response<Body>, BoxError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<h2::SendRequest, BoxError>>,
    {
        let handle = self.h2_handle(key, connect).await?;
        handle
            .send_request_owned(req)
            .await
            .map_err(|e: Error| BoxError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_equal_ascii_case_aside_hash_alike() {
        use std::hash::BuildHasher;
        let key = direct_key;
        let h = KeyHashing::default();
        let same = [
            ("example.com:80", "EXAMPLE.com:80"),
            (
                "a-very-long-host-name.example:8080",
                "A-Very-Long-Host-Name.EXAMPLE:8080",
            ),
            ("[::1]:80", "[::1]:80"),
        ];
        for (a, b) in same {
            assert_eq!(key(a), key(b), "{a} {b}");
            assert_eq!(h.hash_one(key(a)), h.hash_one(key(b)), "{a} {b}");
        }
        let apart = [
            ("example.com:80", "example.com:8"),
            ("example.com:80", "example.org:80"),
            ("a:80", "a:800"),
        ];
        for (a, b) in apart {
            assert_ne!(key(a), key(b), "{a} {b}");
            assert_ne!(h.hash_one(key(a)), h.hash_one(key(b)), "{a} {b}");
        }
        assert_ne!(
            PoolKey {
                version: PoolVersion::H2,
                ..key("a:80")
            },
            key("a:80")
        );
        assert_ne!(
            PoolKey {
                scheme: Scheme::HTTPS,
                ..key("a:80")
            },
            key("a:80")
        );
    }

    /// The key of a plain-http HTTP/1 connection to `authority`, without a proxy.
    pub(super) fn direct_key(authority: &str) -> PoolKey {
        PoolKey {
            scheme: Scheme::HTTP,
            authority: Authority::try_from(authority).unwrap(),
            proxy: None,
            version: PoolVersion::Http1,
        }
    }

    #[test]
    fn key_hashing_spreads_near_keys_over_buckets() {
        use std::hash::BuildHasher;
        let h = KeyHashing::default();
        // 1,024 keys that differ in a byte or two, into 1,024 buckets: a uniform hash fills
        // about 1 - 1/e of them (647)
        let mut low_bits = std::collections::HashSet::new();
        for port in 1..=1024u16 {
            let key = direct_key(&format!("127.0.0.1:{port}"));
            low_bits.insert(h.hash_one(&key) & 1023);
        }
        assert!(low_bits.len() > 580, "{} buckets", low_bits.len());
    }

    #[test]
    fn proxy_keys_keep_proxied_and_direct_apart() {
        use std::hash::BuildHasher;
        let key = |proxy: Option<(&str, bool)>| PoolKey {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("a:80"),
            proxy: proxy.map(|(p, forward)| ProxyKey::new(p.parse().unwrap(), forward)),
            version: PoolVersion::Http1,
        };
        let h = KeyHashing::default();
        let same = [
            (None, None),
            (Some(("http://p:1", false)), Some(("http://p:1", false))),
            (
                Some(("http://u:pw@p:1", true)),
                Some(("http://u:pw@p:1", true)),
            ),
        ];
        for (a, b) in same {
            assert_eq!(key(a), key(b), "{a:?}");
            assert_eq!(h.hash_one(key(a)), h.hash_one(key(b)), "{a:?}");
        }
        let apart = [
            (None, Some(("http://p:1", false))),
            (Some(("http://p:1", false)), Some(("http://p:1", true))),
            (Some(("http://p:1", false)), Some(("https://p:1", false))),
            (Some(("http://p:1", false)), Some(("http://p:2", false))),
            (
                Some(("http://u:pw@p:1", false)),
                Some(("http://u:other@p:1", false)),
            ),
            (
                Some(("http://u:pw@p:1", false)),
                Some(("http://v:pw@p:1", false)),
            ),
            (
                Some(("socks5://p:1", false)),
                Some(("socks5h://p:1", false)),
            ),
        ];
        for (a, b) in apart {
            assert_ne!(key(a), key(b), "{a:?} {b:?}");
        }
        let debug = format!("{:?}", key(Some(("http://u:secret@p:1", false))));
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[tokio::test]
    async fn empty_pool_has_nothing_to_check_out() {
        let pool = Pool::new(PoolConfig::new());
        let key = PoolKey {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("a:80"),
            proxy: None,
            version: PoolVersion::Http1,
        };
        assert!(pool.checkout_http1(&key).is_none());
        assert_eq!(pool.idle_count(), 0);
    }
}
