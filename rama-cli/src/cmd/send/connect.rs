//! One request on a fresh connection: TCP connect (DNS with `--resolve` overrides, Happy
//! Eyeballs, `--connect-timeout`), for `https://` a TLS handshake (ALPN, verification as the
//! TLS flags say), an HTTP/1.1 or h2 handshake (h2 by ALPN, or with prior knowledge), the
//! request, the response head. Failures carry curl's exit codes. TLS is rustls, or
//! BoringSSL with `--tls-backend boring` (builds with the `boring` feature).

use super::exit::{
    COULD_NOT_CONNECT, COULD_NOT_RESOLVE_HOST, Failure, OPERATION_TIMEDOUT, RECV_ERROR, SEND_ERROR,
};
use super::target::Target;
use crate::cmd::tls::{Connected, TlsBackend, TlsClientArgs, handshake_failure};
use rama::http::client::{
    h2::{self, H2ClientConfig},
    http1::{self, ClientIo, Http1ClientConfig},
};
use rama::http::{Body, Request, Response, Version};
use rama::net::address::Domain;
use rama::net::dns::{DnsOverwrite, HickoryDns};
use rama::tcp::client::{TcpConnectConfig, TcpConnectError, tcp_connect};
use rama::tls::types::{AlpnList, ApplicationProtocol};
use rama::{Layer, Service};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// How to connect: DNS overrides, the connect timeout, and TLS for `https://`.
#[derive(Debug)]
pub(crate) struct Connector {
    dns: DnsOverwrite<HickoryDns>,
    config: TcpConnectConfig,
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
    /// A connector with `--resolve HOST:PORT:ADDR` entries, `--connect-timeout`, and the TLS
    /// flags with the ALPN list to offer for `https://`.
    pub(crate) fn new(
        resolve: &[String],
        connect_timeout: Option<Duration>,
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
        Ok(Self {
            dns,
            config,
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
        let stream = tcp_connect(&target.authority, &self.dns, &self.config)
            .await
            .map_err(connect_failure)?;
        let Some(tls_layer) = tls_layer else {
            let h2 = req.version() == Version::HTTP_2;
            trace_request(verbose, &req);
            return exchange(stream, req, h2, target).await;
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
    exchange(tls, req, h2, target).await
}

fn trace_request(verbose: bool, req: &Request<Body>) {
    if verbose {
        super::output::trace("> ", &super::output::request_head(req));
    }
}

/// The HTTP/1.1 or h2 handshake on `io`, then `req`.
async fn exchange<IO: ClientIo>(
    io: IO,
    req: Request<Body>,
    h2: bool,
    target: &Target,
) -> Result<Response<Body>, Failure> {
    let result = if h2 {
        let (sender, conn) = h2::handshake(io, H2ClientConfig::new())
            .await
            .map_err(|e| Failure::new(RECV_ERROR, format!("h2 handshake: {e}")))?;
        tokio::spawn(conn);
        sender.send_request(req).await
    } else {
        let config = Http1ClientConfig::new().with_response_head_timeout(None);
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

fn connect_failure(err: TcpConnectError) -> Failure {
    let code = if err.is_resolve() {
        COULD_NOT_RESOLVE_HOST
    } else if err.is_timeout() {
        OPERATION_TIMEDOUT
    } else {
        COULD_NOT_CONNECT
    };
    Failure::new(code, err.to_string())
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
