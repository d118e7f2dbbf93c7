//! The PROXY protocol client layer against haproxy's parser: haproxy listens with
//! `accept-proxy` and answers each HTTP request with the addresses it read from our header,
//! for v1, v2 and v2 with a CRC32c TLV (which haproxy verifies).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, Service};
use rama_net::dns::InMemoryDns;
use rama_net::stream::SocketInfo;
use rama_proxy::haproxy::HaProxyClientLayer;
use rama_proxy::haproxy::proto::Header;
use rama_tcp::client::{TcpConnector, TcpRequest};
use rama_test_support::{KillOnDrop, free_port, tool_available};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct HaProxy {
    addr: SocketAddr,
    dir: std::path::PathBuf,
    _child: KillOnDrop,
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn haproxy_accepting_proxy() -> HaProxy {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "rama-haproxy-client-{}-{}",
        std::process::id(),
        addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend f
    bind {addr} accept-proxy
    http-request return status 200 content-type text/plain lf-string \"%[src] %[src_port] %[dst] %[dst_port]\"
"
        ),
    )
    .unwrap();
    let child = KillOnDrop(
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
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "haproxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    HaProxy {
        addr,
        dir,
        _child: child,
    }
}

/// Connect through `layer`, send one request, return haproxy's answer body.
async fn ask(haproxy: &HaProxy, layer: HaProxyClientLayer, info: Option<SocketInfo>) -> String {
    let connector = layer.into_layer(TcpConnector::with_resolver(InMemoryDns::new()));
    let mut req = TcpRequest::new(haproxy.addr.to_string().parse().unwrap());
    if let Some(info) = info {
        req.extensions.insert(info);
    }
    let mut conn = connector.serve(req).await.unwrap().conn;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(IO_TIMEOUT, conn.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn haproxy_reads_our_v1_and_v2_headers() {
    if !std::path::Path::new("/usr/sbin/haproxy").exists() && !tool_available("haproxy") {
        return;
    }
    let haproxy = haproxy_accepting_proxy().await;
    let info = SocketInfo::new(
        Some("198.51.100.7:443".parse().unwrap()),
        "203.0.113.9:4000".parse().unwrap(),
    );
    for layer in [HaProxyClientLayer::v1(), HaProxyClientLayer::v2()] {
        let body = ask(&haproxy, layer.clone(), Some(info)).await;
        assert_eq!(body, "203.0.113.9 4000 198.51.100.7 443", "{layer:?}");
    }

    let v6 = Header::proxy(
        "[2001:db8::5]:6000".parse().unwrap(),
        "[2001:db8::1]:8443".parse().unwrap(),
    )
    .with_authority("example.com")
    .with_crc32c();
    let body = ask(&haproxy, HaProxyClientLayer::v2().with_header(v6), None).await;
    assert_eq!(body, "2001:db8::5 6000 2001:db8::1 8443");

    // a bad checksum is refused by haproxy: the connection closes without an answer
    let connector = TcpConnector::with_resolver(InMemoryDns::new());
    let mut bytes = Header::proxy(
        "203.0.113.9:1".parse().unwrap(),
        "198.51.100.7:2".parse().unwrap(),
    )
    .with_crc32c()
    .encode(rama_proxy::haproxy::proto::Version::V2)
    .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    let mut conn = connector
        .serve(TcpRequest::new(haproxy.addr.to_string().parse().unwrap()))
        .await
        .unwrap()
        .conn;
    conn.write_all(&bytes).await.unwrap();
    let _ = conn
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(IO_TIMEOUT, conn.read_to_end(&mut answer))
        .await
        .unwrap();
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}
