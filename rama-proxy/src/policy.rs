//! Which targets a proxy may connect to: [`TargetPolicy`] refuses targets by the
//! [`IpClass`] of their address (by default everything that is not on the public internet:
//! loopback, private, link-local, CGNAT, unspecified, multicast, reserved).
//!
//! A proxy that forwards to any address a client names is a door into the network it runs
//! in (cloud metadata at `169.254.169.254`, admin ports on `127.0.0.1`). The policy is
//! checked twice:
//!
//! - on **literal IPs** in the target, before anything is sent: [`PolicyConnector`];
//! - on the **addresses a name resolves to**: [`PolicyDns`] wraps a resolver and drops the
//!   refused addresses from its answers, refusing the name when none is left. A name that
//!   resolves to `127.0.0.1` (DNS rebinding, `localtest.me`) is refused like the literal.
//!
//! [`PolicyConnector::tcp`] builds both around a `TcpConnector`. Errors name the target and
//! the class ("127.0.0.1 is a loopback address; refused by policy");
//! [`find_policy_error`] finds one in any error chain a connector or client returned, so a
//! proxy can answer `403` (HTTP) or "connection not allowed by ruleset" (SOCKS5).
//!
//! ```
//! use rama_core::Service;
//! use rama_net::address::Domain;
//! use rama_net::dns::InMemoryDns;
//! use rama_proxy::policy::{PolicyConnector, TargetPolicy, find_policy_error};
//! use rama_tcp::client::TcpRequest;
//! use std::net::Ipv4Addr;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dns = InMemoryDns::new()
//!     .with_ips(Domain::from_static("rebind.test"), [Ipv4Addr::LOCALHOST.into()]);
//! let connector = PolicyConnector::tcp(dns, TargetPolicy::public_only());
//!
//! let err = connector.serve(TcpRequest::new("127.0.0.1:80".parse()?)).await.unwrap_err();
//! assert_eq!(err.to_string(), "127.0.0.1 is a loopback address; refused by policy");
//!
//! let err = connector.serve(TcpRequest::new("rebind.test:80".parse()?)).await.unwrap_err();
//! let refused = find_policy_error(&*err).unwrap();
//! assert_eq!(
//!     refused.to_string(),
//!     "rebind.test resolved to 127.0.0.1, a loopback address; refused by policy"
//! );
//! # Ok(())
//! # }
//! ```

use rama_core::Service;
use rama_core::error::{BoxError, find_in_chain};
use rama_net::address::{Authority, Domain, IpClass};
use rama_net::client::{ConnectorService, EstablishedClientConnection};
use rama_net::dns::{DnsError, DnsResolver};
use rama_tcp::client::{TcpConnector, TcpRequest};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which [`IpClass`]es a proxy may connect to. Cheap to clone.
///
/// ```
/// use rama_net::address::IpClass;
/// use rama_proxy::policy::TargetPolicy;
///
/// let policy = TargetPolicy::public_only().allow(IpClass::Private);
/// assert!(policy.allows(IpClass::Private));
/// assert!(!policy.allows(IpClass::Loopback));
/// assert!(policy.check_ip("10.0.0.1".parse().unwrap()).is_ok());
///
/// let open = TargetPolicy::allow_all().deny(IpClass::LinkLocal);
/// assert!(open.allows(IpClass::Loopback));
/// assert!(open.check_ip("169.254.169.254".parse().unwrap()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPolicy {
    rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// Only these classes are allowed.
    AllowOnly(Vec<IpClass>),
    /// Every class but these is allowed.
    DenyOnly(Vec<IpClass>),
}

impl Default for TargetPolicy {
    /// [`TargetPolicy::public_only`].
    fn default() -> Self {
        Self::public_only()
    }
}

impl TargetPolicy {
    /// Allows only [`IpClass::Public`] addresses: the safe default for a proxy others use.
    #[must_use]
    pub fn public_only() -> Self {
        Self {
            rule: Rule::AllowOnly(vec![IpClass::Public]),
        }
    }

    /// Allows every address (a proxy for your own machine, or tests on loopback).
    #[must_use]
    pub const fn allow_all() -> Self {
        Self {
            rule: Rule::DenyOnly(Vec::new()),
        }
    }

    /// Also allows `class`.
    #[must_use]
    pub fn allow(mut self, class: IpClass) -> Self {
        match &mut self.rule {
            Rule::AllowOnly(allowed) if !allowed.contains(&class) => allowed.push(class),
            Rule::DenyOnly(denied) => denied.retain(|c| *c != class),
            Rule::AllowOnly(_) => {}
        }
        self
    }

    /// Refuses `class`.
    #[must_use]
    pub fn deny(mut self, class: IpClass) -> Self {
        match &mut self.rule {
            Rule::AllowOnly(allowed) => allowed.retain(|c| *c != class),
            Rule::DenyOnly(denied) if !denied.contains(&class) => denied.push(class),
            Rule::DenyOnly(_) => {}
        }
        self
    }

    /// Whether addresses of `class` may be connected to.
    #[must_use]
    pub fn allows(&self, class: IpClass) -> bool {
        match &self.rule {
            Rule::AllowOnly(allowed) => allowed.contains(&class),
            Rule::DenyOnly(denied) => !denied.contains(&class),
        }
    }

    /// Whether every address is allowed (no check needed).
    #[must_use]
    pub fn allows_everything(&self) -> bool {
        matches!(&self.rule, Rule::DenyOnly(denied) if denied.is_empty())
    }

    /// Checks a literal IP address.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] naming the address and its class when the class is refused.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), PolicyError> {
        let class = IpClass::of(ip);
        if self.allows(class) {
            Ok(())
        } else {
            Err(PolicyError {
                name: None,
                ip,
                class,
            })
        }
    }

    /// Checks a target: a literal IP by its class; a name is allowed here (its addresses
    /// are checked when it is resolved, by [`PolicyDns`]).
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] when the target is a refused literal IP.
    pub fn check_authority(&self, target: &Authority) -> Result<(), PolicyError> {
        match target.host().as_ip() {
            Some(ip) => self.check_ip(ip),
            None => Ok(()),
        }
    }

    /// Checks an address `name` resolved to.
    fn check_resolved(&self, name: &Domain, ip: IpAddr) -> Result<(), PolicyError> {
        self.check_ip(ip).map_err(|mut e| {
            e.name = Some(name.clone());
            e
        })
    }
}

/// A target was refused by a [`TargetPolicy`]: the address, the class it belongs to, and the
/// name it was resolved from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    name: Option<Domain>,
    ip: IpAddr,
    class: IpClass,
}

impl PolicyError {
    /// The refused address.
    #[must_use]
    pub const fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The class of the refused address.
    #[must_use]
    pub const fn class(&self) -> IpClass {
        self.class
    }

    /// The name the address was resolved from (`None` for a literal IP target).
    #[must_use]
    pub const fn name(&self) -> Option<&Domain> {
        self.name.as_ref()
    }
}

/// The class in words, with its article.
const fn class_words(class: IpClass) -> &'static str {
    match class {
        IpClass::Loopback => "a loopback address",
        IpClass::Unspecified => "an unspecified address",
        IpClass::Private => "a private address",
        IpClass::SharedCgnat => "a shared (CGNAT) address",
        IpClass::LinkLocal => "a link-local address",
        IpClass::Multicast => "a multicast or broadcast address",
        IpClass::Reserved => "a reserved address",
        IpClass::Public => "a public address",
        _ => "a non-public address",
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = class_words(self.class);
        match &self.name {
            Some(name) => write!(
                f,
                "{name} resolved to {}, {what}; refused by policy",
                self.ip
            ),
            None => write!(f, "{} is {what}; refused by policy", self.ip),
        }
    }
}

impl std::error::Error for PolicyError {}

/// The [`PolicyError`] somewhere in `err`'s chain, looking also into the per-family DNS
/// errors a `TcpConnectError` keeps (which its `source` does not return).
#[must_use]
pub fn find_policy_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a PolicyError> {
    if let Some(found) = find_in_chain::<PolicyError>(err) {
        return Some(found);
    }
    let tcp = find_in_chain::<rama_tcp::client::TcpConnectError>(err)?;
    tcp.resolve_errors()
        .iter()
        .find_map(|e| find_in_chain::<PolicyError>(&**e))
}

/// A [`DnsResolver`] that checks every address its inner resolver answers against a
/// [`TargetPolicy`]: refused addresses are dropped, and a name left without any is refused
/// with [`DnsError::is_denied`], whose source is the [`PolicyError`] of its first refused
/// address.
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::{DnsResolver, InMemoryDns};
/// use rama_proxy::policy::{PolicyDns, TargetPolicy};
/// use std::net::{IpAddr, Ipv4Addr};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let public: IpAddr = Ipv4Addr::new(1, 1, 1, 1).into();
/// let inner = InMemoryDns::new()
///     .with_ips(Domain::from_static("mixed.test"), [public, Ipv4Addr::new(10, 0, 0, 1).into()])
///     .with_ips(Domain::from_static("inside.test"), [Ipv4Addr::new(10, 0, 0, 1).into()]);
/// let dns = PolicyDns::new(inner, TargetPolicy::public_only());
/// assert_eq!(dns.ipv4_lookup(Domain::from_static("mixed.test")).await.unwrap(), [Ipv4Addr::new(1, 1, 1, 1)]);
/// assert!(dns.ipv4_lookup(Domain::from_static("inside.test")).await.unwrap_err().is_denied());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PolicyDns<R> {
    inner: R,
    policy: TargetPolicy,
}

impl<R> PolicyDns<R> {
    /// Checks the answers of `inner` against `policy`.
    #[must_use]
    pub const fn new(inner: R, policy: TargetPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &TargetPolicy {
        &self.policy
    }

    /// The wrapped resolver.
    #[must_use]
    pub const fn inner(&self) -> &R {
        &self.inner
    }

    /// Keeps the allowed addresses; none left is a denied name.
    fn filter<T: Copy + Into<IpAddr>>(
        &self,
        domain: Domain,
        ips: Vec<T>,
    ) -> Result<Vec<T>, DnsError> {
        if self.policy.allows_everything() {
            return Ok(ips);
        }
        let mut first_refused = None;
        let allowed: Vec<T> = ips
            .into_iter()
            .filter(
                |ip| match self.policy.check_resolved(&domain, (*ip).into()) {
                    Ok(()) => true,
                    Err(e) => {
                        first_refused.get_or_insert(e);
                        false
                    }
                },
            )
            .collect();
        match first_refused {
            Some(refused) if allowed.is_empty() => {
                tracing::debug!(%refused, "dns answer refused by the target policy");
                Err(DnsError::denied(domain).with_source(refused))
            }
            _ => Ok(allowed),
        }
    }
}

impl<R: DnsResolver> DnsResolver for PolicyDns<R> {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        let ips = self
            .inner
            .ipv4_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain.clone(), e))?;
        self.filter(domain, ips)
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        let ips = self
            .inner
            .ipv6_lookup(domain.clone())
            .await
            .map_err(|e| DnsError::from_resolver_error(domain.clone(), e))?;
        self.filter(domain, ips)
    }
}

/// A connector over any `Service<TcpRequest>` that refuses a target whose host is a literal
/// IP of a refused class before calling the inner connector. Names are left to the inner
/// connector's resolver: build it with a [`PolicyDns`] ([`PolicyConnector::tcp`] does).
///
/// A refusal is a boxed [`PolicyError`]; the inner connector's errors pass through boxed.
#[derive(Debug, Clone)]
pub struct PolicyConnector<C> {
    inner: C,
    policy: TargetPolicy,
}

impl<C> PolicyConnector<C> {
    /// Checks literal IP targets against `policy`, then connects with `inner`.
    #[must_use]
    pub const fn new(inner: C, policy: TargetPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &TargetPolicy {
        &self.policy
    }

    /// The wrapped connector.
    #[must_use]
    pub const fn inner(&self) -> &C {
        &self.inner
    }
}

impl<R> PolicyConnector<TcpConnector<PolicyDns<R>>> {
    /// A TCP connector that checks literal IPs and resolves names through
    /// [`PolicyDns`]`(resolver, policy)`. Set its timeouts with
    /// [`with_tcp_config`](Self::with_tcp_config).
    #[must_use]
    pub fn tcp(resolver: R, policy: TargetPolicy) -> Self {
        let dns = PolicyDns::new(resolver, policy.clone());
        Self::new(TcpConnector::with_resolver(dns), policy)
    }

    /// Replaces the TCP connector's settings (timeout, delays, nodelay).
    #[must_use]
    pub fn with_tcp_config(mut self, config: rama_tcp::client::TcpConnectConfig) -> Self {
        self.inner = self.inner.with_config(config);
        self
    }
}

impl<C> Service<TcpRequest> for PolicyConnector<C>
where
    C: ConnectorService<TcpRequest>,
{
    type Output = EstablishedClientConnection<C::Connection, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, input: TcpRequest) -> Result<Self::Output, BoxError> {
        if let Err(refused) = self.policy.check_authority(&input.authority) {
            tracing::debug!(%refused, "target refused by policy");
            return Err(Box::new(refused));
        }
        self.inner.connect(input).await.map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_net::dns::InMemoryDns;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_only_table() {
        let policy = TargetPolicy::default();
        let cases = [
            (
                "127.0.0.1",
                Some("127.0.0.1 is a loopback address; refused by policy"),
            ),
            ("::1", Some("::1 is a loopback address; refused by policy")),
            (
                "::ffff:127.0.0.1",
                Some("::ffff:127.0.0.1 is a loopback address; refused by policy"),
            ),
            (
                "10.1.2.3",
                Some("10.1.2.3 is a private address; refused by policy"),
            ),
            (
                "192.168.0.1",
                Some("192.168.0.1 is a private address; refused by policy"),
            ),
            (
                "169.254.169.254",
                Some("169.254.169.254 is a link-local address; refused by policy"),
            ),
            (
                "100.64.0.1",
                Some("100.64.0.1 is a shared (CGNAT) address; refused by policy"),
            ),
            (
                "0.0.0.0",
                Some("0.0.0.0 is an unspecified address; refused by policy"),
            ),
            (
                "::",
                Some(":: is an unspecified address; refused by policy"),
            ),
            (
                "224.0.0.1",
                Some("224.0.0.1 is a multicast or broadcast address; refused by policy"),
            ),
            (
                "fe80::1",
                Some("fe80::1 is a link-local address; refused by policy"),
            ),
            (
                "192.0.2.1",
                Some("192.0.2.1 is a reserved address; refused by policy"),
            ),
            ("1.1.1.1", None),
            ("2606:4700::1111", None),
        ];
        for (input, want) in cases {
            let got = policy.check_ip(ip(input)).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn allow_and_deny_edit_the_rule() {
        let p = TargetPolicy::public_only()
            .allow(IpClass::Loopback)
            .allow(IpClass::Loopback);
        assert!(p.allows(IpClass::Loopback) && p.allows(IpClass::Public));
        assert!(!p.allows(IpClass::Private));
        let p = p.deny(IpClass::Public);
        assert!(!p.allows(IpClass::Public));
        assert!(!p.allows_everything());

        let all = TargetPolicy::allow_all();
        assert!(all.allows_everything());
        assert!(all.check_ip(ip("127.0.0.1")).is_ok());
        let some = all.deny(IpClass::LinkLocal);
        assert!(!some.allows_everything());
        assert_eq!(
            some.check_ip(ip("fe80::1")).unwrap_err().class(),
            IpClass::LinkLocal
        );
        assert!(some.clone().allow(IpClass::LinkLocal).allows_everything());
    }

    #[test]
    fn check_authority_only_judges_literals() {
        let p = TargetPolicy::public_only();
        assert!(p.check_authority(&"localhost:80".parse().unwrap()).is_ok());
        assert!(p.check_authority(&"[::1]:80".parse().unwrap()).is_err());
        assert!(p.check_authority(&"1.1.1.1:443".parse().unwrap()).is_ok());
    }

    const REBIND: Domain = Domain::from_static("rebind.test");
    const MIXED: Domain = Domain::from_static("mixed.test");

    fn dns() -> InMemoryDns {
        InMemoryDns::new()
            .with_ips(REBIND, [ip("127.0.0.1"), ip("::1")])
            .with_ips(MIXED, [ip("10.0.0.1"), ip("1.1.1.1"), ip("fd00::1")])
    }

    #[tokio::test]
    async fn dns_refuses_names_left_without_addresses() {
        let dns = PolicyDns::new(dns(), TargetPolicy::public_only());
        let err = dns.ipv4_lookup(REBIND).await.unwrap_err();
        assert!(err.is_denied());
        let policy = find_in_chain::<PolicyError>(&err).unwrap();
        assert_eq!(policy.name(), Some(&REBIND));
        assert_eq!(policy.ip(), ip("127.0.0.1"));
        assert!(dns.ipv6_lookup(REBIND).await.unwrap_err().is_denied());
        // mixed answers keep the public addresses
        assert_eq!(
            dns.ipv4_lookup(MIXED).await.unwrap(),
            [Ipv4Addr::new(1, 1, 1, 1)]
        );
        assert!(dns.ipv6_lookup(MIXED).await.unwrap_err().is_denied());
        // the inner resolver's own errors come through unchanged
        let missing = dns
            .ipv4_lookup(Domain::from_static("nope.test"))
            .await
            .unwrap_err();
        assert!(missing.is_not_found());
    }

    #[tokio::test]
    async fn dns_allow_all_passes_everything() {
        let dns = PolicyDns::new(dns(), TargetPolicy::allow_all());
        assert_eq!(
            dns.ipv4_lookup(REBIND).await.unwrap(),
            [Ipv4Addr::LOCALHOST]
        );
    }

    #[tokio::test]
    async fn connector_refuses_literals_and_rebinding_names() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector = PolicyConnector::tcp(dns(), TargetPolicy::public_only());

        let err = connector
            .serve(TcpRequest::new(
                format!("127.0.0.1:{port}").parse().unwrap(),
            ))
            .await
            .unwrap_err();
        assert_eq!(find_policy_error(&*err).unwrap().ip(), ip("127.0.0.1"));

        let err = connector
            .serve(TcpRequest::new(
                format!("rebind.test:{port}").parse().unwrap(),
            ))
            .await
            .unwrap_err();
        let refused = find_policy_error(&*err).unwrap();
        assert_eq!(refused.name(), Some(&REBIND));
        assert_eq!(refused.class(), IpClass::Loopback);

        // the same targets connect when loopback is allowed
        let open =
            PolicyConnector::tcp(dns(), TargetPolicy::public_only().allow(IpClass::Loopback));
        let ok = open
            .serve(TcpRequest::new(
                format!("rebind.test:{port}").parse().unwrap(),
            ))
            .await
            .unwrap();
        assert_eq!(ok.input.authority.port(), port);
    }

    #[test]
    fn find_policy_error_misses_unrelated_errors() {
        let err: BoxError = "boom".into();
        assert!(find_policy_error(&*err).is_none());
    }
}
