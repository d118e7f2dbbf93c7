//! Start every example binary on `127.0.0.1:0`, talk to it over loopback, stop it with
//! SIGTERM and check that it exits cleanly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, pattern};
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

/// Start the example binary `bin` with `args` and wait for its address.
fn start(bin: &str, args: &[&str]) -> ChildServer {
    ChildServer::start(bin, args)
}

/// Write `data`, half-close, read until the server closes.
async fn round_trip(addr: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.split();
    let write = async {
        wr.write_all(data).await.unwrap();
        wr.shutdown().await.unwrap();
    };
    let mut got = Vec::new();
    let read = async { rd.read_to_end(&mut got).await.unwrap() };
    timeout(IO_TIMEOUT, async { tokio::join!(write, read) })
        .await
        .expect("round trip timed out");
    got
}

#[tokio::test]
async fn tcp_echo_server_echoes() {
    let echo = start(env!("CARGO_BIN_EXE_tcp_echo_server"), &["127.0.0.1:0"]);
    let data = pattern(1 << 20);
    assert_eq!(round_trip(echo.addr(), &data).await, data);
    echo.stop_cleanly();
}

#[tokio::test]
async fn tcp_l4_proxy_forwards_to_its_target() {
    let echo = start(env!("CARGO_BIN_EXE_tcp_echo_server"), &["127.0.0.1:0"]);
    let target = echo.addr().to_string();
    let proxy = start(
        env!("CARGO_BIN_EXE_tcp_l4_proxy"),
        &["127.0.0.1:0", &target],
    );
    let data = pattern(2 << 20);
    assert_eq!(round_trip(proxy.addr(), &data).await, data);
    proxy.stop_cleanly();
    echo.stop_cleanly();
}

#[tokio::test]
async fn tcp_listener_layers_limits_and_times_out() {
    // one connection at a time, each at most 1 second
    let layers = start(
        env!("CARGO_BIN_EXE_tcp_listener_layers"),
        &["127.0.0.1:0", "1", "1"],
    );
    let first = TcpStream::connect(layers.addr()).await.unwrap();
    let mut first = tokio::io::BufReader::new(first);
    let mut line = String::new();
    timeout(IO_TIMEOUT, first.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert!(line.starts_with("hello 127.0.0.1:"), "{line:?}");
    first.get_mut().write_all(b"shout this\n").await.unwrap();
    line.clear();
    timeout(IO_TIMEOUT, first.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(line, "SHOUT THIS\n");

    // the only slot is taken: a second connection is closed without a greeting
    let mut second = TcpStream::connect(layers.addr()).await.unwrap();
    let mut rest = Vec::new();
    let read = timeout(IO_TIMEOUT, second.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the rejected connection was left open");
    assert!(rest.is_empty(), "rejected connection got {rest:?}");

    // the time limit closes the first connection, although it is still open on our side
    let started = Instant::now();
    let mut rest = Vec::new();
    timeout(IO_TIMEOUT, first.read_to_end(&mut rest))
        .await
        .expect("the per-connection timeout did not close the connection")
        .unwrap();
    assert!(rest.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));

    layers.stop_cleanly();
}
