//! `rama serve proxy`: an HTTP(S) and SOCKS5 forward proxy on one port.
//!
//! Each accepted connection is routed by its first byte: `0x05` is SOCKS5 (CONNECT, BIND,
//! UDP ASSOCIATE; SOCKS5h names are resolved here), anything else is the HTTP proxy
//! (absolute-form `http://` requests and CONNECT tunnels, HTTP/1.1 and h2), behind TLS when
//! `--tls-cert/--tls-key` or `--tls-self-signed` make it an HTTPS proxy.
//!
//! ```text
//! TcpListener ─▶ [--max-conns] ─▶ first byte ─ 0x05 ─▶ SOCKS5 (--auth: username/password)
//!                                     └─ else ─▶ [TLS] ─▶ HTTP server ─▶ [--auth: 407]
//!                                                           ─▶ forward proxy
//! both proxies connect through one policy connector: literal IPs and resolved addresses
//! are checked against the target policy (--allow-private)
//! ```
//!
//! Target policy: when the proxy is bound to a loopback address only this machine can use
//! it, so loopback and private targets are allowed; bound to any other address it refuses
//! targets in loopback, private, link-local, CGNAT, multicast and reserved ranges (a name
//! resolving into them included) unless `--allow-private` is given.
//!
//! The stack is built by small functions (`target_policy`, `connector`, `http_proxy`,
//! `run`) so that further options (an upstream proxy, a proxy database, MITM) slot in as
//! one more layer or a different connector.

use super::run::serve_tcp;
use crate::cmd::args::{ShutdownArgs, parse_secs};
use clap::Args;
use rama::{
    Either, Layer,
    error::{ErrorContext, OpaqueError},
    http::{client::EasyHttpWebClient, server::HttpServer},
    layer::ConcurrencyLimitLayer,
    net::{dns::HickoryDns, stream::ForwardConfig, user::Basic},
    proxy::{
        http::server::{HttpForwardProxy, ProxyAuthLayer},
        peek::Socks5OrHttp,
        policy::{PolicyConnector, PolicyDns, TargetPolicy},
        socks5::server::{Socks5Acceptor, Socks5Auth},
        username::DEFAULT_SEPARATOR,
    },
    tcp::client::{TcpConnectConfig, TcpConnector},
    tls::{
        cert::self_signed,
        config::{CertifiedKey, ServerConfig},
        rustls::TlsAcceptorLayer,
        types::AlpnList,
    },
};
use std::{net::SocketAddr, num::NonZeroUsize, path::PathBuf, time::Duration};

/// Flags of `rama serve proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The IP:PORT to listen on; port 0 picks a free port. Bound to loopback (the
    /// default), loopback and private targets are allowed; on any other address they are
    /// refused unless --allow-private.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:62002")]
    bind: SocketAddr,

    /// Require this user (USER:PASS) for HTTP (Proxy-Authorization: Basic, else 407) and
    /// SOCKS5 (username/password); repeat for more users.
    #[arg(long = "auth", value_name = "USER:PASS", value_parser = parse_user)]
    auth: Vec<Basic>,

    /// With --auth: usernames carry labels after a '-' (`john-country-us`): `john` is
    /// authenticated, the labels ride with the request.
    #[arg(long, requires = "auth")]
    username_labels: bool,

    /// Allow targets in loopback and private ranges even when bound to a non-loopback
    /// address.
    #[arg(long)]
    allow_private: bool,

    /// Give up resolving and connecting to a target after this many seconds (502/504 for
    /// HTTP, a failure reply for SOCKS5).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    connect_timeout: Duration,

    /// Close a tunnel after this many seconds without a byte in either direction; 0
    /// disables the idle timeout.
    #[arg(long, value_name = "SECS", default_value = "300", value_parser = parse_secs)]
    idle_timeout: Duration,

    /// Serve at most N client connections at once; more are closed right after they are
    /// accepted. Unlimited when absent. (An HTTP CONNECT tunnel stops counting once the
    /// tunnel is handed over; SOCKS5 tunnels count until they end.)
    #[arg(long, value_name = "N")]
    max_conns: Option<NonZeroUsize>,

    /// HTTPS proxy: the certificate chain to serve (PEM, leaf first); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<PathBuf>,

    /// HTTPS proxy: the private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// HTTPS proxy with a self-signed certificate for localhost, 127.0.0.1 and ::1 (clients
    /// need curl's --proxy-insecure).
    #[arg(long)]
    tls_self_signed: bool,

    #[command(flatten)]
    shutdown: ShutdownArgs,
}

/// Parse `USER:PASS` into Basic credentials.
fn parse_user(s: &str) -> Result<Basic, String> {
    Basic::from_user_pass(s).map_err(|e| format!("--auth wants USER:PASS: {e}"))
}

/// Which targets the proxy may reach; see the module docs.
fn target_policy(args: &ProxyArgs) -> TargetPolicy {
    if args.allow_private || args.bind.ip().is_loopback() {
        TargetPolicy::allow_all()
    } else {
        TargetPolicy::public_only()
    }
}

/// The connector both proxies use: the system resolver behind the target policy, TCP with
/// the connect timeout.
type Connector = PolicyConnector<TcpConnector<PolicyDns<HickoryDns>>>;

fn connector(args: &ProxyArgs) -> Connector {
    PolicyConnector::tcp(HickoryDns::default(), target_policy(args))
        .with_tcp_config(TcpConnectConfig::new().with_connect_timeout(args.connect_timeout))
}

fn tunnel_config(args: &ProxyArgs) -> ForwardConfig {
    if args.idle_timeout.is_zero() {
        ForwardConfig::new().without_idle_timeout()
    } else {
        ForwardConfig::new().with_idle_timeout(args.idle_timeout)
    }
}

/// The HTTP proxy as a request service: optional authentication, then the forward proxy.
fn http_proxy(
    args: &ProxyArgs,
    connector: Connector,
) -> impl rama::Service<
    rama::http::Request<rama::http::Body>,
    Output = rama::http::Response<rama::http::Body>,
    Error = std::convert::Infallible,
> {
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let proxy = HttpForwardProxy::new(connector, client)
        .with_connect_timeout(args.connect_timeout)
        .with_tunnel_config(tunnel_config(args));
    let auth = (!args.auth.is_empty()).then(|| {
        let layer = ProxyAuthLayer::new(args.auth.iter().cloned());
        if args.username_labels {
            layer.with_username_labels(DEFAULT_SEPARATOR)
        } else {
            layer
        }
    });
    auth.into_layer(proxy)
}

fn socks5(args: &ProxyArgs, connector: Connector) -> Socks5Acceptor<Connector> {
    let acceptor = Socks5Acceptor::new(connector).with_forward_config(tunnel_config(args));
    if args.auth.is_empty() {
        return acceptor;
    }
    let auth = Socks5Auth::users(args.auth.iter().cloned());
    let auth = if args.username_labels {
        auth.with_username_labels(DEFAULT_SEPARATOR)
    } else {
        auth
    };
    acceptor.with_auth(auth)
}

/// The TLS server config of an HTTPS proxy, if asked for.
fn tls_config(args: &ProxyArgs) -> Result<Option<ServerConfig>, OpaqueError> {
    let cert = match (&args.tls_cert, &args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => {
            CertifiedKey::from_pem_files(cert, key).context("load --tls-cert and --tls-key")?
        }
        (_, _, true) => self_signed(&["localhost", "127.0.0.1", "::1"])
            .context("make a self-signed certificate")?,
        _ => return Ok(None),
    };
    Ok(Some(
        ServerConfig::new(cert.into()).with_alpn(AlpnList::h2_http11()),
    ))
}

/// Run the proxy until shutdown.
pub(super) async fn run(args: ProxyArgs) -> Result<(), OpaqueError> {
    let connector = connector(&args);
    let policy = target_policy(&args);
    let tls = tls_config(&args)?;
    tracing::info!(
        bind = %args.bind,
        users = args.auth.len(),
        username_labels = args.username_labels,
        private_targets = policy.allows_everything(),
        https = tls.is_some(),
        connect_timeout = ?args.connect_timeout,
        idle_timeout = ?args.idle_timeout,
        max_conns = ?args.max_conns,
        "proxy: configured"
    );
    let http = HttpServer::auto().service(http_proxy(&args, connector.clone()));
    let http = match tls {
        Some(config) => Either::A(
            TlsAcceptorLayer::new(&config)
                .context("configure TLS")?
                .into_layer(http),
        ),
        None => Either::B(http),
    };
    let service = Socks5OrHttp::new(socks5(&args, connector), http);
    let limit = args
        .max_conns
        .map(|max| ConcurrencyLimitLayer::reject(max.get()));
    serve_tcp(
        "proxy",
        args.bind,
        &args.shutdown,
        limit.into_layer(service),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use rama::net::address::IpClass;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ProxyArgs,
    }

    fn parse(argv: &[&str]) -> Result<ProxyArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("proxy").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn policy_follows_bind_and_flag() {
        // (flags, loopback targets allowed)
        let cases: &[(&[&str], bool)] = &[
            (&[], true),
            (&["--bind", "[::1]:0"], true),
            (&["--bind", "0.0.0.0:0"], false),
            (&["--bind", "192.0.2.1:0"], false),
            (&["--bind", "0.0.0.0:0", "--allow-private"], true),
        ];
        for (argv, loopback_ok) in cases {
            let args = parse(argv).unwrap();
            assert_eq!(
                target_policy(&args).allows(IpClass::Loopback),
                *loopback_ok,
                "{argv:?}"
            );
        }
    }

    #[test]
    fn flags_are_checked() {
        let ok = parse(&["--auth", "a:b", "--auth", "c:d:e", "--username-labels"]).unwrap();
        assert_eq!(ok.auth.len(), 2);
        assert_eq!(ok.auth[1].password(), "d:e");
        assert!(tls_config(&ok).unwrap().is_none());
        for bad in [
            &["--auth", "nocolon"][..],
            &["--username-labels"],
            &["--tls-cert", "c.pem"],
            &[
                "--tls-cert",
                "c.pem",
                "--tls-key",
                "k.pem",
                "--tls-self-signed",
            ],
            &["--connect-timeout", "-1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let tls = parse(&["--tls-self-signed"]).unwrap();
        assert!(tls_config(&tls).unwrap().is_some());
        let missing = parse(&[
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ])
        .unwrap();
        let err = tls_config(&missing).unwrap_err();
        assert!(format!("{err:#}").contains("--tls-cert"), "{err:#}");
    }
}
