//! The reverse proxy over loopback: rama origins that say who served (balancing, errors,
//! retries, health), raw TCP origins that record or shape bytes (header case and order,
//! upgrades, an upstream dying mid-body), and nginx as an origin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::error::BoxError;
use rama_core::graceful::{Executor, Shutdown};
use rama_core::service::service_fn;
use rama_http::body::collect;
use rama_http::client::{ClientVersion, EasyHttpWebClient};
use rama_http::server::HttpServer;
use rama_http::wire::{OriginalHeaderNames, ordered_headers};
use rama_http::{Body, Request, Response, StatusCode, Version};
use rama_net::dns::DenyAllDns;
use rama_proxy::reverse::{
    ActiveHealthCheck, Balance, ErrorKind, ForwardedHeaders, HashKey, HostHeader, PassiveHealth,
    RetryPolicy, ReverseProxy, ReverseProxyError, Upstream,
};
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, pattern, tool_available};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

type Client = EasyHttpWebClient<TcpConnector<DenyAllDns>>;

fn client() -> Client {
    EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns))
}

// ---- servers ----

/// A running rama server; stopped (gracefully, bounded) by [`Server::stop`] or on drop.
struct Server {
    addr: SocketAddr,
    shutdown: Option<Shutdown>,
}

impl Server {
    fn url(&self) -> Upstream {
        format!("http://{}", self.addr).parse().unwrap()
    }

    async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.trigger().trigger();
            timeout(WAIT, shutdown.shutdown())
                .await
                .expect("server stops in time");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = &self.shutdown {
            shutdown.trigger().trigger();
        }
    }
}

async fn serve_on<S>(listener: TcpListener, service: S) -> Server
where
    S: rama_core::Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    shutdown
        .spawn_task(listener.serve_graceful(shutdown.guard(), HttpServer::auto().service(service)));
    Server {
        addr,
        shutdown: Some(shutdown),
    }
}

async fn serve<S>(service: S) -> Server
where
    S: rama_core::Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    serve_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), service).await
}

/// An origin that answers its `name`; `/slow` after 400 ms, `/sleep` after 3 s, `/headers`
/// with the request head as received (wire order), `/echo` with the request body.
async fn origin_on(listener: TcpListener, name: &'static str) -> Server {
    serve_on(
        listener,
        service_fn(move |req: Request<Body>| async move {
            match req.uri().path() {
                "/slow" => tokio::time::sleep(Duration::from_millis(400)).await,
                "/sleep" => tokio::time::sleep(Duration::from_secs(3)).await,
                "/headers" => {
                    let record = req.extensions().get::<OriginalHeaderNames>();
                    let mut out = String::new();
                    for (n, v) in ordered_headers(req.headers(), record) {
                        out.push_str(&format!("{n}: {}\n", v.to_str().unwrap_or("?")));
                    }
                    return Ok::<_, BoxError>(Response::new(Body::from(out)));
                }
                "/echo" => return Ok(Response::new(req.into_body())),
                _ => {}
            }
            Ok(Response::new(Body::from(name)))
        }),
    )
    .await
}

async fn origin(name: &'static str) -> Server {
    origin_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), name).await
}

async fn proxy(proxy: ReverseProxy<Client>) -> Server {
    serve(proxy).await
}

/// GETs `path` on `server` with `headers`; status and body text.
async fn get(
    client: &Client,
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = Request::get(format!("http://{}{path}", server.addr));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = timeout(
        WAIT,
        rama_core::Service::serve(client, req.body(Body::empty()).unwrap()),
    )
    .await
    .expect("answered in time")
    .unwrap_or_else(|e| panic!("GET {path}: {e:#}"));
    let status = res.status().as_u16();
    let body = timeout(WAIT, res.into_body().collect_string(1 << 20))
        .await
        .unwrap()
        .unwrap();
    (status, body)
}

fn new_proxy(upstreams: &[&Server]) -> ReverseProxy<Client> {
    ReverseProxy::new(client(), upstreams.iter().map(|s| s.url())).unwrap()
}

/// A URL where nothing listens.
fn dead_upstream() -> Upstream {
    format!("http://127.0.0.1:{}", free_port()).parse().unwrap()
}

// ---- balancing ----

#[tokio::test]
async fn round_robin_is_exact() {
    let (a, b, c) = (origin("a").await, origin("b").await, origin("c").await);
    let front = proxy(new_proxy(&[&a, &b, &c])).await;
    let client = client();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for _ in 0..90 {
        let (status, who) = get(&client, &front, "/", &[]).await;
        assert_eq!(status, 200);
        *counts.entry(who).or_default() += 1;
    }
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|&n| n == 30), "{counts:?}");
    front.stop().await;
}

#[tokio::test]
async fn least_conn_prefers_the_idle_upstream() {
    let (a, b) = (origin("a").await, origin("b").await);
    let front = proxy(new_proxy(&[&a, &b]).with_balance(Balance::LeastConn)).await;
    let client = client();
    let slow = {
        let (client, url) = (client.clone(), format!("http://{}/slow", front.addr));
        tokio::spawn(async move {
            let res =
                rama_core::Service::serve(&client, Request::get(url).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
            res.into_body().collect_string(64).await.unwrap()
        })
    };
    // the slow request is in flight at one upstream: every quick one goes to the other
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut quick = Vec::new();
    for _ in 0..8 {
        quick.push(get(&client, &front, "/", &[]).await.1);
    }
    let busy = timeout(WAIT, slow).await.unwrap().unwrap();
    let idle = if busy == "a" { "b" } else { "a" };
    assert!(
        quick.iter().all(|w| w == idle),
        "slow at {busy}, quick at {quick:?}"
    );
    // both idle again: ties rotate
    let mut after = Vec::new();
    for _ in 0..4 {
        after.push(get(&client, &front, "/", &[]).await.1);
    }
    after.sort();
    assert_eq!(after, ["a", "a", "b", "b"]);
    front.stop().await;
}

#[tokio::test]
async fn consistent_hash_is_stable_and_moves_only_the_removed_share() {
    let origins = [
        origin("o0").await,
        origin("o1").await,
        origin("o2").await,
        origin("o3").await,
    ];
    let by_user = Balance::ConsistentHash(HashKey::Header("x-user".parse().unwrap()));
    let all: Vec<&Server> = origins.iter().collect();
    let front4 = proxy(new_proxy(&all).with_balance(by_user.clone())).await;
    let without_o2: Vec<&Server> = origins
        .iter()
        .filter(|s| s.addr != origins[2].addr)
        .collect();
    let front3 = proxy(new_proxy(&without_o2).with_balance(by_user)).await;
    let client = client();
    let mut before = Vec::new();
    for k in 0..120 {
        let user = format!("user-{k}");
        let first = get(&client, &front4, "/", &[("x-user", &user)]).await.1;
        let again = get(&client, &front4, "/", &[("x-user", &user)]).await.1;
        assert_eq!(first, again, "{user} is sticky");
        before.push(first);
    }
    let used: std::collections::HashSet<&String> = before.iter().collect();
    assert_eq!(used.len(), 4, "every upstream owns keys");
    let mut moved = 0;
    for (k, was) in before.iter().enumerate() {
        let now = get(&client, &front3, "/", &[("x-user", &format!("user-{k}"))])
            .await
            .1;
        if was == "o2" {
            assert_ne!(now, "o2");
            moved += 1;
        } else {
            assert_eq!(&now, was, "user-{k} stays where it was");
        }
    }
    assert!(moved > 0);
    front4.stop().await;
    front3.stop().await;
}

// ---- errors ----

#[tokio::test]
async fn refused_is_502_timeout_is_504_none_left_is_503() {
    let client = client();
    // 502: nothing listens, quickly
    let refused = ReverseProxy::new(client.clone(), [dead_upstream()])
        .unwrap()
        .with_passive_health(PassiveHealth::new().with_max_failures(2));
    let front = proxy(refused).await;
    let started = Instant::now();
    let (status, body) = get(&client, &front, "/", &[]).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("could not connect"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // a second failure ejects it: then nothing is left
    assert_eq!(get(&client, &front, "/", &[]).await.0, 502);
    let (status, body) = get(&client, &front, "/", &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("no healthy upstream"));
    front.stop().await;

    // 504: the head does not come within the timeout
    let slow = origin("slow").await;
    let front =
        proxy(new_proxy(&[&slow]).with_response_head_timeout(Some(Duration::from_millis(300))))
            .await;
    let started = Instant::now();
    let (status, _) = get(&client, &front, "/sleep", &[]).await;
    assert_eq!(status, 504);
    assert!(started.elapsed() < Duration::from_secs(2));
    // the proxy keeps serving
    assert_eq!(get(&client, &front, "/", &[]).await, (200, "slow".into()));
    front.stop().await;
}

#[tokio::test]
async fn the_error_rides_in_the_answer() {
    let proxy = ReverseProxy::new(client(), [dead_upstream()]).unwrap();
    let res = rama_core::Service::serve(&proxy, Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let err = res.extensions().get::<ReverseProxyError>().unwrap();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(format!("{err:#}").contains("127.0.0.1:"), "{err:#}");
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_the_next_upstream() {
    let live = origin("live").await;
    let proxy_svc = ReverseProxy::new(client(), [dead_upstream(), live.url()])
        .unwrap()
        .with_passive_health(PassiveHealth::disabled());
    let front = proxy(proxy_svc).await;
    let client = client();
    for _ in 0..10 {
        assert_eq!(get(&client, &front, "/", &[]).await, (200, "live".into()));
    }
    // a small PUT body is buffered and sent again
    for _ in 0..4 {
        let req = Request::put(format!("http://{}/echo", front.addr))
            .body(Body::from("put body"))
            .unwrap();
        let res = rama_core::Service::serve(&client, req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.into_body().collect_string(64).await.unwrap(),
            "put body"
        );
    }
    // POST is not idempotent: the turns that hit the dead upstream get 502
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let req = Request::post(format!("http://{}/echo", front.addr))
            .body(Body::from("x"))
            .unwrap();
        statuses.push(
            rama_core::Service::serve(&client, req)
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 502, 502]);
    // retries disabled: GETs get 502 on the dead turn
    let no_retry = ReverseProxy::new(client.clone(), [dead_upstream(), live.url()])
        .unwrap()
        .with_passive_health(PassiveHealth::disabled())
        .with_retry(RetryPolicy::disabled());
    let front2 = proxy(no_retry).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&client, &front2, "/", &[]).await.0);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 502, 502]);
    front.stop().await;
    front2.stop().await;
}

// ---- health ----

#[tokio::test]
async fn passive_ejection_then_active_recovery() {
    let live = origin("live").await;
    // reserve a port for the origin that comes back later
    let port = free_port();
    let back_url: Upstream = format!("http://127.0.0.1:{port}").parse().unwrap();
    let proxy_svc = ReverseProxy::new(client(), [back_url, live.url()])
        .unwrap()
        .with_passive_health(
            PassiveHealth::new()
                .with_max_failures(1)
                .with_cool_down(Duration::from_secs(600)),
        );
    let shutdown = Shutdown::manual();
    let checks = proxy_svc.spawn_health_checks(
        &ActiveHealthCheck::new("/health")
            .unwrap()
            .with_interval(Duration::from_millis(100))
            .with_timeout(Duration::from_millis(500))
            .with_healthy_threshold(1)
            .with_unhealthy_threshold(1),
        &Executor::graceful(shutdown.guard()),
    );
    assert_eq!(checks.len(), 2);
    let proxy_svc = Arc::new(proxy_svc);
    let front = serve(proxy_svc.clone()).await;
    let client = client();
    // the first request to the dead one is retried on the live one, and ejects it
    for _ in 0..6 {
        assert_eq!(get(&client, &front, "/", &[]).await, (200, "live".into()));
    }
    let status = proxy_svc.upstream_status();
    assert!(status[0].ejected || !status[0].healthy, "{status:?}");
    // it comes back: the active check notices, although the cool-down has not ended
    let back = origin_on(
        TcpListener::bind(format!("127.0.0.1:{port}"))
            .await
            .unwrap(),
        "back",
    )
    .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let s = &proxy_svc.upstream_status()[0];
        if s.healthy && !s.ejected {
            break;
        }
        assert!(Instant::now() < deadline, "recovered in time: {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(get(&client, &front, "/", &[]).await.1);
    }
    seen.sort();
    assert_eq!(seen, ["back", "back", "live", "live"]);
    // the checks end with the shutdown
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
    for check in checks {
        assert!(check.is_finished());
    }
    front.stop().await;
    back.stop().await;
}

#[tokio::test]
async fn active_check_marks_a_failing_upstream_down() {
    let healthy = Arc::new(AtomicBool::new(true));
    let flaky = {
        let healthy = healthy.clone();
        serve(service_fn(move |req: Request<Body>| {
            let healthy = healthy.clone();
            async move {
                let mut res = Response::new(Body::from("flaky"));
                if req.uri().path() == "/health" && !healthy.load(Ordering::SeqCst) {
                    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                }
                Ok::<_, BoxError>(res)
            }
        }))
        .await
    };
    let proxy_svc = new_proxy(&[&flaky]);
    let shutdown = Shutdown::manual();
    proxy_svc.spawn_health_checks(
        &ActiveHealthCheck::new("/health")
            .unwrap()
            .with_interval(Duration::from_millis(50))
            .with_unhealthy_threshold(2)
            .with_healthy_threshold(2),
        &Executor::graceful(shutdown.guard()),
    );
    let proxy_svc = Arc::new(proxy_svc);
    let front = serve(proxy_svc.clone()).await;
    let client = client();
    assert_eq!(get(&client, &front, "/", &[]).await, (200, "flaky".into()));
    healthy.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + WAIT;
    while proxy_svc.upstream_status()[0].healthy {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(get(&client, &front, "/", &[]).await.0, 503);
    healthy.store(true, Ordering::SeqCst);
    while !proxy_svc.upstream_status()[0].healthy {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(get(&client, &front, "/", &[]).await.0, 200);
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
    front.stop().await;
}

// ---- headers ----

#[tokio::test]
async fn forwarding_headers_and_host_reach_the_origin() {
    let o = origin("o").await;
    let front = proxy(new_proxy(&[&o]).with_forwarded_headers(ForwardedHeaders::Both)).await;
    let client = client();
    let (_, seen) = get(
        &client,
        &front,
        "/headers",
        &[("host", "site.example"), ("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    let want_forwarded = format!(
        "Forwarded: for=127.0.0.1;by=\"{}\";host=site.example;proto=http",
        front.addr
    );
    assert!(seen.contains(&want_forwarded), "{seen}");
    assert!(
        seen.contains("X-Forwarded-For: 203.0.113.9, 127.0.0.1"),
        "{seen}"
    );
    assert!(seen.contains("X-Forwarded-Proto: http"), "{seen}");
    assert!(seen.contains("X-Forwarded-Host: site.example"), "{seen}");
    assert!(seen.contains("Host: site.example"), "{seen}");

    // Host rewritten to the upstream's, X-Forwarded only
    let front2 = proxy(
        new_proxy(&[&o])
            .with_host_header(HostHeader::Rewrite)
            .with_forwarded_headers(ForwardedHeaders::XForwarded),
    )
    .await;
    let (_, seen) = get(&client, &front2, "/headers", &[("host", "site.example")]).await;
    assert!(seen.contains(&format!("Host: {}", o.addr)), "{seen}");
    assert!(seen.contains("X-Forwarded-Host: site.example"), "{seen}");
    assert!(
        !seen.to_ascii_lowercase().contains("forwarded: for"),
        "{seen}"
    );
    front.stop().await;
    front2.stop().await;
}

/// A raw origin: for each connection, reads one request head, sends it to `heads`, then
/// writes `answer(n)` (n: the connection's number) and closes or echoes after a 101.
async fn raw_origin(
    answer: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static,
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let answer = Arc::new(answer);
    let task = tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (tx, answer) = (tx.clone(), answer.clone());
            let this = n;
            n += 1;
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let mut head = Vec::new();
                loop {
                    let mut line = Vec::new();
                    if stream.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.extend_from_slice(&line);
                    if line == b"\r\n" {
                        break;
                    }
                }
                let _ = tx.send(head);
                let reply = answer(this);
                let upgraded = reply.starts_with(b"HTTP/1.1 101");
                let mut stream = stream.into_inner();
                stream.write_all(&reply).await.unwrap();
                if upgraded {
                    // echo until the peer closes
                    let (mut r, mut w) = stream.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                }
                // else: closes (a short body stays short)
            });
        }
    });
    (addr, rx, task)
}

/// Sends `request` raw to `addr` and reads until the peer closes (bounded).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = timeout(WAIT, stream.read_to_end(&mut out))
        .await
        .expect("answer ends in time");
    out
}

#[tokio::test]
async fn header_case_and_order_survive_both_ways() {
    let (origin_addr, mut heads, task) = raw_origin(|_| {
        b"HTTP/1.1 200 OK\r\nX-ReSpOnSe-CaSe: 1\r\ncontent-type: text/plain\r\nETag: \"e1\"\r\nContent-Length: 2\r\n\r\nok".to_vec()
    })
    .await;
    let upstream: Upstream = format!("http://{origin_addr}").parse().unwrap();
    let front = proxy(ReverseProxy::new(client(), [upstream]).unwrap()).await;
    let answer = raw_exchange(
        front.addr,
        b"GET /x?y=1 HTTP/1.1\r\nhost: site.example\r\nX-MiXeD-CaSe: 1\r\nuser-AGENT: raw/1\r\nACCEPT: */*\r\nDNT: 1\r\nConnection: close\r\n\r\n",
    )
    .await;
    let head = timeout(WAIT, heads.recv()).await.unwrap().unwrap();
    let head = String::from_utf8(head).unwrap();
    let lines: Vec<&str> = head.split("\r\n").collect();
    assert_eq!(lines[0], "GET /x?y=1 HTTP/1.1");
    // the client's headers first, in its order and spelling; then what the proxy added
    assert_eq!(
        &lines[1..5],
        [
            "host: site.example",
            "X-MiXeD-CaSe: 1",
            "user-AGENT: raw/1",
            "ACCEPT: */*"
        ],
        "{head}"
    );
    assert_eq!(lines[5], "DNT: 1", "{head}");
    assert!(lines[6].starts_with("Forwarded: for=127.0.0.1;"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "hop-by-hop removed: {head}"
    );
    let answer = String::from_utf8(answer).unwrap();
    let pos = |needle: &str| {
        answer
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {answer}"))
    };
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(pos("X-ReSpOnSe-CaSe: 1") < pos("content-type: text/plain"));
    assert!(pos("content-type: text/plain") < pos("ETag: \"e1\""));
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
    front.stop().await;
    task.abort();
}

#[tokio::test]
async fn upgrade_is_relayed_both_ways() {
    let (origin_addr, mut heads, task) = raw_origin(|_| {
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Origin: raw\r\n\r\n".to_vec()
    })
    .await;
    let upstream: Upstream = format!("http://{origin_addr}").parse().unwrap();
    let front = proxy(ReverseProxy::new(client(), [upstream]).unwrap()).await;
    let mut stream = tokio::net::TcpStream::connect(front.addr).await.unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: site.example\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    loop {
        let mut line = String::new();
        timeout(WAIT, reader.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        answer.push_str(&line);
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    assert!(
        answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Upgrade: echo\r\n"), "{answer}");
    assert!(answer.contains("Connection: Upgrade\r\n"), "{answer}");
    assert!(answer.contains("X-Origin: raw\r\n"), "{answer}");
    let head = String::from_utf8(heads.recv().await.unwrap()).unwrap();
    assert!(
        head.contains("Upgrade: echo\r\n") && head.contains("Connection: Upgrade\r\n"),
        "{head}"
    );
    // bytes both ways, more than one buffer's worth
    let data = pattern(300_000);
    let mut stream = reader.into_inner();
    let (mut r, mut w) = stream.split();
    let send = async {
        w.write_all(&data).await.unwrap();
    };
    let recv = async {
        let mut got = vec![0u8; data.len()];
        r.read_exact(&mut got).await.unwrap();
        got
    };
    let ((), got) = timeout(WAIT, async { tokio::join!(send, recv) })
        .await
        .unwrap();
    assert!(got == data, "echoed bytes arrive unchanged");
    drop(stream);
    front.stop().await;
    task.abort();
}

#[tokio::test]
async fn upstream_dying_mid_body_cuts_the_answer_and_the_proxy_keeps_serving() {
    let (origin_addr, _heads, task) = raw_origin(|n| match n {
        // Content-Length promised, 1000 bytes sent, closed
        0 => {
            let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
            r.extend_from_slice(&pattern(1000));
            r
        }
        // chunked, one chunk, closed without the last chunk
        1 => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".to_vec(),
        _ => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec(),
    })
    .await;
    let upstream: Upstream = format!("http://{origin_addr}").parse().unwrap();
    let front = proxy(
        ReverseProxy::new(client(), [upstream])
            .unwrap()
            .with_passive_health(PassiveHealth::disabled()),
    )
    .await;
    let client = client();
    let res = rama_core::Service::serve(
        &client,
        Request::get(format!("http://{}/big", front.addr))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let body = timeout(WAIT, res.into_body().collect_bytes(1 << 20))
        .await
        .unwrap();
    assert!(body.is_err(), "a cut body is an error, not a short success");

    // chunked: the client sees the chunk and no last chunk
    let raw = raw_exchange(front.addr, b"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.contains("hello"), "{raw}");
    assert!(!raw.ends_with("0\r\n\r\n"), "no last chunk: {raw}");

    // the proxy still serves
    let (status, body) = get(&client, &front, "/after", &[]).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    front.stop().await;
    task.abort();
}

#[tokio::test]
async fn bodies_stream_both_ways() {
    let o = origin("o").await;
    let front = proxy(new_proxy(&[&o])).await;
    let client = client();
    // a streamed upload (unknown length: chunked) echoed back
    let data = pattern(4 << 20);
    let (tx, body) = Body::channel();
    let chunks: Vec<bytes::Bytes> = data
        .chunks(64 * 1024)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let feeder = tokio::spawn(async move {
        for c in chunks {
            tx.send_data(c).await.unwrap();
        }
    });
    let req = Request::post(format!("http://{}/echo", front.addr))
        .body(body)
        .unwrap();
    let res = timeout(WAIT, rama_core::Service::serve(&client, req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), 200);
    let got = timeout(WAIT, res.into_body().collect_bytes(8 << 20))
        .await
        .unwrap()
        .unwrap();
    assert!(got[..] == data[..], "4 MiB echoed byte for byte");
    feeder.await.unwrap();
    front.stop().await;
}

// ---- nginx as the origin ----

struct Nginx {
    dir: PathBuf,
    /// HTTP/1.1
    port: u16,
    /// h2 with prior knowledge (h2c); `/grpc` answers with gRPC's trailers
    h2c_port: u16,
    process: Option<KillOnDrop>,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        drop(self.process.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_nginx() -> Option<Nginx> {
    let program = if std::path::Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else if tool_available("nginx") {
        "nginx"
    } else {
        return None;
    };
    let port = free_port();
    let h2c_port = free_port();
    let dir =
        std::env::temp_dir().join(format!("rama-reverse-nginx-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type text/plain;
            return 200 "nginx host=$host forwarded=$http_forwarded uri=$request_uri\n";
        }}
    }}
    server {{
        listen 127.0.0.1:{h2c_port} http2;
        location /grpc {{
            default_type application/grpc;
            add_trailer grpc-status 0;
            add_trailer grpc-message "from nginx";
            return 200 "nginx over h2 protocol=$server_protocol\n";
        }}
    }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(program)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut nginx = Nginx {
        dir,
        port,
        h2c_port,
        process: Some(KillOnDrop(child)),
    };
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || std::net::TcpStream::connect(("127.0.0.1", h2c_port)).is_err()
    {
        let running = nginx
            .process
            .as_mut()
            .is_some_and(|p| matches!(p.0.try_wait(), Ok(None)));
        assert!(
            running && Instant::now() < deadline,
            "nginx did not start listening"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(nginx)
}

#[tokio::test]
async fn nginx_origin_through_the_proxy() {
    let Some(nginx) = start_nginx() else {
        return;
    };
    let upstream: Upstream = format!("http://127.0.0.1:{}", nginx.port).parse().unwrap();
    let upstream_client = client();
    let front = proxy(ReverseProxy::new(upstream_client.clone(), [upstream]).unwrap()).await;
    let client = client();
    for _ in 0..3 {
        let (status, body) = get(&client, &front, "/a/b?c=d", &[("host", "site.example")]).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            format!(
                "nginx host=site.example forwarded=for=127.0.0.1;by=\"{}\";host=site.example;proto=http uri=/a/b?c=d\n",
                front.addr
            )
        );
    }
    if tool_available("curl") {
        let url = format!("http://{}/curl", front.addr);
        // tokio's process: the proxy runs on this test's runtime and must keep serving
        let out = tokio::process::Command::new("curl")
            .args(["-sS", "--max-time", "10", &url])
            .kill_on_drop(true)
            .output();
        let out = timeout(WAIT, out).await.unwrap().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body = String::from_utf8(out.stdout).unwrap();
        assert!(
            // curl's Host is the proxy's address; nginx's $host drops the port
            body.starts_with("nginx host=127.0.0.1 forwarded=for=127.0.0.1;")
                && body.contains(&format!(";host=\"{}\";proto=http ", front.addr)),
            "{body}"
        );
        assert!(body.ends_with("uri=/curl\n"), "{body}");
    }
    // the upstream connection is kept alive: one connection for all requests in a row
    assert_eq!(upstream_client.pool().counters().created(), 1);
    front.stop().await;
    drop(nginx);
}

/// gRPC's shape through the proxy: h2 from the client, h2 with prior knowledge to nginx
/// (`ClientVersion::H2PriorKnowledge`), and the response's trailers (`grpc-status`) back to
/// the client after the body, all on one upstream connection.
#[tokio::test]
async fn h2_both_ways_carries_the_trailers_back() {
    let Some(nginx) = start_nginx() else {
        return;
    };
    let upstream: Upstream = format!("http://127.0.0.1:{}", nginx.h2c_port)
        .parse()
        .unwrap();
    let upstream_client = client().with_version(ClientVersion::H2PriorKnowledge);
    let front = proxy(ReverseProxy::new(upstream_client.clone(), [upstream]).unwrap()).await;
    let client = client().with_version(ClientVersion::H2PriorKnowledge);
    for _ in 0..3 {
        let req = Request::post(format!("http://{}/grpc", front.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Body::from("request"))
            .unwrap();
        let res = timeout(WAIT, rama_core::Service::serve(&client, req))
            .await
            .expect("answered in time")
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.version(), Version::HTTP_2);
        let collected = timeout(WAIT, collect(res.into_body(), 1 << 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&collected.data[..], b"nginx over h2 protocol=HTTP/2.0\n");
        let trailers = collected.trailers.expect("trailers after the body");
        assert_eq!(trailers["grpc-status"], "0");
        assert_eq!(trailers["grpc-message"], "from nginx");
    }
    // multiplexed: every request on the one h2 connection
    assert_eq!(upstream_client.pool().counters().created(), 1);
    front.stop().await;
    drop(nginx);
}
