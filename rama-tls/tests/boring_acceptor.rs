//! The BoringSSL acceptor over loopback, with curl and `openssl s_client` as peers: TLS 1.2
//! and 1.3, h2 by ALPN, the per-SNI map, the async resolver, the captured ClientHello and
//! the handshake timeout.
#![cfg(all(feature = "boring", feature = "rustls"))]
// (`rustls` too: the test certificates come from rcgen, behind that feature)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, extensions::ExtensionsRef, service_fn};
use rama_net::stream::RewindStream;
use rama_tcp::{TcpStream, server::TcpListener};
use rama_test_support::{IO_TIMEOUT, run_client, run_to_exit, tool_available};
use rama_tls::{
    boring::{TlsAcceptorLayer, TlsError, TlsStream},
    cert::CertificateAuthority,
    client_hello::ClientHello,
    config::{CertRequest, ServerCertSource, ServerConfig, SniCertMap, resolver_fn},
    types::{AlpnList, ApplicationProtocol},
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Tls = TlsStream<RewindStream<TcpStream>>;

/// Answers an HTTP/1 request or one line with what the handshake agreed on.
async fn demo(mut stream: Tls) -> std::io::Result<()> {
    let params = stream.negotiated().cloned().expect("negotiated parameters");
    let hello_alpn = stream.extensions().get::<ClientHello>().map(|h| {
        h.alpn()
            .map(|l| {
                l.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    });
    let summary = format!(
        "version={} alpn={} sni={} group={} cipher13={} peer_certs={} hello_alpn={}",
        params.version,
        params.alpn.as_ref().map_or("-".into(), ToString::to_string),
        params.server_name.as_deref().unwrap_or("-"),
        params.key_exchange_group.is_some(),
        params.cipher_suite.is_tls13(),
        params.peer_certificates.len(),
        hello_alpn.as_deref().unwrap_or("-"),
    );
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        buf.extend_from_slice(&chunk[..n]);
        let done = if buf.starts_with(b"GET ") {
            buf.windows(4).any(|w| w == b"\r\n\r\n")
        } else {
            buf.contains(&b'\n')
        };
        if n == 0 || done {
            break;
        }
    }
    let reply = if buf.starts_with(b"GET ") {
        let body = format!("{summary}\n");
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        format!("{summary} echo: {}", String::from_utf8_lossy(&buf))
    };
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

struct Server {
    addr: SocketAddr,
    served: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(config: &ServerConfig) -> Server {
    let layer = TlsAcceptorLayer::new(config).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let svc = layer.into_layer(service_fn(move |stream: Tls| {
        count.fetch_add(1, Ordering::SeqCst);
        demo(stream)
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(listener.serve(svc));
    Server { addr, served, task }
}

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rama-tls-boring-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA (written to `dir/ca.pem`) and a config serving a `localhost` leaf.
fn ca_and_config(dir: &Path) -> (CertificateAuthority, ServerConfig) {
    let ca = CertificateAuthority::generate("rama boring acceptor test CA").unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    (ca, ServerConfig::new(leaf.into()))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::time::timeout(IO_TIMEOUT * 2, tokio::task::spawn_blocking(f))
        .await
        .expect("client timed out")
        .unwrap()
}

fn s_client(connect: &str, extra: &[&str], ca_pem: &str, input: &'static [u8]) -> Vec<u8> {
    let mut args = vec![
        "s_client",
        "-connect",
        connect,
        "-CAfile",
        ca_pem,
        "-verify_return_error",
        "-quiet",
    ];
    args.extend_from_slice(extra);
    run_client("openssl", &args, input, IO_TIMEOUT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_is_served_over_tls13_and_tls12() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("curl");
    let (_ca, config) = ca_and_config(&dir);
    let server = serve(&config.with_alpn(AlpnList::h2_http11())).await;
    let port = server.addr.port();
    for (flags, want) in [
        (
            vec!["--http1.1"],
            "version=TLSv1.3 alpn=http/1.1 sni=localhost group=true cipher13=true peer_certs=0 hello_alpn=-\n",
        ),
        (
            vec!["--http1.1", "--tlsv1.2", "--tls-max", "1.2"],
            "version=TLSv1.2 alpn=http/1.1 sni=localhost group=true cipher13=false peer_certs=0 hello_alpn=-\n",
        ),
    ] {
        let ca_pem = dir.join("ca.pem").display().to_string();
        let url = format!("https://localhost:{port}/");
        let resolve = format!("localhost:{port}:127.0.0.1");
        let out = blocking(move || {
            let mut args = vec!["-sS", "--cacert", &ca_pem, "--resolve", &resolve];
            args.extend(flags);
            args.push(&url);
            run_client("curl", &args, b"", IO_TIMEOUT)
        })
        .await;
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
    assert_eq!(server.served.load(Ordering::SeqCst), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_without_the_ca_refuses_the_certificate() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("curl-untrusted");
    let (_ca, config) = ca_and_config(&dir);
    let server = serve(&config).await;
    let url = format!("https://127.0.0.1:{}/", server.addr.port());
    let (status, stderr) = blocking(move || run_to_exit("curl", &["-sS", &url], IO_TIMEOUT)).await;
    assert_eq!(status.code(), Some(60), "{stderr}");
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_client_gets_h2_by_alpn_and_the_client_hello_is_captured() {
    if !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("s_client");
    let (_ca, config) = ca_and_config(&dir);
    let server = serve(
        &config
            .with_alpn(AlpnList::h2_http11())
            .with_client_hello_capture(true),
    )
    .await;
    let ca_pem = dir.join("ca.pem").display().to_string();
    let connect = server.addr.to_string();
    let out = blocking(move || {
        s_client(
            &connect,
            &["-servername", "localhost", "-alpn", "http/1.1,h2"],
            &ca_pem,
            b"hello over boring\n",
        )
    })
    .await;
    // server preference: h2 although the client listed http/1.1 first
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "version=TLSv1.3 alpn=h2 sni=localhost group=true cipher13=true peer_certs=0 \
         hello_alpn=http/1.1,h2 echo: hello over boring\n"
    );

    // TLS 1.2, and a protocol the server does not speak: no ALPN agreed
    let ca_pem = dir.join("ca.pem").display().to_string();
    let connect = server.addr.to_string();
    let out = blocking(move || {
        s_client(
            &connect,
            &["-servername", "localhost", "-tls1_2", "-alpn", "spdy/3"],
            &ca_pem,
            b"again\n",
        )
    })
    .await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "version=TLSv1.2 alpn=- sni=localhost group=true cipher13=false peer_certs=0 \
         hello_alpn=spdy/3 echo: again\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_map_and_async_resolver_pick_the_certificate() {
    if !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("sni");
    let ca = CertificateAuthority::generate("boring sni CA").unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let map = SniCertMap::new()
        .with_cert("a.test", Arc::new(ca.issue(&["a.test"]).unwrap()))
        .with_cert("*.b.test", Arc::new(ca.issue(&["*.b.test"]).unwrap()));
    let by_map = serve(&ServerConfig::new(map.into())).await;

    let seen = Arc::new(Mutex::new(Vec::<CertRequest>::new()));
    let ca = Arc::new(ca);
    let (seen2, ca2) = (seen.clone(), ca.clone());
    let resolver = resolver_fn(move |request: CertRequest| {
        let (seen, ca) = (seen2.clone(), ca2.clone());
        async move {
            seen.lock().unwrap().push(request.clone());
            tokio::time::sleep(Duration::from_millis(20)).await; // really async
            let name = request.server_name.ok_or("no SNI, no certificate")?;
            if name.starts_with("refused.") {
                return Err("refused by the resolver".into());
            }
            Ok(Arc::new(ca.issue(&[name.as_str()])?))
        }
    });
    let by_resolver = serve(&ServerConfig::new(ServerCertSource::resolver(resolver))).await;

    for (server, sni, ok) in [
        (&by_map, "a.test", true),
        (&by_map, "www.b.test", true),
        (&by_map, "c.test", false),
        (&by_resolver, "minted.test", true),
        (&by_resolver, "refused.test", false),
    ] {
        let ca_pem = dir.join("ca.pem").display().to_string();
        let connect = server.addr.to_string();
        let (status, stderr) = blocking(move || {
            run_to_exit(
                "sh",
                &[
                    "-c",
                    &format!(
                        "echo ping | openssl s_client -connect {connect} -servername {sni} \
                         -verify_hostname {sni} -CAfile {ca_pem} -verify_return_error \
                         -alpn h2 -quiet"
                    ),
                ],
                IO_TIMEOUT,
            )
        })
        .await;
        assert_eq!(status.success(), ok, "{sni}: {stderr}");
    }
    assert_eq!(by_map.served.load(Ordering::SeqCst), 2);
    assert_eq!(by_resolver.served.load(Ordering::SeqCst), 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].server_name.as_deref(), Some("minted.test"));
    assert!(seen[0].alpn.contains(&ApplicationProtocol::H2));
    assert!(!seen[0].cipher_suites.is_empty());
    assert!(!seen[0].signature_schemes.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_silent_client_times_out_and_garbage_is_refused() {
    let dir = temp_dir("timeout");
    let (_ca, config) = ca_and_config(&dir);
    let layer =
        TlsAcceptorLayer::new(&config.with_handshake_timeout(Some(Duration::from_millis(200))))
            .unwrap();
    let svc = layer.into_layer(service_fn(async |_stream: Tls| Ok::<_, std::io::Error>(())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        rama_core::Service::serve(&svc, TcpStream::new(accepted)),
    )
    .await
    .expect("the acceptor must give up by itself")
    .unwrap_err();
    let err = err.downcast::<TlsError>().unwrap();
    assert!(err.is_timeout(), "{err}");

    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        rama_core::Service::serve(&svc, TcpStream::new(accepted)),
    )
    .await
    .unwrap()
    .unwrap_err();
    let err = err.downcast::<TlsError>().unwrap();
    assert!(err.is_handshake(), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_by_default_gets_h2_by_alpn() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("curl-h2");
    let (_ca, config) = ca_and_config(&dir);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let layer = TlsAcceptorLayer::new(&config.with_alpn(AlpnList::h2_http11())).unwrap();
    let svc = layer.into_layer(service_fn(move |stream: Tls| {
        let tx = tx.clone();
        async move {
            // record what ALPN agreed, then hang up (this service speaks no h2)
            tx.send(stream.negotiated().and_then(|p| p.alpn.clone()))
                .unwrap();
            Ok::<_, std::io::Error>(())
        }
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(listener.serve(svc));
    let ca_pem = dir.join("ca.pem").display().to_string();
    let url = format!("https://localhost:{port}/");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let (_status, stderr) = blocking(move || {
        run_to_exit(
            "curl",
            &[
                "-sS",
                "-v",
                "--cacert",
                &ca_pem,
                "--resolve",
                &resolve,
                &url,
            ],
            IO_TIMEOUT,
        )
    })
    .await;
    let alpn = tokio::time::timeout(IO_TIMEOUT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alpn, Some(ApplicationProtocol::H2), "{stderr}");
    task.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}
