//! The connector every part of `rama serve proxy` opens its outgoing connections with
//! (CONNECT tunnels, SOCKS5 CONNECT, the HTTP client of absolute-form and MITM requests).
//!
//! ```text
//! TcpRequest ─┬─ no ProxyAddress ─▶ target policy (literal IP) ─▶ TCP, names resolved
//!             │                       through the policy's resolver (rebinding refused)
//!             └─ ProxyAddress ─────▶ target policy (literal IP) ─▶ ProxyConnector: TCP to
//!                (--upstream, or        the upstream (the operator's choice: never refused)
//!                 --proxy-db pick)      ─▶ CONNECT / SOCKS5 handshake to the target
//! ```
//!
//! Through an upstream the target policy applies to the target, not to the upstream's
//! address: literal IPs are checked here, names given to `socks5://` upstreams are
//! resolved here through the policy, and names given to `http(s)://` or `socks5h://`
//! upstreams are resolved (and policed) by the upstream.

use rama::{
    Service,
    error::{BoxError, ErrorContext, OpaqueError},
    net::{address::ProxyAddress, client::EstablishedClientConnection, dns::HickoryDns},
    proxy::{
        client::{ProxyConnector, ProxyStream},
        policy::{PolicyConnector, PolicyDns, TargetPolicy},
    },
    tcp::{
        TcpStream,
        client::{TcpConnectConfig, TcpConnector, TcpRequest},
    },
    tls::config::ClientConfig,
};
use std::time::Duration;

/// Direct connections: literal IPs and resolved names checked against the policy.
type Direct = ProxyConnector<PolicyConnector<TcpConnector<PolicyDns<HickoryDns>>>>;
/// Connections through an upstream proxy: literal IP targets checked against the policy;
/// the upstream itself is reached with the plain resolver.
type Proxied = PolicyConnector<ProxyConnector<TcpConnector<HickoryDns>>>;

/// See the [module docs](self).
#[derive(Debug, Clone)]
pub(super) struct Outbound {
    direct: Direct,
    proxied: Proxied,
    upstream: Option<ProxyAddress>,
}

impl Outbound {
    /// Connections within `connect_timeout` (TCP connect, and the whole upstream handshake
    /// when there is one), targets checked against `policy`; `https://` upstreams verified
    /// as `upstream_tls` says.
    pub(super) fn new(
        policy: &TargetPolicy,
        connect_timeout: Duration,
        upstream_tls: ClientConfig,
    ) -> Result<Self, OpaqueError> {
        let dns = HickoryDns::default();
        let tcp_config = TcpConnectConfig::new().with_connect_timeout(connect_timeout);
        let direct = ProxyConnector::new(
            PolicyConnector::tcp(dns.clone(), policy.clone()).with_tcp_config(tcp_config),
        );
        let to_upstream = TcpConnector::with_resolver(dns.clone()).with_config(tcp_config);
        let proxied = PolicyConnector::new(
            ProxyConnector::new(to_upstream)
                .with_proxy_tls_config(upstream_tls)
                .context("configure TLS for https:// upstream proxies")?
                .with_resolver(PolicyDns::new(dns, policy.clone()))
                .with_handshake_timeout(Some(connect_timeout)),
            policy.clone(),
        );
        Ok(Self {
            direct,
            proxied,
            upstream: None,
        })
    }

    /// Every connection whose request names no upstream goes through `upstream`.
    pub(super) fn with_upstream(mut self, upstream: Option<ProxyAddress>) -> Self {
        self.upstream = upstream;
        self
    }
}

impl Service<TcpRequest> for Outbound {
    type Output = EstablishedClientConnection<ProxyStream<TcpStream>, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, mut req: TcpRequest) -> Result<Self::Output, BoxError> {
        if let Some(upstream) = &self.upstream
            && !req.extensions.contains::<ProxyAddress>()
        {
            req.extensions.insert(upstream.clone());
        }
        if req.extensions.contains::<ProxyAddress>() {
            self.proxied.serve(req).await
        } else {
            self.direct.serve(req).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama::proxy::policy::find_policy_error;

    #[tokio::test]
    async fn policy_applies_to_the_target_through_an_upstream() {
        let upstream: ProxyAddress = "http://127.0.0.1:1".parse().unwrap();
        let outbound = Outbound::new(
            &TargetPolicy::public_only(),
            Duration::from_secs(2),
            ClientConfig::new(),
        )
        .unwrap()
        .with_upstream(Some(upstream));
        let err = outbound
            .serve(TcpRequest::new("10.0.0.1:80".parse().unwrap()))
            .await
            .unwrap_err();
        assert!(find_policy_error(&*err).is_some(), "{err}");
        // a public target is not refused by policy: it fails at the (closed) upstream
        let err = outbound
            .serve(TcpRequest::new("1.1.1.1:80".parse().unwrap()))
            .await
            .unwrap_err();
        assert!(find_policy_error(&*err).is_none(), "{err}");
    }
}
