//! Memory held per idle keep-alive connection: 1,000 connections each after one request,
//! measured as the growth of this process's resident set (the clients are plain blocking
//! sockets, which hold no user-space memory of their own).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod server_support;

use rama_http::server::HttpServer;
use server_support::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CONNECTIONS: usize = 1000;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn one_request(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"GET /m HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"hello /m") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    s
}

async fn open(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    tokio::task::spawn_blocking(move || (0..n).map(|_| one_request(addr)).collect())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_small() {
    let server = start(HttpServer::auto()).await;
    {
        use rama_core::Service;
        let probe = rama_tcp::server::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let stream = rama_tcp::TcpStream::connect(probe.local_addr().unwrap())
            .await
            .unwrap();
        let svc = HttpServer::auto().service(rama_core::service::service_fn(handle));
        let fut = svc.serve(stream);
        println!("connection future: {} bytes", std::mem::size_of_val(&fut));
        let stream = rama_tcp::TcpStream::connect(probe.local_addr().unwrap())
            .await
            .unwrap();
        let sf = rama_core::service::service_fn(handle);
        let h = rama_http::server::serve_http1_connection(
            stream,
            Default::default(),
            &sf,
            Default::default(),
            None,
        );
        println!(
            "http/1 connection future: {} bytes",
            std::mem::size_of_val(&h)
        );
    }
    // warm up the allocator, the runtime and the listener
    let warm = open(server.addr, 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_bytes();
    let idle = open(server.addr, CONNECTIONS).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes();
    let per_conn = after.saturating_sub(before) / CONNECTIONS;
    println!(
        "idle keep-alive memory: {per_conn} bytes per connection (RSS {before} -> {after} over {CONNECTIONS})"
    );
    assert!(per_conn < 16 * 1024, "{per_conn} bytes per idle connection");
    drop((warm, idle));
    server.stop().await;
}
