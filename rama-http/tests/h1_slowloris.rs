//! Slowloris: a thousand connections dribbling a head byte by byte must not keep a normal
//! client from being served, and each is cut off by the header-read timeout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod server_support;

use rama_http::server::{Http1Config, HttpServer};
use server_support::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const SLOW: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_slow_heads_do_not_block_a_normal_client() {
    let config = Http1Config::new().with_header_read_timeout(Duration::from_secs(2));
    let server = start(HttpServer::auto().with_http1_config(config)).await;
    let addr = server.addr;

    let cut_off = Arc::new(AtomicUsize::new(0));
    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let stream = TcpStream::connect(addr).await.unwrap();
        let cut_off = cut_off.clone();
        slow.push(tokio::spawn(async move {
            let (mut rd, mut wr) = stream.into_split();
            let head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            let dribble = async {
                for b in head {
                    if wr.write_all(&[*b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                std::future::pending::<()>().await;
            };
            let mut answer = Vec::new();
            tokio::select! {
                () = dribble => {}
                _ = rd.read_to_end(&mut answer) => {
                    if answer.starts_with(b"HTTP/1.1 408") {
                        cut_off.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // a normal client is served promptly while the slow heads hang
    for i in 0..5 {
        let started = Instant::now();
        let (res, _) = timeout(
            Duration::from_secs(1),
            exchange(
                addr,
                format!("GET /n{i} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
            ),
        )
        .await
        .expect("served within 1s");
        assert_eq!(res.text(), format!("hello /n{i}"));
        println!("normal request {i} served in {:?}", started.elapsed());
    }

    // every slow connection is cut off by the header-read timeout (2s after connecting)
    for task in slow {
        timeout(WAIT, task)
            .await
            .expect("slow connection cut off")
            .unwrap();
    }
    assert_eq!(cut_off.load(Ordering::Relaxed), SLOW);
    server.stop().await;
}
