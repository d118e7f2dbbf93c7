//! DNS: the [`DnsResolver`] trait that connectors use to turn a [`Domain`] into addresses,
//! and the resolvers that implement it.
//!
//! | resolver | does |
//! |---|---|
//! | `HickoryDns` (feature `hickory`) | the system configuration (`/etc/resolv.conf`, `/etc/hosts`) through hickory-resolver, with its cache |
//! | [`InMemoryDns`] | a fixed map of names to addresses; names not in it are not found |
//! | [`DnsOverwrite`] | a fixed map in front of another resolver, like curl's `--resolve` |
//! | [`DenyListDns`] | refuses listed names and everything below listed suffixes, delegates the rest |
//! | [`DenyAllDns`] | refuses every name |
//! | [`BoxDnsResolver`] | any of the above behind one type, chosen at run time |
//!
//! Resolvers are values shared by connectors; wrap one in an [`Arc`] to share it, choose
//! between two at run time with [`Either`], between any number with [`BoxDnsResolver`].
//!
//! Lookups that apply a timeout (`HickoryDns`) need a tokio runtime with its time driver
//! enabled (`enable_all` or `enable_time`, which `#[tokio::main]` does).
//!
//! ```
//! use rama_net::address::Domain;
//! use rama_net::dns::{DenyListDns, DnsOverwrite, DnsResolver, InMemoryDns};
//! use std::net::Ipv4Addr;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // pretend the real resolver: here a map, in production `HickoryDns::default()`
//! let upstream = InMemoryDns::new()
//!     .with_ips(Domain::from_static("example.com"), [Ipv4Addr::new(192, 0, 2, 1).into()]);
//!
//! let dns = DenyListDns::new(
//!     DnsOverwrite::new(upstream)
//!         .with_ips(Domain::from_static("api.test"), [Ipv4Addr::LOCALHOST.into()]),
//! )
//! .with_denied_suffix(Domain::from_static("ads.example"));
//!
//! let api = dns.ipv4_lookup(Domain::from_static("api.test")).await.unwrap();
//! assert_eq!(api, [Ipv4Addr::LOCALHOST]);
//! let real = dns.ipv4_lookup(Domain::from_static("example.com")).await.unwrap();
//! assert_eq!(real, [Ipv4Addr::new(192, 0, 2, 1)]);
//! let err = dns.ipv4_lookup(Domain::from_static("track.ads.example")).await.unwrap_err();
//! assert!(err.is_denied());
//! # }
//! ```

mod boxed;
mod deny;
mod error;
#[cfg(feature = "hickory")]
mod hickory;
mod in_memory;
mod overwrite;

pub use boxed::BoxDnsResolver;
pub use deny::{DenyAllDns, DenyListDns};
pub use error::{DnsError, DnsErrorKind};
#[cfg(feature = "hickory")]
#[cfg_attr(docsrs, doc(cfg(feature = "hickory")))]
pub use hickory::HickoryDns;
/// The hickory-resolver crate, for its configuration types
/// ([`ResolverConfig`](hickory_resolver::config::ResolverConfig),
/// [`ResolverOpts`](hickory_resolver::config::ResolverOpts)) used by
/// [`HickoryDns::from_config`].
#[cfg(feature = "hickory")]
#[cfg_attr(docsrs, doc(cfg(feature = "hickory")))]
pub use hickory_resolver;
pub use in_memory::InMemoryDns;
pub use overwrite::DnsOverwrite;

use crate::address::Domain;
use rama_core::service::Either;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Resolves a [`Domain`] to its IPv4 and IPv6 addresses.
///
/// The two families are separate calls so that a connector can run them concurrently and
/// start connecting as soon as the first answers (Happy Eyeballs, RFC 8305).
///
/// The resolvers of this module answer a name without addresses of the asked family with
/// an error ([`DnsError::is_not_found`]), never with an empty list; callers should still
/// treat an empty list from other implementations as "not found".
///
/// Implement it with `async fn`:
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DnsError, DnsResolver};
/// use std::net::{Ipv4Addr, Ipv6Addr};
///
/// /// Every name is the loopback address.
/// struct Loopback;
///
/// impl DnsResolver for Loopback {
///     type Error = DnsError;
///
///     async fn ipv4_lookup(&self, _: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
///         Ok(vec![Ipv4Addr::LOCALHOST])
///     }
///
///     async fn ipv6_lookup(&self, _: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
///         Ok(vec![Ipv6Addr::LOCALHOST])
///     }
/// }
/// ```
pub trait DnsResolver: Send + Sync + 'static {
    /// What a failed lookup produces.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The IPv4 addresses (A records) of `domain`.
    fn ipv4_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv4Addr>, Self::Error>> + Send;

    /// The IPv6 addresses (AAAA records) of `domain`.
    fn ipv6_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv6Addr>, Self::Error>> + Send;

    /// Erase the type of this resolver; see [`BoxDnsResolver`].
    fn boxed(self) -> BoxDnsResolver
    where
        Self: Sized,
    {
        BoxDnsResolver::new(self)
    }
}

impl<R: DnsResolver> DnsResolver for Arc<R> {
    type Error = R::Error;

    fn ipv4_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv4Addr>, Self::Error>> + Send {
        (**self).ipv4_lookup(domain)
    }

    fn ipv6_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv6Addr>, Self::Error>> + Send {
        (**self).ipv6_lookup(domain)
    }
}

impl<R: DnsResolver> DnsResolver for Box<R> {
    type Error = R::Error;

    fn ipv4_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv4Addr>, Self::Error>> + Send {
        (**self).ipv4_lookup(domain)
    }

    fn ipv6_lookup(
        &self,
        domain: Domain,
    ) -> impl Future<Output = Result<Vec<Ipv6Addr>, Self::Error>> + Send {
        (**self).ipv6_lookup(domain)
    }
}

/// Either resolver, chosen at run time (e.g. from configuration). Errors of either branch
/// become a [`DnsError`] ([`DnsError::from_resolver_error`] keeps a branch's `DnsError`).
impl<A: DnsResolver, B: DnsResolver> DnsResolver for Either<A, B> {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        match self {
            Self::A(r) => r
                .ipv4_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e)),
            Self::B(r) => r
                .ipv4_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e)),
        }
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        match self {
            Self::A(r) => r
                .ipv6_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e)),
            Self::B(r) => r
                .ipv6_lookup(domain.clone())
                .await
                .map_err(|e| DnsError::from_resolver_error(domain, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Domain = Domain::from_static("example.com");

    fn assert_resolver<R: DnsResolver>(_: &R) {}

    #[tokio::test]
    async fn either_uses_its_branch_and_keeps_error_kind() {
        let map = InMemoryDns::new().with_ips(D, [Ipv4Addr::LOCALHOST.into()]);
        let a: Either<InMemoryDns, DenyAllDns> = Either::A(map);
        let b: Either<InMemoryDns, DenyAllDns> = Either::B(DenyAllDns::new());
        assert_resolver(&a);
        assert_eq!(a.ipv4_lookup(D).await.unwrap(), [Ipv4Addr::LOCALHOST]);
        assert!(b.ipv4_lookup(D).await.unwrap_err().is_denied());
        assert!(a.ipv6_lookup(D).await.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn arc_and_box_delegate() {
        let map = InMemoryDns::new().with_ips(D, [Ipv6Addr::LOCALHOST.into()]);
        let arc = Arc::new(map.clone());
        let boxed = Box::new(map);
        assert_eq!(arc.ipv6_lookup(D).await.unwrap(), [Ipv6Addr::LOCALHOST]);
        assert_eq!(boxed.ipv6_lookup(D).await.unwrap(), [Ipv6Addr::LOCALHOST]);
    }
}
