//! Resolvers that refuse names: [`DenyAllDns`] refuses all, [`DenyListDns`] refuses listed
//! names and suffixes and delegates the rest.

use super::{DnsError, DnsResolver};
use crate::address::Domain;
use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A resolver that refuses every name with [`DnsError::denied`]: for a connector that must
/// only ever connect to IP addresses, or as the fallback of a
/// [`DnsOverwrite`](super::DnsOverwrite) that should answer from its map alone.
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DenyAllDns, DnsResolver};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = DenyAllDns::new().ipv6_lookup(Domain::from_static("example.com")).await.unwrap_err();
/// assert!(err.is_denied());
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DenyAllDns;

impl DenyAllDns {
    /// A resolver that refuses every name.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl DnsResolver for DenyAllDns {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        Err(DnsError::denied(domain))
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        Err(DnsError::denied(domain))
    }
}

/// Refuses listed names with [`DnsError::denied`] and asks the inner resolver for all others.
///
/// - a *denied domain* refuses exactly that name: denying `example.com` leaves
///   `www.example.com` alone;
/// - a *denied suffix* refuses the name and everything below it: the suffix `example.com`
///   refuses `example.com` and `a.b.example.com`, but not `badexample.com`.
///
/// Matching is on whole labels of the normalised [`Domain`], so case, a trailing dot or an
/// internationalised spelling cannot slip past the list. A check costs one hash lookup per
/// label of the name, however long the list.
///
/// Note that this only guards *name* resolution: a client that connects to an IP address
/// directly never asks the resolver.
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DenyListDns, DnsResolver, InMemoryDns};
/// use std::net::Ipv4Addr;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let inner = InMemoryDns::new()
///     .with_ips(Domain::from_static("ok.example"), [Ipv4Addr::LOCALHOST.into()]);
/// let dns = DenyListDns::new(inner)
///     .with_denied_suffix(Domain::from_static("internal"))
///     .with_denied_domain(Domain::from_static("metadata.google.com"));
///
/// assert!(dns.is_denied(&"db.internal".parse().unwrap()));
/// assert!(!dns.is_denied(&"www.metadata.google.com".parse().unwrap()));
/// let err = dns.ipv4_lookup("DB.Internal.".parse().unwrap()).await.unwrap_err();
/// assert!(err.is_denied());
/// assert!(dns.ipv4_lookup(Domain::from_static("ok.example")).await.is_ok());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DenyListDns<R> {
    domains: HashSet<Domain>,
    suffixes: HashSet<Domain>,
    inner: R,
}

impl<R> DenyListDns<R> {
    /// An empty deny list in front of `inner`.
    #[must_use]
    pub fn new(inner: R) -> Self {
        Self {
            domains: HashSet::new(),
            suffixes: HashSet::new(),
            inner,
        }
    }

    /// Refuse exactly `domain`.
    #[must_use]
    pub fn with_denied_domain(mut self, domain: Domain) -> Self {
        self.deny_domain(domain);
        self
    }

    /// Refuse `suffix` and every name below it.
    #[must_use]
    pub fn with_denied_suffix(mut self, suffix: Domain) -> Self {
        self.deny_suffix(suffix);
        self
    }

    /// Refuse exactly `domain`.
    pub fn deny_domain(&mut self, domain: Domain) {
        self.domains.insert(domain);
    }

    /// Refuse `suffix` and every name below it.
    pub fn deny_suffix(&mut self, suffix: Domain) {
        self.suffixes.insert(suffix);
    }

    /// Whether a lookup of `domain` is refused.
    #[must_use]
    pub fn is_denied(&self, domain: &Domain) -> bool {
        if self.domains.contains(domain) {
            return true;
        }
        if self.suffixes.is_empty() {
            return false;
        }
        // the name itself, then each parent: "a.b.c", "b.c", "c"
        let name = domain.as_str();
        let mut rest = name;
        loop {
            if self.suffixes.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    }

    /// The resolver asked for names that are not refused.
    #[must_use]
    pub const fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: DnsResolver> DnsResolver for DenyListDns<R> {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        if self.is_denied(&domain) {
            return Err(DnsError::denied(domain));
        }
        self.inner
            .ipv4_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain, e))
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        if self.is_denied(&domain) {
            return Err(DnsError::denied(domain));
        }
        self.inner
            .ipv6_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain, e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::InMemoryDns;
    use super::*;

    fn d(s: &str) -> Domain {
        s.parse().unwrap()
    }

    #[test]
    fn deny_table() {
        let dns = DenyListDns::new(DenyAllDns::new())
            .with_denied_domain(d("exact.example"))
            .with_denied_suffix(d("corp.example"))
            .with_denied_suffix(d("localhost"));
        let cases = [
            ("exact.example", true),
            ("EXACT.example.", true),
            ("www.exact.example", false),
            ("example", false),
            ("corp.example", true),
            ("a.b.corp.example", true),
            ("badcorp.example", false),
            ("corp.example.org", false),
            ("localhost", true),
            ("app.localhost", true),
            ("localhost.example", false),
        ];
        for (name, denied) in cases {
            assert_eq!(dns.is_denied(&d(name)), denied, "{name}");
        }
    }

    #[tokio::test]
    async fn denied_names_never_reach_inner_and_others_do() {
        let inner = InMemoryDns::new()
            .with_ips(d("ok.test"), [Ipv4Addr::LOCALHOST.into()])
            .with_ips(d("bad.test"), [Ipv4Addr::LOCALHOST.into()]);
        let dns = DenyListDns::new(inner).with_denied_domain(d("bad.test"));

        let err = dns.ipv4_lookup(d("bad.test")).await.unwrap_err();
        assert!(err.is_denied());
        assert!(err.to_string().contains("bad.test"), "{err}");
        let err = dns.ipv6_lookup(d("bad.test")).await.unwrap_err();
        assert!(err.is_denied());

        assert_eq!(
            dns.ipv4_lookup(d("ok.test")).await.unwrap(),
            [Ipv4Addr::LOCALHOST]
        );
        // the inner resolver's own answer (not found) comes through unchanged
        assert!(
            dns.ipv6_lookup(d("ok.test"))
                .await
                .unwrap_err()
                .is_not_found()
        );
    }

    #[tokio::test]
    async fn deny_all_denies_both_families() {
        let dns = DenyAllDns::new();
        assert!(dns.ipv4_lookup(d("a.test")).await.unwrap_err().is_denied());
        assert!(dns.ipv6_lookup(d("a.test")).await.unwrap_err().is_denied());
    }
}
