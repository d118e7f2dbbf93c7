//! `rama serve echo --mode tcp`: the real binary on loopback, with tokio clients, `nc` and
//! `socat`. The HTTP mode (the default) is tested in `serve_echo_http.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::{Duration, Instant};
use support::{IO_TIMEOUT, Rama, pattern, run_client, run_to_exit, tool_available};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

/// Write `data`, half-close, read until the server closes.
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
        .expect("echo round trip timed out");
    got
}

#[tokio::test]
async fn echo_round_trips_bytes_and_stops_cleanly_on_sigterm() {
    let rama = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let data = pattern(1 << 20);
    let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, &data).await, data);
    rama.stop_cleanly();
}

/// `--threads N` starts N worker threads (one per core without it), each serving
/// connections.
#[tokio::test]
async fn threads_sets_the_number_of_workers() {
    let rama = Rama::start(&[
        "serve",
        "echo",
        "--mode",
        "tcp",
        "--threads",
        "3",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(
        rama.wait_for_stderr("threads=3", IO_TIMEOUT),
        "{}",
        rama.stderr()
    );
    #[cfg(target_os = "linux")]
    {
        let workers = std::fs::read_dir(format!("/proc/{}/task", rama.id()))
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .filter(|comm| comm.starts_with("rama-tcp-worker"))
            .count();
        assert_eq!(workers, 3);
    }
    for i in 0..12 {
        let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
        let data = pattern(1000 + i * 101);
        assert_eq!(round_trip(&mut stream, &data).await, data);
    }
    rama.stop_cleanly();
}

#[tokio::test]
async fn ctrl_c_stops_cleanly_too() {
    let rama = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, b"x").await, b"x");
    rama.stop_cleanly_with("INT");
}

#[tokio::test]
async fn echo_serves_many_clients_at_once() {
    let rama = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let addr = rama.addr();
    let clients: Vec<_> = (0..32usize)
        .map(|i| {
            tokio::spawn(async move {
                let data = pattern(1000 + i * 997);
                let mut stream = TcpStream::connect(addr).await.unwrap();
                assert_eq!(round_trip(&mut stream, &data).await, data, "client {i}");
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    rama.stop_cleanly();
}

/// After SIGTERM no new connection is accepted, the open one is still served, and the
/// process exits as soon as it closes: well before the 30 s deadline.
#[tokio::test]
async fn sigterm_drains_open_connections_then_exits() {
    let mut rama = Rama::start(&[
        "serve",
        "echo",
        "--mode",
        "tcp",
        "--bind",
        "127.0.0.1:0",
        "--graceful-timeout",
        "30",
    ]);
    let mut open = TcpStream::connect(rama.addr()).await.unwrap();
    // make sure the connection is accepted (served) before the signal
    open.write_all(b"before\n").await.unwrap();
    let mut buf = [0u8; 7];
    timeout(IO_TIMEOUT, open.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"before\n");

    rama.terminate();
    assert!(
        rama.wait_for_stderr("shutdown signal received", IO_TIMEOUT),
        "no shutdown log; stderr:\n{}",
        rama.stderr()
    );
    // the listener is closed: a new connection is refused
    let deadline = Instant::now() + IO_TIMEOUT;
    while TcpStream::connect(rama.addr()).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "listener still accepting after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        rama.is_running(),
        "exited while a connection was still open"
    );

    // the open connection still works, and closing it lets the process finish
    assert_eq!(round_trip(&mut open, b"after\n").await, b"after\n");
    drop(open);
    let status = rama
        .wait_timeout(IO_TIMEOUT)
        .expect("did not exit after the drain");
    assert!(status.success(), "exit status {status}");
}

/// An idle connection does not keep the process past `--graceful-timeout`.
#[tokio::test]
async fn graceful_timeout_bounds_the_drain() {
    let mut rama = Rama::start(&[
        "serve",
        "echo",
        "--mode",
        "tcp",
        "--bind",
        "127.0.0.1:0",
        "--graceful-timeout",
        "0.5",
    ]);
    let mut idle = TcpStream::connect(rama.addr()).await.unwrap();
    idle.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    timeout(IO_TIMEOUT, idle.read_exact(&mut one))
        .await
        .unwrap()
        .unwrap();

    let start = Instant::now();
    rama.terminate();
    let status = rama
        .wait_timeout(IO_TIMEOUT)
        .expect("still running past the deadline");
    assert!(status.success(), "exit status {status}");
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "exited before the deadline"
    );
    assert!(
        rama.stderr().contains("deadline"),
        "stderr:\n{}",
        rama.stderr()
    );
    // the idle connection was closed with the process
    let mut rest = Vec::new();
    let read = timeout(IO_TIMEOUT, idle.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(read.is_err() || rest.is_empty());
}

/// The workers' `SO_REUSEPORT` sockets (`--listeners balanced`, the default, and
/// `per-thread`) would let a second rama share the port silently; it must fail instead, for
/// every layout.
#[tokio::test]
async fn a_second_server_on_the_same_port_is_refused() {
    let first = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let addr = first.addr().to_string();
    for listeners in ["balanced", "per-thread", "shared"] {
        let (status, stderr) = run_to_exit(
            &["serve", "echo", "--bind", &addr, "--listeners", listeners],
            Duration::from_secs(20),
        );
        assert_eq!(status.code(), Some(1), "{listeners}: {stderr}");
        assert!(
            stderr.contains("address already in use"),
            "{listeners}: {stderr}"
        );
    }
    let mut stream = TcpStream::connect(first.addr()).await.unwrap();
    assert_eq!(round_trip(&mut stream, b"still mine").await, b"still mine");
    first.stop_cleanly();
}

#[test]
fn bind_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stderr) =
        run_to_exit(&["serve", "echo", "--bind", &addr], Duration::from_secs(20));
    assert!(!status.success());
    assert_eq!(status.code(), Some(1));
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no `error:` line; stderr:\n{stderr}"));
    assert!(line.contains(&addr), "{line}");
    assert!(line.contains("address already in use"), "{line}");
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let cases: &[&[&str]] = &[
        &["serve", "echo", "--bind", "localhost"],
        &["serve", "echo", "--mode", "udp"],
        &["serve", "echo", "--http-version", "3"],
        &["serve", "echo", "--mode", "tcp", "--http-version", "h2"],
        &["serve", "echo", "--graceful-timeout", "-1"],
        &["serve", "discard", "--bind", "127.0.0.1:99999"],
    ];
    for args in cases {
        let (status, stderr) = run_to_exit(args, Duration::from_secs(20));
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_names_the_commands_and_default_ports() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rama"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "echo",
        "discard",
        "forward",
        "127.0.0.1:8080",
        "127.0.0.1:9009",
        "127.0.0.1:62001",
    ] {
        assert!(help.contains(needle), "`{needle}` missing from:\n{help}");
    }
}

#[tokio::test]
async fn echo_with_nc() {
    if !tool_available("nc") {
        return;
    }
    let rama = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let port = rama.addr().port().to_string();
    let input = b"hello from nc\nsecond line\n";
    // -N: shut down the socket's write side on stdin EOF, then read until the server closes
    let out = tokio::task::spawn_blocking(move || {
        run_client("nc", &["-N", "127.0.0.1", &port], input, IO_TIMEOUT)
    })
    .await
    .unwrap();
    assert_eq!(out, input);
    rama.stop_cleanly();
}

#[tokio::test]
async fn echo_with_socat() {
    if !tool_available("socat") {
        return;
    }
    let rama = Rama::start(&["serve", "echo", "--mode", "tcp", "--bind", "127.0.0.1:0"]);
    let target = format!("TCP:{}", rama.addr());
    let input = pattern(64 * 1024);
    let expected = input.clone();
    // -t 5: after stdin EOF, wait up to 5 s for the echo before closing
    let out = tokio::task::spawn_blocking(move || {
        run_client("socat", &["-t", "5", "-", &target], &input, IO_TIMEOUT)
    })
    .await
    .unwrap();
    assert_eq!(out, expected);
    rama.stop_cleanly();
}
