//! One request on a fresh connection: TCP connect (DNS with `--resolve` overrides, Happy
//! Eyeballs, `--connect-timeout`), for `https://` a TLS handshake (ALPN, verification as the
//! TLS flags say), an HTTP/1.1 or h2 handshake (h2 by ALPN, or with prior knowledge), the
//! request, the response head. Failures carry curl's exit codes. TLS is rustls, or
//! BoringSSL with `--tls-backend boring` (builds with the `boring` feature).
//!
//! With a proxy (see [`super::proxy`]) the TCP connection goes to the proxy: a plain
//! `http://` request through an HTTP(S) proxy is sent to it in absolute form with
//! `Proxy-Authorization`; otherwise rama-proxy's `ProxyConnector` opens a tunnel (`CONNECT`
//! or SOCKS5) and TLS and HTTP run through it as they would directly.

use super::exit::{Failure, RECV_ERROR, SEND_ERROR};
use super::proxy::{ProxyArgs, connect_failure};
use super::target::Target;
use crate::cmd::tls::{Connected, TlsBackend, TlsClientArgs, handshake_failure};
use rama::http::client::proxy::ForwardToProxy;
use rama::http::client::{
    h2::{self, H2ClientConfig},
    http1::{self, ClientIo, Http1ClientConfig},
};
use rama::http::{Body, Request, Response, Version, header};
use rama::net::address::{Domain, ProxyAddress};
use rama::net::dns::{DnsOverwrite, HickoryDns};
use rama::net::user::Basic;
use rama::proxy::client::{ProxyConnector, ProxySelector};
use rama::tcp::client::{TcpConnectConfig, TcpConnector, TcpRequest};
use rama::tls::types::{AlpnList, ApplicationProtocol};
use rama::{Layer, Service};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// How to connect: DNS overrides, the connect timeout, proxies, and TLS for `https://`.
#[derive(Debug)]
pub(crate) struct Connector {
    connector: ProxyConnector<TcpConnector<DnsOverwrite<HickoryDns>>>,
    proxies: ProxySelector,
    proxy_user: Option<Basic>,
    tls_args: TlsClientArgs,
    alpn: AlpnList,
    /// built on the first `https://` hop, so that TLS flags only matter for https
    tls: OnceLock<TlsLayer>,
}

/// The TLS connector layer of the `--tls-backend` in use.
#[derive(Debug)]
enum TlsLayer {
    Rustls(rama::tls::rustls::TlsConnectorLayer),
    #[cfg(feature = "boring")]
    Boring(rama::tls::boring::TlsConnectorLayer),
}

impl Connector {
    /// A connector with `--resolve HOST:PORT:ADDR` entries, `--connect-timeout`, the proxy
    /// flags (and the environment's proxy variables), and the TLS flags with the ALPN list
    /// to offer for `https://`.
    pub(crate) fn new(
        resolve: &[String],
        connect_timeout: Option<Duration>,
        proxy: &ProxyArgs,
        tls_args: TlsClientArgs,
        alpn: AlpnList,
    ) -> Result<Self, Failure> {
        let mut dns = DnsOverwrite::new(HickoryDns::default());
        for entry in resolve {
            let (host, ip) = parse_resolve(entry)?;
            dns = dns.with_ips(host, [ip]);
        }
        let mut config = TcpConnectConfig::new();
        if let Some(t) = connect_timeout {
            config = config.with_connect_timeout(t);
        }
        let mut connector =
            ProxyConnector::new(TcpConnector::with_resolver(dns.clone()).with_config(config))
                .with_resolver(dns);
        if connect_timeout.is_some() {
            // curl's --connect-timeout covers the proxy handshake too
            connector = connector.with_handshake_timeout(connect_timeout);
        }
        if let Some(tls) = proxy.tls_config()? {
            connector = connector.with_proxy_tls_config(tls).map_err(|e| {
                Failure::new(
                    super::exit::SSL_CONNECT_ERROR,
                    format!("proxy TLS configuration: {e}"),
                )
            })?;
        }
        Ok(Self {
            connector,
            proxies: proxy.selector(|name| std::env::var(name).ok())?,
            proxy_user: proxy.credentials()?,
            tls_args,
            alpn,
            tls: OnceLock::new(),
        })
    }

    fn tls_layer(&self) -> Result<&TlsLayer, Failure> {
        if let Some(layer) = self.tls.get() {
            return Ok(layer);
        }
        let config = self.tls_args.client_config(self.alpn.clone())?;
        let refused = |e: rama::tls::config::ConfigError| {
            Failure::new(
                super::exit::SSL_CONNECT_ERROR,
                format!("TLS configuration: {e}"),
            )
        };
        let layer = match self.tls_args.backend {
            TlsBackend::Rustls => TlsLayer::Rustls(
                rama::tls::rustls::TlsConnectorLayer::new(&config).map_err(refused)?,
            ),
            #[cfg(feature = "boring")]
            TlsBackend::Boring => TlsLayer::Boring(
                rama::tls::boring::TlsConnectorLayer::new(&config).map_err(refused)?,
            ),
            // `client_config` refused it already
            #[cfg(not(feature = "boring"))]
            TlsBackend::Boring => {
                return Err(Failure::new(
                    super::exit::NOT_BUILT_IN,
                    "--tls-backend boring: rama was not built with the boring feature",
                ));
            }
        };
        Ok(self.tls.get_or_init(|| layer))
    }

    /// Connect to `target` and send `req`; the response once its head arrived. With
    /// `verbose` the request head is traced (`> ` lines on stderr) just before it is sent.
    pub(crate) async fn send(
        &self,
        target: &Target,
        req: Request<Body>,
        verbose: bool,
    ) -> Result<Response<Body>, Failure> {
        // the TLS flags are checked (files read) before connecting, as curl does
        let tls_layer = if target.tls {
            Some(self.tls_layer()?)
        } else {
            None
        };
        let proxy = self.proxy_for(target)?;
        let h2 = req.version() == Version::HTTP_2;
        // plain http through an HTTP(S) proxy: absolute form to the proxy itself
        let forward = !target.tls && !h2 && proxy.as_ref().is_some_and(ProxyAddress::is_http);
        let mut connect = TcpRequest::new(target.authority.clone());
        if let Some(proxy) = &proxy {
            connect.extensions.insert(proxy.clone());
            if forward {
                connect.extensions.insert(ForwardToProxy);
            }
        }
        let stream = self
            .connector
            .serve(connect)
            .await
            .map_err(|e| connect_failure(&e))?
            .conn;
        let mut req = req;
        if forward
            && let Some(credentials) = proxy.as_ref().and_then(|p| p.credentials.as_ref())
            && let Ok(value) = header::HeaderValue::try_from(credentials.to_header_value())
        {
            req.headers_mut().insert(header::PROXY_AUTHORIZATION, value);
        }
        let Some(tls_layer) = tls_layer else {
            trace_request(verbose, &req);
            return exchange(stream, req, h2, forward, target).await;
        };
        match tls_layer {
            TlsLayer::Rustls(layer) => {
                let tls = layer
                    .layer(Connected::new(stream))
                    .serve(target.authority.clone())
                    .await
                    .map_err(|e| handshake_failure(&e))?
                    .conn;
                let alpn = tls.negotiated().and_then(|p| p.alpn.clone());
                exchange_tls(tls, alpn, req, verbose, target).await
            }
            #[cfg(feature = "boring")]
            TlsLayer::Boring(layer) => {
                let tls = layer
                    .layer(Connected::new(stream))
                    .serve(target.authority.clone())
                    .await
                    .map_err(|e| handshake_failure(&e))?
                    .conn;
                let alpn = tls.negotiated().and_then(|p| p.alpn.clone());
                exchange_tls(tls, alpn, req, verbose, target).await
            }
        }
    }
}

/// The exchange over a TLS stream that negotiated `alpn`: h2 when ALPN says so (or, without
/// ALPN, when the request asks for it), HTTP/1.1 otherwise.
async fn exchange_tls<IO: ClientIo>(
    tls: IO,
    alpn: Option<ApplicationProtocol>,
    mut req: Request<Body>,
    verbose: bool,
    target: &Target,
) -> Result<Response<Body>, Failure> {
    let h2 = match alpn {
        Some(p) => p == ApplicationProtocol::H2,
        None => req.version() == Version::HTTP_2,
    };
    *req.version_mut() = if h2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    trace_request(verbose, &req);
    exchange(tls, req, h2, false, target).await
}

fn trace_request(verbose: bool, req: &Request<Body>) {
    if verbose {
        super::output::trace("> ", &super::output::request_head(req));
    }
}

/// The HTTP/1.1 or h2 handshake on `io`, then `req` (HTTP/1.1 in absolute form when
/// `absolute`: to a proxy).
async fn exchange<IO: ClientIo>(
    io: IO,
    req: Request<Body>,
    h2: bool,
    absolute: bool,
    target: &Target,
) -> Result<Response<Body>, Failure> {
    let result = if h2 {
        let (sender, conn) = h2::handshake(io, H2ClientConfig::new())
            .await
            .map_err(|e| Failure::new(RECV_ERROR, format!("h2 handshake: {e}")))?;
        tokio::spawn(conn);
        sender.send_request(req).await
    } else {
        let config = Http1ClientConfig::new()
            .with_response_head_timeout(None)
            .with_absolute_form(absolute);
        let (sender, conn) = http1::handshake(io, config)
            .await
            .map_err(|e| Failure::new(SEND_ERROR, format!("HTTP/1 handshake: {e}")))?;
        tokio::spawn(conn);
        sender.send_request(req).await
    };
    result.map_err(|e| {
        Failure::new(
            RECV_ERROR,
            format!("{target_uri}: {e}", target_uri = target.uri),
        )
    })
}

impl Connector {
    /// The proxy for `target` (from the flags, else the environment), with `-U`'s
    /// credentials.
    fn proxy_for(&self, target: &Target) -> Result<Option<ProxyAddress>, Failure> {
        let proxy = self
            .proxies
            .select(&target.uri)
            .map_err(|e| Failure::new(super::exit::COULD_NOT_RESOLVE_PROXY, e.to_string()))?;
        Ok(proxy.map(|p| match &self.proxy_user {
            Some(user) => p.with_credentials(user.clone()),
            None => p,
        }))
    }
}

/// `HOST:PORT:ADDR` (ADDR may be bracketed: `[::1]`). The port is accepted but not
/// checked: the override applies to the name on every port.
fn parse_resolve(entry: &str) -> Result<(Domain, IpAddr), Failure> {
    let bad = || {
        Failure::new(
            super::exit::MALFORMED_URL,
            format!("--resolve `{entry}`: expected HOST:PORT:ADDR"),
        )
    };
    let (host, rest) = entry.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let host = Domain::try_from(host).map_err(|_| bad())?;
    Ok((host, ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_resolve_table() {
        let ok = [
            ("a.test:80:127.0.0.1", "a.test", "127.0.0.1"),
            ("a.test:8080:[::1]", "a.test", "::1"),
            ("a.test:1:::1", "a.test", "::1"),
        ];
        for (input, host, ip) in ok {
            let (h, i) = parse_resolve(input).unwrap();
            assert_eq!(h.as_ref(), host, "{input}");
            assert_eq!(i.to_string(), ip, "{input}");
        }
        for bad in [
            "a.test",
            "a.test:80",
            "a.test:x:127.0.0.1",
            "a.test:80:nope",
        ] {
            assert!(parse_resolve(bad).is_err(), "{bad}");
        }
    }
}
