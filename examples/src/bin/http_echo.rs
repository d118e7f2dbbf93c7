//! An HTTP echo server that answers each request with its own head, as it came off the
//! wire, followed by its body: header names in their original spelling and order.
//!
//! Shows: reading a request's wire record (`OriginalHeaderNames`, put there by the HTTP/1
//! parser) with `ordered_headers`; the h2 early-frame record (`EarlyFrames`: the client's
//! SETTINGS and pseudo-header order); the peer address (`SocketInfo`); reading a body with a
//! size limit. `rama serve echo` is the full-featured JSON version of this.
//!
//! ```text
//! cargo run -p rama-examples --bin http_echo [BIND]       # BIND defaults to 127.0.0.1:62022
//! curl -H 'X-MiXeD-cAsE: 1' -d hi http://127.0.0.1:62022/
//! curl --http2-prior-knowledge http://127.0.0.1:62022/
//! ```
//!
//! For `curl -d hi` the answer is:
//!
//! ```text
//! POST / HTTP/1.1
//! Host: 127.0.0.1:62022
//! User-Agent: curl/7.88.1
//! Accept: */*
//! X-MiXeD-cAsE: 1
//! Content-Length: 2
//! Content-Type: application/x-www-form-urlencoded
//!
//! hi
//! ```

use rama::http::connection::ConnectionExtensions;
use rama::{
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{
        Body, Request, Response, StatusCode, Version,
        h2::EarlyFrames,
        server::HttpServer,
        wire::{OriginalHeaderNames, ordered_headers},
    },
    net::stream::SocketInfo,
    service_fn,
    tcp::server::TcpListener,
};
use std::{fmt::Write as _, net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62022";
/// Bodies larger than this get `413 Payload Too Large`.
const BODY_LIMIT: usize = 1024 * 1024;

async fn echo(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect_bytes(BODY_LIMIT).await else {
        let mut res = Response::new(Body::from("body too large or broken\n"));
        *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(res);
    };

    let mut text = format!("{} {} {:?}\n", parts.method, parts.uri, parts.version);
    // HTTP/1: the record holds the names as sent; h2 names are lowercase on the wire
    let record = parts.extensions.get::<OriginalHeaderNames>();
    for (name, value) in ordered_headers(&parts.headers, record) {
        let name = if parts.version == Version::HTTP_2 {
            name.to_string().to_ascii_lowercase()
        } else {
            name.to_string()
        };
        let _ = writeln!(
            text,
            "{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    if let Some(early) = parts.connection_get::<EarlyFrames>() {
        let settings: Vec<String> = early
            .settings()
            .iter()
            .map(|s| format!("{}={}", s.id, s.value))
            .collect();
        let pseudo: Vec<&str> = early
            .pseudo_header_order()
            .iter()
            .map(|p| p.as_str())
            .collect();
        let _ = writeln!(text, "# h2 settings: {}", settings.join(","));
        let _ = writeln!(text, "# h2 pseudo-header order: {}", pseudo.join(","));
    }
    if let Some(info) = parts.connection_get::<SocketInfo>() {
        let _ = writeln!(text, "# peer: {}", info.peer_addr());
    }
    text.push('\n');
    let mut out = text.into_bytes();
    out.extend_from_slice(&body);
    Ok(Response::new(Body::from(out)))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62022")?;

    let server = HttpServer::auto().service(service_fn(echo));
    let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, server).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
