//! The PROXY protocol server layer against real peers on loopback: curl
//! `--haproxy-protocol` (v1) straight to our server, and haproxy with `send-proxy-v2`
//! (CRC32c and UNIQUE_ID TLVs) in front of it. The server answers with the peer address it
//! sees, so the test proves the address came from the header: curl's source port is pinned
//! with `--local-port`, and haproxy's own connection to us has another port.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, service_fn};
use rama_http::connection::ConnectionExtensions;
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response};
use rama_net::stream::SocketInfo;
use rama_proxy::haproxy::{HaProxyLayer, ProxyProtocolInfo, proto::kind};
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, tool_available};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP server behind `layer` answering `peer=ADDR version=V crc=BOOL uid=ID`.
struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(layer: HaProxyLayer) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = HttpServer::auto().service(service_fn(async |req: Request<Body>| {
        let peer = req
            .connection_get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        let info = req.connection_get::<ProxyProtocolInfo>();
        let version = info.map(|i| format!("{:?}", i.header().version));
        let crc = info.is_some_and(|i| i.header().tlv(kind::CRC32C).is_some());
        let uid = info
            .and_then(|i| i.header().unique_id())
            .map(|v| String::from_utf8_lossy(v).into_owned());
        let text = format!(
            "peer={} version={} crc={crc} uid={}",
            peer.map(|p| p.to_string()).unwrap_or_default(),
            version.unwrap_or_default(),
            uid.unwrap_or_default()
        );
        Ok::<_, Infallible>(Response::new(Body::from(text)))
    }));
    let task = tokio::spawn(listener.serve(layer.into_layer(http)));
    Server { addr, task }
}

/// Run curl with `args`; its stdout, or `None` when curl failed.
async fn curl(args: &[&str]) -> Option<String> {
    let out = tokio::time::timeout(
        IO_TIMEOUT,
        tokio::process::Command::new("curl")
            .args(["-sS", "--max-time", "8"])
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("curl finished in time")
    .expect("curl runs");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// A local port range for curl's `--local-port`, unlikely to collide between tests.
fn local_ports() -> (u16, String) {
    let base = 40_000 + (std::process::id() % 1000) as u16 * 20 + fastrand_offset();
    (base, format!("{base}-{}", base + 9))
}

fn fastrand_offset() -> u16 {
    // the tests of this file run in parallel: spread their ranges a little
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    NEXT.fetch_add(10, Ordering::Relaxed) % 20
}

fn peer_port(answer: &str) -> u16 {
    let peer = answer
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peer="))
        .unwrap();
    peer.parse::<SocketAddr>().unwrap().port()
}

#[tokio::test]
async fn curl_v1_header_sets_the_peer_address() {
    if !tool_available("curl") {
        return;
    }
    let server = start(HaProxyLayer::required()).await;
    let (base, range) = local_ports();
    let url = format!("http://{}/", server.addr);
    let answer = curl(&["--haproxy-protocol", "--local-port", &range, &url])
        .await
        .expect("curl with a PROXY header is served");
    assert!(answer.starts_with("peer=127.0.0.1:"), "{answer}");
    assert!(answer.contains("version=V1"), "{answer}");
    let port = peer_port(&answer);
    assert!(
        (base..base + 10).contains(&port),
        "{answer} (curl bound {range})"
    );
}

#[tokio::test]
async fn required_mode_refuses_and_keeps_serving() {
    if !tool_available("curl") {
        return;
    }
    let server = start(HaProxyLayer::required()).await;
    let url = format!("http://{}/", server.addr);
    assert_eq!(
        curl(&[&url]).await,
        None,
        "a request without header is refused"
    );

    // a malformed header: the connection is closed without an answer
    let mut raw = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(b"PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\nGET / HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(IO_TIMEOUT, raw.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(
        read.is_err() || rest.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );

    // and the server still serves good clients
    let answer = curl(&["--haproxy-protocol", &url]).await.unwrap();
    assert!(answer.contains("version=V1"), "{answer}");
}

#[tokio::test]
async fn optional_mode_serves_both() {
    if !tool_available("curl") {
        return;
    }
    let server = start(HaProxyLayer::optional()).await;
    let url = format!("http://{}/", server.addr);
    let plain = curl(&[&url]).await.unwrap();
    assert!(plain.contains("version= "), "{plain}");
    let with = curl(&["--haproxy-protocol", &url]).await.unwrap();
    assert!(with.contains("version=V1"), "{with}");
}

#[tokio::test]
async fn slow_header_is_cut_off() {
    let server = start(HaProxyLayer::required().with_timeout(Duration::from_millis(300))).await;
    let mut raw = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(b"PROXY TCP4 1.2.3.4").await.unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(IO_TIMEOUT, raw.read_to_end(&mut rest))
        .await
        .expect("the server closed the slow connection");
    assert!(read.is_err() || rest.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}

/// haproxy in TCP mode in front of our server, sending PROXY v2 with CRC32c and UNIQUE_ID.
struct HaProxy {
    front: SocketAddr,
    dir: std::path::PathBuf,
    _process: KillOnDrop,
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start_haproxy(backend: SocketAddr) -> HaProxy {
    let front: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "rama-haproxy-test-{}-{}",
        std::process::id(),
        front.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = format!(
        "global
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
listen front
    bind {front}
    unique-id-format uid-%ci
    server s1 {backend} send-proxy-v2 proxy-v2-options crc32c,unique-id
"
    );
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, conf).unwrap();
    let process = KillOnDrop(
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
    while tokio::net::TcpStream::connect(front).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "haproxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    HaProxy {
        front,
        dir,
        _process: process,
    }
}

#[tokio::test]
async fn haproxy_send_proxy_v2_reports_the_original_client() {
    if !std::path::Path::new("/usr/sbin/haproxy").exists() && !tool_available("haproxy") {
        return;
    }
    if !tool_available("curl") {
        return;
    }
    let server = start(HaProxyLayer::required()).await;
    let haproxy = start_haproxy(server.addr).await;
    let (base, range) = local_ports();
    let url = format!("http://{}/", haproxy.front);
    let answer = curl(&["--local-port", &range, &url]).await.unwrap();
    assert!(answer.contains("version=V2"), "{answer}");
    assert!(
        answer.contains("crc=true"),
        "haproxy's CRC32c verified: {answer}"
    );
    assert!(answer.contains("uid=uid-127.0.0.1"), "{answer}");
    let port = peer_port(&answer);
    assert!(
        (base..base + 10).contains(&port),
        "{answer} (curl bound {range})"
    );
}
