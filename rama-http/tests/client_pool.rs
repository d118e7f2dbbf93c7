//! The pooled `EasyHttpWebClient` against rama's own HttpServer over loopback: connection
//! reuse (counted by distinct client ports at the server), idle closes by the server,
//! concurrency, h2 sharing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

#[path = "client_common.rs"]
mod common;

use common::*;
use rama_http::client::pool::PoolConfig;
use rama_http::client::{ClientVersion, EasyHttpWebClient, HttpClientExt, ResponseExt};
use rama_http::server::{Http1Config, HttpServer};
use rama_net::dns::DenyAllDns;
use rama_tcp::client::TcpConnector;
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::timeout;

type Client = EasyHttpWebClient<TcpConnector<DenyAllDns>>;

fn client(version: ClientVersion) -> Client {
    EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns)).with_version(version)
}

fn distinct_peers(server: &TestServer) -> usize {
    server
        .peers
        .lock()
        .unwrap()
        .iter()
        .collect::<HashSet<_>>()
        .len()
}

async fn sequential(server: HttpServer, version: ClientVersion) {
    let server = start(server).await;
    let client = client(version);
    let url = server.uri("/seq");
    timeout(Duration::from_secs(60), async {
        for _ in 0..1000 {
            let text = client.get(&url).send().await.unwrap().text().await.unwrap();
            assert_eq!(text, "hello /seq");
        }
    })
    .await
    .expect("1000 requests in time");
    assert_eq!(server.peers.lock().unwrap().len(), 1000);
    assert_eq!(
        distinct_peers(&server),
        1,
        "one connection for 1000 requests"
    );
    assert_eq!(client.pool().counters().created(), 1);
    assert_eq!(client.pool().counters().reused(), 999);
    assert_eq!(client.pool().idle_count(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_thousand_sequential_requests_use_one_connection() {
    sequential(HttpServer::http1(), ClientVersion::Http1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_thousand_sequential_requests_use_one_connection() {
    sequential(HttpServer::h2(), ClientVersion::H2PriorKnowledge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_server_serves_both_versions_pooled() {
    sequential(HttpServer::auto(), ClientVersion::Http1).await;
    sequential(HttpServer::auto(), ClientVersion::H2PriorKnowledge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_idle_closes_cause_no_failed_request() {
    let keep_alive = Duration::from_millis(60);
    let server = start(
        HttpServer::http1()
            .with_http1_config(Http1Config::new().with_keep_alive_timeout(keep_alive)),
    )
    .await;
    let client = client(ClientVersion::Http1);
    let url = server.uri("/idle");
    // pauses around the server's keep-alive timeout, to hit the close race too
    let pauses = [
        0u64, 30, 55, 58, 60, 62, 65, 70, 100, 150, 59, 61, 60, 0, 120,
    ];
    timeout(Duration::from_secs(30), async {
        for (i, ms) in pauses.into_iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let res = client.get(&url).send().await;
            let text = res
                .unwrap_or_else(|e| panic!("request {i} after {ms} ms failed: {e:#}"))
                .text()
                .await
                .unwrap();
            assert_eq!(text, "hello /idle");
        }
    })
    .await
    .expect("requests in time");
    assert!(
        distinct_peers(&server) >= 2,
        "the server closed idle connections, so new ones were opened"
    );
    assert!(client.pool().counters().evicted() >= 1);
    server.stop().await;
}

async fn concurrent(server: HttpServer, version: ClientVersion, max_created: u64) -> TestServer {
    let server = start(server).await;
    let client = client(version);
    let url = server.uri("/big/20000");
    for _round in 0..2 {
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let client = client.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let body = client.get(&url).send().await?.bytes().await?;
                Ok::<_, rama_core::error::BoxError>(body)
            }));
        }
        for task in tasks {
            let body = timeout(WAIT, task).await.unwrap().unwrap().unwrap();
            assert_eq!(body.as_ref(), pattern(20000).as_slice());
        }
    }
    let created = client.pool().counters().created();
    assert!(
        created <= max_created,
        "{created} connections for 2 x 64 concurrent requests"
    );
    assert_eq!(distinct_peers(&server) as u64, created);
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_concurrent_requests_reuse_connections_across_rounds() {
    // the second round finds the first round's connections parked
    let server = concurrent(HttpServer::http1(), ClientVersion::Http1, 64 + 32).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_concurrent_first_requests_share_one_connection() {
    let server = concurrent(HttpServer::h2(), ClientVersion::H2PriorKnowledge, 1).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_idle_per_host_bounds_parked_connections() {
    let server = start(HttpServer::http1()).await;
    let client =
        client(ClientVersion::Http1).with_pool_config(PoolConfig::new().with_max_idle_per_host(2));
    let url = server.uri("/x");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            client.get(&url).send().await.unwrap().text().await.unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(timeout(WAIT, task).await.unwrap().unwrap(), "hello /x");
    }
    assert!(client.pool().idle_count() <= 2);
    server.stop().await;
}

/// `n` requests to `url` on the single-threaded runtime `rt`, within [`WAIT`].
fn requests_on(rt: &tokio::runtime::Runtime, client: &Client, url: &str, n: usize) {
    rt.block_on(async {
        timeout(WAIT, async {
            for _ in 0..n {
                let text = client.get(url).send().await.unwrap().text().await.unwrap();
                assert_eq!(text, "hello /t");
            }
        })
        .await
        .expect("requests in time (a connection of a runtime that is not driven hangs)");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_reuse_stays_on_the_thread_of_a_single_threaded_runtime() {
    let server = start(HttpServer::http1()).await;
    let client = client(ClientVersion::Http1);
    let url = server.uri("/t");
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let (c, u) = (client.clone(), url.clone());
    tokio::task::spawn_blocking(move || {
        let (a_done, a_wait) = std::sync::mpsc::channel::<()>();
        let (a_go, a_resume) = std::sync::mpsc::channel::<()>();
        let (c2, u2) = (c.clone(), u.clone());
        // thread A: its connection's task runs on A's runtime, idle (not driven) while B runs
        let a = std::thread::spawn(move || {
            let rt = runtime();
            requests_on(&rt, &c2, &u2, 3);
            a_done.send(()).unwrap();
            a_resume.recv().unwrap();
            requests_on(&rt, &c2, &u2, 3);
        });
        a_wait.recv_timeout(WAIT).unwrap();
        // thread B must not take A's idle connection: A's runtime would never answer
        std::thread::spawn(move || requests_on(&runtime(), &c, &u, 3))
            .join()
            .unwrap();
        a_go.send(()).unwrap();
        a.join().unwrap();
    })
    .await
    .unwrap();
    let counters = client.pool().counters();
    assert_eq!(counters.created(), 2, "one connection per thread");
    assert_eq!(
        counters.reused(),
        7,
        "A reused its own connection after B ran"
    );
    assert_eq!(distinct_peers(&server), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_evicts_stale_connections() {
    let server = start(HttpServer::http1()).await;
    let client = client(ClientVersion::Http1)
        .with_pool_config(PoolConfig::new().with_idle_timeout(Duration::from_millis(50)));
    let url = server.uri("/x");
    client.get(&url).send().await.unwrap().text().await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(client.pool().counters().created(), 2);
    assert_eq!(client.pool().counters().evicted(), 1);
    assert_eq!(distinct_peers(&server), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_and_https_give_clear_errors() {
    let client = client(ClientVersion::Http1);
    let err = client.get("http://127.0.0.1:1/").send().await.unwrap_err();
    assert!(format!("{err:#}").contains("127.0.0.1:1"), "{err:#}");
    let err = client.get("https://127.0.0.1:1/").send().await.unwrap_err();
    if cfg!(feature = "tls") {
        assert!(format!("{err:#}").contains("127.0.0.1:1"), "{err:#}");
    } else {
        assert_eq!(
            err.to_string(),
            "https needs rama-http's `tls` feature (the TLS connector)"
        );
    }
}

/// A raw HTTP/1 peer: its first connection answers one request, then reads the next
/// request's head and closes without answering (the idle-close race, made certain); later
/// connections answer every request with `ok`.
async fn closing_peer() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn read_head(io: &mut tokio::net::TcpStream) -> bool {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            match io.read(&mut byte).await {
                Ok(1) => buf.push(byte[0]),
                _ => return false,
            }
        }
        true
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut first = true;
        loop {
            let Ok((mut io, _)) = listener.accept().await else {
                return;
            };
            let answers = if first { 1 } else { usize::MAX };
            first = false;
            tokio::spawn(async move {
                let mut answered = 0;
                while read_head(&mut io).await {
                    if answered == answers {
                        return; // close without an answer
                    }
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if io.write_all(reply).await.is_err() {
                        return;
                    }
                    answered += 1;
                }
            });
        }
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_request_is_retried_once_on_a_fresh_connection() {
    let (addr, peer) = closing_peer().await;
    let client = client(ClientVersion::Http1);
    let url = format!("http://{addr}/");
    for _ in 0..2 {
        let text = timeout(WAIT, async {
            client.get(&url).send().await.unwrap().text().await.unwrap()
        })
        .await
        .unwrap();
        assert_eq!(text, "ok");
    }
    assert_eq!(
        client.pool().counters().created(),
        2,
        "the retry opened one"
    );
    peer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_with_a_body_is_not_retried() {
    let (addr, peer) = closing_peer().await;
    let client = client(ClientVersion::Http1);
    let url = format!("http://{addr}/");
    let text = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(text, "ok");
    let err = timeout(WAIT, client.post(&url).body("data").send())
        .await
        .unwrap()
        .unwrap_err();
    let err = err
        .downcast_ref::<rama_http::client::Error>()
        .expect("a client error");
    assert!(err.is_closed(), "{err}");
    assert_eq!(client.pool().counters().created(), 1);
    peer.abort();
}
