//! `rama serve forward`: the real binary forwarding to a real `rama serve echo`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::Duration;
use support::{IO_TIMEOUT, Rama, free_port, pattern, run_client, run_to_exit, tool_available};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

async fn round_trip(stream: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    let (mut rd, mut wr) = stream.split();
    let write = async {
        wr.write_all(data).await.unwrap();
        wr.shutdown().await.unwrap();
    };
    let mut got = Vec::new();
    let read = async { rd.read_to_end(&mut got).await.unwrap() };
    timeout(IO_TIMEOUT, async { tokio::join!(write, read) })
        .await
        .expect("round trip through the forwarder timed out");
    got
}

/// Read until the server closes (EOF or reset); panics if it stays open past `IO_TIMEOUT`.
async fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    match timeout(IO_TIMEOUT, stream.read_to_end(&mut buf)).await {
        Ok(Ok(_)) => assert!(buf.is_empty(), "got {} unexpected bytes", buf.len()),
        Ok(Err(_reset)) => {}
        Err(_) => panic!("the forwarder left the client connection open"),
    }
}

#[tokio::test]
async fn forward_round_trips_through_an_echo_server() {
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let to = echo.addr().to_string();
    let fwd = Rama::start(&["serve", "forward", "--bind", "127.0.0.1:0", "--to", &to]);
    let data = pattern(4 << 20);
    let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, &data).await, data);
    fwd.stop_cleanly();
    echo.stop_cleanly();
}

#[tokio::test]
async fn forward_resolves_a_name() {
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let to = format!("localhost:{}", echo.addr().port());
    let fwd = Rama::start(&["serve", "forward", "--bind", "127.0.0.1:0", "--to", &to]);
    let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, b"by name").await, b"by name");
    fwd.stop_cleanly();
    echo.stop_cleanly();
}

/// An unresolvable target is not a start-up error (DNS may work later): each connection
/// fails at connect time, the failure is logged and the client connection is closed.
#[tokio::test]
async fn unresolvable_target_closes_the_client_and_logs_why() {
    let mut fwd = Rama::start(&[
        "serve",
        "forward",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "no-such-host.invalid:80",
        "--connect-timeout",
        "3",
    ]);
    for _ in 0..2 {
        let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
        assert_closed_by_server(&mut stream).await;
    }
    assert!(
        fwd.wait_for_stderr("no-such-host.invalid", IO_TIMEOUT),
        "the failure was not logged; stderr:\n{}",
        fwd.stderr()
    );
    assert!(
        fwd.is_running(),
        "a failed connection must not stop the forwarder"
    );
    fwd.stop_cleanly();
}

#[tokio::test]
async fn refused_target_closes_the_client_and_logs_why() {
    let to = format!("127.0.0.1:{}", free_port());
    let fwd = Rama::start(&["serve", "forward", "--bind", "127.0.0.1:0", "--to", &to]);
    let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
    assert_closed_by_server(&mut stream).await;
    assert!(
        fwd.wait_for_stderr("connection refused", IO_TIMEOUT),
        "stderr:\n{}",
        fwd.stderr()
    );
    assert!(fwd.stderr().contains(&to), "stderr:\n{}", fwd.stderr());
    fwd.stop_cleanly();
}

#[tokio::test]
async fn max_conns_closes_connections_beyond_the_limit() {
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let to = echo.addr().to_string();
    let fwd = Rama::start(&[
        "serve",
        "forward",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--max-conns",
        "1",
    ]);
    // the first connection takes the only slot (proven by a round trip through it)
    let mut first = TcpStream::connect(fwd.addr()).await.unwrap();
    first.write_all(b"one").await.unwrap();
    let mut buf = [0u8; 3];
    timeout(IO_TIMEOUT, first.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"one");

    let mut second = TcpStream::connect(fwd.addr()).await.unwrap();
    assert_closed_by_server(&mut second).await;
    assert!(
        fwd.wait_for_stderr("limit", IO_TIMEOUT),
        "stderr:\n{}",
        fwd.stderr()
    );

    // the first still works; once it is gone, a new connection gets the slot
    assert_eq!(round_trip(&mut first, b"still").await, b"still");
    drop(first);
    let mut third = None;
    for _ in 0..50 {
        let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
        stream.write_all(b"3").await.unwrap();
        let mut one = [0u8; 1];
        if let Ok(Ok(_)) = timeout(Duration::from_millis(500), stream.read_exact(&mut one)).await {
            third = Some(stream);
            break;
        }
    }
    assert!(third.is_some(), "the slot was never released");
    drop(third);
    fwd.stop_cleanly();
    echo.stop_cleanly();
}

#[tokio::test]
async fn idle_timeout_closes_a_silent_tunnel() {
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let to = echo.addr().to_string();
    let fwd = Rama::start(&[
        "serve",
        "forward",
        "--bind",
        "127.0.0.1:0",
        "--to",
        &to,
        "--idle-timeout",
        "0.5",
    ]);
    let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut buf = [0u8; 4];
    timeout(IO_TIMEOUT, stream.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    // then silence: the forwarder must close the tunnel on its own
    assert_closed_by_server(&mut stream).await;
    fwd.stop_cleanly();
    echo.stop_cleanly();
}

#[test]
fn bad_target_syntax_is_a_usage_error() {
    for to in ["no-port", "host:http", "[::1:80", ""] {
        let (status, stderr) = run_to_exit(
            &["serve", "forward", "--bind", "127.0.0.1:0", "--to", to],
            Duration::from_secs(20),
        );
        assert_eq!(status.code(), Some(2), "--to {to:?}: {stderr}");
        assert!(stderr.contains("--to"), "--to {to:?}: {stderr}");
    }
}

#[tokio::test]
async fn forward_with_socat() {
    if !tool_available("socat") {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let to = echo.addr().to_string();
    let fwd = Rama::start(&["serve", "forward", "--bind", "127.0.0.1:0", "--to", &to]);
    let target = format!("TCP:{}", fwd.addr());
    let input = pattern(256 * 1024);
    let expected = input.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_client("socat", &["-t", "5", "-", &target], &input, IO_TIMEOUT)
    })
    .await
    .unwrap();
    assert_eq!(out, expected);
    fwd.stop_cleanly();
    echo.stop_cleanly();
}

#[tokio::test]
async fn forward_over_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("IPv6 loopback is not available, and CI=true requires it");
        }
        eprintln!("skipped: IPv6 loopback ([::1]) is not available here");
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "[::1]:0"]);
    assert!(echo.addr().is_ipv6());
    let to = echo.addr().to_string(); // printed as [::1]:PORT, which --to accepts
    let fwd = Rama::start(&["serve", "forward", "--bind", "[::1]:0", "--to", &to]);
    let mut stream = TcpStream::connect(fwd.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, b"over v6").await, b"over v6");
    fwd.stop_cleanly();
    echo.stop_cleanly();
}
