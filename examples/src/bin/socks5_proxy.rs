//! A SOCKS5 proxy (RFC 1928): CONNECT, BIND and UDP ASSOCIATE, with names resolved by the
//! proxy (SOCKS5h) or by the client (SOCKS5). No authentication by default; give a user
//! and password (arguments or `SOCKS5_USER` / `SOCKS5_PASSWORD`) to require a login
//! (RFC 1929). Targets in private ranges are refused (reply 2, "not allowed by ruleset");
//! loopback is allowed so that the demo can reach servers on this machine.
//!
//! Shows: `Socks5Acceptor` behind a `TcpListener`, `Socks5Auth`, a `PolicyConnector` as
//! its connector (literal IPs and resolved addresses are checked), graceful shutdown.
//!
//! ```text
//! cargo run -p rama-examples --bin socks5_proxy [BIND [USER PASSWORD]]  # BIND defaults to 127.0.0.1:62073
//! cargo run -p rama-examples --bin http_echo &                           # an origin on 127.0.0.1:62022
//! curl --socks5 127.0.0.1:62073 http://127.0.0.1:62022/                  # the client resolves
//! curl --socks5-hostname 127.0.0.1:62073 http://localhost:62022/         # the proxy resolves
//! SOCKS5_USER=john SOCKS5_PASSWORD=secret cargo run -p rama-examples --bin socks5_proxy &
//! curl -x socks5h://john:secret@127.0.0.1:62073 http://localhost:62022/
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    layer::TraceErrLayer,
    net::{address::IpClass, dns::HickoryDns, user::Basic},
    proxy::{
        policy::{PolicyConnector, TargetPolicy},
        socks5::server::{Socks5Acceptor, Socks5Auth},
    },
    tcp::{client::TcpConnectConfig, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62073";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62073")?;
    let user = args.next().or_else(|| std::env::var("SOCKS5_USER").ok());
    let password = args
        .next()
        .or_else(|| std::env::var("SOCKS5_PASSWORD").ok());
    let auth = match (user, password) {
        (Some(user), Some(password)) => {
            Socks5Auth::users([Basic::new(user, password).context("the user and password")?])
        }
        (Some(_), None) => return Err("a user needs a password too".into()),
        _ => Socks5Auth::none(),
    };
    tracing::info!(login = auth.requires_password(), "SOCKS5 proxy configured");

    // public targets, plus this machine for the demo; private, link-local, CGNAT, ... refused
    let policy = TargetPolicy::public_only().allow(IpClass::Loopback);
    let connector = PolicyConnector::tcp(HickoryDns::default(), policy.clone())
        .with_tcp_config(TcpConnectConfig::new().with_connect_timeout(Duration::from_secs(5)));
    let socks5 = Socks5Acceptor::new(connector)
        .with_auth(auth)
        .with_udp_policy(policy);

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    let service = TraceErrLayer::new().into_layer(socks5);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
