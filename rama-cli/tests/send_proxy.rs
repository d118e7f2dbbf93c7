//! `rama send` through proxies, side by side with curl through the same proxy: tinyproxy as
//! the HTTP proxy (absolute-form `http://`, `CONNECT` to `rama serve echo --tls`, `407`
//! and `-U`), microsocks as the SOCKS5 proxy, the `*_proxy` / `NO_PROXY` variables and
//! `--noproxy`, and curl's exit codes for a proxy that refuses the connection (7) or the
//! tunnel (56), and an HTTPS proxy (haproxy terminating TLS in front of tinyproxy) verified
//! with `--proxy-cacert` or not with `--proxy-insecure` (60 when untrusted).
//!
//! Both clients run with the proxy variables removed from their environment, then set
//! only where a case is about them (on the child process, never on the test process).
//! tinyproxy, microsocks, haproxy and curl are Debian packages (`.ci/run` installs them); without
//! one the test is skipped with a message, unless `CI=true`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use rama::tls::cert::CertificateAuthority;
use rama_test_support::{KillOnDrop, free_port};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{RAMA, Rama, TempDir, tool_available};

const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// Runs `program args` with only `env` among the proxy variables; exit code and stdout.
fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, Vec<u8>) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            if !status.success() {
                eprintln!(
                    "{program} {args:?}: {status}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            return (status.code().unwrap_or(-1), out.stdout);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The same request with curl and with `rama send`: both exit codes and stdouts.
fn both(flags: &[&str], url: &str, env: &[(&str, &str)]) -> ((i32, Vec<u8>), (i32, Vec<u8>)) {
    let mut curl_args = vec!["-sS", "--max-time", "10"];
    curl_args.extend_from_slice(flags);
    curl_args.push(url);
    let mut rama_args = vec!["send", "-s", "--max-time", "10"];
    rama_args.extend_from_slice(flags);
    rama_args.push(url);
    (run("curl", &curl_args, env), run(RAMA, &rama_args, env))
}

/// What the echo saw: method, URI, and its `Via` header (`-` without).
fn echo_summary(out: &[u8]) -> (String, String, String) {
    let v: Value = serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)));
    let via = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"].as_str().unwrap().eq_ignore_ascii_case("via"))
        .map_or_else(
            || "-".to_owned(),
            |h| h["value"].as_str().unwrap().to_owned(),
        );
    (
        v["method"].as_str().unwrap().to_owned(),
        v["uri"].as_str().unwrap().to_owned(),
        via,
    )
}

/// Asserts both exited 0 with the same echo, and returns it.
fn same_echo(pair: ((i32, Vec<u8>), (i32, Vec<u8>)), what: &str) -> (String, String, String) {
    let ((curl_code, curl_out), (rama_code, rama_out)) = pair;
    assert_eq!((curl_code, rama_code), (0, 0), "{what}");
    let curl = echo_summary(&curl_out);
    assert_eq!(echo_summary(&rama_out), curl, "{what}");
    curl
}

/// A peer listening on 127.0.0.1:`port`, killed on drop.
struct Peer {
    port: u16,
    _process: KillOnDrop,
    _dir: TempDir,
}

/// Starts `program args` and waits until 127.0.0.1:`port` accepts connections.
fn spawn_listening(program: &str, args: &[&str], port: u16, dir: TempDir) -> Peer {
    Peer {
        port,
        _process: KillOnDrop::spawn_listening(program, args, port),
        _dir: dir,
    }
}

fn tinyproxy(auth: Option<(&str, &str)>) -> Peer {
    let port = free_port();
    let dir = TempDir::new(&format!("send-proxy-tinyproxy-{port}"));
    let mut config =
        format!("Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 32\n");
    if let Some((user, pass)) = auth {
        config.push_str(&format!("BasicAuth {user} {pass}\n"));
    }
    let file = dir.write("tinyproxy.conf", &config);
    spawn_listening("tinyproxy", &["-d", "-c", &file], port, dir)
}

fn microsocks() -> Peer {
    let port = free_port();
    let port_arg = port.to_string();
    spawn_listening(
        "microsocks",
        &["-i", "127.0.0.1", "-p", &port_arg],
        port,
        TempDir::new(&format!("send-proxy-microsocks-{port}")),
    )
}

fn peers_available(names: &[&str]) -> bool {
    names.iter().all(|name| tool_available(name))
}

#[test]
fn through_tinyproxy_like_curl() {
    if !peers_available(&["curl", "tinyproxy"]) {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let tls_echo = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let tiny = tinyproxy(None);
    let proxy = format!("http://127.0.0.1:{}", tiny.port);

    // http: absolute form, forwarded by tinyproxy (its Via), same echo for both
    let url = format!("http://localhost:{}/plain?q=1", echo.addr().port());
    let (method, uri, via) = same_echo(both(&["-x", &proxy], &url, &[]), "-x http");
    assert_eq!((method.as_str(), uri.as_str()), ("GET", "/plain?q=1"));
    assert!(via.contains("tinyproxy"), "{via}");

    // https: CONNECT, TLS through the tunnel, the proxy does not see the request
    let url = format!("https://localhost:{}/secure", tls_echo.addr().port());
    let (_, _, via) = same_echo(
        both(&["-k", "--http1.1", "-x", &proxy], &url, &[]),
        "-x https",
    );
    assert_eq!(via, "-");

    // the environment: lowercase http_proxy is read, uppercase HTTP_PROXY is not (httpoxy)
    let url = format!("http://localhost:{}/env", echo.addr().port());
    let (_, _, via) = same_echo(both(&[], &url, &[("http_proxy", &proxy)]), "http_proxy");
    assert!(via.contains("tinyproxy"), "{via}");
    let (_, _, via) = same_echo(both(&[], &url, &[("HTTP_PROXY", &proxy)]), "HTTP_PROXY");
    assert_eq!(via, "-");
    // NO_PROXY and --noproxy send it direct; -x wins over the environment
    let env = [("http_proxy", proxy.as_str()), ("NO_PROXY", "localhost")];
    let (_, _, via) = same_echo(both(&[], &url, &env), "NO_PROXY");
    assert_eq!(via, "-");
    let (_, _, via) = same_echo(
        both(&["--noproxy", "localhost", "-x", &proxy], &url, &[]),
        "--noproxy",
    );
    assert_eq!(via, "-");
    let env = [("http_proxy", "http://127.0.0.1:1")];
    let (_, _, via) = same_echo(both(&["-x", &proxy], &url, &env), "-x over env");
    assert!(via.contains("tinyproxy"), "{via}");

    // a proxy that refuses the connection: 7 for both
    let dead = format!("http://127.0.0.1:{}", free_port());
    let ((curl_code, _), (rama_code, _)) = both(&["-x", &dead], &url, &[]);
    assert_eq!((curl_code, rama_code), (7, 7));
    echo.stop_cleanly();
    tls_echo.stop_cleanly();
}

#[test]
fn proxy_credentials_like_curl() {
    if !peers_available(&["curl", "tinyproxy"]) {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let tls_echo = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let tiny = tinyproxy(Some(("john", "s3cret")));
    let proxy = format!("http://127.0.0.1:{}", tiny.port);
    let http_url = format!("http://localhost:{}/p", echo.addr().port());
    let https_url = format!("https://localhost:{}/s", tls_echo.addr().port());

    // http without credentials: the proxy's 407 is the response (exit 0, or 22 with -f)
    let ((curl_code, _), (rama_code, _)) = both(&["-f", "-x", &proxy], &http_url, &[]);
    assert_eq!((curl_code, rama_code), (22, 22));
    // https without credentials: the CONNECT is refused, 56 for both
    let ((curl_code, curl_out), (rama_code, rama_out)) =
        both(&["-k", "-x", &proxy], &https_url, &[]);
    assert_eq!((curl_code, rama_code), (56, 56));
    assert!(curl_out.is_empty() && rama_out.is_empty());
    // with -U, or credentials in the URL: served
    same_echo(
        both(&["-U", "john:s3cret", "-x", &proxy], &http_url, &[]),
        "-U http",
    );
    same_echo(
        both(&["-k", "-U", "john:s3cret", "-x", &proxy], &https_url, &[]),
        "-U https",
    );
    let in_url = format!("http://john:s3cret@127.0.0.1:{}", tiny.port);
    same_echo(
        both(&["-k", "--http1.1", "-x", &in_url], &https_url, &[]),
        "credentials in -x",
    );
    // rama says why on stderr
    let (code, _) = run(RAMA, &["send", "-k", "-x", &proxy, &https_url], &[]);
    assert_eq!(code, 56);
    echo.stop_cleanly();
    tls_echo.stop_cleanly();
}

#[test]
fn through_microsocks_like_curl() {
    if !peers_available(&["curl", "microsocks"]) {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let socks = microsocks();
    for scheme in ["socks5", "socks5h"] {
        let proxy = format!("{scheme}://127.0.0.1:{}", socks.port);
        let url = format!("http://127.0.0.1:{}/s?{scheme}", echo.addr().port());
        let (_, uri, via) = same_echo(both(&["-x", &proxy], &url, &[]), scheme);
        assert_eq!(uri, format!("/s?{scheme}"));
        assert_eq!(via, "-");
        let (_, _, _) = same_echo(both(&[], &url, &[("ALL_PROXY", &proxy)]), "ALL_PROXY");
    }
    echo.stop_cleanly();
}

#[test]
fn bad_proxy_flags_fail_with_curls_codes() {
    // no peer needed: the flags fail before any connection
    for (flags, want) in [
        (&["-x", "ftp://127.0.0.1:1"][..], 5),
        (&["-x", "http://127.0.0.1:1/path"][..], 5),
        (&["--proxy-cacert", "/nonexistent/ca.pem"][..], 77),
    ] {
        let mut args = vec!["send", "-s"];
        args.extend_from_slice(flags);
        args.push("http://127.0.0.1:1/");
        let (code, out) = run(RAMA, &args, &[]);
        assert_eq!(code, want, "{flags:?}");
        assert!(out.is_empty(), "{flags:?}");
    }
}

/// haproxy terminating TLS (a certificate for `localhost` from `ca`) in front of
/// 127.0.0.1:`backend`, in tcp mode: an HTTPS proxy made of tinyproxy.
fn haproxy_tls(ca: &CertificateAuthority, backend: u16) -> Peer {
    let port = free_port();
    let dir = TempDir::new(&format!("send-proxy-haproxy-{port}"));
    let leaf = ca.issue(&["localhost"]).unwrap();
    let pem = dir.write(
        "proxy.pem",
        &format!("{}{}", leaf.chain_pem(), leaf.key_pem()),
    );
    let config = format!(
        "global\n  maxconn 64\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
         frontend tls\n  bind 127.0.0.1:{port} ssl crt {pem}\n  default_backend proxy\n\
         backend proxy\n  server tinyproxy 127.0.0.1:{backend}\n"
    );
    let file = dir.write("haproxy.cfg", &config);
    spawn_listening("haproxy", &["-db", "-f", &file], port, dir)
}

#[test]
fn https_proxy_verification_like_curl() {
    if !peers_available(&["curl", "tinyproxy", "haproxy"]) {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let tiny = tinyproxy(None);
    let ca = CertificateAuthority::generate("send_proxy CA").unwrap();
    let front = haproxy_tls(&ca, tiny.port);
    let dir = TempDir::new(&format!("send-proxy-ca-{}", front.port));
    let ca_file = dir.write("ca.pem", &ca.cert_pem());
    let proxy = format!("https://localhost:{}", front.port);
    let url = format!("http://localhost:{}/via-https-proxy", echo.addr().port());

    // an untrusted proxy certificate: 60 for both
    let ((curl_code, _), (rama_code, _)) = both(&["-x", &proxy], &url, &[]);
    assert_eq!((curl_code, rama_code), (60, 60));
    // trusted with --proxy-cacert, or not checked with --proxy-insecure: served, through
    // tinyproxy (its Via)
    for flags in [
        &["--proxy-cacert", ca_file.as_str()][..],
        &["--proxy-insecure"][..],
    ] {
        let mut all = flags.to_vec();
        all.extend(["-x", proxy.as_str()]);
        let (_, uri, via) = same_echo(both(&all, &url, &[]), &format!("{flags:?}"));
        assert_eq!(uri, "/via-https-proxy");
        assert!(via.contains("tinyproxy"), "{via}");
    }
    echo.stop_cleanly();
}
