//! `rama serve proxy`: an HTTP(S) and SOCKS5 forward proxy on one port.
//!
//! Each accepted connection is routed by its first byte: `0x05` is SOCKS5 (CONNECT, BIND,
//! UDP ASSOCIATE; SOCKS5h names are resolved here), anything else is the HTTP proxy
//! (absolute-form `http://` requests and CONNECT tunnels, HTTP/1.1 and h2), behind TLS when
//! `--tls-cert/--tls-key` or `--tls-self-signed` make it an HTTPS proxy.
//!
//! ```text
//! TcpListener ─▶ [--max-conns] ─▶ first byte ─ 0x05 ─▶ SOCKS5 (--auth: username/password)
//!                                     │                  ─▶ [--proxy-db: pick upstream]
//!                                     └─ else ─▶ [TLS] ─▶ HTTP server ─▶ [--auth: 407]
//!                                          ─▶ [--proxy-db: pick upstream | --upstream]
//!                                          ─▶ [--mitm: CONNECT intercepted] ─▶ forward proxy
//! every outgoing connection goes through one connector (`outbound`): the target policy
//! (--allow-private) on literal IPs and resolved addresses, then TCP, directly or through
//! the upstream proxy that --upstream or the --proxy-db pick named
//! ```
//!
//! Upstream proxies: `--upstream URL` sends every connection (CONNECT tunnels, SOCKS5
//! CONNECT, absolute-form requests, MITM requests) through one HTTP, HTTPS or SOCKS5 proxy;
//! `--proxy-db FILE` picks one per request/connection from a database by the labels of the
//! proxy username (`john-country-us`), so it needs `--auth` and `--username-labels`. With
//! either, SOCKS5 BIND and UDP ASSOCIATE are disabled (they cannot go through an upstream).
//! A `--proxy-db` without a match answers `503` (HTTP; labels that are no filter: `407`)
//! and fails the SOCKS5 request with reply 1 (general failure).
//!
//! MITM: `--mitm` intercepts CONNECT tunnels (TLS terminated with a leaf minted for the SNI
//! by the CA of `--ca-cert/--ca-key`, generated when absent) and logs each decrypted
//! request; `-k` stops verifying the certificates of targets and `https://` upstreams.
//!
//! Graceful shutdown waits (up to `--graceful-timeout`) for open CONNECT and MITM tunnels.
//!
//! Target policy: when the proxy is bound to a loopback address only this machine can use
//! it, so loopback and private targets are allowed; bound to any other address it refuses
//! targets in loopback, private, link-local, CGNAT, multicast and reserved ranges (a name
//! resolving into them included) unless `--allow-private` is given. Through an upstream
//! the policy applies to the targets, never to the upstream (the operator chose it):
//! literal IPs are checked here, names sent to an `http(s)://` or `socks5h://` upstream
//! are resolved (and policed) there.
//!
//! With `--mitm` and an upstream (`--upstream` or `--proxy-db`), a CONNECT tunnel that is
//! not HTTP over TLS is relayed byte for byte through the upstream picked for the CONNECT,
//! as the forward proxy's own tunnels are (test: `serve_proxy_chain`,
//! `mitm_byte_relays_follow_the_proxy_db_pick`).
//!
//! The stack is built by small functions (`target_policy`, `upstream`, `http_proxy`,
//! `socks5`, `tls_config`, `run`); the connector lives in `outbound`, the MITM's CA and
//! request log in `mitm`.

mod mitm;
mod outbound;

use super::run::serve_tcp_with;
use crate::cmd::args::{ServeArgs, parse_secs};
use clap::Args;
use outbound::Outbound;
use rama::{
    BoxService, Either, Layer, Service,
    error::{BoxError, ErrorContext, OpaqueError},
    graceful::Executor,
    http::{Body, Request, Response, client::EasyHttpWebClient, server::HttpServer},
    layer::{ConnectionLimitLayer, MapErrLayer},
    net::{address::ProxyAddress, stream::ForwardConfig, user::Basic},
    proxy::{
        client::{ProxySelectLayer, ProxySelector},
        http::server::{HttpForwardProxy, ProxyAuthLayer},
        mitm::{InspectLayer, MitmConfig, MitmProxy},
        peek::Socks5OrHttp,
        policy::TargetPolicy,
        proxydb::{MemoryProxyDB, ProxyDBLayer},
        socks5::server::{Socks5Acceptor, Socks5Auth},
        username::DEFAULT_SEPARATOR,
    },
    tcp::client::TcpRequest,
    tls::{
        cert::{DynamicIssuer, self_signed},
        config::{CertifiedKey, ClientConfig, ServerConfig, ServerVerification},
        rustls::TlsAcceptorLayer,
        types::AlpnList,
    },
};
use std::{
    convert::Infallible, net::SocketAddr, num::NonZeroUsize, path::PathBuf, sync::Arc,
    time::Duration,
};

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
    /// accepted. Unlimited when absent. A connection counts until it ends, tunnels
    /// included (HTTP CONNECT, SOCKS5 and MITM relays).
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

    /// Send every outgoing connection through this upstream proxy:
    /// `[http|https|socks5|socks5h]://[USER:PASS@]HOST[:PORT]` (CONNECT tunnels, SOCKS5
    /// CONNECT and absolute-form requests alike). The target policy still applies to the
    /// targets, never to this address.
    #[arg(long, value_name = "URL", value_parser = parse_upstream, conflicts_with = "proxy_db")]
    upstream: Option<ProxyAddress>,

    /// Pick the upstream proxy per request (HTTP) or connection (SOCKS5) from this
    /// database (JSON, or CSV when the name ends in .csv) by the labels of the proxy
    /// username (`john-country-us`); needs --auth and --username-labels.
    #[arg(long, value_name = "FILE")]
    proxy_db: Option<PathBuf>,

    /// Intercept CONNECT tunnels (MITM): TLS is terminated with a certificate minted for
    /// each site by the CA of --ca-cert/--ca-key, each decrypted request is logged and
    /// forwarded over a new TLS connection. Clients must trust the CA.
    #[arg(long, requires_all = ["ca_cert", "ca_key"])]
    mitm: bool,

    /// With --mitm: the CA certificate (PEM), generated with --ca-key when both are absent.
    #[arg(long, value_name = "FILE", requires = "mitm")]
    ca_cert: Option<PathBuf>,

    /// With --mitm: the CA private key (PEM), generated (mode 0600) when absent.
    #[arg(long, value_name = "FILE", requires = "mitm")]
    ca_key: Option<PathBuf>,

    /// Do not verify the certificates of the TLS peers the proxy connects to: the targets
    /// of --mitm's decrypted requests and https:// upstream proxies. For tests only.
    #[arg(short = 'k', long)]
    insecure: bool,

    #[command(flatten)]
    serve: ServeArgs,
}

/// Parse `USER:PASS` into Basic credentials.
fn parse_user(s: &str) -> Result<Basic, String> {
    Basic::from_user_pass(s).map_err(|e| format!("--auth wants USER:PASS: {e}"))
}

/// Parse the `--upstream` URL.
fn parse_upstream(s: &str) -> Result<ProxyAddress, String> {
    s.parse()
        .map_err(|e| format!("--upstream wants [SCHEME://][USER:PASS@]HOST[:PORT]: {e}"))
}

/// Where outgoing connections go.
#[derive(Debug, Clone)]
enum Upstream {
    /// Directly to the target.
    Direct,
    /// Through one proxy (`--upstream`).
    Fixed(ProxyAddress),
    /// Through a proxy picked from the database by the username labels (`--proxy-db`).
    Db(MemoryProxyDB),
}

/// The upstream choice of the flags; loads `--proxy-db`.
fn upstream(args: &ProxyArgs) -> Result<Upstream, OpaqueError> {
    if let Some(file) = &args.proxy_db {
        if args.auth.is_empty() || !args.username_labels {
            return Err(OpaqueError::from_display(
                "--proxy-db picks upstreams by the labels of the proxy username: give --auth \
                 USER:PASS and --username-labels too",
            ));
        }
        let db = MemoryProxyDB::from_path(file).context("load --proxy-db")?;
        return Ok(Upstream::Db(db));
    }
    Ok(args
        .upstream
        .clone()
        .map_or(Upstream::Direct, Upstream::Fixed))
}

/// Which targets the proxy may reach; see the module docs.
fn target_policy(args: &ProxyArgs) -> TargetPolicy {
    if args.allow_private || args.bind.ip().is_loopback() {
        TargetPolicy::allow_all()
    } else {
        TargetPolicy::public_only()
    }
}

fn tunnel_config(args: &ProxyArgs) -> ForwardConfig {
    if args.idle_timeout.is_zero() {
        ForwardConfig::new().without_idle_timeout()
    } else {
        ForwardConfig::new().with_idle_timeout(args.idle_timeout)
    }
}

/// The MITM's settings, loaded before the server starts.
struct MitmSetup {
    issuer: Arc<DynamicIssuer>,
}

fn mitm_setup(args: &ProxyArgs) -> Result<Option<MitmSetup>, OpaqueError> {
    match (args.mitm, &args.ca_cert, &args.ca_key) {
        (true, Some(cert), Some(key)) => Ok(Some(MitmSetup {
            issuer: mitm::load_ca(cert, key)?,
        })),
        (true, _, _) => Err(OpaqueError::from_display(
            "--mitm needs --ca-cert FILE and --ca-key FILE",
        )),
        (false, _, _) => Ok(None),
    }
}

/// How the proxy verifies the TLS peers it connects to: targets and `https://` upstreams
/// (`-k`).
fn client_tls(args: &ProxyArgs) -> ClientConfig {
    if args.insecure {
        ClientConfig::new().with_verification(ServerVerification::Insecure)
    } else {
        ClientConfig::new()
    }
}

/// The HTTP proxy stack once an option added a layer (see [`http_proxy`]).
type BoxedHttpProxy = BoxService<Request<Body>, Response<Body>, BoxError>;

/// The HTTP proxy as a request service: optional authentication, the upstream pick, the
/// optional MITM, then the forward proxy. Tunnels are spawned with `executor`.
fn http_proxy(
    args: &ProxyArgs,
    outbound: Outbound,
    upstream: &Upstream,
    mitm: Option<&MitmSetup>,
    executor: Executor,
) -> Result<
    Either<
        impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> + Clone,
        BoxedHttpProxy,
    >,
    OpaqueError,
> {
    let tls = client_tls(args);
    let client = EasyHttpWebClient::with_connector(outbound.clone())
        .with_tls_config(tls.clone())
        .context("configure the HTTP client's TLS")?;
    let forward = HttpForwardProxy::new(outbound.clone(), client.clone())
        .with_connect_timeout(args.connect_timeout)
        .with_tunnel_config(tunnel_config(args))
        .with_executor(executor.clone());
    let plain = MapErrLayer::new(never).into_layer(forward.clone());
    let (db, fixed) = match upstream {
        Upstream::Direct => (None, None),
        Upstream::Fixed(proxy) => (
            None,
            Some(ProxySelectLayer::new(
                ProxySelector::none().with_proxy(proxy.clone()),
            )),
        ),
        Upstream::Db(db) => (Some(ProxyDBLayer::new(db.clone())), None),
    };
    let auth = (!args.auth.is_empty()).then(|| {
        let layer = ProxyAuthLayer::new(args.auth.iter().cloned());
        if args.username_labels {
            layer.with_username_labels(DEFAULT_SEPARATOR)
        } else {
            layer
        }
    });
    // the plain forward proxy (no option that adds a layer) is served as it is; any other
    // stack is boxed. Each `Either` level (optional layers nest one each) moves the whole
    // per-request future once more: three levels cost about 500 instructions a request,
    // more than the one allocation of a boxed future. The one `Either` left is not a
    // request service: `run` gives each branch an HTTP server of its own (see there)
    if mitm.is_none() && auth.is_none() && db.is_none() && fixed.is_none() {
        return Ok(Either::A(plain));
    }
    let proxy = match mitm {
        Some(setup) => {
            let config = MitmConfig::new()
                .with_upstream_tls(tls)
                .with_forward_config(tunnel_config(args))
                .with_executor(executor);
            let client = InspectLayer::new(mitm::LogIntercepted).into_layer(client);
            let mitm =
                MitmProxy::with_config(forward, setup.issuer.clone(), client, outbound, config)
                    .context("configure --mitm")?;
            // boxed: its per-request future is large
            Either::A(BoxService::new(mitm))
        }
        None => Either::B(plain),
    };
    Ok(Either::B(BoxService::new(
        (auth, db, fixed).into_layer(proxy),
    )))
}

/// `Infallible` as a `BoxError`, so that the forward proxy and the MITM share an error
/// type.
fn never(never: Infallible) -> BoxError {
    match never {}
}

/// The SOCKS5 server: optional username/password, the `--proxy-db` pick per connection.
fn socks5(
    args: &ProxyArgs,
    outbound: Outbound,
    upstream: &Upstream,
    policy: &TargetPolicy,
) -> Socks5Acceptor<
    impl Service<TcpRequest, Output = <Outbound as Service<TcpRequest>>::Output, Error = BoxError>,
> {
    let db = match upstream {
        Upstream::Db(db) => Some(ProxyDBLayer::new(db.clone())),
        Upstream::Direct | Upstream::Fixed(_) => None,
    };
    let direct = matches!(upstream, Upstream::Direct);
    let mut acceptor = Socks5Acceptor::new(db.into_layer(outbound))
        .with_forward_config(tunnel_config(args))
        // BIND and UDP ASSOCIATE cannot go through an upstream proxy
        .with_bind(direct)
        .with_udp_associate(direct);
    if !policy.allows_everything() {
        acceptor = acceptor.with_udp_policy(policy.clone());
    }
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
    let policy = target_policy(&args);
    let upstream = upstream(&args)?;
    let tls = tls_config(&args)?;
    let mitm = mitm_setup(&args)?;
    let fixed = match &upstream {
        Upstream::Fixed(proxy) => Some(proxy.clone()),
        Upstream::Direct | Upstream::Db(_) => None,
    };
    let outbound =
        Outbound::new(&policy, args.connect_timeout, client_tls(&args))?.with_upstream(fixed);
    tracing::info!(
        bind = %args.bind,
        users = args.auth.len(),
        username_labels = args.username_labels,
        private_targets = policy.allows_everything(),
        https = tls.is_some(),
        upstream = ?args.upstream.as_ref().map(ToString::to_string),
        proxy_db = ?args.proxy_db,
        mitm = args.mitm,
        insecure = args.insecure,
        connect_timeout = ?args.connect_timeout,
        idle_timeout = ?args.idle_timeout,
        max_conns = ?args.max_conns,
        "proxy: configured"
    );
    let tls_acceptor = match tls {
        Some(config) => Some(TlsAcceptorLayer::new(&config).context("configure TLS")?),
        None => None,
    };
    serve_tcp_with("proxy", args.bind, &args.serve, |guard| {
        let executor = Executor::graceful(guard);
        // the choice between the plain and the boxed stack is made once per connection,
        // with an HTTP server for each: an `Either` of request services would build its
        // per-request future on the stack and copy it into place, about 280 instructions a
        // request (callgrind), for the price of a second copy of the server's code
        let http = match http_proxy(&args, outbound.clone(), &upstream, mitm.as_ref(), executor)? {
            Either::A(plain) => Either::A(HttpServer::auto().service(plain)),
            Either::B(boxed) => Either::B(HttpServer::auto().service(boxed)),
        };
        let http = match tls_acceptor {
            Some(acceptor) => Either::A(acceptor.into_layer(http)),
            None => Either::B(http),
        };
        let service = Socks5OrHttp::new(socks5(&args, outbound, &upstream, &policy), http);
        let limit = args
            .max_conns
            // the permit travels with the connection, into the tunnel an HTTP CONNECT hands
            // to a task of its own
            .map(|max| ConnectionLimitLayer::new(max.get()));
        Ok(limit.into_layer(service))
    })
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
    fn upstream_flags() {
        let args = parse(&["--upstream", "socks5h://u:p@127.0.0.1:1080"]).unwrap();
        match upstream(&args).unwrap() {
            Upstream::Fixed(proxy) => {
                assert_eq!(proxy.to_string(), "socks5h://u:***@127.0.0.1:1080")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            upstream(&parse(&[]).unwrap()).unwrap(),
            Upstream::Direct
        ));
        for needs_labels in [
            &["--proxy-db", "db.json"][..],
            &["--auth", "a:b", "--proxy-db", "db.json"],
        ] {
            let err = upstream(&parse(needs_labels).unwrap()).unwrap_err();
            assert!(err.to_string().contains("--username-labels"), "{err}");
        }
        let missing = parse(&[
            "--auth",
            "a:b",
            "--username-labels",
            "--proxy-db",
            "/nonexistent.json",
        ])
        .unwrap();
        let err = upstream(&missing).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent.json"), "{err:#}");
        assert!(parse(&["--upstream", "http://a:1", "--proxy-db", "db.json"]).is_err());
        assert!(parse(&["--mitm"]).is_err());
        assert!(parse(&["--ca-key", "k.pem"]).is_err());
        assert!(
            parse(&["--mitm", "--ca-cert", "c", "--ca-key", "k", "-k"])
                .unwrap()
                .insecure
        );
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
