//! mTLS with the rustls backend: a client without a certificate is refused, one with a
//! certificate signed by the client CA is served (curl, openssl s_client and our connector).
#![cfg(feature = "rustls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, Service, service_fn};
use rama_net::{address::Domain, dns::InMemoryDns, stream::RewindStream};
use rama_tcp::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
    server::TcpListener,
};
use rama_test_support::{IO_TIMEOUT, run_client, run_to_exit, tool_available};
use rama_tls::{
    cert::CertificateAuthority,
    config::{ClientAuth, ClientConfig, ServerConfig, ServerVerification},
    rustls::{TlsAcceptorLayer, TlsConnectorLayer, TlsStream},
};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Setup {
    dir: PathBuf,
    server_ca: CertificateAuthority,
    client_ca: CertificateAuthority,
    addr: SocketAddr,
    served: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server with a `localhost` certificate that requires (or, `optional`, asks for) client
/// certificates of `client_ca`; it answers HTTP with the number of client certificates it
/// saw. Writes `server-ca.pem`, `client.pem` and `client.key` (signed by the client CA) and
/// `rogue.pem`/`rogue.key` (signed by another CA).
async fn setup(test: &str, optional: bool) -> Setup {
    let dir = std::env::temp_dir().join(format!("rama-mtls-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let server_ca = CertificateAuthority::generate("mtls server CA").unwrap();
    let client_ca = CertificateAuthority::generate("mtls client CA").unwrap();
    std::fs::write(dir.join("server-ca.pem"), server_ca.cert_pem()).unwrap();
    let client = client_ca.issue(&["client.test"]).unwrap();
    std::fs::write(dir.join("client.pem"), client.chain_pem()).unwrap();
    std::fs::write(dir.join("client.key"), client.key_pem()).unwrap();
    let rogue = CertificateAuthority::generate("rogue CA")
        .unwrap()
        .issue(&["client.test"])
        .unwrap();
    std::fs::write(dir.join("rogue.pem"), rogue.chain_pem()).unwrap();
    std::fs::write(dir.join("rogue.key"), rogue.key_pem()).unwrap();

    let auth = if optional {
        ClientAuth::optional_pem(&client_ca.cert_pem()).unwrap()
    } else {
        ClientAuth::required_pem(&client_ca.cert_pem()).unwrap()
    };
    let config =
        ServerConfig::new(server_ca.issue(&["localhost"]).unwrap().into()).with_client_auth(auth);
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let svc = TlsAcceptorLayer::new(&config)
        .unwrap()
        .into_layer(service_fn(
            move |mut stream: TlsStream<RewindStream<TcpStream>>| {
                count.fetch_add(1, Ordering::SeqCst);
                async move {
                    let certs = stream.negotiated().unwrap().peer_certificates.len();
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf).await?;
                    let body = format!("client certs: {certs}\n");
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    stream.write_all(reply.as_bytes()).await?;
                    stream.shutdown().await
                }
            },
        ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(listener.serve(svc));
    Setup {
        dir,
        server_ca,
        client_ca,
        addr,
        served,
        task,
    }
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

fn curl_args(s: &Setup, cert: Option<(&str, &str)>) -> Vec<String> {
    let port = s.addr.port();
    let mut args = vec![
        "-sS".to_owned(),
        "--cacert".to_owned(),
        path(&s.dir, "server-ca.pem"),
        "--resolve".to_owned(),
        format!("localhost:{port}:127.0.0.1"),
    ];
    if let Some((cert, key)) = cert {
        args.extend([
            "--cert".to_owned(),
            path(&s.dir, cert),
            "--key".to_owned(),
            path(&s.dir, key),
        ]);
    }
    args.push(format!("https://localhost:{port}/"));
    args
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::time::timeout(IO_TIMEOUT * 2, tokio::task::spawn_blocking(f))
        .await
        .expect("client timed out")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_needs_a_certificate_of_the_client_ca() {
    if !tool_available("curl") {
        return;
    }
    let s = setup("curl", false).await;

    for (cert, what) in [
        (None, "no certificate"),
        (Some(("rogue.pem", "rogue.key")), "a rogue one"),
    ] {
        let args = curl_args(&s, cert);
        let (status, stderr) = blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_to_exit("curl", &args, IO_TIMEOUT)
        })
        .await;
        assert!(!status.success(), "curl with {what} was served: {stderr}");
    }
    assert_eq!(s.served.load(Ordering::SeqCst), 0);

    let args = curl_args(&s, Some(("client.pem", "client.key")));
    let out = blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_client("curl", &args, b"", IO_TIMEOUT)
    })
    .await;
    assert_eq!(String::from_utf8(out).unwrap(), "client certs: 1\n");
    assert_eq!(s.served.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_with_and_without_a_certificate() {
    if !tool_available("openssl") {
        return;
    }
    let s = setup("s_client", false).await;
    let base = format!(
        "printf 'GET / HTTP/1.1\\r\\nhost: localhost\\r\\n\\r\\n' | openssl s_client -connect {} \
         -servername localhost -CAfile {} -verify_return_error -quiet",
        s.addr,
        path(&s.dir, "server-ca.pem")
    );
    // s_client's exit status after the server's alert varies between versions: check what
    // it received instead
    let without = format!("{base} || true");
    let out = blocking(move || run_client("sh", &["-c", &without], b"", IO_TIMEOUT)).await;
    assert!(!String::from_utf8_lossy(&out).contains("client certs"));
    assert_eq!(s.served.load(Ordering::SeqCst), 0);

    let with = format!(
        "{base} -cert {} -key {}",
        path(&s.dir, "client.pem"),
        path(&s.dir, "client.key")
    );
    let out = blocking(move || run_client("sh", &["-c", &with], b"", IO_TIMEOUT)).await;
    assert!(
        String::from_utf8_lossy(&out).ends_with("client certs: 1\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(s.served.load(Ordering::SeqCst), 1);
}

fn connector(
    s: &Setup,
    client_cert: bool,
) -> impl Service<
    TcpRequest,
    Output = rama_net::client::EstablishedClientConnection<TlsStream<TcpStream>, TcpRequest>,
    Error = rama_tls::rustls::TlsError,
> {
    let mut config = ClientConfig::new()
        .with_verification(ServerVerification::custom_pem(&s.server_ca.cert_pem()).unwrap());
    if client_cert {
        config = config.with_client_cert(Arc::new(s.client_ca.issue(&["connector.test"]).unwrap()));
    }
    TlsConnectorLayer::new(&config)
        .unwrap()
        .into_layer(TcpConnector::with_resolver(InMemoryDns::new().with_ips(
            Domain::from_static("localhost"),
            [Ipv4Addr::LOCALHOST.into()],
        )))
}

/// Send a request and read the answer to the end (or the error that ends it).
async fn exchange(conn: &mut TlsStream<TcpStream>) -> std::io::Result<String> {
    conn.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut out))
        .await
        .expect("read timed out")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn connector_with_and_without_a_client_certificate() {
    let s = setup("connector", false).await;
    let target = || TcpRequest::new(format!("localhost:{}", s.addr.port()).parse().unwrap());

    // TLS 1.3: the client finishes its side before the server checks the certificate, so
    // the refusal shows on the first read; the service is never called
    let refused = match connector(&s, false).serve(target()).await {
        Ok(est) => {
            let mut conn = est.conn;
            exchange(&mut conn).await.map(|text| text.is_empty())
        }
        Err(err) => {
            assert!(err.is_handshake(), "{err}");
            Ok(true)
        }
    };
    assert!(
        refused.unwrap_or(true),
        "served without a client certificate"
    );
    assert_eq!(s.served.load(Ordering::SeqCst), 0);

    let mut conn = connector(&s, true).serve(target()).await.unwrap().conn;
    assert!(
        exchange(&mut conn)
            .await
            .unwrap()
            .ends_with("client certs: 1\n")
    );
    assert_eq!(s.served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn optional_client_auth_serves_both() {
    let s = setup("optional", true).await;
    let target = || TcpRequest::new(format!("localhost:{}", s.addr.port()).parse().unwrap());
    let mut anonymous = connector(&s, false).serve(target()).await.unwrap().conn;
    assert!(
        exchange(&mut anonymous)
            .await
            .unwrap()
            .ends_with("client certs: 0\n")
    );
    let mut with_cert = connector(&s, true).serve(target()).await.unwrap().conn;
    assert!(
        exchange(&mut with_cert)
            .await
            .unwrap()
            .ends_with("client certs: 1\n")
    );
    let peer = with_cert.negotiated().unwrap().peer_certificates.len();
    assert_eq!(peer, 1, "the client sees the server's certificate");
    assert_eq!(s.served.load(Ordering::SeqCst), 2);
}
