//! `HttpServer::auto()` with real clients: curl over HTTP/1.1 and h2c prior knowledge,
//! nghttp, and raw sockets for the dispatch edge cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod server_support;

use rama_http::server::HttpServer;
use server_support::*;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::time::timeout;

async fn run(cmd: &str, args: &[&str]) -> (String, String) {
    let out = timeout(
        WAIT,
        Command::new(cmd).args(args).kill_on_drop(true).output(),
    )
    .await
    .expect("tool finished in time")
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd} {args:?}: {stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http11_and_h2_prior_knowledge() {
    if !have_tool("curl") {
        return;
    }
    let server = start(HttpServer::auto()).await;
    let url = format!("http://{}/hello", server.addr);
    let (out, _) = run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "5",
            "--http1.1",
            "-w",
            " %{http_version}",
            &url,
        ],
    )
    .await;
    assert_eq!(out, "hello /hello 1.1");
    let (out, _) = run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "5",
            "--http2-prior-knowledge",
            "-w",
            " %{http_version}",
            &url,
        ],
    )
    .await;
    assert_eq!(out, "hello /hello 2");
    // header spelling and order over HTTP/1.1 from curl
    let url = format!("http://{}/headers", server.addr);
    let (out, _) = run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "5",
            "--http1.1",
            "-H",
            "User-Agent: curl-test",
            "-H",
            "X-MiXeD-cAsE: 1",
            &url,
        ],
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    let ua = lines
        .iter()
        .position(|l| *l == "User-Agent: curl-test")
        .expect(&out);
    let mixed = lines
        .iter()
        .position(|l| *l == "X-MiXeD-cAsE: 1")
        .expect(&out);
    assert!(ua < mixed, "{out}");
    // a body over h2 and over HTTP/1.1
    for version in ["--http1.1", "--http2-prior-knowledge"] {
        let url = format!("http://{}/sum", server.addr);
        let (out, _) = run(
            "curl",
            &[
                "-sS",
                "--max-time",
                "5",
                version,
                "--data-binary",
                "abc",
                &url,
            ],
        )
        .await;
        assert_eq!(out, format!("3 {:016x}", fnv(b"abc")), "{version}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nghttp_gets_an_answer() {
    if !have_tool("nghttp") {
        return;
    }
    let server = start(HttpServer::auto()).await;
    let url = format!("http://{}/hello", server.addr);
    let (out, _) = run("nghttp", &["--no-dep", &url]).await;
    assert_eq!(out, "hello /hello");
    server.stop().await;
}

#[tokio::test]
async fn auto_dispatch_edges() {
    let server = start(HttpServer::auto()).await;
    // shorter than the preface: decided at the first differing byte, no wait
    let (res, _) = timeout(WAIT, exchange(server.addr, b"GET /s HTTP/1.0\r\n\r\n"))
        .await
        .unwrap();
    assert_eq!(res.text(), "hello /s");
    // a head sent in pieces that start like the preface but are HTTP/1 after all
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"P").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stream
        .write_all(b"UT /p HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.text(), "hello /p");
    // a connection that closes before sending anything is simply dropped
    drop(TcpStream::connect(server.addr).await.unwrap());
    // only-h2 and only-http1 servers
    let h1 = start(HttpServer::http1()).await;
    let (res, _) = exchange(h1.addr, b"GET /one HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.text(), "hello /one");
    h1.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_only_server_with_curl() {
    if !have_tool("curl") {
        return;
    }
    let server = start(HttpServer::h2()).await;
    let url = format!("http://{}/two", server.addr);
    let (out, _) = run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "5",
            "--http2-prior-knowledge",
            "-w",
            " %{http_version}",
            &url,
        ],
    )
    .await;
    assert_eq!(out, "hello /two 2");
    server.stop().await;
}

#[tokio::test]
async fn peeking_counts_against_the_header_read_timeout() {
    let config = rama_http::server::Http1Config::new()
        .with_header_read_timeout(std::time::Duration::from_millis(500));
    let server = start(HttpServer::auto().with_http1_config(config)).await;
    let started = std::time::Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // starts like the h2 preface, then stalls
    stream.write_all(b"PRI * HT").await.unwrap();
    let mut r = BufReader::new(stream);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status, 408);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_millis(900), "{took:?}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_a_connection_still_being_peeked() {
    let server = start(HttpServer::auto()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    // the default header-read timeout is 10s: shutdown must not wait for it
    server.stop().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let mut r = BufReader::new(stream);
    assert!(is_closed(&mut r).await);
}
