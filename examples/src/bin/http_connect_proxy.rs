//! An HTTP forward proxy: absolute-form `http://` requests are forwarded through rama's HTTP
//! client, `CONNECT host:port` opens a tunnel (the upstream is connected before the `200`),
//! over HTTP/1.1 and h2. Targets in private ranges are refused (`403`); loopback is allowed
//! so that the demo can reach servers on this machine.
//!
//! Shows: `HttpForwardProxy` behind `HttpServer::auto`, a `PolicyConnector` shared by the
//! tunnel connector and the HTTP client (literal IPs and resolved addresses are checked),
//! the connect timeout, a limit of open connections that keeps counting a connection while
//! its CONNECT tunnel lasts (`ConnectionLimitLayer`), and graceful shutdown.
//!
//! ```text
//! cargo run -p rama-examples --bin http_connect_proxy [BIND]   # BIND defaults to 127.0.0.1:62071
//! cargo run -p rama-examples --bin http_echo &                 # an origin on 127.0.0.1:62022
//! curl -x http://127.0.0.1:62071 http://127.0.0.1:62022/       # absolute-form
//! curl -p -x http://127.0.0.1:62071 http://127.0.0.1:62022/    # CONNECT tunnel
//! curl -x http://127.0.0.1:62071 http://10.0.0.1/              # 403: a private address
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{client::EasyHttpWebClient, server::HttpServer},
    layer::{ConnectionLimitLayer, TraceErrLayer},
    net::{address::IpClass, dns::HickoryDns},
    proxy::{
        http::server::HttpForwardProxy,
        policy::{PolicyConnector, TargetPolicy},
    },
    tcp::{client::TcpConnectConfig, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62071";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62071")?;

    // public targets, plus this machine for the demo; private, link-local, CGNAT, ... refused
    let policy = TargetPolicy::public_only().allow(IpClass::Loopback);
    let connector = PolicyConnector::tcp(HickoryDns::default(), policy)
        .with_tcp_config(TcpConnectConfig::new().with_connect_timeout(Duration::from_secs(5)));
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let proxy =
        HttpForwardProxy::new(connector, client).with_connect_timeout(Duration::from_secs(5));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    // at most 1024 client connections: the permit rides in the connection's extensions, so a
    // tunnel handed to a task of its own still counts until it ends
    let service = (TraceErrLayer::new(), ConnectionLimitLayer::new(1024))
        .into_layer(HttpServer::auto().service(proxy));
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
