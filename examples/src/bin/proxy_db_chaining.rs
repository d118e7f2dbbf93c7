//! A forward proxy that forwards through upstream proxies picked per request from a proxy
//! database, by the labels in the proxy username: `john-country-us` goes out through a US
//! upstream, `john-country-de-session-7` through a German one, the same one for the whole
//! session.
//!
//! Shows: `ProxyAuthLayer` in label mode (authenticates `john`, keeps the labels),
//! `ProxyDBLayer` (labels → `ProxyFilter` → a `Proxy` from `MemoryProxyDB`, whose
//! `ProxyAddress` rides in the request's extensions; `407` for unknown labels, `503` when
//! no upstream matches) and `HttpForwardProxy` whose connector and HTTP client are a
//! `ProxyConnector`, so both CONNECT tunnels and absolute-form requests go through the
//! picked upstream (proxy chaining).
//!
//! ```text
//! cargo run -p rama-examples --bin proxy_db_chaining [BIND] [DB]
//! #   BIND defaults to 127.0.0.1:62078
//! #   DB   a JSON or CSV proxy database; by default two upstreams on this machine:
//! #        "us" = http://127.0.0.1:62071 (the http_connect_proxy example)
//! #        "de" = socks5://127.0.0.1:62073 (the socks5_proxy example)
//! # users: john / secret
//! curl -x http://john-country-us:secret@127.0.0.1:62078 http://127.0.0.1:62022/
//! curl -x http://john-country-fr:secret@127.0.0.1:62078 http://127.0.0.1:62022/   # 503
//! curl -x http://john-planet-mars:secret@127.0.0.1:62078 http://127.0.0.1:62022/  # 407
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{client::EasyHttpWebClient, server::HttpServer},
    layer::TraceErrLayer,
    net::user::Basic,
    proxy::{
        client::ProxyConnector,
        http::server::{HttpForwardProxy, ProxyAuthLayer},
        proxydb::{MemoryProxyDB, ProxyDBLayer, Selection},
    },
    tcp::{client::TcpConnector, server::TcpListener},
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62078";

/// The database used when no file is given.
const DEFAULT_DB: &str = r#"[
    {"id": "us-1", "address": "http://127.0.0.1:62071", "country": "us", "datacenter": true},
    {"id": "de-1", "address": "socks5://127.0.0.1:62073", "country": "de", "residential": true}
]"#;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62078")?;
    let db = match args.next() {
        Some(path) => MemoryProxyDB::from_path(&path)?,
        None => MemoryProxyDB::from_json(DEFAULT_DB)?,
    }
    .with_selection(Selection::RoundRobin);
    tracing::info!(upstreams = db.proxies().len(), "proxy database loaded");

    // every connection, tunnel or plain HTTP, goes through the upstream the DB picked
    let connector = ProxyConnector::new(TcpConnector::new());
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let proxy =
        HttpForwardProxy::new(connector, client).with_connect_timeout(Duration::from_secs(5));
    let stack = (
        ProxyAuthLayer::new([Basic::new("john", "secret")?]).with_username_labels('-'),
        ProxyDBLayer::new(db),
    )
        .into_layer(proxy);

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    let service = TraceErrLayer::new().into_layer(HttpServer::auto().service(stack));
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
