//! One port for an HTTP forward proxy and a SOCKS5 proxy: the first byte of each connection
//! decides (`0x05` is SOCKS5; anything else is HTTP), and is replayed to the service chosen.
//! Targets in private ranges are refused by both; loopback is allowed for the demo.
//!
//! Shows: `Socks5OrHttp` (rama_proxy::peek) routing to `Socks5Acceptor` and to
//! `HttpForwardProxy` behind `HttpServer::auto`, both sharing one `PolicyConnector`.
//!
//! ```text
//! cargo run -p rama-examples --bin socks5_and_http_proxy [BIND]  # BIND defaults to 127.0.0.1:62074
//! cargo run -p rama-examples --bin http_echo &                    # an origin on 127.0.0.1:62022
//! curl --socks5-hostname 127.0.0.1:62074 http://localhost:62022/  # SOCKS5h
//! curl -x http://127.0.0.1:62074 http://127.0.0.1:62022/          # HTTP absolute-form
//! curl -p -x http://127.0.0.1:62074 http://127.0.0.1:62022/       # HTTP CONNECT
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{client::EasyHttpWebClient, server::HttpServer},
    layer::TraceErrLayer,
    net::{address::IpClass, dns::HickoryDns},
    proxy::{
        http::server::HttpForwardProxy,
        peek::Socks5OrHttp,
        policy::{PolicyConnector, TargetPolicy},
        socks5::server::Socks5Acceptor,
    },
    tcp::{client::TcpConnectConfig, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62074";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62074")?;

    let policy = TargetPolicy::public_only().allow(IpClass::Loopback);
    let connector = PolicyConnector::tcp(HickoryDns::default(), policy.clone())
        .with_tcp_config(TcpConnectConfig::new().with_connect_timeout(Duration::from_secs(5)));
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let http = HttpServer::auto().service(
        HttpForwardProxy::new(connector.clone(), client)
            .with_connect_timeout(Duration::from_secs(5)),
    );
    let socks5 = Socks5Acceptor::new(connector).with_udp_policy(policy);
    let service = TraceErrLayer::new().into_layer(Socks5OrHttp::new(socks5, http));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
