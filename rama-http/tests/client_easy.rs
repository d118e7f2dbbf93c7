//! `HttpClientExt` request builders through the `EasyHttpWebClient`, each asserted at the
//! server side (rama's HttpServer on loopback), and the `ResponseExt` helpers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::error::BoxError;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::client::{EasyHttpWebClient, HttpClientExt, ResponseExt};
use rama_http::server::HttpServer;
use rama_http::wire::{OriginalHeaderNames, ordered_headers};
use rama_http::{Body, Request, Response, StatusCode, Version};
use rama_net::dns::DenyAllDns;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// Answers with `METHOD TARGET VERSION`, the header lines in wire order and spelling, an
/// empty line and the request body; `/slow` waits 3 s first, `/status/N` answers N.
async fn echo(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let path = req.uri().path().to_owned();
    if path == "/slow" {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let mut res = Response::new(Body::from("status"));
        *res.status_mut() = StatusCode::from_u16(code.parse()?)?;
        return Ok(res);
    }
    let mut out = format!(
        "{} {} {:?}\n",
        req.method(),
        req.uri().path_and_query().map_or("", |pq| pq.as_str()),
        req.version()
    );
    let record = req.extensions().get::<OriginalHeaderNames>();
    for (name, value) in ordered_headers(req.headers(), record) {
        out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
    }
    out.push('\n');
    let body = req.into_body().collect_string(1 << 20).await?;
    out.push_str(&body);
    Ok(Response::new(Body::from(out)))
}

struct Server {
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Server {
    async fn start(server: HttpServer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::manual();
        shutdown.spawn_task(
            listener.serve_graceful(shutdown.guard(), server.service(service_fn(echo))),
        );
        Self { addr, shutdown }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        self.shutdown.trigger().trigger();
        timeout(WAIT, self.shutdown.shutdown())
            .await
            .expect("server stops in time");
    }
}

fn client() -> EasyHttpWebClient<TcpConnector<DenyAllDns>> {
    EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns))
}

async fn seen(builder: rama_http::client::RequestBuilder<'_, impl HttpClientExt>) -> String {
    timeout(WAIT, async {
        builder
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("answer in time")
}

#[tokio::test]
async fn builder_features_arrive_at_the_server() {
    let server = Server::start(HttpServer::http1()).await;
    let client = client();

    let got = seen(
        client
            .get(server.url("/q?x=1"))
            .query(&[("a b", "c&d"), ("e", "é")]),
    )
    .await;
    assert!(
        got.starts_with("GET /q?x=1&a+b=c%26d&e=%C3%A9 HTTP/1.1\n"),
        "{got}"
    );

    let got = seen(client.get(server.url("/")).basic_auth("user", Some("pass"))).await;
    assert!(got.contains("Authorization: Basic dXNlcjpwYXNz\n"), "{got}");
    let got = seen(client.get(server.url("/")).basic_auth("user", None::<&str>)).await;
    assert!(got.contains("Authorization: Basic dXNlcjo=\n"), "{got}");
    let got = seen(client.delete(server.url("/")).bearer_auth("tok")).await;
    assert!(got.starts_with("DELETE / "), "{got}");
    assert!(got.contains("Authorization: Bearer tok\n"), "{got}");

    let got = seen(
        client
            .post(server.url("/f"))
            .form(&[("k", "v 1"), ("x", "&")]),
    )
    .await;
    assert!(
        got.contains("Content-Type: application/x-www-form-urlencoded\n"),
        "{got}"
    );
    assert!(got.ends_with("\n\nk=v+1&x=%26"), "{got}");

    let got = seen(client.put(server.url("/b")).body("raw body")).await;
    assert!(got.starts_with("PUT /b "), "{got}");
    assert!(got.ends_with("\n\nraw body"), "{got}");

    let got = seen(client.patch(server.url("/p")).header("x-one", "1")).await;
    assert!(got.starts_with("PATCH /p "), "{got}");
    assert!(got.contains("X-One: 1\n"), "{got}");

    let res = client.head(server.url("/h")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn caller_chosen_header_order_and_spelling_arrive_as_chosen() {
    let server = Server::start(HttpServer::http1()).await;
    let client = client();
    let got = seen(
        client
            .get(server.url("/order"))
            .header("x-b", "1")
            .header("x-a", "2")
            .header_order(["X-A", "Host", "x-B"]),
    )
    .await;
    let lines: Vec<&str> = got.lines().skip(1).take(3).collect();
    assert_eq!(
        lines,
        ["X-A: 2", &format!("Host: {}", server.addr), "x-B: 1"],
        "{got}"
    );
    server.stop().await;
}

#[tokio::test]
async fn timeout_fails_in_time() {
    let server = Server::start(HttpServer::http1()).await;
    let client = client();
    let start = Instant::now();
    let err = client
        .get(server.url("/slow"))
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(err.to_string(), "request timed out after 100ms");
    server.stop().await;
}

#[tokio::test]
async fn error_for_status_and_bad_urls() {
    let server = Server::start(HttpServer::http1()).await;
    let client = client();
    let res = client.get(server.url("/status/404")).send().await.unwrap();
    let err = res.error_for_status().unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    assert_eq!(err.to_string(), "HTTP status 404 Not Found");
    let err = client.get("not a url").send().await.unwrap_err();
    assert!(err.to_string().contains("invalid URL"), "{err}");
    let err = client
        .get(server.url("/"))
        .header("bad header", "x")
        .send()
        .await
        .unwrap_err();
    assert!(!err.to_string().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn version_h2_uses_prior_knowledge() {
    let server = Server::start(HttpServer::auto()).await;
    let client = client();
    let got = seen(client.get(server.url("/v")).version(Version::HTTP_2)).await;
    assert!(got.starts_with("GET /v HTTP/2.0\n"), "{got}");
    let got = seen(client.get(server.url("/v"))).await;
    assert!(got.starts_with("GET /v HTTP/1.1\n"), "{got}");
    server.stop().await;
}

#[cfg(feature = "json")]
#[tokio::test]
async fn json_body_and_json_response() {
    let server = Server::start(HttpServer::http1()).await;
    let client = client();
    let value = serde_json::json!({"name": "rama", "n": [1, 2]});
    let got = seen(client.post(server.url("/j")).json(&value)).await;
    assert!(got.contains("Content-Type: application/json\n"), "{got}");
    let (_, body) = got.split_once("\n\n").unwrap();
    let back: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(back, value);
    let err = client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("JSON"), "{err:#}");
    server.stop().await;
}
