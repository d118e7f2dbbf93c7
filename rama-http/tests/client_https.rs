//! `EasyHttpWebClient` over https: against rama's `HttpServer::auto` behind the rustls
//! acceptor (h2 and HTTP/1.1 by ALPN, one pooled connection for 100 sequential requests),
//! against nginx with TLS, and certificate verification (untrusted refused unless
//! insecure, a custom CA trusted).
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::Layer;
use rama_core::extensions::Extensions;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::client::{ClientVersion, EasyHttpWebClient, HttpClientExt, ResponseExt};
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response, Version};
use rama_net::dns::DenyAllDns;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, tool_available};
use rama_tls::cert::CertificateAuthority;
use rama_tls::config::{ClientConfig, ServerConfig, ServerVerification};
use rama_tls::negotiated::NegotiatedTlsParameters;
use rama_tls::rustls::TlsAcceptorLayer;
use rama_tls::types::{AlpnList, ApplicationProtocol};
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

type Client = EasyHttpWebClient<TcpConnector<DenyAllDns>>;

fn client(version: ClientVersion, ca: &CertificateAuthority) -> Client {
    EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns))
        .with_version(version)
        .with_tls_config(
            ClientConfig::new()
                .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap()),
        )
        .unwrap()
}

struct Server {
    url: String,
    shutdown: Shutdown,
    connections: Arc<AtomicUsize>,
}

impl Server {
    async fn stop(self) {
        self.shutdown.trigger().trigger();
        timeout(WAIT, self.shutdown.shutdown()).await.unwrap();
    }
}

/// rama's auto server behind the rustls acceptor accepting `alpn`; it answers with the
/// request's version and the negotiated ALPN, and counts TLS connections.
async fn start(ca: &CertificateAuthority, alpn: AlpnList) -> Server {
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    let config = ServerConfig::new(leaf.into()).with_alpn(alpn);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    let http = HttpServer::auto().service(service_fn(async |req: Request<Body>| {
        let alpn = req
            .extensions()
            .get::<Extensions>()
            .and_then(|e| e.get::<NegotiatedTlsParameters>())
            .and_then(|p| p.alpn.clone())
            .map_or_else(|| "none".to_owned(), |a| a.to_string());
        Ok::<_, Infallible>(Response::new(Body::from(format!(
            "{:?} alpn={alpn}",
            req.version()
        ))))
    }));
    let counted = service_fn(move |stream| {
        seen.fetch_add(1, Ordering::SeqCst);
        let http = http.clone();
        async move { rama_core::Service::serve(&http, stream).await }
    });
    let service = TlsAcceptorLayer::new(&config).unwrap().into_layer(counted);
    let shutdown = Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    Server {
        url: format!("https://127.0.0.1:{}", addr.port()),
        shutdown,
        connections,
    }
}

/// `n` sequential GETs of `url`; every answer must be `want`.
async fn sequential(client: &Client, url: &str, n: usize, want: &str) {
    for i in 0..n {
        let res = timeout(WAIT, client.get(format!("{url}/{i}")).send())
            .await
            .unwrap()
            .unwrap();
        let body = timeout(WAIT, res.text()).await.unwrap().unwrap();
        assert_eq!(body, want, "request {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpn_picks_the_version_and_one_connection_serves_100_requests() {
    let ca = CertificateAuthority::generate("client_https CA").unwrap();
    let server = start(&ca, AlpnList::h2_http11()).await;
    for (version, want) in [
        (ClientVersion::Auto, "HTTP/2.0 alpn=h2"),
        (ClientVersion::Http1, "HTTP/1.1 alpn=http/1.1"),
        (ClientVersion::H2PriorKnowledge, "HTTP/2.0 alpn=h2"),
    ] {
        let before = server.connections.load(Ordering::SeqCst);
        let client = client(version, &ca);
        sequential(&client, &server.url, 100, want).await;
        assert_eq!(client.pool().counters().created(), 1, "{version:?}");
        assert_eq!(
            server.connections.load(Ordering::SeqCst) - before,
            1,
            "{version:?}: TLS connections accepted"
        );
    }
    server.stop().await;

    // a server that only speaks HTTP/1.1: the default client follows its ALPN
    let server = start(&ca, [ApplicationProtocol::HTTP_11].into_iter().collect()).await;
    let client = client(ClientVersion::Auto, &ca);
    sequential(&client, &server.url, 100, "HTTP/1.1 alpn=http/1.1").await;
    assert_eq!(client.pool().counters().created(), 1);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_h2_connection() {
    let ca = CertificateAuthority::generate("client_https CA").unwrap();
    let server = start(&ca, AlpnList::h2_http11()).await;
    let client = client(ClientVersion::Auto, &ca);
    // nothing known about the origin yet: one request finds out, the others wait for it
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let client = client.clone();
            let url = format!("{}/c{i}", server.url);
            tokio::spawn(async move { client.get(url).send().await.unwrap().text().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(
            timeout(WAIT, task).await.unwrap().unwrap().unwrap(),
            "HTTP/2.0 alpn=h2"
        );
    }
    assert_eq!(client.pool().counters().created(), 1);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_certificates_are_refused_unless_insecure() {
    let ca = CertificateAuthority::generate("client_https CA").unwrap();
    let server = start(&ca, AlpnList::h2_http11()).await;
    // the default roots (webpki) do not know this CA
    let default = EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns));
    let err = timeout(WAIT, default.get(format!("{}/", server.url)).send())
        .await
        .unwrap()
        .unwrap_err();
    let chain = format!("{err:#}");
    assert!(chain.contains("TLS"), "{chain}");
    // another CA: refused too
    let other = CertificateAuthority::generate("other CA").unwrap();
    let err = client(ClientVersion::Auto, &other)
        .get(format!("{}/", server.url))
        .send()
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("TLS"), "{err:#}");
    // insecure: served
    let insecure = EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns))
        .with_tls_config(ClientConfig::new().with_verification(ServerVerification::Insecure))
        .unwrap();
    let res = insecure
        .get(format!("{}/", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), Version::HTTP_2);
    assert_eq!(res.text().await.unwrap(), "HTTP/2.0 alpn=h2");
    server.stop().await;
}

// ---- nginx ----

/// A temporary nginx with TLS: its directory is removed and the process killed on drop.
struct Nginx {
    dir: PathBuf,
    port: u16,
    process: Option<KillOnDrop>,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        drop(self.process.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx_binary() -> Option<&'static str> {
    if std::path::Path::new("/usr/sbin/nginx").exists() {
        return Some("/usr/sbin/nginx");
    }
    tool_available("nginx").then_some("nginx")
}

/// `listen PORT ssl; http2 on;` needs nginx 1.25.1; older ones take `listen PORT ssl http2`.
fn nginx_has_http2_directive(program: &str) -> bool {
    let out = Command::new(program).arg("-v").output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.split("nginx/").nth(1).unwrap_or_default().trim();
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts >= vec![1, 25, 1]
}

fn start_nginx(program: &str, ca: &CertificateAuthority) -> Nginx {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "rama-client-https-nginx-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.chain_pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf.key_pem()).unwrap();
    let (listen, http2) = if nginx_has_http2_directive(program) {
        (format!("127.0.0.1:{port} ssl"), "http2 on;")
    } else {
        (format!("127.0.0.1:{port} ssl http2"), "")
    };
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {listen};
        {http2}
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        keepalive_requests 1000;
        location / {{
            default_type text/plain;
            return 200 "nginx $server_protocol $ssl_protocol $request_uri";
        }}
    }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(program)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut nginx = Nginx {
        dir,
        port,
        process: Some(KillOnDrop(child)),
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let running = nginx
            .process
            .as_mut()
            .is_some_and(|p| matches!(p.0.try_wait(), Ok(None)));
        if start.elapsed() > WAIT || !running {
            let log = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
            panic!("nginx did not start listening: {log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    nginx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_with_tls_h2_and_http1() {
    let Some(program) = nginx_binary() else {
        return;
    };
    let ca = CertificateAuthority::generate("client_https nginx CA").unwrap();
    let nginx = start_nginx(program, &ca);
    let url = format!("https://127.0.0.1:{}", nginx.port);
    for (version, protocol) in [
        (ClientVersion::Auto, "HTTP/2.0"),
        (ClientVersion::Http1, "HTTP/1.1"),
    ] {
        let client = client(version, &ca);
        for i in 0..20 {
            let res = timeout(WAIT, client.get(format!("{url}/n{i}")).send())
                .await
                .unwrap()
                .unwrap();
            let body = res.text().await.unwrap();
            assert!(
                body.starts_with(&format!("nginx {protocol} TLSv1."))
                    && body.ends_with(&format!("/n{i}")),
                "{version:?}: {body}"
            );
        }
        assert_eq!(client.pool().counters().created(), 1, "{version:?}");
    }
    drop(nginx);
}
