//! `rama send --tls-backend boring` side by side with curl, against `rama serve echo --tls`
//! with rustls, and `rama send` (rustls) against `rama serve echo --tls --tls-backend
//! boring`: the same exit codes (60 untrusted, 0 with -k or --cacert, 35 not TLS, 58 bad
//! client certificate) and the same answers (the echo's method, path, HTTP version); and
//! `--cert/--key` with boring against an mTLS server (served with, refused without).

#![cfg(feature = "boring")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use rama::tls::cert::CertificateAuthority;
use serde_json::Value;
use std::time::Duration;
use support::{RAMA, Rama, TempDir, run_program, tool_available};

/// The same request with curl and with `rama send --tls-backend BACKEND`; both exit codes
/// and stdouts.
fn both(backend: &str, flags: &[&str], url: &str) -> ((i32, Vec<u8>), (i32, Vec<u8>)) {
    let mut curl_args = vec!["-sS", "--max-time", "10"];
    curl_args.extend_from_slice(flags);
    curl_args.push(url);
    let mut rama_args = vec!["send", "-s", "--max-time", "10", "--tls-backend", backend];
    rama_args.extend_from_slice(flags);
    rama_args.push(url);
    (
        run_program("curl", &curl_args),
        run_program(RAMA, &rama_args),
    )
}

fn echo_summary(out: &[u8]) -> (String, String, String) {
    let v: Value = serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)));
    (
        v["method"].as_str().unwrap().to_owned(),
        v["uri"].as_str().unwrap().to_owned(),
        v["version"].as_str().unwrap().to_owned(),
    )
}

/// Untrusted (60), `-k` (0, h2 by ALPN), `-k --http1.1` (0, HTTP/1.1), an unreadable
/// client certificate (58): `rama send --tls-backend client` exits and answers as curl does
/// against `rama serve echo --tls --tls-backend server`.
fn self_signed_like_curl(server_backend: &str, client_backend: &str) {
    let server = Rama::start(&[
        "serve",
        "echo",
        "--tls",
        "--tls-backend",
        server_backend,
        "--bind",
        "127.0.0.1:0",
    ]);
    let url = format!("https://127.0.0.1:{}/x", server.addr().port());
    let ((curl_code, curl_out), (rama_code, rama_out)) = both(client_backend, &[], &url);
    assert_eq!((curl_code, rama_code), (60, 60));
    assert!(curl_out.is_empty() && rama_out.is_empty());
    let ((curl_code, curl_out), (rama_code, rama_out)) = both(client_backend, &["-k"], &url);
    assert_eq!((curl_code, rama_code), (0, 0));
    let curl_summary = echo_summary(&curl_out);
    assert_eq!(echo_summary(&rama_out), curl_summary);
    assert_eq!(curl_summary.2, "HTTP/2");
    let ((curl_code, curl_out), (rama_code, rama_out)) =
        both(client_backend, &["-k", "--http1.1"], &url);
    assert_eq!((curl_code, rama_code), (0, 0));
    assert_eq!(echo_summary(&curl_out).2, "HTTP/1.1");
    assert_eq!(echo_summary(&rama_out).2, "HTTP/1.1");
    let ((curl_code, _), (rama_code, _)) = both(
        client_backend,
        &["-k", "--cert", "/nonexistent/c.pem"],
        &url,
    );
    assert_eq!((curl_code, rama_code), (58, 58));
    server.stop_cleanly();
}

#[test]
fn boring_client_against_rustls_server_like_curl() {
    if !tool_available("curl") {
        return;
    }
    self_signed_like_curl("rustls", "boring");
}

#[test]
fn rustls_client_against_boring_server_like_curl() {
    if !tool_available("curl") {
        return;
    }
    self_signed_like_curl("boring", "rustls");
}

#[test]
fn boring_client_against_boring_server_like_curl() {
    if !tool_available("curl") {
        return;
    }
    self_signed_like_curl("boring", "boring");
}

#[test]
fn boring_client_with_cacert_and_tls_versions_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = TempDir::new("send-tls-boring-ca");
    let ca = CertificateAuthority::generate("send_tls_boring test CA").unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    let ca_file = dir.write("ca.pem", &ca.cert_pem());
    let cert_file = dir.write("cert.pem", &leaf.chain_pem());
    let key_file = dir.write("key.pem", &leaf.key_pem());
    let server = Rama::start(&[
        "serve",
        "echo",
        "--tls",
        "--cert",
        &cert_file,
        "--key",
        &key_file,
        "--bind",
        "127.0.0.1:0",
    ]);
    let port = server.addr().port();
    let resolve = format!("localhost:{port}:127.0.0.1");
    for url in [
        format!("https://127.0.0.1:{port}/ca"),
        format!("https://localhost:{port}/ca"),
    ] {
        let ((curl_code, curl_out), (rama_code, rama_out)) = both(
            "boring",
            &["--cacert", &ca_file, "--resolve", &resolve],
            &url,
        );
        assert_eq!((curl_code, rama_code), (0, 0), "{url}");
        assert_eq!(echo_summary(&curl_out), echo_summary(&rama_out), "{url}");
        let ((curl_code, _), (rama_code, _)) = both("boring", &["--resolve", &resolve], &url);
        assert_eq!((curl_code, rama_code), (60, 60), "{url}");
    }
    // a name the certificate does not have: 60 for both
    let wrong = format!("wrong.test:{port}:127.0.0.1");
    let url = format!("https://wrong.test:{port}/");
    let ((curl_code, _), (rama_code, _)) =
        both("boring", &["--cacert", &ca_file, "--resolve", &wrong], &url);
    assert_eq!((curl_code, rama_code), (60, 60));
    for (flag, version) in [("--tlsv1.3", "TLSv1.3"), ("--tlsv1.2", "TLSv1.3")] {
        let (code, out) = run_program(
            RAMA,
            &[
                "send",
                "-s",
                "--tls-backend",
                "boring",
                flag,
                "--cacert",
                &ca_file,
                &format!("https://127.0.0.1:{port}/"),
            ],
        );
        assert_eq!(code, 0, "{flag}");
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["tls"]["version"], version, "{flag}");
    }
    server.stop_cleanly();
}

#[test]
fn boring_client_against_a_plain_server_is_a_handshake_failure() {
    if !tool_available("curl") {
        return;
    }
    let plain = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let url = format!("https://127.0.0.1:{}/", plain.addr().port());
    let ((curl_code, _), (rama_code, _)) = both("boring", &["-k"], &url);
    assert_eq!((curl_code, rama_code), (35, 35));
    plain.stop_cleanly();
}

#[test]
fn boring_probe_reports_the_handshake() {
    let server = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let target = format!("127.0.0.1:{}", server.addr().port());
    let (code, out) = run_program(
        RAMA,
        &["probe", "tls", "--tls-backend", "boring", "-k", &target],
    );
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("version: TLSv1.3"), "{text}");
    assert!(text.contains("alpn: h2"), "{text}");
    assert!(text.contains("verification: skipped (-k)"), "{text}");
    // without -k: the self-signed chain is shown, verification fails, exit 60
    let (code, out) = run_program(RAMA, &["probe", "tls", "--tls-backend", "boring", &target]);
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, 60, "{text}");
    assert!(text.contains("verification: FAILED"), "{text}");
    server.stop_cleanly();
}

/// A server that requires client certificates of `ca` (rustls acceptor + HttpServer::auto,
/// in this process); its address.
async fn mtls_server(
    ca: &CertificateAuthority,
) -> (std::net::SocketAddr, rama::graceful::Shutdown) {
    use rama::Layer;
    use rama::http::{Body, Request, Response, server::HttpServer};
    use rama::tls::config::{ClientAuth, ServerConfig};
    use rama::tls::rustls::TlsAcceptorLayer;
    let config = ServerConfig::new(ca.issue(&["localhost", "127.0.0.1"]).unwrap().into())
        .with_alpn(rama::tls::types::AlpnList::h2_http11())
        .with_client_auth(ClientAuth::required_pem(&ca.cert_pem()).unwrap());
    let hello = rama::service_fn(async |_req: Request<Body>| {
        Ok::<_, std::convert::Infallible>(Response::new(Body::from("hello, client")))
    });
    let service = TlsAcceptorLayer::new(&config)
        .unwrap()
        .into_layer(HttpServer::auto().service(hello));
    let listener = rama::tcp::server::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = rama::graceful::Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    (addr, shutdown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boring_client_certificates_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = TempDir::new("send-tls-boring-mtls");
    let ca = CertificateAuthority::generate("send_tls_boring mTLS CA").unwrap();
    let client = ca.issue(&["send-client"]).unwrap();
    let ca_file = dir.write("ca.pem", &ca.cert_pem());
    let cert_file = dir.write("client.pem", &client.chain_pem());
    let key_file = dir.write("client.key", &client.key_pem());
    let (addr, shutdown) = mtls_server(&ca).await;
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let outcome = move |flags: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            both("boring", &flags, &url)
        })
    };
    // with the client certificate: served, same body
    let flags = vec![
        "--cacert".into(),
        ca_file.clone(),
        "--cert".into(),
        cert_file,
        "--key".into(),
        key_file,
    ];
    let ((curl_code, curl_out), (rama_code, rama_out)) =
        tokio::time::timeout(Duration::from_secs(30), outcome(flags))
            .await
            .unwrap()
            .unwrap();
    assert_eq!((curl_code, rama_code), (0, 0));
    assert_eq!(curl_out, b"hello, client");
    assert_eq!(rama_out, curl_out);
    // without one: refused, nothing on stdout
    let flags = vec!["--cacert".into(), ca_file];
    let ((curl_code, curl_out), (rama_code, rama_out)) =
        tokio::time::timeout(Duration::from_secs(30), outcome(flags))
            .await
            .unwrap()
            .unwrap();
    assert_ne!(curl_code, 0);
    assert_ne!(rama_code, 0);
    assert!(curl_out.is_empty() && rama_out.is_empty());
    shutdown.trigger().trigger();
    tokio::time::timeout(Duration::from_secs(10), shutdown.shutdown())
        .await
        .unwrap();
}
