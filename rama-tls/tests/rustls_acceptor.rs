//! The rustls acceptor over loopback, with curl and openssl s_client as peers: certificates
//! from a CA, ALPN, the negotiated parameters and the captured ClientHello in the stream's
//! extensions, handshake timeouts.
#![cfg(feature = "rustls")]
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
    cert::CertificateAuthority,
    client_hello::ClientHello,
    config::{ServerConfig, SniCertMap},
    rustls::{TlsAcceptorLayer, TlsStream},
    types::{AlpnList, ApplicationProtocol, ProtocolVersion},
};
use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Tls = TlsStream<RewindStream<TcpStream>>;

/// Reads an HTTP/1 request head (answering with a small response) or one line (answering
/// `echo: LINE`); either answer starts with what the handshake agreed on.
async fn demo(mut stream: Tls) -> std::io::Result<()> {
    let params = stream.negotiated().cloned().expect("negotiated parameters");
    let hello_sni = stream
        .extensions()
        .get::<ClientHello>()
        .map(|h| h.server_name().unwrap_or("-").to_owned());
    let summary = format!(
        "version={} alpn={} sni={} peer_certs={} hello_sni={}",
        params.version,
        params.alpn.as_ref().map_or("-".into(), ToString::to_string),
        params.server_name.as_deref().unwrap_or("-"),
        params.peer_certificates.len(),
        hello_sni.as_deref().unwrap_or("-"),
    );
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        buf.extend_from_slice(&chunk[..n]);
        let http = buf.starts_with(b"GET ");
        let done = if http {
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

/// A fresh directory for this test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rama-tls-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CA (its certificate written to `dir/ca.pem`) and a config serving a `localhost` leaf.
fn ca_and_config(dir: &std::path::Path) -> (CertificateAuthority, ServerConfig) {
    let ca = CertificateAuthority::generate("rama acceptor test CA").unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_with_the_ca_is_served_and_sees_the_negotiated_parameters() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("curl");
    let (_ca, config) = ca_and_config(&dir);
    let server =
        serve(&config.with_alpn(AlpnList::from_iter([ApplicationProtocol::HTTP_11]))).await;
    let port = server.addr.port();
    let ca_pem = dir.join("ca.pem").display().to_string();
    let url = format!("https://localhost:{port}/");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let out = blocking(move || {
        run_client(
            "curl",
            &["-sS", "--cacert", &ca_pem, "--resolve", &resolve, &url],
            b"",
            IO_TIMEOUT,
        )
    })
    .await;
    let body = String::from_utf8(out).unwrap();
    assert_eq!(
        body,
        "version=TLSv1.3 alpn=http/1.1 sni=localhost peer_certs=0 hello_sni=-\n"
    );

    // TLS 1.2 only, by IP address (no SNI is sent for an IP)
    let ca_pem = dir.join("ca.pem").display().to_string();
    let url = format!("https://127.0.0.1:{port}/");
    let out = blocking(move || {
        run_client(
            "curl",
            &[
                "-sS",
                "--tlsv1.2",
                "--tls-max",
                "1.2",
                "--cacert",
                &ca_pem,
                &url,
            ],
            b"",
            IO_TIMEOUT,
        )
    })
    .await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "version=TLSv1.2 alpn=http/1.1 sni=- peer_certs=0 hello_sni=-\n"
    );
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
    // 60: the peer certificate cannot be authenticated with known CA certificates
    assert_eq!(status.code(), Some(60), "{stderr}");
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_handshakes_and_the_client_hello_is_captured() {
    if !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("s_client");
    let (_ca, config) = ca_and_config(&dir);
    let server = serve(&config.with_client_hello_capture(true)).await;
    let ca_pem = dir.join("ca.pem").display().to_string();
    let connect = server.addr.to_string();
    let out = blocking(move || {
        run_client(
            "openssl",
            &[
                "s_client",
                "-connect",
                &connect,
                "-servername",
                "localhost",
                "-CAfile",
                &ca_pem,
                "-verify_return_error",
                "-alpn",
                "h2,http/1.1",
                "-quiet",
            ],
            b"hello over tls\n",
            IO_TIMEOUT,
        )
    })
    .await;
    // the server has no ALPN list: none is agreed even though the client offered two
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "version=TLSv1.3 alpn=- sni=localhost peer_certs=0 hello_sni=localhost echo: hello over tls\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_map_serves_the_certificate_for_each_name() {
    if !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("sni-map");
    let ca = CertificateAuthority::generate("sni map CA").unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let map = SniCertMap::new()
        .with_cert("a.test", Arc::new(ca.issue(&["a.test"]).unwrap()))
        .with_cert("*.b.test", Arc::new(ca.issue(&["*.b.test"]).unwrap()));
    let server =
        serve(&ServerConfig::new(map.into()).with_min_version(ProtocolVersion::TLS_V1_3)).await;
    for (sni, verify_name, ok) in [
        ("a.test", "a.test", true),
        ("www.b.test", "www.b.test", true),
        // no certificate for this name: the handshake fails
        ("c.test", "c.test", false),
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
                         -verify_hostname {verify_name} -CAfile {ca_pem} -verify_return_error \
                         -quiet"
                    ),
                ],
                IO_TIMEOUT,
            )
        })
        .await;
        assert_eq!(status.success(), ok, "{sni}: {stderr}");
    }
    assert_eq!(server.served.load(Ordering::SeqCst), 2);
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

    // silent: the acceptor gives up after its timeout
    let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        rama_core::Service::serve(&svc, TcpStream::new(accepted)),
    )
    .await
    .expect("the acceptor must give up by itself")
    .unwrap_err();
    let err = err.downcast::<rama_tls::rustls::TlsError>().unwrap();
    assert!(err.is_timeout(), "{err}");

    // not TLS: a handshake error, quickly
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
    let err = err.downcast::<rama_tls::rustls::TlsError>().unwrap();
    assert!(err.is_handshake(), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_async_resolver_sees_the_client_hello_and_its_failure_refuses_the_handshake() {
    use rama_tls::config::{
        CertRequest, ClientConfig, ServerCertSource, ServerVerification, resolver_fn,
    };
    use rama_tls::rustls::TlsConnectorLayer;

    let ca = CertificateAuthority::generate("resolver CA").unwrap();
    let leaf = Arc::new(ca.issue(&["known.test"]).unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::<CertRequest>::new()));
    let record = seen.clone();
    let resolver = resolver_fn(move |req: CertRequest| {
        record.lock().unwrap().push(req.clone());
        let leaf = leaf.clone();
        async move {
            match req.server_name.as_deref() {
                Some("known.test") => Ok(leaf),
                _ => Err("no certificate for this name".into()),
            }
        }
    });
    let layer = TlsAcceptorLayer::new(
        &ServerConfig::new(ServerCertSource::resolver(resolver))
            .with_alpn(AlpnList::h2_http11())
            .with_client_hello_capture(true),
    )
    .unwrap();
    let svc = layer.into_layer(service_fn(async |mut stream: Tls| {
        // both records: rustls' view and our own parse of the same ClientHello
        let hello = stream.extensions().get::<ClientHello>().unwrap().clone();
        let params = stream.negotiated().unwrap().clone();
        let line = format!(
            "{} {} {}\n",
            params.server_name.unwrap(),
            params.alpn.unwrap(),
            hello.alpn().unwrap().len()
        );
        stream.write_all(line.as_bytes()).await?;
        stream.shutdown().await
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let client = |name: &'static str| {
        let layer = TlsConnectorLayer::new(
            &ClientConfig::new()
                .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap())
                .with_alpn(AlpnList::h2_http11())
                .with_server_name(rama_tls::config::ClientServerName::Override(
                    name.parse().unwrap(),
                )),
        )
        .unwrap();
        let tcp = service_fn(async |addr: rama_net::address::Authority| {
            let Some(ip) = addr.host().as_ip() else {
                return Err::<_, std::io::Error>(std::io::ErrorKind::InvalidInput.into());
            };
            let conn = TcpStream::connect(SocketAddr::new(ip, addr.port())).await?;
            Ok(rama_net::client::EstablishedClientConnection::new(
                conn, addr,
            ))
        });
        layer.into_layer(tcp)
    };

    // a known name: served, and the resolver saw the SNI and the offered ALPN
    let known = tokio::spawn({
        let connector = client("known.test");
        async move {
            let mut conn = rama_core::Service::serve(&connector, addr.into())
                .await
                .unwrap()
                .conn;
            let mut line = String::new();
            conn.read_to_string(&mut line).await.unwrap();
            line
        }
    });
    let (accepted, _) = listener.accept().await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        rama_core::Service::serve(&svc, TcpStream::new(accepted)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(known.await.unwrap(), "known.test h2 2\n");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].server_name.as_deref(), Some("known.test"));
        assert_eq!(seen[0].alpn, AlpnList::h2_http11());
        assert!(!seen[0].cipher_suites.is_empty());
        assert!(!seen[0].signature_schemes.is_empty());
    }

    // an unknown name: the resolver fails, so does the handshake, on both sides
    let unknown = tokio::spawn({
        let connector = client("unknown.test");
        async move {
            rama_core::Service::serve(&connector, addr.into())
                .await
                .map(|_| ())
        }
    });
    let (accepted, _) = listener.accept().await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        rama_core::Service::serve(&svc, TcpStream::new(accepted)),
    )
    .await
    .unwrap()
    .unwrap_err();
    let err = err.downcast::<rama_tls::rustls::TlsError>().unwrap();
    assert!(err.is_certificate(), "{err}");
    assert!(unknown.await.unwrap().unwrap_err().is_handshake());
}
