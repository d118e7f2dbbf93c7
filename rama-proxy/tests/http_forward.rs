//! The HTTP forward proxy over real loopback sockets, with curl as the client: absolute-form
//! requests, CONNECT tunnels to plain and HTTPS origins, proxy authentication, an HTTPS proxy,
//! the error mapping (502 refused, 403 policy), an origin dying mid-body, and bad requests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::graceful::{Executor, Shutdown};
use rama_core::{Layer, service_fn};
use rama_http::client::EasyHttpWebClient;
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response, StatusCode};
use rama_net::address::Domain;
use rama_net::dns::InMemoryDns;
use rama_net::user::Basic;
use rama_proxy::http::server::{HttpForwardProxy, ProxyAuthLayer};
use rama_proxy::policy::{PolicyConnector, TargetPolicy};
use rama_tcp::server::TcpListener;
use rama_test_support::{pattern, tool_available};
use rama_tls::cert::CertificateAuthority;
use rama_tls::config::ServerConfig;
use rama_tls::rustls::TlsAcceptorLayer;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);
const BIG: usize = 1024 * 1024 + 7;

/// A server running on loopback until `stop`.
struct Running {
    addr: SocketAddr,
    shutdown: Shutdown,
}

impl Running {
    async fn stop(self) {
        self.shutdown.trigger().trigger();
        timeout(WAIT, self.shutdown.shutdown()).await.unwrap();
    }
}

/// The origin: `/big` is `pattern(BIG)`, `/echo` echoes the request body.
async fn origin_service(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let res = match req.uri().path() {
        "/big" => Response::new(Body::from(pattern(BIG))),
        "/echo" => {
            let body = req
                .into_body()
                .collect_bytes(8 * 1024 * 1024)
                .await
                .unwrap();
            Response::new(Body::from(body))
        }
        "/headers" => {
            let mut names: Vec<String> = req.headers().keys().map(|k| k.to_string()).collect();
            names.sort();
            Response::new(Body::from(names.join(",")))
        }
        _ => {
            let mut res = Response::new(Body::from("not found"));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    };
    Ok(res)
}

async fn start_origin() -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let svc = HttpServer::auto().service(service_fn(origin_service));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), svc));
    Running { addr, shutdown }
}

/// A test CA, its PEM written to a file for curl, and a TLS server config for localhost.
struct Tls {
    config: ServerConfig,
    ca_file: PathBuf,
}

impl Tls {
    fn new(name: &str) -> Self {
        let ca = CertificateAuthority::generate("forward proxy test CA").unwrap();
        let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
        let ca_file = std::env::temp_dir().join(format!(
            "rama-proxy-http-forward-{name}-{}.pem",
            std::process::id()
        ));
        std::fs::write(&ca_file, ca.cert_pem()).unwrap();
        Self {
            config: ServerConfig::new(leaf.into()),
            ca_file,
        }
    }

    fn ca(&self) -> &str {
        self.ca_file.to_str().unwrap()
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

async fn start_tls_origin(tls: &Tls) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let svc = TlsAcceptorLayer::new(&tls.config)
        .unwrap()
        .into_layer(HttpServer::auto().service(service_fn(origin_service)));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), svc));
    Running { addr, shutdown }
}

fn dns() -> InMemoryDns {
    InMemoryDns::new()
        .with_ips(
            Domain::from_static("localhost"),
            [Ipv4Addr::LOCALHOST.into()],
        )
        .with_ips(
            Domain::from_static("rebind.test"),
            [Ipv4Addr::LOCALHOST.into()],
        )
}

#[derive(Default)]
struct ProxyOptions {
    strict: bool,
    auth: Option<ProxyAuthLayer>,
    tls: Option<ServerConfig>,
}

async fn start_proxy(options: ProxyOptions) -> Running {
    let policy = if options.strict {
        TargetPolicy::public_only()
    } else {
        TargetPolicy::allow_all()
    };
    let connector = PolicyConnector::tcp(dns(), policy);
    let client = EasyHttpWebClient::with_connector(connector.clone());
    // tunnels are tracked: a graceful shutdown waits for them
    let shutdown = Shutdown::manual();
    let proxy = HttpForwardProxy::new(connector, client)
        .with_connect_timeout(Duration::from_secs(5))
        .with_executor(Executor::graceful(shutdown.guard()));
    let http = HttpServer::auto().service(options.auth.into_layer(proxy));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    match options.tls {
        Some(config) => {
            let svc = TlsAcceptorLayer::new(&config).unwrap().into_layer(http);
            shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), svc));
        }
        None => {
            shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), http));
        }
    }
    Running { addr, shutdown }
}

struct CurlOutput {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

async fn curl(args: &[&str]) -> CurlOutput {
    let out = timeout(
        WAIT,
        tokio::process::Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("curl finished in time")
    .expect("curl runs");
    CurlOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn proxy_url(scheme: &str, addr: SocketAddr) -> String {
    format!("{scheme}://{addr}")
}

/// Sends raw bytes to `addr` and reads one response: status and body (by Content-Length).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_response(&mut stream).await
}

async fn read_response(stream: &mut tokio::net::TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "closed before a response head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head[9..12].parse().unwrap();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    (
        status,
        String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned(),
    )
}

#[tokio::test]
async fn absolute_form_forwards_bodies_byte_for_byte() {
    if !tool_available("curl") {
        return;
    }
    let origin = start_origin().await;
    let proxy = start_proxy(ProxyOptions::default()).await;
    let x = proxy_url("http", proxy.addr);

    let got = curl(&["-x", &x, &format!("http://{}/big", origin.addr)]).await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(
        got.stdout == pattern(BIG),
        "body differs ({} bytes)",
        got.stdout.len()
    );

    // a request body goes up and comes back unchanged
    let file = std::env::temp_dir().join(format!("rama-proxy-fwd-post-{}", std::process::id()));
    std::fs::write(&file, pattern(300_000)).unwrap();
    let data = format!("@{}", file.display());
    let got = curl(&[
        "-x",
        &x,
        "--data-binary",
        &data,
        &format!("http://{}/echo", origin.addr),
    ])
    .await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(300_000));

    // hop-by-hop fields do not reach the origin; end-to-end ones do
    let got = curl(&[
        "-x",
        &x,
        "-H",
        "Connection: x-private",
        "-H",
        "X-Private: 1",
        "-H",
        "X-Public: 1",
        "-H",
        "Proxy-Connection: keep-alive",
        &format!("http://{}/headers", origin.addr),
    ])
    .await;
    let names = String::from_utf8(got.stdout).unwrap();
    assert!(
        names.contains("x-public") && names.contains("host"),
        "{names}"
    );
    assert!(
        !names.contains("x-private") && !names.contains("proxy-connection"),
        "{names}"
    );

    proxy.stop().await;
    origin.stop().await;
}

#[tokio::test]
async fn connect_tunnels_to_plain_and_https_origins() {
    if !tool_available("curl") {
        return;
    }
    let tls = Tls::new("origin");
    let origin = start_origin().await;
    let tls_origin = start_tls_origin(&tls).await;
    let proxy = start_proxy(ProxyOptions::default()).await;
    let x = proxy_url("http", proxy.addr);

    let got = curl(&["-p", "-x", &x, &format!("http://{}/big", origin.addr)]).await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(BIG));

    // the proxy resolves the name; TLS runs end to end through the tunnel
    let url = format!("https://localhost:{}/big", tls_origin.addr.port());
    let got = curl(&["-x", &x, "--cacert", tls.ca(), &url]).await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(BIG));

    proxy.stop().await;
    tls_origin.stop().await;
    origin.stop().await;
}

#[tokio::test]
async fn proxy_auth_accepts_good_and_refuses_bad_credentials() {
    if !tool_available("curl") {
        return;
    }
    let origin = start_origin().await;
    let auth =
        ProxyAuthLayer::new([Basic::new("john", "s3cret").unwrap()]).with_username_labels('-');
    let proxy = start_proxy(ProxyOptions {
        auth: Some(auth),
        ..ProxyOptions::default()
    })
    .await;
    let x = proxy_url("http", proxy.addr);
    let url = format!("http://{}/headers", origin.addr);

    let good = curl(&["-x", &x, "--proxy-user", "john-country-us:s3cret", &url]).await;
    assert_eq!(good.code, 0, "{}", good.stderr);
    let names = String::from_utf8(good.stdout).unwrap();
    assert!(
        !names.contains("proxy-authorization"),
        "credentials forwarded: {names}"
    );

    let tunnel = curl(&[
        "-p",
        "-x",
        &x,
        "--proxy-user",
        "john:s3cret",
        &format!("http://{}/big", origin.addr),
    ])
    .await;
    assert_eq!(tunnel.code, 0, "{}", tunnel.stderr);
    assert!(tunnel.stdout == pattern(BIG));

    for user in [None, Some("john:wrong"), Some("mary:s3cret")] {
        let mut args = vec!["-x", &x, "-o", "/dev/null", "-w", "%{http_code}"];
        if let Some(user) = user {
            args.extend(["--proxy-user", user]);
        }
        args.push(&url);
        let got = curl(&args).await;
        assert_eq!(got.stdout, b"407", "{user:?}: {}", got.stderr);
    }
    // CONNECT with bad credentials: curl reports the proxy's 407
    let bad = curl(&["-p", "-x", &x, "--proxy-user", "john:nope", &url]).await;
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("407"), "{}", bad.stderr);

    proxy.stop().await;
    origin.stop().await;
}

#[tokio::test]
async fn https_proxy_serves_absolute_form_and_connect() {
    if !tool_available("curl") {
        return;
    }
    let proxy_tls = Tls::new("proxy");
    let origin_tls = Tls::new("origin2");
    let origin = start_origin().await;
    let tls_origin = start_tls_origin(&origin_tls).await;
    let proxy = start_proxy(ProxyOptions {
        tls: Some(proxy_tls.config.clone()),
        ..ProxyOptions::default()
    })
    .await;
    let x = proxy_url("https", proxy.addr);

    let got = curl(&[
        "-x",
        &x,
        "--proxy-insecure",
        &format!("http://{}/big", origin.addr),
    ])
    .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(BIG));

    // TLS to the proxy, and TLS inside the tunnel to the origin
    let url = format!("https://localhost:{}/big", tls_origin.addr.port());
    let got = curl(&[
        "-x",
        &x,
        "--proxy-cacert",
        proxy_tls.ca(),
        "--cacert",
        origin_tls.ca(),
        &url,
    ])
    .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(BIG));

    proxy.stop().await;
    tls_origin.stop().await;
    origin.stop().await;
}

#[tokio::test]
async fn connect_to_a_refused_port_is_a_quick_502() {
    let proxy = start_proxy(ProxyOptions::default()).await;
    let closed = rama_test_support::free_port();
    let start = Instant::now();
    let req = format!("CONNECT 127.0.0.1:{closed} HTTP/1.1\r\nHost: 127.0.0.1:{closed}\r\n\r\n");
    let (status, body) = raw_exchange(proxy.addr, req.as_bytes()).await;
    let took = start.elapsed();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("connection refused"), "{body}");
    assert!(took < Duration::from_millis(500), "took {took:?}");

    // a name that does not resolve is a 502 too, saying so
    let req = b"CONNECT nowhere.test:443 HTTP/1.1\r\nHost: nowhere.test:443\r\n\r\n";
    let (status, body) = raw_exchange(proxy.addr, req).await;
    assert_eq!(status, 502);
    assert!(body.contains("could not be resolved"), "{body}");
    proxy.stop().await;
}

#[tokio::test]
async fn policy_refuses_private_targets_with_403() {
    let origin = start_origin().await;
    let proxy = start_proxy(ProxyOptions {
        strict: true,
        ..ProxyOptions::default()
    })
    .await;
    let port = origin.addr.port();
    let cases = [
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
        format!("CONNECT rebind.test:{port} HTTP/1.1\r\nHost: rebind.test:{port}\r\n\r\n"),
        format!("CONNECT [::1]:{port} HTTP/1.1\r\nHost: [::1]:{port}\r\n\r\n"),
        format!("GET http://127.0.0.1:{port}/big HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
        format!("GET http://rebind.test:{port}/big HTTP/1.1\r\nHost: rebind.test:{port}\r\n\r\n"),
    ];
    for req in &cases {
        let (status, body) = raw_exchange(proxy.addr, req.as_bytes()).await;
        assert_eq!(status, 403, "{req}: {body}");
        assert!(
            body.contains("loopback address; refused by policy"),
            "{body}"
        );
    }
    proxy.stop().await;
    origin.stop().await;
}

/// An origin that promises 100000 bytes, sends 1000 and closes, `times` times.
async fn start_dying_origin() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    .await;
                let _ = s.write_all(&pattern(1000)).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn origin_dying_mid_body_is_a_clean_error_and_the_proxy_goes_on() {
    if !tool_available("curl") {
        return;
    }
    let dying = start_dying_origin().await;
    let origin = start_origin().await;
    let proxy = start_proxy(ProxyOptions::default()).await;
    let x = proxy_url("http", proxy.addr);

    let got = curl(&["-x", &x, &format!("http://{dying}/")]).await;
    // 18: partial file (the promised length was not delivered)
    assert_eq!(got.code, 18, "{}", got.stderr);
    assert!(got.stdout.len() < 100_000);

    let got = curl(&["-x", &x, &format!("http://{}/big", origin.addr)]).await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout == pattern(BIG));

    proxy.stop().await;
    origin.stop().await;
}

#[tokio::test]
async fn bad_and_non_proxy_requests_get_400() {
    let proxy = start_proxy(ProxyOptions::default()).await;
    let cases: &[(&[u8], &str)] = &[
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "not a proxy request"),
        (b"GET https://a/ HTTP/1.1\r\nHost: a\r\n\r\n", "CONNECT"),
        (b"CONNECT a:0 HTTP/1.1\r\nHost: a:0\r\n\r\n", "port 0"),
        (b"GARBAGE\r\n\r\n", ""),
        (b"CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", ""),
    ];
    for (req, reason) in cases {
        let (status, body) = raw_exchange(proxy.addr, req).await;
        assert_eq!(status, 400, "{:?}", String::from_utf8_lossy(req));
        assert!(body.contains(reason), "{body}");
    }
    // a client that stops mid-head: the proxy answers (408) or closes, and goes on serving
    let mut slow = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    slow.write_all(b"GET http://a/ HTTP/1.1\r\nHo")
        .await
        .unwrap();
    drop(slow);
    let (status, _) = raw_exchange(proxy.addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_eq!(status, 400);
    proxy.stop().await;
}

/// A raw TCP target that echoes until the client half-closes.
async fn start_echo() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    addr
}

async fn ping(stream: &mut tokio::net::TcpStream, data: &[u8]) {
    stream.write_all(data).await.unwrap();
    let mut got = vec![0u8; data.len()];
    timeout(WAIT, stream.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, data);
}

#[tokio::test]
async fn graceful_shutdown_waits_for_open_tunnels() {
    let echo = start_echo().await;
    let proxy = start_proxy(ProxyOptions::default()).await;
    let mut client = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let req = format!("CONNECT {echo} HTTP/1.1\r\nHost: {echo}\r\n\r\n");
    client.write_all(req.as_bytes()).await.unwrap();
    let (status, _) = read_response(&mut client).await;
    assert_eq!(status, 200);
    ping(&mut client, b"before shutdown").await;

    proxy.shutdown.trigger().trigger();
    let done = tokio::spawn(proxy.shutdown.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !done.is_finished(),
        "shutdown did not wait for the open tunnel"
    );
    ping(&mut client, b"during shutdown").await;

    client.shutdown().await.unwrap();
    let mut rest = Vec::new();
    timeout(WAIT, client.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert!(rest.is_empty());
    drop(client);
    timeout(WAIT, done).await.unwrap().unwrap();
}
