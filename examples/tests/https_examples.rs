//! `https_server` with curl (h2 by default ALPN, `--http1.1`, untrusted without the CA) and
//! `https_client` against `https_server` (with its CA, and `--insecure`).
//!
//! curl is required under `CI=true`; elsewhere its test is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, run_client, tool_available};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rama-https-examples-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start_server(dir: &std::path::Path) -> ChildServer {
    ChildServer::start(
        env!("CARGO_BIN_EXE_https_server"),
        &["127.0.0.1:0", dir.to_str().unwrap()],
    )
}

#[test]
fn https_server_with_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("server");
    let server = start_server(&dir);
    let port = server.addr().port();
    let ca = dir.join("ca.pem").display().to_string();
    let resolve = format!("localhost:{port}:127.0.0.1");
    let url = format!("https://localhost:{port}/");
    let curl = |extra: &[&str]| {
        let mut args = vec!["-sS", "--max-time", "10", "--resolve", &resolve];
        args.extend_from_slice(extra);
        args.push(&url);
        String::from_utf8(run_client("curl", &args, b"", IO_TIMEOUT)).unwrap()
    };
    let out = curl(&["--cacert", &ca]);
    assert!(
        out.starts_with("hello over HTTP/2.0 (ALPN h2, TLSv1.3, TLS_"),
        "{out}"
    );
    let out = curl(&["--cacert", &ca, "--http1.1"]);
    assert!(
        out.starts_with("hello over HTTP/1.1 (ALPN http/1.1, "),
        "{out}"
    );
    // without the CA: refused by curl (60: peer certificate cannot be authenticated)
    let status = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--resolve", &resolve, &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(60));
    server.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Run `https_client ARGS...` to completion (bounded); its stdout, asserting success.
fn run_https_client(args: &[&str]) -> String {
    let out = run_client(env!("CARGO_BIN_EXE_https_client"), args, b"", IO_TIMEOUT);
    String::from_utf8(out).unwrap()
}

#[test]
fn https_client_against_https_server() {
    let dir = temp_dir("client");
    let server = start_server(&dir);
    let url = format!("https://127.0.0.1:{}/", server.addr().port());
    let ca = dir.join("ca.pem").display().to_string();
    for trust in [ca.as_str(), "--insecure"] {
        let out = run_https_client(&[&url, trust]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 8, "{out}");
        for line in &lines[..3] {
            assert!(
                line.starts_with("auto: HTTP/2.0 200 hello over HTTP/2.0 (ALPN h2"),
                "{out}"
            );
        }
        assert_eq!(lines[3], "auto: connections opened: 1", "{out}");
        for line in &lines[4..7] {
            assert!(
                line.starts_with("http1: HTTP/1.1 200 hello over HTTP/1.1 (ALPN http/1.1"),
                "{out}"
            );
        }
        assert_eq!(lines[7], "http1: connections opened: 1", "{out}");
    }
    // another CA: the client refuses the server and exits with an error
    let other = dir.join("other-ca.pem");
    std::fs::write(
        &other,
        rama::tls::cert::CertificateAuthority::generate("other CA")
            .unwrap()
            .cert_pem(),
    )
    .unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_https_client"))
        .args([url.as_str(), other.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
    server.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}
