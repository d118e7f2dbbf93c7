//! The client against other servers on loopback: nginx (HTTP/1.1 and h2c prior knowledge on
//! its own ports), a hyper server (hyper-util's auto builder, in process) and rama's own
//! HttpServer with an echo service. Each answers HTTP/1.1 and h2 requests sent with
//! `EasyHttpWebClient` through `HttpClientExt`; the rama echo shows that a caller-chosen
//! header order and spelling arrive as chosen.
//!
//! nginx is a Debian package (`.ci/run` installs it); without it the nginx test is skipped
//! with a message, unless `CI=true`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use bytes::Bytes;
use rama_core::error::BoxError;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::client::{ClientVersion, EasyHttpWebClient, HttpClientExt, ResponseExt};
use rama_http::server::HttpServer;
use rama_http::wire::{OriginalHeaderNames, ordered_headers};
use rama_http::{Body, Request, Response, StatusCode, Version};
use rama_net::dns::DenyAllDns;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, tool_available};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

type Client = EasyHttpWebClient<TcpConnector<DenyAllDns>>;

fn client(version: ClientVersion) -> Client {
    EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns)).with_version(version)
}

/// GETs `url` with an `x-interop` header and returns status, version and body text.
async fn get(client: &Client, url: &str) -> (StatusCode, Version, String) {
    timeout(WAIT, async {
        let res = client
            .get(url)
            .header("x-interop", "yes")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e:#}"));
        let (status, version) = (res.status(), res.version());
        (status, version, res.text().await.unwrap())
    })
    .await
    .unwrap_or_else(|_| panic!("GET {url} answered in time"))
}

/// Both versions against one server: `check` sees what each answered.
async fn both_versions(url: &str, check: impl Fn(Version, &str)) {
    for (version, wire) in [
        (ClientVersion::Http1, Version::HTTP_11),
        (ClientVersion::H2PriorKnowledge, Version::HTTP_2),
    ] {
        let client = client(version);
        for _ in 0..3 {
            let (status, got, body) = get(&client, url).await;
            assert_eq!(status, StatusCode::OK, "{url} {version:?}: {body}");
            assert_eq!(got, wire, "{url} {version:?}");
            check(wire, &body);
        }
        // three requests, one connection
        assert_eq!(client.pool().counters().created(), 1, "{url} {version:?}");
    }
}

// ---- rama echo ----

/// `METHOD TARGET VERSION`, then the header lines in wire order and spelling.
async fn echo(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let mut out = format!(
        "{} {} {:?}\n",
        req.method(),
        req.uri().path_and_query().map_or("", |pq| pq.as_str()),
        req.version()
    );
    let record = req.extensions().get::<OriginalHeaderNames>();
    for (name, value) in ordered_headers(req.headers(), record) {
        out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
    }
    Ok(Response::new(Body::from(out)))
}

async fn start_rama_echo() -> (SocketAddr, Shutdown) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(
        shutdown.guard(),
        HttpServer::auto().service(service_fn(echo)),
    ));
    (addr, shutdown)
}

async fn stop(shutdown: Shutdown) {
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown())
        .await
        .expect("server stops in time");
}

#[tokio::test]
async fn rama_echo_speaks_both_and_sees_the_chosen_header_order() {
    let (addr, shutdown) = start_rama_echo().await;
    let url = format!("http://{addr}/echo?q=1");
    both_versions(&url, |version, body| {
        assert!(
            body.starts_with(&format!("GET /echo?q=1 {version:?}\n")),
            "{body}"
        );
        assert!(
            body.to_ascii_lowercase().contains("x-interop: yes\n"),
            "{body}"
        );
    })
    .await;

    // HTTP/1.1: order and spelling exactly as chosen, Host placed by the record
    let client = client(ClientVersion::Http1);
    let body = timeout(WAIT, async {
        client
            .get(&url)
            .header("x-second", "2")
            .header("accept", "*/*")
            .header("x-first", "1")
            .header_order(["X-FIRST", "host", "Accept", "x-Second"])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("answer in time");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            "GET /echo?q=1 HTTP/1.1",
            "X-FIRST: 1",
            &format!("host: {addr}"),
            "Accept: */*",
            "x-Second: 2",
        ],
        "{body}"
    );
    stop(shutdown).await;
}

// ---- hyper ----

async fn hyper_hello(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Full<Bytes>>, std::convert::Infallible> {
    let text = format!(
        "hyper {:?} {} {} x-interop={}",
        req.version(),
        req.method(),
        req.uri().path(),
        req.headers()
            .get("x-interop")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
    );
    Ok(hyper::Response::new(http_body_util::Full::new(
        Bytes::from(text),
    )))
}

#[tokio::test]
async fn hyper_server_speaks_both() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                );
                let _ = builder
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper::service::service_fn(hyper_hello),
                    )
                    .await;
            });
        }
    });
    both_versions(&format!("http://{addr}/hi"), |version, body| {
        assert_eq!(body, format!("hyper {version:?} GET /hi x-interop=yes"));
    })
    .await;
    server.abort();
    let _ = server.await;
}

// ---- nginx ----

/// A temporary nginx: its prefix directory (config, pid, logs, temp paths) is removed and
/// the process killed on drop.
struct Nginx {
    dir: PathBuf,
    http1: u16,
    h2c: u16,
    process: Option<KillOnDrop>,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // killed and reaped first, then its files go
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

fn start_nginx(program: &str) -> Nginx {
    let dir = std::env::temp_dir().join(format!(
        "rama-client-interop-nginx-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (http1, h2c) = (free_port(), free_port());
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
        listen 127.0.0.1:{http1};
        listen 127.0.0.1:{h2c} http2;
        location / {{
            default_type text/plain;
            return 200 "nginx $server_protocol $request_method $request_uri x-interop=$http_x_interop";
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
        http1,
        h2c,
        process: Some(KillOnDrop(child)),
    };
    let start = Instant::now();
    while [nginx.http1, nginx.h2c]
        .iter()
        .any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err())
    {
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

#[tokio::test]
async fn nginx_speaks_both() {
    let Some(program) = nginx_binary() else {
        return;
    };
    let nginx = start_nginx(program);
    for (version, wire, port, protocol) in [
        (
            ClientVersion::Http1,
            Version::HTTP_11,
            nginx.http1,
            "HTTP/1.1",
        ),
        (
            ClientVersion::H2PriorKnowledge,
            Version::HTTP_2,
            nginx.h2c,
            "HTTP/2.0",
        ),
    ] {
        let client = client(version);
        let url = format!("http://127.0.0.1:{port}/path?x=1");
        for _ in 0..3 {
            let (status, got, body) = get(&client, &url).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(got, wire);
            assert_eq!(
                body,
                format!("nginx {protocol} GET /path?x=1 x-interop=yes"),
                "{version:?}"
            );
        }
        assert_eq!(client.pool().counters().created(), 1, "{version:?}");
    }
    drop(nginx);
}
