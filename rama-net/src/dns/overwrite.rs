//! [`DnsOverwrite`]: fixed answers for some names in front of another resolver.

use super::in_memory::non_empty;
use super::{DnsError, DnsResolver, InMemoryDns};
use crate::address::Domain;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Answers the names in its map itself and asks the inner resolver for all others, like
/// curl's `--resolve`.
///
/// A name in the map is answered *only* from the map: if it has no address of the asked
/// family the answer is [`DnsError::not_found`], the inner resolver is not asked. Without a
/// fallback at all, use [`InMemoryDns`] directly.
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DenyAllDns, DnsOverwrite, DnsResolver};
/// use std::net::Ipv4Addr;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let dns = DnsOverwrite::new(DenyAllDns::new())
///     .with_ips(Domain::from_static("example.com"), [Ipv4Addr::LOCALHOST.into()]);
/// let ips = dns.ipv4_lookup(Domain::from_static("example.com")).await.unwrap();
/// assert_eq!(ips, [Ipv4Addr::LOCALHOST]);
/// // not in the map: asked from the inner resolver, which denies everything
/// let err = dns.ipv4_lookup(Domain::from_static("example.org")).await.unwrap_err();
/// assert!(err.is_denied());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DnsOverwrite<R> {
    map: InMemoryDns,
    inner: R,
}

impl<R> DnsOverwrite<R> {
    /// An empty map in front of `inner`.
    #[must_use]
    pub fn new(inner: R) -> Self {
        Self::from_map(InMemoryDns::new(), inner)
    }

    /// `map` in front of `inner`.
    #[must_use]
    pub const fn from_map(map: InMemoryDns, inner: R) -> Self {
        Self { map, inner }
    }

    /// Answer `domain` with `ips` (added to any it already has).
    #[must_use]
    pub fn with_ips(mut self, domain: Domain, ips: impl IntoIterator<Item = IpAddr>) -> Self {
        self.map.insert(domain, ips);
        self
    }

    /// The map of fixed answers.
    #[must_use]
    pub const fn map(&self) -> &InMemoryDns {
        &self.map
    }

    /// The map of fixed answers, mutably.
    #[must_use]
    pub const fn map_mut(&mut self) -> &mut InMemoryDns {
        &mut self.map
    }

    /// The resolver asked for names not in the map.
    #[must_use]
    pub const fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: DnsResolver> DnsResolver for DnsOverwrite<R> {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        if self.map.contains(&domain) {
            let ips = self.map.get_ipv4(&domain);
            return non_empty(domain, ips);
        }
        self.inner
            .ipv4_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain, e))
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        if self.map.contains(&domain) {
            let ips = self.map.get_ipv6(&domain);
            return non_empty(domain, ips);
        }
        self.inner
            .ipv6_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the lookups it gets and answers 192.0.2.1 / 2001:db8::1.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl DnsResolver for Counting {
        type Error = std::io::Error;

        async fn ipv4_lookup(&self, _: Domain) -> Result<Vec<Ipv4Addr>, std::io::Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(vec![Ipv4Addr::new(192, 0, 2, 1)])
        }

        async fn ipv6_lookup(&self, _: Domain) -> Result<Vec<Ipv6Addr>, std::io::Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(std::io::Error::other("upstream broke"))
        }
    }

    const MAPPED: Domain = Domain::from_static("mapped.test");
    const OTHER: Domain = Domain::from_static("other.test");

    #[tokio::test]
    async fn map_wins_and_others_fall_through() {
        let dns =
            DnsOverwrite::new(Counting::default()).with_ips(MAPPED, [Ipv4Addr::LOCALHOST.into()]);

        assert_eq!(
            dns.ipv4_lookup(MAPPED).await.unwrap(),
            [Ipv4Addr::LOCALHOST]
        );
        // mapped without IPv6: not found, and the inner resolver is not asked
        assert!(dns.ipv6_lookup(MAPPED).await.unwrap_err().is_not_found());
        assert_eq!(dns.inner().0.load(Ordering::SeqCst), 0);

        assert_eq!(
            dns.ipv4_lookup(OTHER).await.unwrap(),
            [Ipv4Addr::new(192, 0, 2, 1)]
        );
        let err = dns.ipv6_lookup(OTHER).await.unwrap_err();
        assert_eq!(err.kind(), super::super::DnsErrorKind::Failed);
        assert_eq!(err.domain(), &OTHER);
        assert_eq!(dns.inner().0.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn map_can_be_edited() {
        let mut dns = DnsOverwrite::new(Counting::default());
        dns.map_mut().insert(OTHER, [Ipv6Addr::LOCALHOST.into()]);
        assert!(dns.map().contains(&OTHER));
        assert_eq!(dns.ipv6_lookup(OTHER).await.unwrap(), [Ipv6Addr::LOCALHOST]);
    }
}
