//! [`InMemoryDns`]: a fixed map of names to addresses.

use super::{DnsError, DnsResolver};
use crate::address::Domain;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A resolver that answers from a fixed map of names to addresses, and answers every other
/// name with [`DnsError::not_found`]. Useful in tests, and as the map of [`DnsOverwrite`].
///
/// A name in the map without addresses of the asked family is not found for that family.
///
/// [`DnsOverwrite`]: super::DnsOverwrite
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DnsResolver, InMemoryDns};
/// use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let dns = InMemoryDns::new().with_ips(
///     Domain::from_static("db.internal"),
///     [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)), IpAddr::V6(Ipv6Addr::LOCALHOST)],
/// );
/// let v4 = dns.ipv4_lookup(Domain::from_static("db.internal")).await.unwrap();
/// assert_eq!(v4, [Ipv4Addr::new(10, 0, 0, 5)]);
/// let err = dns.ipv4_lookup(Domain::from_static("other.internal")).await.unwrap_err();
/// assert!(err.is_not_found());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct InMemoryDns {
    map: HashMap<Domain, Addresses>,
}

#[derive(Debug, Clone, Default)]
struct Addresses {
    v4: Vec<Ipv4Addr>,
    v6: Vec<Ipv6Addr>,
}

impl InMemoryDns {
    /// An empty map: every name is not found.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `ips` to the addresses of `domain` (builder form of [`insert`](Self::insert)).
    #[must_use]
    pub fn with_ips(mut self, domain: Domain, ips: impl IntoIterator<Item = IpAddr>) -> Self {
        self.insert(domain, ips);
        self
    }

    /// Add `ips` to the addresses of `domain`, after any it already has; duplicates are
    /// kept once. An empty `ips` still puts `domain` in the map (with no addresses).
    pub fn insert(&mut self, domain: Domain, ips: impl IntoIterator<Item = IpAddr>) {
        let entry = self.map.entry(domain).or_default();
        for ip in ips {
            match ip {
                IpAddr::V4(v4) if !entry.v4.contains(&v4) => entry.v4.push(v4),
                IpAddr::V6(v6) if !entry.v6.contains(&v6) => entry.v6.push(v6),
                _ => {}
            }
        }
    }

    /// Whether `domain` is in the map.
    #[must_use]
    pub fn contains(&self, domain: &Domain) -> bool {
        self.map.contains_key(domain)
    }

    /// How many names the map holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the map holds no names.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The IPv4 addresses of `domain`: `None` if it is not in the map.
    pub(super) fn get_ipv4(&self, domain: &Domain) -> Option<&[Ipv4Addr]> {
        self.map.get(domain).map(|a| a.v4.as_slice())
    }

    /// The IPv6 addresses of `domain`: `None` if it is not in the map.
    pub(super) fn get_ipv6(&self, domain: &Domain) -> Option<&[Ipv6Addr]> {
        self.map.get(domain).map(|a| a.v6.as_slice())
    }
}

/// `Ok` with the addresses when there are any, else not found.
pub(super) fn non_empty<T: Copy>(domain: Domain, ips: Option<&[T]>) -> Result<Vec<T>, DnsError> {
    match ips {
        Some(ips) if !ips.is_empty() => Ok(ips.to_vec()),
        _ => Err(DnsError::not_found(domain)),
    }
}

impl DnsResolver for InMemoryDns {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        let ips = self.get_ipv4(&domain);
        non_empty(domain, ips)
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        let ips = self.get_ipv6(&domain);
        non_empty(domain, ips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Domain = Domain::from_static("a.test");
    const B: Domain = Domain::from_static("b.test");

    #[tokio::test]
    async fn families_are_separate_and_duplicates_collapse() {
        let mut dns = InMemoryDns::new();
        dns.insert(A, [Ipv4Addr::new(10, 0, 0, 1).into()]);
        dns.insert(
            A,
            [
                Ipv4Addr::new(10, 0, 0, 1).into(),
                Ipv4Addr::new(10, 0, 0, 2).into(),
            ],
        );
        dns.insert(B, []);
        assert_eq!(dns.len(), 2);
        assert!(dns.contains(&B));

        let v4 = dns.ipv4_lookup(A).await.unwrap();
        assert_eq!(v4, [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]);
        let err = dns.ipv6_lookup(A).await.unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(err.domain(), &A);
        assert!(dns.ipv4_lookup(B).await.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn lookup_is_case_insensitive_through_domain() {
        let dns = InMemoryDns::new().with_ips(A, [Ipv6Addr::LOCALHOST.into()]);
        let upper: Domain = "A.Test.".parse().unwrap();
        assert_eq!(dns.ipv6_lookup(upper).await.unwrap(), [Ipv6Addr::LOCALHOST]);
    }
}
