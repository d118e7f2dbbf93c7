//! `HttpServer::auto()` behind the rustls acceptor: the negotiated ALPN picks h2 or
//! HTTP/1.1 (curl `--http1.1`, `--http2` and its default), a TLS client without ALPN falls
//! back to the preface peek, and a chosen ALPN is obeyed without peeking.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::extensions::Extensions;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_core::{Layer, Service};
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response};
use rama_net::address::Authority;
use rama_net::dns::DenyAllDns;
use rama_tcp::client::{TcpConnector, TcpRequest};
use rama_tcp::server::TcpListener;
use rama_tls::cert::CertificateAuthority;
use rama_tls::config::{ClientConfig, ServerConfig, ServerVerification};
use rama_tls::negotiated::NegotiatedTlsParameters;
use rama_tls::rustls::{TlsAcceptorLayer, TlsConnectorLayer};
use rama_tls::types::{AlpnList, ApplicationProtocol};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    shutdown: Shutdown,
    ca_pem: String,
    ca_file: PathBuf,
}

impl Server {
    async fn stop(self) {
        let _ = std::fs::remove_file(&self.ca_file);
        self.shutdown.trigger().trigger();
        timeout(WAIT, self.shutdown.shutdown()).await.unwrap();
    }
}

/// Answers with the request's version and the ALPN the connection negotiated.
async fn report(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let alpn = req
        .extensions()
        .get::<Extensions>()
        .and_then(|e| e.get::<NegotiatedTlsParameters>())
        .and_then(|p| p.alpn.clone())
        .map_or_else(|| "none".to_owned(), |a| a.to_string());
    Ok(Response::new(Body::from(format!(
        "{:?} alpn={alpn}",
        req.version()
    ))))
}

async fn start(name: &str) -> Server {
    let ca = CertificateAuthority::generate("alpn test CA").unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    let config = ServerConfig::new(leaf.into()).with_alpn(AlpnList::h2_http11());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let service = TlsAcceptorLayer::new(&config)
        .unwrap()
        .into_layer(HttpServer::auto().service(service_fn(report)));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    let ca_file =
        std::env::temp_dir().join(format!("rama-http-alpn-{name}-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    Server {
        addr,
        shutdown,
        ca_pem: ca.cert_pem(),
        ca_file,
    }
}

async fn curl(server: &Server, flags: &[&str]) -> String {
    let url = format!("https://localhost:{}/", server.addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", server.addr.port());
    let mut args = vec![
        "-sS",
        "--max-time",
        "5",
        "--resolve",
        &resolve,
        "--cacert",
        server.ca_file.to_str().unwrap(),
        "-w",
        " %{http_version}",
    ];
    args.extend_from_slice(flags);
    args.push(&url);
    let out = timeout(
        WAIT,
        Command::new("curl").args(&args).kill_on_drop(true).output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_versions_follow_alpn() {
    if !rama_test_support::tool_available("curl") {
        return;
    }
    let server = start("curl").await;
    for (flags, want) in [
        (&["--http1.1"][..], "HTTP/1.1 alpn=http/1.1 1.1"),
        (&["--http2"][..], "HTTP/2.0 alpn=h2 2"),
        (&[][..], "HTTP/2.0 alpn=h2 2"),
        // no ALPN: the preface peek decides (curl then speaks HTTP/1.1)
        (&["--no-alpn"][..], "HTTP/1.1 alpn=none 1.1"),
    ] {
        assert_eq!(curl(&server, flags).await, want, "{flags:?}");
    }
    server.stop().await;
}

/// A TLS connection to the server offering `alpn`, then `bytes` written and everything the
/// server sends back until it closes (or 2 s pass).
async fn raw_exchange(server: &Server, alpn: AlpnList, bytes: &[u8]) -> (Option<String>, Vec<u8>) {
    let client = ClientConfig::new()
        .with_verification(ServerVerification::custom_pem(&server.ca_pem).unwrap())
        .with_alpn(alpn);
    let connector = TlsConnectorLayer::new(&client)
        .unwrap()
        .into_layer(TcpConnector::with_resolver(DenyAllDns));
    let target: Authority = format!("127.0.0.1:{}", server.addr.port()).parse().unwrap();
    let mut conn = timeout(WAIT, connector.serve(TcpRequest::new(target)))
        .await
        .unwrap()
        .unwrap()
        .conn;
    let alpn = conn
        .negotiated()
        .and_then(|p| p.alpn.as_ref())
        .map(ApplicationProtocol::to_string);
    conn.write_all(bytes).await.unwrap();
    conn.flush().await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match timeout(Duration::from_secs(2), conn.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    (alpn, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiated_alpn_is_obeyed_without_peeking() {
    let server = start("raw").await;
    // ALPN http/1.1, then the h2 preface: the HTTP/1 engine answers (it was not peeked)
    let (alpn, got) = raw_exchange(
        &server,
        [ApplicationProtocol::HTTP_11].into_iter().collect(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    )
    .await;
    assert_eq!(alpn.as_deref(), Some("http/1.1"));
    assert!(
        got.starts_with(b"HTTP/1.1 "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    // ALPN h2, then an HTTP/1.1 request: the h2 engine answers with frames, never HTTP/1
    let (alpn, got) = raw_exchange(
        &server,
        [ApplicationProtocol::H2].into_iter().collect(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert_eq!(alpn.as_deref(), Some("h2"));
    assert!(!got.is_empty() && !got.starts_with(b"HTTP/"), "{got:?}");
    // no ALPN: the peek still finds an HTTP/1 request
    let (alpn, got) = raw_exchange(
        &server,
        AlpnList::new(),
        b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(alpn, None);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with("HTTP/1.1 alpn=none"),
        "{text}"
    );
    server.stop().await;
}
