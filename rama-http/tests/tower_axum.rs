//! "axum's router served by rama answers like under hyper": the same axum `Router` is served
//! by rama's `HttpServer::auto()` (through `TowerService`) and by hyper-util's auto builder,
//! each on its own loopback port; the same requests, over HTTP/1.1 and h2, must get the same
//! status, body and content headers from both.
#![cfg(feature = "tower")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use axum::{
    Json, Router,
    extract::{Path, Query},
    http::StatusCode,
    routing::{get, post},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use rama_core::graceful::Shutdown;
use rama_http::{
    Body, Method, Request, Response,
    client::{h2::H2ClientConfig, http1::Http1ClientConfig},
    header,
    server::HttpServer,
    tower::TowerService,
};
use rama_tcp::server::TcpListener;
use std::{collections::BTreeMap, net::SocketAddr, time::Duration};
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(10);

fn router() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(async |Path(id): Path<u32>| format!("user {id}")),
        )
        .route(
            "/search",
            get(async |Query(q): Query<BTreeMap<String, String>>| Json(q)),
        )
        .route("/echo", post(async |body: String| body))
        .fallback(async || (StatusCode::NOT_FOUND, "nothing here"))
}

async fn serve_with_rama(shutdown: &Shutdown) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::auto().service(TowerService::new(router()));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), server));
    addr
}

/// The reference: hyper-util serving the router; the accept loop ends with the task.
async fn serve_with_hyper() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = TowerToHyperService::new(router());
            conns.spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

/// What must match: status, body, and the content headers.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    content_length: Option<String>,
    body: String,
}

async fn answer(res: Response<Body>) -> Answer {
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_type = header(header::CONTENT_TYPE);
    let content_length = header(header::CONTENT_LENGTH);
    let status = res.status().as_u16();
    let body = res.into_body().collect_string(1 << 16).await.unwrap();
    Answer {
        status,
        content_type,
        content_length,
        body,
    }
}

fn requests(addr: SocketAddr) -> Vec<Request<Body>> {
    let req = |method: Method, path: &str, body: &'static str| {
        Request::builder()
            .method(method)
            .uri(format!("http://{addr}{path}"))
            .body(Body::from(body))
            .unwrap()
    };
    vec![
        req(Method::GET, "/users/42", ""),
        req(Method::GET, "/users/not-a-number", ""),
        req(Method::GET, "/search?q=rama&lang=rust", ""),
        req(Method::POST, "/echo", "posted body"),
        req(Method::GET, "/echo", ""),
        req(Method::GET, "/missing", ""),
    ]
}

async fn http1_answers(addr: SocketAddr) -> Vec<Answer> {
    let io = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = rama_http::client::http1::handshake(io, Http1ClientConfig::new())
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let mut answers = Vec::new();
    for req in requests(addr) {
        answers.push(answer(sender.send_request(req).await.unwrap()).await);
    }
    conn.abort();
    answers
}

async fn h2_answers(addr: SocketAddr) -> Vec<Answer> {
    let io = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = rama_http::client::h2::handshake(io, H2ClientConfig::default())
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let mut answers = Vec::new();
    for req in requests(addr) {
        answers.push(answer(sender.send_request(req).await.unwrap()).await);
    }
    conn.abort();
    answers
}

#[tokio::test]
async fn axum_router_answers_under_rama_as_under_hyper() {
    let shutdown = Shutdown::manual();
    let rama = serve_with_rama(&shutdown).await;
    let (hyper, hyper_task) = serve_with_hyper().await;

    let (rama_h1, hyper_h1) = timeout(BOUND, async {
        (http1_answers(rama).await, http1_answers(hyper).await)
    })
    .await
    .unwrap();
    assert_eq!(rama_h1, hyper_h1);
    let (rama_h2, hyper_h2) = timeout(BOUND, async {
        (h2_answers(rama).await, h2_answers(hyper).await)
    })
    .await
    .unwrap();
    assert_eq!(rama_h2, hyper_h2);

    // the comparison is not vacuous: the routes answered what the router says
    let expected = [
        (200, "user 42"),
        (400, ""),
        (200, r#"{"lang":"rust","q":"rama"}"#),
        (200, "posted body"),
        (405, ""),
        (404, "nothing here"),
    ];
    for (answers, proto) in [(&rama_h1, "HTTP/1.1"), (&rama_h2, "h2")] {
        assert_eq!(answers.len(), expected.len());
        for (answer, (status, body)) in answers.iter().zip(expected) {
            assert_eq!(answer.status, status, "{proto}: {answer:?}");
            if !body.is_empty() {
                assert_eq!(answer.body, body, "{proto}");
            }
        }
    }
    assert_eq!(rama_h1[2].content_type.as_deref(), Some("application/json"));

    hyper_task.abort();
    shutdown.trigger().trigger();
    timeout(BOUND, shutdown.shutdown()).await.unwrap();
}
