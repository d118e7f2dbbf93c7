//! An HTTP hello-world server: HTTP/1.0, HTTP/1.1 and h2 with prior knowledge (h2c) on one
//! port, through `HttpServer::auto`.
//!
//! Shows: a `Service<Request<Body>>` written with `service_fn`, turned into a service over
//! TCP streams by `HttpServer::auto().service(..)`, served by a `TcpListener` with graceful
//! shutdown (Ctrl-C or SIGTERM: HTTP/1 keep-alive connections close after their response in
//! flight, h2 connections get a GOAWAY).
//!
//! ```text
//! cargo run -p rama-examples --bin http_hello [BIND]     # BIND defaults to 127.0.0.1:62021
//! curl http://127.0.0.1:62021/                           # hello
//! curl --http2-prior-knowledge http://127.0.0.1:62021/   # hello, over h2c
//! ```
//!
//! `bench/http_hello.sh` measures this binary (built with `--release`) against hyper and nginx.

use rama::{
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{Body, Request, Response, header, server::HttpServer},
    service_fn,
    tcp::server::TcpListener,
};
use std::{convert::Infallible, net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62021";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62021")?;

    // the endpoint: one call per request, whatever the HTTP version
    let hello = service_fn(async |_req: Request<Body>| {
        let mut res = Response::new(Body::from("hello"));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        Ok::<_, Infallible>(res)
    });
    // the connection service: peeks for the h2 preface, else speaks HTTP/1.x
    let server = HttpServer::auto().service(hello);

    let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, server).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
