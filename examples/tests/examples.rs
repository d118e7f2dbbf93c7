//! Start every example binary on `127.0.0.1:0`, talk to it over loopback, stop it with
//! SIGTERM and check that it exits cleanly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

const START_TIMEOUT: Duration = Duration::from_secs(20);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A running example binary; killed on drop if still running.
struct Example {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
}

impl Example {
    /// Start `bin ARGS...` and wait for the `listening on ADDR` line on stdout.
    fn start(name: &'static str, bin: &str, args: &[&str]) -> Self {
        let mut child = Command::new(bin)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {name}: {err}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // logs may share stdout: pick the announcement, keep draining the rest
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let mut example = Self {
            name,
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let addr = rx
            .recv_timeout(START_TIMEOUT)
            .unwrap_or_else(|_| panic!("{name} printed no address within {START_TIMEOUT:?}"));
        example.addr = addr.parse().expect("a socket address after `listening on`");
        example
    }

    /// SIGTERM, then assert exit status 0 within `IO_TIMEOUT`.
    fn stop_cleanly(mut self) {
        let kill = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(kill.success());
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            match self.child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success(), "{} exited with {status}", self.name);
                    return;
                }
                None if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                None => panic!("{} still running {IO_TIMEOUT:?} after SIGTERM", self.name),
            }
        }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
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
    let echo = Example::start(
        "tcp_echo_server",
        env!("CARGO_BIN_EXE_tcp_echo_server"),
        &["127.0.0.1:0"],
    );
    let data = pattern(1 << 20);
    assert_eq!(round_trip(echo.addr, &data).await, data);
    echo.stop_cleanly();
}

#[tokio::test]
async fn tcp_l4_proxy_forwards_to_its_target() {
    let echo = Example::start(
        "tcp_echo_server",
        env!("CARGO_BIN_EXE_tcp_echo_server"),
        &["127.0.0.1:0"],
    );
    let target = echo.addr.to_string();
    let proxy = Example::start(
        "tcp_l4_proxy",
        env!("CARGO_BIN_EXE_tcp_l4_proxy"),
        &["127.0.0.1:0", &target],
    );
    let data = pattern(2 << 20);
    assert_eq!(round_trip(proxy.addr, &data).await, data);
    proxy.stop_cleanly();
    echo.stop_cleanly();
}

#[tokio::test]
async fn tcp_listener_layers_limits_and_times_out() {
    // one connection at a time, each at most 1 second
    let layers = Example::start(
        "tcp_listener_layers",
        env!("CARGO_BIN_EXE_tcp_listener_layers"),
        &["127.0.0.1:0", "1", "1"],
    );
    let first = TcpStream::connect(layers.addr).await.unwrap();
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
    let mut second = TcpStream::connect(layers.addr).await.unwrap();
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
