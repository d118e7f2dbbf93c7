//! `rama serve proxy` with upstreams, MITM and graceful shutdown: the real binary, curl as
//! the client, tinyproxy as the upstream proxy, `rama serve echo` (plain or `--tls`) as the
//! origin, all on loopback.
//!
//! curl and tinyproxy are Debian packages (`.ci/run` installs them); a test whose peer is
//! missing is skipped with a message, unless `CI=true`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};
use support::curl::{assert_echoed, curl, echo, serve_proxy};
use support::{IO_TIMEOUT, KillOnDrop, Rama, STOP_TIMEOUT, TempDir, free_port, tool_available};

/// tinyproxy on a free loopback port (every CONNECT port allowed), naming itself `name` in
/// `Via`, with Basic credentials when given; its log file is read by the tests.
struct Tinyproxy {
    port: u16,
    log: std::path::PathBuf,
    _process: KillOnDrop,
    _dir: TempDir,
}

impl Tinyproxy {
    fn start(name: &str, auth: Option<(&str, &str)>) -> Self {
        let port = free_port();
        let dir = TempDir::new(&format!("proxy-chain-tinyproxy-{name}-{port}"));
        let log = std::path::PathBuf::from(dir.write("tinyproxy.log", ""));
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 32\n\
             LogLevel Info\nLogFile \"{}\"\nViaProxyName \"{name}\"\n",
            log.display()
        );
        if let Some((user, pass)) = auth {
            config.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        let file = dir.write("tinyproxy.conf", &config);
        let process = KillOnDrop::spawn_listening("tinyproxy", &["-d", "-c", &file], port);
        Self {
            port,
            log,
            _process: process,
            _dir: dir,
        }
    }

    /// How many CONNECT requests tinyproxy logged so far.
    fn connects(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches("): CONNECT ")
            .count()
    }
}

#[tokio::test]
async fn every_protocol_goes_through_the_upstream() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let origin = echo();
    let upstream = Tinyproxy::start("upstream-one", Some(("up", "secret")));
    let url = format!("http://up:secret@127.0.0.1:{}", upstream.port);
    let proxy = serve_proxy(&["--upstream", &url]);
    let x = format!("http://{}", proxy.addr());
    let port = origin.addr().port();

    // absolute-form: forwarded to tinyproxy as absolute-form, which adds its Via
    let got = curl(&["-x", &x, &format!("http://127.0.0.1:{port}/absolute")]).await;
    assert_echoed(&got, "/absolute");
    assert!(got.stdout.contains("upstream-one"), "{}", got.stdout);
    // the upstream's credentials never reach the origin
    assert!(!got.stdout.contains("secret"), "{}", got.stdout);

    let before = upstream.connects();
    let got = curl(&["-p", "-x", &x, &format!("http://127.0.0.1:{port}/tunnel")]).await;
    assert_echoed(&got, "/tunnel");
    assert_eq!(
        upstream.connects(),
        before + 1,
        "the tunnel went through tinyproxy"
    );

    let socks = proxy.addr().to_string();
    let got = curl(&[
        "--socks5-hostname",
        &socks,
        &format!("http://localhost:{port}/socks5h"),
    ])
    .await;
    assert_echoed(&got, "/socks5h");
    assert_eq!(
        upstream.connects(),
        before + 2,
        "SOCKS5 went through tinyproxy"
    );

    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn a_dead_upstream_is_a_502() {
    if !tool_available("curl") {
        return;
    }
    let dead = format!("http://127.0.0.1:{}", free_port());
    let proxy = serve_proxy(&["--upstream", &dead]);
    let x = format!("http://{}", proxy.addr());
    let got = curl(&["-p", "-x", &x, "http://127.0.0.1:9/"]).await;
    assert_ne!(got.code, 0);
    assert!(got.stderr.contains("502"), "{}", got.stderr);
    let got = curl(&[
        "-x",
        &x,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "http://127.0.0.1:9/",
    ])
    .await;
    assert!(got.stdout.starts_with('5'), "{} {}", got.stdout, got.stderr);
    proxy.stop_cleanly();
}

/// A proxy DB file in `dir` with two upstreams: `us` (country us) and `de` (country de).
fn us_and_de_db(dir: &TempDir, us: &Tinyproxy, de: &Tinyproxy) -> String {
    dir.write(
        "proxies.json",
        &format!(
            r#"[
                {{"id": "us", "address": "http://127.0.0.1:{}", "country": "us"}},
                {{"id": "de", "address": "http://127.0.0.1:{}", "country": "de"}}
            ]"#,
            us.port, de.port
        ),
    )
}

#[tokio::test]
async fn the_proxy_db_picks_the_upstream_by_username_labels() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let origin = echo();
    let us = Tinyproxy::start("proxy-us", None);
    let de = Tinyproxy::start("proxy-de", None);
    let dir = TempDir::new(&format!("proxy-chain-db-{}", free_port()));
    let db = us_and_de_db(&dir, &us, &de);
    let proxy = serve_proxy(&["--auth", "john:pw", "--username-labels", "--proxy-db", &db]);
    let x = format!("http://{}", proxy.addr());
    let port = origin.addr().port();
    let url = format!("http://127.0.0.1:{port}/db");

    let got = curl(&["-x", &x, "-U", "john-country-us:pw", &url]).await;
    assert_echoed(&got, "/db");
    assert!(got.stdout.contains("proxy-us"), "{}", got.stdout);
    let got = curl(&["-x", &x, "-U", "john-country-de:pw", &url]).await;
    assert_echoed(&got, "/db");
    assert!(got.stdout.contains("proxy-de"), "{}", got.stdout);

    // CONNECT and SOCKS5 follow the labels too
    let (us_before, de_before) = (us.connects(), de.connects());
    let got = curl(&["-p", "-x", &x, "-U", "john-country-de:pw", &url]).await;
    assert_echoed(&got, "/db");
    let socks = format!("socks5h://john-country-us:pw@{}", proxy.addr());
    let got = curl(&["-x", &socks, &url]).await;
    assert_echoed(&got, "/db");
    assert_eq!(
        (us.connects(), de.connects()),
        (us_before + 1, de_before + 1)
    );

    // no upstream for the labels: 503 (HTTP), a failure reply (SOCKS5)
    let got = curl(&[
        "-x",
        &x,
        "-U",
        "john-country-fr:pw",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ])
    .await;
    assert_eq!(got.stdout, "503", "{}", got.stderr);
    let socks = format!("socks5h://john-country-fr:pw@{}", proxy.addr());
    let got = curl(&["-x", &socks, &url]).await;
    assert_ne!(got.code, 0, "{}", got.stdout);
    // wrong password: still 407 before any pick
    let got = curl(&[
        "-x",
        &x,
        "-U",
        "john-country-us:nope",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ])
    .await;
    assert_eq!(got.stdout, "407", "{}", got.stderr);

    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[test]
fn bad_upstream_flags_are_clear_errors() {
    let dir = TempDir::new(&format!("proxy-chain-flags-{}", free_port()));
    let db = dir.write("db.json", "[]");
    let bad_json = dir.write("bad.json", "{not json");
    let cases: &[(&[&str], &str)] = &[
        (&["--proxy-db", &db], "--username-labels"),
        (&["--auth", "a:b", "--proxy-db", &db], "--username-labels"),
        (
            &[
                "--auth",
                "a:b",
                "--username-labels",
                "--proxy-db",
                &bad_json,
            ],
            "bad.json",
        ),
        (
            &[
                "--auth",
                "a:b",
                "--username-labels",
                "--proxy-db",
                "/nonexistent/db.csv",
            ],
            "/nonexistent/db.csv",
        ),
        (&["--upstream", "ftp://127.0.0.1:21"], "--upstream"),
        (
            &["--upstream", "http://127.0.0.1:1", "--proxy-db", &db],
            "--proxy-db",
        ),
        (&["--mitm"], "--ca-cert"),
        (&["--ca-cert", "c.pem"], "--mitm"),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["serve", "proxy", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(flags);
        let (status, stderr) = support::run_to_exit(&args, STOP_TIMEOUT);
        assert!(!status.success(), "{flags:?} was accepted");
        assert!(stderr.contains(needle), "{flags:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn mitm_decrypts_with_a_generated_ca() {
    use std::os::unix::fs::PermissionsExt;
    if !tool_available("curl") {
        return;
    }
    let origin = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0", "--tls"]);
    let dir = TempDir::new(&format!("proxy-chain-mitm-{}", free_port()));
    let ca_cert = dir.write("unused", "");
    let ca_cert = ca_cert.replace("unused", "ca/ca.pem");
    let ca_key = ca_cert.replace("ca.pem", "ca.key");
    let proxy = serve_proxy(&["--mitm", "--ca-cert", &ca_cert, "--ca-key", &ca_key, "-k"]);
    assert!(
        proxy.wait_for_stderr(&ca_cert, IO_TIMEOUT),
        "{}",
        proxy.stderr()
    );
    let mode = std::fs::metadata(&ca_key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "CA key mode {mode:o}");

    let x = format!("http://{}", proxy.addr());
    let port = origin.addr().port();
    let url = format!("https://localhost:{port}/intercepted?q=1");
    // the client trusts only the MITM CA: success means the proxy decrypted
    let got = curl(&["-x", &x, "--cacert", &ca_cert, &url]).await;
    assert_echoed(&got, "/intercepted");
    assert!(
        proxy.wait_for_stderr("mitm: intercepted", IO_TIMEOUT),
        "{}",
        proxy.stderr()
    );
    let log = proxy.stderr();
    assert!(
        log.contains("/intercepted?q=1") && log.contains("200"),
        "{log}"
    );
    // over h2 as well
    let got = curl(&["--http2", "-x", &x, "--cacert", &ca_cert, &url]).await;
    assert_echoed(&got, "/intercepted");
    // plain http still goes through the forward proxy
    let plain = echo();
    let got = curl(&[
        "-x",
        &x,
        &format!("http://127.0.0.1:{}/plain", plain.addr().port()),
    ])
    .await;
    assert_echoed(&got, "/plain");
    proxy.stop_cleanly();

    // a second start loads the same CA
    let again = serve_proxy(&["--mitm", "--ca-cert", &ca_cert, "--ca-key", &ca_key]);
    assert!(
        again.wait_for_stderr("loaded", IO_TIMEOUT),
        "{}",
        again.stderr()
    );
    // without -k the origin's self-signed certificate is refused: 502, not a silent pass
    let x = format!("http://{}", again.addr());
    let got = curl(&[
        "-x",
        &x,
        "--cacert",
        &ca_cert,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ])
    .await;
    assert_eq!(got.stdout, "502", "{}", got.stderr);
    again.stop_cleanly();
    plain.stop_cleanly();
    origin.stop_cleanly();
}

/// Read an HTTP/1.1 response head (up to the blank line) from `stream`.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).unwrap();
        assert_eq!(n, 1, "connection closed in the head: {head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[test]
fn shutdown_lets_an_open_tunnel_finish() {
    let origin = echo();
    let mut proxy = serve_proxy(&["--graceful-timeout", "8"]);
    let mut tunnel = TcpStream::connect(proxy.addr()).unwrap();
    tunnel.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let target = origin.addr();
    write!(
        tunnel,
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut tunnel);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    proxy.terminate();
    // the listener stops accepting, but the tunnel keeps working
    std::thread::sleep(Duration::from_millis(500));
    assert!(proxy.is_running(), "exited with a tunnel open");
    write!(
        tunnel,
        "GET /after-sigterm HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    tunnel.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("/after-sigterm"), "{response}");
    drop(tunnel);

    // the tunnel done, the proxy exits well before the graceful timeout
    let start = Instant::now();
    let status = proxy.wait_timeout(STOP_TIMEOUT).expect("proxy exits");
    assert!(status.success(), "{status}: {}", proxy.stderr());
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    origin.stop_cleanly();
}

/// microsocks on a free loopback port, with credentials.
fn microsocks(user: &str, pass: &str) -> (u16, KillOnDrop) {
    let port = free_port();
    let args = [
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-u",
        user,
        "-P",
        pass,
    ];
    (port, KillOnDrop::spawn_listening("microsocks", &args, port))
}

#[tokio::test]
async fn a_socks5h_upstream_with_credentials() {
    if !tool_available("curl") || !tool_available("microsocks") {
        return;
    }
    let origin = echo();
    let (socks_port, _socks) = microsocks("up", "secret");
    let upstream = format!("socks5h://up:secret@127.0.0.1:{socks_port}");
    let proxy = serve_proxy(&["--upstream", &upstream]);
    let x = format!("http://{}", proxy.addr());
    let port = origin.addr().port();
    let got = curl(&["-x", &x, &format!("http://localhost:{port}/absolute")]).await;
    assert_echoed(&got, "/absolute");
    let got = curl(&["-p", "-x", &x, &format!("http://localhost:{port}/tunnel")]).await;
    assert_echoed(&got, "/tunnel");
    let socks = format!("socks5h://{}", proxy.addr());
    let got = curl(&["-x", &socks, &format!("http://localhost:{port}/socks")]).await;
    assert_echoed(&got, "/socks");
    proxy.stop_cleanly();

    // wrong upstream credentials: the client gets a failure, not a direct connection
    let upstream = format!("socks5h://up:wrong@127.0.0.1:{socks_port}");
    let proxy = serve_proxy(&["--upstream", &upstream]);
    let x = format!("http://{}", proxy.addr());
    let got = curl(&["-p", "-x", &x, &format!("http://localhost:{port}/tunnel")]).await;
    assert_ne!(got.code, 0, "{}", got.stdout);
    proxy.stop_cleanly();
    origin.stop_cleanly();
}

/// `--mitm` with `--proxy-db`: a tunnel that is not TLS is relayed byte for byte, and the
/// relay's connection goes through the upstream picked for the CONNECT (by its labels).
#[cfg(unix)]
#[tokio::test]
async fn mitm_byte_relays_follow_the_proxy_db_pick() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let origin = echo();
    let us = Tinyproxy::start("relay-us", None);
    let de = Tinyproxy::start("relay-de", None);
    let dir = TempDir::new(&format!("proxy-chain-mitm-db-{}", free_port()));
    let db = us_and_de_db(&dir, &us, &de);
    let ca_cert = dir.write("ca.pem", "").replace("ca.pem", "ca/ca.pem");
    let ca_key = ca_cert.replace("ca.pem", "ca.key");
    let proxy = serve_proxy(&[
        "--auth",
        "john:pw",
        "--username-labels",
        "--proxy-db",
        &db,
        "--mitm",
        "--ca-cert",
        &ca_cert,
        "--ca-key",
        &ca_key,
    ]);
    let x = format!("http://{}", proxy.addr());
    let url = format!("http://127.0.0.1:{}/relayed", origin.addr().port());
    let (us_before, de_before) = (us.connects(), de.connects());
    // `-p`: a CONNECT tunnel carrying plain HTTP, which the MITM relays as bytes
    let got = curl(&["-p", "-x", &x, "-U", "john-country-de:pw", &url]).await;
    assert_echoed(&got, "/relayed");
    assert_eq!(
        (us.connects(), de.connects()),
        (us_before, de_before + 1),
        "the relay went out through the picked upstream"
    );
    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[cfg(unix)]
#[tokio::test]
async fn mitm_requests_go_through_the_upstream() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let origin = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0", "--tls"]);
    let upstream = Tinyproxy::start("mitm-upstream", None);
    let dir = TempDir::new(&format!("proxy-chain-mitm-up-{}", free_port()));
    let ca_cert = dir.write("ca.pem", "").replace("ca.pem", "ca/ca.pem");
    let ca_key = ca_cert.replace("ca.pem", "ca.key");
    let up = format!("http://127.0.0.1:{}", upstream.port);
    let proxy = serve_proxy(&[
        "--upstream",
        &up,
        "--mitm",
        "--ca-cert",
        &ca_cert,
        "--ca-key",
        &ca_key,
        "-k",
    ]);
    let x = format!("http://{}", proxy.addr());
    let url = format!("https://localhost:{}/chained", origin.addr().port());
    let before = upstream.connects();
    let got = curl(&["-x", &x, "--cacert", &ca_cert, &url]).await;
    assert_echoed(&got, "/chained");
    assert_eq!(
        upstream.connects(),
        before + 1,
        "the decrypted request went out through tinyproxy"
    );
    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn the_proxy_db_reads_csv() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let origin = echo();
    let nl = Tinyproxy::start("proxy-nl", None);
    let dir = TempDir::new(&format!("proxy-chain-csv-{}", free_port()));
    let db = dir.write(
        "proxies.csv",
        &format!(
            "id,address,country,city,state,pool,datacenter,residential,mobile,asn,carrier\n\
             nl1,http://127.0.0.1:{},nl,,,,,,,,\n",
            nl.port
        ),
    );
    let proxy = serve_proxy(&["--auth", "john:pw", "--username-labels", "--proxy-db", &db]);
    let x = format!("http://{}", proxy.addr());
    let url = format!("http://127.0.0.1:{}/csv", origin.addr().port());
    let got = curl(&["-x", &x, "-U", "john-country-nl:pw", &url]).await;
    assert_echoed(&got, "/csv");
    assert!(got.stdout.contains("proxy-nl"), "{}", got.stdout);
    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn an_https_upstream_verified_unless_k() {
    if !tool_available("curl") {
        return;
    }
    let origin = echo();
    let upstream = serve_proxy(&["--tls-self-signed"]);
    let up = format!("https://{}", upstream.addr());
    let url = format!("http://127.0.0.1:{}/https-upstream", origin.addr().port());

    let proxy = serve_proxy(&["--upstream", &up, "-k"]);
    let x = format!("http://{}", proxy.addr());
    let got = curl(&["-x", &x, &url]).await;
    assert_echoed(&got, "/https-upstream");
    let got = curl(&["-p", "-x", &x, &url]).await;
    assert_echoed(&got, "/https-upstream");
    proxy.stop_cleanly();

    // without -k the self-signed upstream is refused
    let proxy = serve_proxy(&["--upstream", &up]);
    let x = format!("http://{}", proxy.addr());
    let got = curl(&["-p", "-x", &x, &url]).await;
    assert_ne!(got.code, 0, "{}", got.stdout);
    assert!(got.stderr.contains("502"), "{}", got.stderr);
    proxy.stop_cleanly();
    upstream.stop_cleanly();
    origin.stop_cleanly();
}
