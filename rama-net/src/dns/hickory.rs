//! [`HickoryDns`]: the system's DNS configuration through hickory-resolver, with its cache.

use super::{DnsError, DnsResolver};
use crate::address::Domain;
use hickory_resolver::config::{ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, ResolveErrorKind, TokioResolver};
use rama_core::error::OpaqueError;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

/// How many records the cache holds unless configured otherwise (hickory's own default
/// is 32, too few for a proxy).
const DEFAULT_CACHE_SIZE: usize = 1024;

/// The default bound on one lookup, whatever the resolver's own timeouts and retries add up
/// to.
const DEFAULT_LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A resolver backed by [hickory-resolver](hickory_resolver): the system configuration
/// (`/etc/resolv.conf` on Unix, the registry on Windows), the hosts file (`/etc/hosts`,
/// consulted first), a cache that honours record TTLs, and RFC 6761 special names answered
/// locally (`localhost` is the loopback address, `*.invalid` never exists) without a query.
///
/// Each lookup is bounded by a timeout ([`with_lookup_timeout`](Self::with_lookup_timeout),
/// 10 seconds by default) on top of hickory's own per-server timeouts. Clones share the cache.
///
/// ```no_run
/// use rama_net::address::Domain;
/// use rama_net::dns::{DnsResolver, HickoryDns};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dns = HickoryDns::default();
/// let ips = dns.ipv4_lookup(Domain::from_static("example.com")).await?;
/// println!("{ips:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HickoryDns {
    resolver: Arc<TokioResolver>,
    lookup_timeout: Duration,
}

impl Default for HickoryDns {
    /// [`from_system`](Self::from_system); when the system configuration cannot be read, a
    /// warning is logged and hickory's default configuration is used instead (Google Public
    /// DNS, `8.8.8.8` and friends), with the hosts file still consulted.
    fn default() -> Self {
        Self::from_system().unwrap_or_else(|err| {
            tracing::warn!(
                error = %format_args!("{err:#}"),
                "system DNS configuration unreadable; falling back to hickory's default name servers"
            );
            Self::from_config(ResolverConfig::default(), default_opts())
        })
    }
}

fn default_opts() -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.cache_size = DEFAULT_CACHE_SIZE;
    opts
}

impl HickoryDns {
    /// A resolver with the system configuration (name servers, search list and options
    /// from `/etc/resolv.conf` on Unix) and a cache of at least 1024 records.
    ///
    /// # Errors
    ///
    /// When the system configuration cannot be read or parsed.
    pub fn from_system() -> Result<Self, OpaqueError> {
        let mut builder = TokioResolver::builder_tokio().map_err(|err| {
            OpaqueError::from_std(err).context("read the system DNS configuration")
        })?;
        let opts = builder.options_mut();
        opts.cache_size = opts.cache_size.max(DEFAULT_CACHE_SIZE);
        Ok(Self::from_resolver(builder.build()))
    }

    /// A resolver with the given hickory configuration (name servers, search list) and
    /// options (timeouts, cache size, hosts file use, ...), both re-exported as
    /// [`rama_net::dns::hickory_resolver::config`](hickory_resolver::config).
    ///
    /// ```
    /// use rama_net::dns::HickoryDns;
    /// use rama_net::dns::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    ///
    /// let dns = HickoryDns::from_config(ResolverConfig::cloudflare(), ResolverOpts::default());
    /// # let _ = dns;
    /// ```
    #[must_use]
    pub fn from_config(config: ResolverConfig, opts: ResolverOpts) -> Self {
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(opts)
                .build();
        Self::from_resolver(resolver)
    }

    /// Wrap a hickory resolver you built yourself.
    #[must_use]
    pub fn from_resolver(resolver: TokioResolver) -> Self {
        Self {
            resolver: Arc::new(resolver),
            lookup_timeout: DEFAULT_LOOKUP_TIMEOUT,
        }
    }

    /// Bound every lookup by `timeout`; a lookup that takes longer fails with
    /// [`DnsError::is_timeout`].
    #[must_use]
    pub const fn with_lookup_timeout(mut self, timeout: Duration) -> Self {
        self.lookup_timeout = timeout;
        self
    }

    /// The bound on one lookup.
    #[must_use]
    pub const fn lookup_timeout(&self) -> Duration {
        self.lookup_timeout
    }

    /// Forget every cached answer.
    pub fn clear_cache(&self) {
        self.resolver.clear_cache();
    }

    /// The hickory resolver inside.
    #[must_use]
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    async fn bounded<T>(
        &self,
        domain: &Domain,
        lookup: impl Future<Output = Result<T, ResolveError>>,
    ) -> Result<T, DnsError> {
        match tokio::time::timeout(self.lookup_timeout, lookup).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(err)) => Err(map_error(
                domain.clone(),
                err,
                self.resolver.options().timeout,
            )),
            Err(_elapsed) => Err(DnsError::timeout(domain.clone(), self.lookup_timeout)),
        }
    }
}

fn map_error(domain: Domain, err: ResolveError, server_timeout: Duration) -> DnsError {
    if err.is_nx_domain() || err.is_no_records_found() {
        return DnsError::not_found(domain).with_source(err);
    }
    let timed_out = matches!(
        err.kind(),
        ResolveErrorKind::Proto(proto) if matches!(proto.kind(), ProtoErrorKind::Timeout)
    );
    if timed_out {
        return DnsError::timeout(domain, server_timeout).with_source(err);
    }
    DnsError::failed(domain, err)
}

fn non_empty<T>(domain: Domain, ips: Vec<T>) -> Result<Vec<T>, DnsError> {
    if ips.is_empty() {
        Err(DnsError::not_found(domain))
    } else {
        Ok(ips)
    }
}

impl DnsResolver for HickoryDns {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        let lookup = self
            .bounded(&domain, self.resolver.ipv4_lookup(domain.as_str()))
            .await?;
        non_empty(domain, lookup.iter().map(|a| a.0).collect())
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        let lookup = self
            .bounded(&domain, self.resolver.ipv6_lookup(domain.as_str()))
            .await?;
        non_empty(domain, lookup.iter().map(|aaaa| aaaa.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_settings() {
        let dns = HickoryDns::from_config(ResolverConfig::new(), ResolverOpts::default())
            .with_lookup_timeout(Duration::from_millis(1500));
        assert_eq!(dns.lookup_timeout(), Duration::from_millis(1500));
        dns.clear_cache();
    }

    #[tokio::test]
    async fn no_name_servers_is_an_error_not_a_hang() {
        // no name servers and no hosts file: nothing can answer
        let mut opts = ResolverOpts::default();
        opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        let dns = HickoryDns::from_config(ResolverConfig::new(), opts)
            .with_lookup_timeout(Duration::from_secs(3));
        let d = Domain::from_static("example.com");
        let err = tokio::time::timeout(Duration::from_secs(5), dns.ipv4_lookup(d.clone()))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err.domain(), &d);
    }
}
