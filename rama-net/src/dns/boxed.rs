//! [`BoxDnsResolver`]: a resolver whose type is erased, for choosing one at run time.

use super::{DnsError, DnsResolver};
use crate::address::Domain;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::sync::Arc;

type BoxLookup<'a, T> = Pin<Box<dyn Future<Output = Result<Vec<T>, DnsError>> + Send + 'a>>;

/// Object-safe form of [`DnsResolver`], implemented for every resolver.
trait DynDnsResolver: Send + Sync + 'static {
    fn dyn_ipv4_lookup(&self, domain: Domain) -> BoxLookup<'_, Ipv4Addr>;
    fn dyn_ipv6_lookup(&self, domain: Domain) -> BoxLookup<'_, Ipv6Addr>;
}

impl<R: DnsResolver> DynDnsResolver for R {
    fn dyn_ipv4_lookup(&self, domain: Domain) -> BoxLookup<'_, Ipv4Addr> {
        Box::pin(async move {
            self.ipv4_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e))
        })
    }

    fn dyn_ipv6_lookup(&self, domain: Domain) -> BoxLookup<'_, Ipv6Addr> {
        Box::pin(async move {
            self.ipv6_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e))
        })
    }
}

/// Any [`DnsResolver`] behind one type, cheap to clone (an [`Arc`] inside): for resolvers
/// chosen from configuration at run time, where [`Either`](rama_core::service::Either) would
/// not do. Errors become [`DnsError`] (one from the resolver is kept as it is). Each lookup
/// costs one allocation for its future.
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{BoxDnsResolver, DenyAllDns, DnsResolver, InMemoryDns};
/// use std::net::Ipv4Addr;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let offline = true;
/// let dns: BoxDnsResolver = if offline {
///     DenyAllDns::new().boxed()
/// } else {
///     InMemoryDns::new().boxed()
/// };
/// let err = dns.ipv4_lookup(Domain::from_static("example.com")).await.unwrap_err();
/// assert!(err.is_denied());
/// # }
/// ```
#[derive(Clone)]
pub struct BoxDnsResolver {
    inner: Arc<dyn DynDnsResolver>,
}

impl BoxDnsResolver {
    /// Erase the type of `resolver`.
    #[must_use]
    pub fn new(resolver: impl DnsResolver) -> Self {
        Self {
            inner: Arc::new(resolver),
        }
    }
}

impl fmt::Debug for BoxDnsResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxDnsResolver").finish_non_exhaustive()
    }
}

impl DnsResolver for BoxDnsResolver {
    type Error = DnsError;

    fn ipv4_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv4Addr>, DnsError>> + Send {
        self.inner.dyn_ipv4_lookup(domain)
    }

    fn ipv6_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv6Addr>, DnsError>> + Send {
        self.inner.dyn_ipv6_lookup(domain)
    }

    fn boxed(self) -> BoxDnsResolver {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DnsOverwrite, InMemoryDns};
    use super::*;

    #[tokio::test]
    async fn boxed_resolvers_keep_answers_and_error_kinds() {
        const D: Domain = Domain::from_static("a.test");
        let map = InMemoryDns::new().with_ips(D, [Ipv4Addr::LOCALHOST.into()]);
        let boxed = DnsOverwrite::new(map.clone()).boxed();
        let again = boxed.clone().boxed();
        assert_eq!(again.ipv4_lookup(D).await.unwrap(), [Ipv4Addr::LOCALHOST]);
        assert!(again.ipv6_lookup(D).await.unwrap_err().is_not_found());
        assert!(format!("{again:?}").contains("BoxDnsResolver"));
    }
}
