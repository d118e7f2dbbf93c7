//! An axum `Router` served by rama: tower services run inside rama's `HttpServer` through
//! `rama::http::tower::TowerService`, and rama layers wrap them like any rama service.
//!
//! Shows: the axum router (path parameter, JSON, a 404 fallback) wrapped in `TowerService`
//! (clone per request, readiness awaited, then called: the tower convention), under two rama
//! layers: `SetRequestHeaderLayer` adds `x-forwarded-by: rama` before axum sees the request
//! (the `/via` route echoes it), `SetResponseHeaderLayer` adds `server: rama+axum` to every
//! answer. HTTP/1.x and h2 with prior knowledge on one port (`HttpServer::auto`), graceful
//! shutdown on Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo run -p rama-examples --bin http_tower_interop [BIND]   # BIND defaults to 127.0.0.1:62031
//! curl -i http://127.0.0.1:62031/users/7                        # user 7, server: rama+axum
//! curl http://127.0.0.1:62031/json                              # {"framework":"axum","server":"rama"}
//! curl --http2-prior-knowledge http://127.0.0.1:62031/via       # rama
//! ```

use axum::{
    Json, Router,
    extract::Path,
    http::{HeaderMap, StatusCode},
    routing::get,
};
use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{
        HeaderName, HeaderValue,
        layer::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer},
        server::HttpServer,
        tower::TowerService,
    },
    tcp::server::TcpListener,
};
use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62031";

/// The axum application: knows nothing about rama.
fn app() -> Router {
    Router::new()
        .route("/", get(async || "hello from axum"))
        .route(
            "/users/{id}",
            get(async |Path(id): Path<u32>| format!("user {id}")),
        )
        .route(
            "/json",
            get(async || Json(BTreeMap::from([("framework", "axum"), ("server", "rama")]))),
        )
        .route(
            "/via",
            get(async |headers: HeaderMap| {
                headers
                    .get("x-forwarded-by")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("nobody")
                    .to_owned()
            }),
        )
        .fallback(async || (StatusCode::NOT_FOUND, "no such page"))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62031")?;

    // rama layers around the tower service: the first is the outermost
    let service = (
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static("server"),
            HeaderValue::from_static("rama+axum"),
        ),
        SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-forwarded-by"),
            HeaderValue::from_static("rama"),
        ),
    )
        .into_layer(TowerService::new(app()));
    let server = HttpServer::auto().service(service);

    let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, server).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
