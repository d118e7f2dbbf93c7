//! `rama serve echo --proxy-protocol`: the real binary on loopback behind curl
//! `--haproxy-protocol` (v1) and behind haproxy with `send-proxy-v2`; the echo must report
//! the client address the header carries. curl's source port is pinned with `--local-port`
//! so the reported address can only have come from the header.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use rama::proxy::haproxy::proto::{Header, Version};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{IO_TIMEOUT, Rama, tool_available};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// curl with `args`; stdout when it succeeded.
async fn curl(args: &[&str]) -> Option<Vec<u8>> {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--max-time", "10"])
        .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run curl");
    out.status.success().then_some(out.stdout)
}

/// A range of 10 source ports for curl, different per test of this file.
fn port_range(slot: u16) -> (u16, String) {
    let base = 30_000 + (std::process::id() % 500) as u16 * 40 + slot * 10;
    (base, format!("{base}-{}", base + 9))
}

fn peer_of(body: &[u8]) -> SocketAddr {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)));
    v["peer_addr"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn http_echo_reports_the_address_curl_sent() {
    if !tool_available("curl") {
        return;
    }
    let rama = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0", "--proxy-protocol"]);
    let url = format!("http://{}/", rama.addr());
    let (base, range) = port_range(0);
    let body = curl(&["--haproxy-protocol", "--local-port", &range, &url])
        .await
        .expect("curl with a PROXY header is served");
    let peer = peer_of(&body);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["proxy_protocol"]["version"], "v1", "{v}");
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    assert!(
        (base..base + 10).contains(&peer.port()),
        "{peer} (curl bound {range})"
    );

    // no header: refused, and the server keeps serving
    assert_eq!(curl(&[&url]).await, None);
    assert!(curl(&["--haproxy-protocol", &url]).await.is_some());
    rama.stop_cleanly();
}

#[tokio::test]
async fn https_echo_reads_the_header_before_tls() {
    if !tool_available("curl") {
        return;
    }
    let rama = Rama::start(&[
        "serve",
        "echo",
        "--bind",
        "127.0.0.1:0",
        "--proxy-protocol",
        "--tls",
    ]);
    let url = format!("https://127.0.0.1:{}/", rama.addr().port());
    let (base, range) = port_range(1);
    let body = curl(&["-k", "--haproxy-protocol", "--local-port", &range, &url])
        .await
        .expect("curl over TLS with a PROXY header is served");
    assert!((base..base + 10).contains(&peer_of(&body).port()));
    rama.stop_cleanly();
}

#[tokio::test]
async fn tcp_echo_strips_the_header_and_refuses_without_one() {
    let rama = Rama::start(&[
        "serve",
        "echo",
        "--mode",
        "tcp",
        "--bind",
        "127.0.0.1:0",
        "--proxy-protocol",
    ]);
    let header = Header::proxy("192.0.2.1:5000".parse().unwrap(), rama.addr())
        .with_crc32c()
        .encode(Version::V2)
        .unwrap();
    let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
    stream.write_all(&header).await.unwrap();
    stream.write_all(b"hello").await.unwrap();
    stream.shutdown().await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(IO_TIMEOUT, stream.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, b"hello");

    let mut plain = TcpStream::connect(rama.addr()).await.unwrap();
    plain.write_all(b"hello").await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(IO_TIMEOUT, plain.read_to_end(&mut got))
        .await
        .unwrap();
    assert!(read.is_err() || got.is_empty(), "{got:?}");
    rama.stop_cleanly();
}

/// haproxy (TCP mode) on a free loopback port, forwarding to `backend` with PROXY v2.
struct HaProxy {
    front: SocketAddr,
    dir: std::path::PathBuf,
    _child: rama_test_support::KillOnDrop,
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn haproxy(backend: SocketAddr) -> HaProxy {
    let front: SocketAddr = format!("127.0.0.1:{}", rama_test_support::free_port())
        .parse()
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "rama-cli-haproxy-{}-{}",
        std::process::id(),
        front.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
listen front
    bind {front}
    server s1 {backend} send-proxy-v2
"
        ),
    )
    .unwrap();
    let child = rama_test_support::KillOnDrop(
        Command::new("/usr/sbin/haproxy")
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let deadline = tokio::time::Instant::now() + IO_TIMEOUT;
    while TcpStream::connect(front).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "haproxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    HaProxy {
        front,
        dir,
        _child: child,
    }
}

#[tokio::test]
async fn behind_haproxy_send_proxy_v2_the_echo_reports_the_original_client() {
    if !tool_available("curl") || !tool_available("haproxy") {
        return;
    }
    let rama = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0", "--proxy-protocol"]);
    let haproxy = haproxy(rama.addr()).await;
    let (base, range) = port_range(2);
    let url = format!("http://{}/", haproxy.front);
    let body = curl(&["--local-port", &range, &url])
        .await
        .expect("served through haproxy");
    let peer = peer_of(&body);
    let v: Value = serde_json::from_slice(&body).unwrap();
    let pp = &v["proxy_protocol"];
    assert_eq!(pp["version"], "v2", "{v}");
    assert_eq!(pp["command"], "PROXY");
    assert_eq!(pp["source"], peer.to_string());
    assert_eq!(pp["destination"], haproxy.front.to_string());
    assert_ne!(
        pp["proxy"], pp["source"],
        "the balancer's own address differs"
    );
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    assert!(
        (base..base + 10).contains(&peer.port()),
        "{peer} (curl bound {range})"
    );
    drop(haproxy);
    rama.stop_cleanly();
}
