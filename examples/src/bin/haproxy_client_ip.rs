//! An HTTP server behind a load balancer that speaks the HAProxy PROXY protocol: each
//! connection starts with a v1 or v2 header naming the real client, and the server answers
//! every request with that client's IP address.
//!
//! Shows: `HaProxyLayer` as a transport layer under the HTTP server (required mode: a
//! connection without a valid header is closed), the header's client address replacing the
//! peer address in `SocketInfo`, and `ProxyProtocolInfo` for the rest of the header.
//!
//! ```text
//! cargo run -p rama-examples --bin haproxy_client_ip [BIND]
//! #   BIND defaults to 127.0.0.1:62075
//! curl --haproxy-protocol http://127.0.0.1:62075/    # prints 127.0.0.1 (what curl sent)
//! curl http://127.0.0.1:62075/                       # refused: no PROXY header
//! # or put haproxy in front: `server s1 127.0.0.1:62075 send-proxy-v2`
//! ```
//!
//! Only expose such a port to the proxies you trust: the header is believed as sent.

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{Body, Request, Response, connection::ConnectionExtensions, server::HttpServer},
    net::stream::SocketInfo,
    proxy::haproxy::{HaProxyLayer, ProxyProtocolInfo},
    service_fn,
    tcp::server::TcpListener,
};
use std::{convert::Infallible, net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62075";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62075")?;

    let client_ip = service_fn(async |req: Request<Body>| {
        // the PROXY header's source address, put there by HaProxyLayer
        let client = req
            .connection_get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        if let Some(info) = req.connection_get::<ProxyProtocolInfo>() {
            tracing::info!(
                client = ?client,
                proxy = ?info.proxy().map(SocketInfo::peer_addr),
                version = ?info.header().version,
                "request through the PROXY protocol"
            );
        }
        let body = client.map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string());
        Ok::<_, Infallible>(Response::new(Body::from(format!("{body}\n"))))
    });
    let service = HaProxyLayer::required().into_layer(HttpServer::auto().service(client_ip));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
