//! `rama serve reverse --upstream URL...`: a reverse proxy in front of one or more upstream
//! servers (`rama::proxy::reverse::ReverseProxy` behind the HTTP/1.1 + h2 server).
//!
//! Requests are balanced over the upstreams (`--balance`), failed connections are retried
//! on the next upstream for idempotent requests, an upstream that fails `--max-fails` times
//! in a row is left out for `--fail-timeout` seconds, and `--health-path` probes each
//! upstream periodically. The upstream sees its own authority as `Host` (like nginx's
//! `proxy_pass`) unless `--preserve-host` is given, and a `Forwarded` header (`--forwarded`).
//! Upstream connections are kept alive and reused: HTTP/1.1 by default, h2 multiplexed over one
//! connection per worker thread with `--upstream-version 2`.
//!
//! The upstreams are the operator's choice, so loopback and private addresses are allowed.

use super::run::serve_tcp;
use crate::cmd::args::{ServeArgs, parse_secs};
use clap::Args;
use rama::{
    error::{ErrorContext, OpaqueError},
    graceful::Executor,
    http::client::{
        ClientVersion, EasyHttpWebClient, h2::H2ClientConfig, http1::Http1ClientConfig,
        pool::PoolConfig,
    },
    http::server::HttpServer,
    proxy::reverse::{
        ActiveHealthCheck, Balance, ForwardedHeaders, HostHeader, PassiveHealth, RetryPolicy,
        ReverseProxy, Upstream,
    },
    tcp::client::{TcpConnectConfig, TcpConnector},
    tls::config::{ClientConfig, ServerVerification},
};
use std::{net::SocketAddr, time::Duration};

/// Flags of `rama serve reverse`.
#[derive(Debug, Args)]
pub(crate) struct ReverseArgs {
    /// The IP:PORT to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:62003")]
    bind: SocketAddr,

    /// An upstream server, `http://HOST:PORT` or `https://HOST:PORT`, optionally with a path
    /// prefix; repeat for several.
    #[arg(long = "upstream", value_name = "URL", required = true)]
    upstreams: Vec<Upstream>,

    /// How to spread requests: round-robin, least-conn, hash:header:NAME, hash:client-ip or
    /// hash:path (consistent hashing: the same key goes to the same upstream).
    #[arg(long, value_name = "STRATEGY", default_value = "round-robin")]
    balance: Balance,

    /// Probe each upstream with `GET PATH` every --health-interval seconds; an upstream that
    /// fails 3 probes in a row gets no requests until 2 succeed.
    #[arg(long, value_name = "PATH")]
    health_path: Option<String>,

    /// Seconds between health probes.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    health_interval: Duration,

    /// Send the client's Host to the upstream instead of the upstream's own authority.
    #[arg(long)]
    preserve_host: bool,

    /// Which forwarding headers to add: forwarded (RFC 7239), x-forwarded
    /// (X-Forwarded-For/-Proto/-Host), both or none.
    #[arg(long, value_name = "KIND", default_value = "forwarded", value_parser = parse_forwarded)]
    forwarded: ForwardedHeaders,

    /// Give up connecting to an upstream after this many seconds (the request then goes to
    /// the next upstream if it is idempotent, else gets 504).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    connect_timeout: Duration,

    /// Answer 504 when an upstream's response head has not arrived this many seconds after
    /// the request was sent (connecting is bounded by --connect-timeout); 0 waits forever.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    timeout: Duration,

    /// How many other upstreams an idempotent request may try after a connection failure.
    #[arg(long, value_name = "N", default_value = "2")]
    retries: u32,

    /// Leave an upstream out after N failures in a row (0: never).
    #[arg(long, value_name = "N", default_value = "3")]
    max_fails: u32,

    /// How many seconds an upstream that failed --max-fails times is left out.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    fail_timeout: Duration,

    /// Idle keep-alive connections kept per upstream and worker thread.
    #[arg(long, value_name = "N", default_value = "256")]
    keepalive: usize,

    /// Which HTTP version to speak to the upstreams: `auto` (HTTP/1.1 to http://, what the
    /// server picks by ALPN for https://), `1.1`, or `2` (h2: with prior knowledge to
    /// http://, offered alone by ALPN to https://); `http1`, `http/1.1`, `h2` and `h2c` are
    /// read as the same. With h2 each worker thread multiplexes its requests to an upstream
    /// over one connection.
    #[arg(long, value_name = "VERSION", default_value = "auto", value_parser = parse_upstream_version)]
    upstream_version: ClientVersion,

    /// Do not verify the certificates of https:// upstreams (for tests only).
    #[arg(short = 'k', long)]
    insecure: bool,

    #[command(flatten)]
    serve: ServeArgs,
}

fn parse_forwarded(s: &str) -> Result<ForwardedHeaders, String> {
    match s.to_ascii_lowercase().as_str() {
        "forwarded" => Ok(ForwardedHeaders::Forwarded),
        "x-forwarded" => Ok(ForwardedHeaders::XForwarded),
        "both" => Ok(ForwardedHeaders::Both),
        "none" => Ok(ForwardedHeaders::None),
        _ => Err(format!(
            "`{s}` is not one of forwarded, x-forwarded, both, none"
        )),
    }
}

fn parse_upstream_version(s: &str) -> Result<ClientVersion, String> {
    match s.to_ascii_lowercase().as_str() {
        "auto" => Ok(ClientVersion::Auto),
        "1.1" | "http1" | "http/1.1" => Ok(ClientVersion::Http1),
        "2" | "h2" | "h2c" => Ok(ClientVersion::H2PriorKnowledge),
        _ => Err(format!("`{s}` is not one of auto, 1.1, 2")),
    }
}

/// What the upstream clients are made with.
#[derive(Debug, Clone, Copy)]
struct ClientSettings {
    connect_timeout: Duration,
    /// `--timeout`: `None` waits forever
    head_timeout: Option<Duration>,
    keepalive: usize,
    version: ClientVersion,
    insecure: bool,
}

/// The upstream client: its own pool of keep-alive connections.
///
/// The client bounds the wait for a response head (`--timeout`), not the proxy: an HTTP/1
/// connection keeps one timer for its life and moves it only when it fires, where the
/// proxy's own bound would register and remove a timer for every request (about 400
/// instructions of some 23k per proxied request). A timeout is the same `504` either way.
fn upstream_client(settings: ClientSettings) -> Result<EasyHttpWebClient, OpaqueError> {
    let ClientSettings {
        connect_timeout,
        head_timeout,
        keepalive,
        version,
        insecure,
    } = settings;
    let connector = TcpConnector::new()
        .with_config(TcpConnectConfig::new().with_connect_timeout(connect_timeout));
    let client = EasyHttpWebClient::with_connector(connector)
        .with_http1_config(Http1ClientConfig::new().with_response_head_timeout(head_timeout))
        .with_h2_config(H2ClientConfig::new().with_response_head_timeout(head_timeout))
        .with_pool_config(PoolConfig::new().with_max_idle_per_host(keepalive))
        .with_version(version);
    if insecure {
        return client
            .with_tls_config(ClientConfig::new().with_verification(ServerVerification::Insecure))
            .context("configure TLS to the upstreams");
    }
    Ok(client)
}

/// Run the reverse proxy until shutdown.
pub(super) async fn run(args: ReverseArgs) -> Result<(), OpaqueError> {
    let settings = ClientSettings {
        connect_timeout: args.connect_timeout,
        head_timeout: (!args.timeout.is_zero()).then_some(args.timeout),
        keepalive: args.keepalive,
        version: args.upstream_version,
        insecure: args.insecure,
    };
    // checked once here: the per-thread clients below are made the same way
    let client = upstream_client(settings)?;
    let per_thread = move || {
        upstream_client(settings).unwrap_or_else(|err| {
            // not reached: the same settings were accepted above; verify rather than not
            tracing::error!("{err:#}; this thread verifies upstream certificates");
            upstream_client(ClientSettings {
                insecure: false,
                ..settings
            })
            .unwrap_or_else(|_| EasyHttpWebClient::with_connector(TcpConnector::new()))
        })
    };
    tracing::info!(
        upstreams = ?args.upstreams.iter().map(ToString::to_string).collect::<Vec<_>>(),
        balance = %args.balance,
        "reverse: configured"
    );
    // one client (and pool) per worker thread: exchanges stay on the serving thread
    let proxy = ReverseProxy::new(client, args.upstreams)?
        .with_client_per_thread(per_thread)
        .with_balance(args.balance)
        .with_host_header(if args.preserve_host {
            HostHeader::Preserve
        } else {
            HostHeader::Rewrite
        })
        .with_forwarded_headers(args.forwarded)
        // bounded by the clients (see `upstream_client`)
        .with_response_head_timeout(None)
        .with_retry(RetryPolicy::new().with_max_attempts(args.retries.saturating_add(1)))
        .with_passive_health(
            PassiveHealth::new()
                .with_max_failures(args.max_fails)
                .with_cool_down(args.fail_timeout),
        );
    if let Some(path) = &args.health_path {
        let check = ActiveHealthCheck::new(path)
            .map_err(OpaqueError::from_std)
            .with_context(|| format!("--health-path {path:?}"))?
            .with_interval(args.health_interval);
        // not tied to the shutdown: they only read, and end with the process
        proxy.spawn_health_checks(&check, &Executor::new());
    }
    let service = HttpServer::auto().service(proxy);
    serve_tcp("reverse", args.bind, &args.serve, service).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_table() {
        let cases = [
            ("forwarded", Some(ForwardedHeaders::Forwarded)),
            ("X-Forwarded", Some(ForwardedHeaders::XForwarded)),
            ("both", Some(ForwardedHeaders::Both)),
            ("none", Some(ForwardedHeaders::None)),
            ("xff", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_forwarded(input).ok(), want, "{input:?}");
        }
    }

    #[test]
    fn upstream_version_table() {
        let cases = [
            ("auto", Some(ClientVersion::Auto)),
            ("1.1", Some(ClientVersion::Http1)),
            ("HTTP/1.1", Some(ClientVersion::Http1)),
            ("2", Some(ClientVersion::H2PriorKnowledge)),
            ("h2c", Some(ClientVersion::H2PriorKnowledge)),
            ("1.0", None),
            ("3", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_upstream_version(input).ok(), want, "{input:?}");
        }
    }
}
