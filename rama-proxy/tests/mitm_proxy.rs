//! The MITM proxy between curl and an HTTPS nginx origin, all on loopback: curl trusts the
//! MITM's CA, the MITM trusts the origin's CA. Checks bodies byte for byte, what the
//! inspector saw, h2 on both sides, upstream verification (502), the byte-tunnel fallbacks
//! (plain HTTP through CONNECT; TLS for a non-HTTP ALPN, not decrypted) and that a client
//! trusting nothing refuses the MITM's leaf (curl exit 60).
//!
//! curl, nginx and openssl are Debian packages (`.ci/run` installs them); without one the
//! test is skipped with a message, unless `CI=true`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, error::BoxError, service_fn};
use rama_http::{
    Body, Method, Request, Response, Uri, client::EasyHttpWebClient, server::HttpServer,
};
use rama_net::stream::RewindStream;
use rama_net::{address::Domain, dns::InMemoryDns};
use rama_proxy::mitm::{InspectLayer, Inspector, MitmConfig, MitmProxy, MitmTunnel};
use rama_tcp::{TcpStream, client::TcpConnector, server::TcpListener};
use rama_test_support::{KillOnDrop, free_port, pattern, tool_available};
use rama_tls::{
    cert::{CertificateAuthority, DynamicIssuer},
    config::{ClientConfig, ServerConfig, ServerVerification},
    rustls::{TlsAcceptorLayer, TlsStream},
};
use std::{
    convert::Infallible,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

/// Records what it saw of each decrypted exchange and tags each response.
#[derive(Default)]
struct Recorder {
    requests: Mutex<Vec<String>>,
}

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Inspector for Recorder {
    async fn on_request(&self, req: &mut Request<Body>) -> Option<Response<Body>> {
        let test = req
            .headers()
            .get("x-test")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        let tunnel = req
            .extensions()
            .get::<MitmTunnel>()
            .map(|t| t.target.to_string())
            .unwrap_or_default();
        self.requests.lock().unwrap().push(format!(
            "{} {} x-test={test} tunnel={tunnel}",
            req.method(),
            req.uri()
        ));
        None
    }

    async fn on_response(&self, _method: &Method, _uri: &Uri, res: &mut Response<Body>) {
        res.headers_mut()
            .insert("x-mitm", "inspected".parse().unwrap());
    }
}

/// A fresh directory for one test's files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "rama-mitm-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// nginx serving `www/` over TLS (h2 and HTTP/1.1, cert for localhost) and plain HTTP.
struct Nginx {
    tls: u16,
    plain: u16,
    _process: KillOnDrop,
}

fn start_nginx(dir: &Path) -> Nginx {
    let program = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let (tls, plain) = (free_port(), free_port());
    let d = dir.display();
    let echo = r#"default_type text/plain; return 200 "origin $server_protocol $request_method $request_uri x-test=$http_x_test";"#;
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
        listen 127.0.0.1:{tls} ssl http2;
        ssl_certificate {d}/origin.pem;
        ssl_certificate_key {d}/origin.key;
        root {d}/www;
        location = /echo {{ {echo} }}
        # reads a PUT body whole before it answers (see the upload in the test)
        location /up/ {{ dav_methods PUT; create_full_put_path on; client_max_body_size 1m; }}
    }}
    server {{
        listen 127.0.0.1:{plain};
        root {d}/www;
        location = /echo {{ {echo} }}
    }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(program)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut process = KillOnDrop(child);
    let start = Instant::now();
    while [tls, plain]
        .iter()
        .any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err())
    {
        let running = matches!(process.0.try_wait(), Ok(None));
        if start.elapsed() > WAIT || !running {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx did not start listening: {log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Nginx {
        tls,
        plain,
        _process: process,
    }
}

fn connector() -> TcpConnector<InMemoryDns> {
    TcpConnector::with_resolver(InMemoryDns::new().with_ips(
        Domain::from_static("localhost"),
        [Ipv4Addr::LOCALHOST.into()],
    ))
}

/// A MITM proxy on a loopback port whose client verifies origins against `trust` (PEM).
/// Non-CONNECT requests get "inner METHOD URI".
async fn start_mitm(
    ca: Arc<CertificateAuthority>,
    trust: &str,
    recorder: Arc<Recorder>,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let tls = ClientConfig::new().with_verification(ServerVerification::custom_pem(trust).unwrap());
    let client = EasyHttpWebClient::with_connector(connector())
        .with_tls_config(tls.clone())
        .unwrap();
    let client = InspectLayer::from_arc(recorder).into_layer(client);
    let inner = service_fn(async |req: Request<Body>| {
        Ok::<_, Infallible>(Response::new(Body::from(format!(
            "inner {} {}",
            req.method(),
            req.uri()
        ))))
    });
    let issuer = Arc::new(DynamicIssuer::new(ca));
    let config = MitmConfig::new().with_upstream_tls(tls);
    let mitm = MitmProxy::with_config(inner, issuer, client, connector(), config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(listener.serve(HttpServer::auto().service(mitm)));
    (addr, task)
}

/// Run curl with `args`; its exit code and stdout.
async fn curl(args: &[&str]) -> (i32, Vec<u8>) {
    let child = tokio::process::Command::new("curl")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("curl {args:?} did not finish within {WAIT:?}"))
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

async fn curl_ok(args: &[&str]) -> Vec<u8> {
    let (code, out) = curl(args).await;
    assert_eq!(code, 0, "curl {args:?} failed");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_through_the_mitm_to_nginx() {
    if !tool_available("curl")
        || !(Path::new("/usr/sbin/nginx").exists() || tool_available("nginx"))
    {
        return;
    }
    let dir = TempDir::new("nginx");
    let origin_ca = CertificateAuthority::generate("origin CA").unwrap();
    let leaf = origin_ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    std::fs::write(dir.0.join("origin.pem"), leaf.chain_pem()).unwrap();
    std::fs::write(dir.0.join("origin.key"), leaf.key_pem()).unwrap();
    std::fs::create_dir_all(dir.0.join("www")).unwrap();
    let file = pattern(300 * 1024);
    std::fs::write(dir.0.join("www/file.bin"), &file).unwrap();
    let nginx = start_nginx(&dir.0);

    let mitm_ca = Arc::new(CertificateAuthority::generate("test MITM CA").unwrap());
    std::fs::write(dir.0.join("mitm-ca.pem"), mitm_ca.cert_pem()).unwrap();
    let recorder = Arc::new(Recorder::default());
    let (proxy, task) = start_mitm(mitm_ca.clone(), &origin_ca.cert_pem(), recorder.clone()).await;
    let proxy_url = format!("http://{proxy}");
    let cacert = dir.path("mitm-ca.pem");
    let origin = format!("https://localhost:{}", nginx.tls);

    // HTTP/1.1 both ways: the file byte for byte, the inspector saw the decrypted request
    let body = curl_ok(&[
        "-sS",
        "--http1.1",
        "-x",
        &proxy_url,
        "--cacert",
        &cacert,
        "-H",
        "x-test: one",
        &format!("{origin}/file.bin"),
    ])
    .await;
    assert_eq!(body.len(), file.len());
    assert!(body == file, "the file changed on the way");
    assert_eq!(
        recorder.seen(),
        [format!(
            "GET https://localhost:{}/file.bin x-test=one tunnel=localhost:{}",
            nginx.tls, nginx.tls
        )]
    );

    // the response header the inspector added reaches curl; the origin saw the header
    let head_and_body = curl_ok(&[
        "-sS",
        "-i",
        "--http1.1",
        "-x",
        &proxy_url,
        "--cacert",
        &cacert,
        "-H",
        "x-test: two",
        &format!("{origin}/echo?q=1"),
    ])
    .await;
    let text = String::from_utf8(head_and_body).unwrap();
    assert!(
        text.to_ascii_lowercase()
            .contains("\r\nx-mitm: inspected\r\n"),
        "{text}"
    );
    // the MITM's client chose h2 with nginx by ALPN
    assert!(
        text.ends_with("origin HTTP/2.0 GET /echo?q=1 x-test=two"),
        "{text}"
    );

    // h2 between curl and the MITM too
    let out = curl_ok(&[
        "-sS",
        "--http2",
        "-x",
        &proxy_url,
        "--cacert",
        &cacert,
        "-H",
        "x-test: three",
        "-w",
        "\n%{http_version}",
        &format!("{origin}/echo"),
    ])
    .await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "origin HTTP/2.0 GET /echo x-test=three\n2"
    );
    // a request body through h2 → MITM → h2, stored by nginx's WebDAV PUT: byte for byte.
    // Not a POST to a `return` location: nginx answers that before the body is in and ends
    // the upload with RST_STREAM(NO_ERROR) (RFC 9113 §8.1), which the MITM passes on to
    // curl; curl 7.88 reports that as error 92 when it still had bytes to send (and, talking
    // to nginx directly, waits forever), so the outcome depended on how far the upload got.
    let out = curl_ok(&[
        "-sS",
        "--http2",
        "-x",
        &proxy_url,
        "--cacert",
        &cacert,
        "-T",
        &dir.path("www/file.bin"),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{http_version}",
        &format!("{origin}/up/file.bin"),
    ])
    .await;
    assert_eq!(String::from_utf8(out).unwrap(), "201 2");
    let stored = std::fs::read(dir.0.join("www/up/file.bin")).unwrap();
    assert!(stored == file, "the uploaded body changed on the way");

    // curl trusting nothing but the system store refuses the MITM's leaf: interception
    let (code, _) = curl(&["-sS", "-x", &proxy_url, &format!("{origin}/echo")]).await;
    assert_eq!(code, 60, "curl must refuse a certificate it cannot verify");

    // plain HTTP through CONNECT (-p): not TLS, so a byte tunnel; the inspector sees nothing
    let before = recorder.seen().len();
    let body = curl_ok(&[
        "-sS",
        "-p",
        "-x",
        &proxy_url,
        &format!("http://127.0.0.1:{}/file.bin", nginx.plain),
    ])
    .await;
    assert!(body == file, "the tunneled file changed on the way");
    assert_eq!(recorder.seen().len(), before);

    // absolute-form HTTP goes to the inner service
    let out = curl_ok(&[
        "-sS",
        "-x",
        &proxy_url,
        &format!("http://127.0.0.1:{}/x", nginx.plain),
    ])
    .await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("inner GET http://127.0.0.1:{}/x", nginx.plain)
    );

    task.abort();

    // a MITM that does not trust the origin's certificate: 502, never a silent pass
    let stranger = CertificateAuthority::generate("unrelated CA").unwrap();
    let recorder = Arc::new(Recorder::default());
    let (proxy, task) = start_mitm(mitm_ca, &stranger.cert_pem(), recorder.clone()).await;
    let out = curl_ok(&[
        "-sS",
        "-x",
        &format!("http://{proxy}"),
        "--cacert",
        &cacert,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{origin}/echo"),
    ])
    .await;
    assert_eq!(String::from_utf8(out).unwrap(), "502");
    assert_eq!(recorder.seen().len(), 1, "the inspector saw the request");
    task.abort();
}

/// TLS whose ALPN offer names no HTTP version is relayed without decrypting: the client
/// sees the origin's own certificate (verified against the origin CA) and talks to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_for_another_protocol_is_tunneled_not_decrypted() {
    if !tool_available("openssl") {
        return;
    }
    let dir = TempDir::new("alpn");
    let origin_ca = CertificateAuthority::generate("origin CA").unwrap();
    std::fs::write(dir.0.join("origin-ca.pem"), origin_ca.cert_pem()).unwrap();
    // the origin: TLS (no ALPN of its own) that greets and closes
    let config = ServerConfig::new(origin_ca.issue(&["localhost"]).unwrap().into());
    let greet = service_fn(async |mut tls: TlsStream<RewindStream<TcpStream>>| {
        tls.write_all(b"hello from the origin itself\n").await?;
        tls.shutdown().await?;
        Ok::<_, BoxError>(())
    });
    let origin = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_port = origin.local_addr().unwrap().port();
    let origin_task =
        tokio::spawn(origin.serve(TlsAcceptorLayer::new(&config).unwrap().into_layer(greet)));

    let mitm_ca = Arc::new(CertificateAuthority::generate("test MITM CA").unwrap());
    let recorder = Arc::new(Recorder::default());
    let (proxy, task) = start_mitm(mitm_ca, &origin_ca.cert_pem(), recorder.clone()).await;

    let child = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-proxy",
            &proxy.to_string(),
            "-connect",
            &format!("localhost:{origin_port}"),
            "-servername",
            "localhost",
            "-alpn",
            "imap",
            "-CAfile",
            &dir.path("origin-ca.pem"),
            "-verify_return_error",
            "-quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("openssl s_client did not finish")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from the origin itself\n"
    );
    assert!(recorder.seen().is_empty());
    task.abort();
    origin_task.abort();
}

/// A TLS client without ALPN whose decrypted bytes are not HTTP: decrypted (the client sees
/// the MITM's leaf), then relayed to the origin over a new TLS connection that verifies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decrypted_non_http_is_relayed_over_tls() {
    if !tool_available("openssl") {
        return;
    }
    let dir = TempDir::new("nonhttp");
    let origin_ca = CertificateAuthority::generate("origin CA").unwrap();
    // the origin greets first, then echoes one line, then closes
    let config = ServerConfig::new(origin_ca.issue(&["localhost"]).unwrap().into());
    let imap_like = service_fn(async |tls: TlsStream<RewindStream<TcpStream>>| {
        let mut tls = BufReader::new(tls);
        tls.get_mut().write_all(b"* OK origin ready\n").await?;
        let mut line = String::new();
        tls.read_line(&mut line).await?;
        tls.get_mut()
            .write_all(format!("echo: {line}").as_bytes())
            .await?;
        tls.get_mut().shutdown().await?;
        Ok::<_, BoxError>(())
    });
    let origin = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_port = origin.local_addr().unwrap().port();
    let origin_task = tokio::spawn(
        origin.serve(
            TlsAcceptorLayer::new(&config)
                .unwrap()
                .into_layer(imap_like),
        ),
    );

    let mitm_ca = Arc::new(CertificateAuthority::generate("test MITM CA").unwrap());
    std::fs::write(dir.0.join("mitm-ca.pem"), mitm_ca.cert_pem()).unwrap();
    let recorder = Arc::new(Recorder::default());
    let (proxy, task) = start_mitm(mitm_ca, &origin_ca.cert_pem(), recorder.clone()).await;

    let mut child = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-proxy",
            &proxy.to_string(),
            "-connect",
            &format!("localhost:{origin_port}"),
            "-servername",
            "localhost",
            // trusts only the MITM's CA: the handshake is with the MITM
            "-CAfile",
            &dir.path("mitm-ca.pem"),
            "-verify_return_error",
            "-quiet",
            "-ign_eof",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"a001 NOOP\n").await.unwrap();
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("openssl s_client did not finish")
        .unwrap();
    drop(stdin);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "* OK origin ready\necho: a001 NOOP\n"
    );
    assert!(recorder.seen().is_empty());
    task.abort();
    origin_task.abort();
}
