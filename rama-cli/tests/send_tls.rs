//! `rama send` over https, side by side with curl against `rama serve echo --tls`: the same
//! exit codes (60 untrusted, 0 with -k or --cacert, 35 not TLS, 58 bad client certificate)
//! and the same answers (the echo's method, path and negotiated HTTP version).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use rama::tls::cert::CertificateAuthority;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use support::{RAMA, Rama, TempDir, run_program, tool_available};

/// Run the same request with curl and with `rama send`; both exit codes and stdouts.
fn both(flags: &[&str], url: &str) -> ((i32, Vec<u8>), (i32, Vec<u8>)) {
    let mut curl_args = vec!["-sS", "--max-time", "10"];
    curl_args.extend_from_slice(flags);
    curl_args.push(url);
    let mut rama_args = vec!["send", "-s", "--max-time", "10"];
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

#[test]
fn self_signed_server_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let server = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let url = format!("https://127.0.0.1:{}/x", server.addr().port());
    // untrusted: 60 for both, nothing on stdout
    let ((curl_code, curl_out), (rama_code, rama_out)) = both(&[], &url);
    assert_eq!((curl_code, rama_code), (60, 60));
    assert!(curl_out.is_empty() && rama_out.is_empty());
    // -k: served, h2 by ALPN for both
    let ((curl_code, curl_out), (rama_code, rama_out)) = both(&["-k"], &url);
    assert_eq!((curl_code, rama_code), (0, 0));
    let curl_summary = echo_summary(&curl_out);
    assert_eq!(echo_summary(&rama_out), curl_summary);
    assert_eq!(curl_summary.2, "HTTP/2");
    // h2 requests carry the full URL (:scheme, :authority, :path)
    assert_eq!(curl_summary.1, url);
    // -k --http1.1: HTTP/1.1 by ALPN for both
    let ((curl_code, curl_out), (rama_code, rama_out)) = both(&["-k", "--http1.1"], &url);
    assert_eq!((curl_code, rama_code), (0, 0));
    assert_eq!(echo_summary(&curl_out).2, "HTTP/1.1");
    assert_eq!(echo_summary(&rama_out).2, "HTTP/1.1");
    // a client certificate that cannot be read: 58 for both
    let ((curl_code, _), (rama_code, _)) = both(&["-k", "--cert", "/nonexistent/c.pem"], &url);
    assert_eq!((curl_code, rama_code), (58, 58));
    // https to a server that does not speak TLS: a handshake failure, 35 for both
    drop(server);
    let plain = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let url = format!("https://127.0.0.1:{}/", plain.addr().port());
    let ((curl_code, _), (rama_code, _)) = both(&["-k"], &url);
    assert_eq!((curl_code, rama_code), (35, 35));
    plain.stop_cleanly();
}

#[test]
fn ca_signed_server_with_cacert_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = TempDir::new("send-tls-ca");
    let ca = CertificateAuthority::generate("send_tls test CA").unwrap();
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
        let ((curl_code, curl_out), (rama_code, rama_out)) =
            both(&["--cacert", &ca_file, "--resolve", &resolve], &url);
        assert_eq!((curl_code, rama_code), (0, 0), "{url}");
        assert_eq!(echo_summary(&curl_out), echo_summary(&rama_out), "{url}");
        // without the CA: not trusted
        let ((curl_code, _), (rama_code, _)) = both(&["--resolve", &resolve], &url);
        assert_eq!((curl_code, rama_code), (60, 60), "{url}");
    }
    // a name the certificate does not have: 60 for both
    let wrong = format!("wrong.test:{port}:127.0.0.1");
    let url = format!("https://wrong.test:{port}/");
    let ((curl_code, _), (rama_code, _)) = both(&["--cacert", &ca_file, "--resolve", &wrong], &url);
    assert_eq!((curl_code, rama_code), (60, 60));
    // --tlsv1.3 is accepted (the echo speaks 1.3)
    let (code, out) = run_program(
        RAMA,
        &[
            "send",
            "-s",
            "--tlsv1.3",
            "--cacert",
            &ca_file,
            &format!("https://127.0.0.1:{port}/"),
        ],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["tls"]["version"], "TLSv1.3");
    server.stop_cleanly();
    assert!(Path::new(&ca_file).exists());
}

#[test]
fn unavailable_backend_and_bad_ca_file_have_curl_codes() {
    let (code, _) = run_program(
        RAMA,
        &[
            "send",
            "-s",
            "--tls-backend",
            "boring",
            "https://127.0.0.1:1/",
        ],
    );
    // with the feature, boring is there and the refused connection gives 7
    let expected = if cfg!(feature = "boring") { 7 } else { 4 };
    assert_eq!(code, expected);
    let (code, _) = run_program(
        RAMA,
        &[
            "send",
            "-s",
            "--cacert",
            "/nonexistent/ca.pem",
            "https://127.0.0.1:1/",
        ],
    );
    // the CA file is read before connecting: 77, not 7 for the refused connection
    assert_eq!(code, 77);
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
async fn client_certificates_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = TempDir::new("send-tls-mtls");
    let ca = CertificateAuthority::generate("send_tls mTLS CA").unwrap();
    let client = ca.issue(&["send-client"]).unwrap();
    let ca_file = dir.write("ca.pem", &ca.cert_pem());
    let cert_file = dir.write("client.pem", &client.chain_pem());
    let key_file = dir.write("client.key", &client.key_pem());
    let both_pem = dir.write(
        "client-both.pem",
        &format!("{}{}", client.chain_pem(), client.key_pem()),
    );
    let (addr, shutdown) = mtls_server(&ca).await;
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let outcome = move |flags: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            both(&flags, &url)
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
    let ((curl_code, curl_out), (rama_code, rama_out)) = outcome(flags).await.unwrap();
    assert_eq!((curl_code, rama_code), (0, 0));
    assert_eq!(curl_out, b"hello, client");
    assert_eq!(rama_out, curl_out);
    // certificate and key in one file, as curl allows
    let flags = vec![
        "--cacert".into(),
        ca_file.clone(),
        "--cert".into(),
        both_pem,
    ];
    let ((curl_code, _), (rama_code, rama_out)) = outcome(flags).await.unwrap();
    assert_eq!((curl_code, rama_code), (0, 0));
    assert_eq!(rama_out, b"hello, client");
    // without one: refused (TLS 1.3 reports it on the first read), nothing on stdout
    let flags = vec!["--cacert".into(), ca_file];
    let ((curl_code, curl_out), (rama_code, rama_out)) = outcome(flags).await.unwrap();
    assert_ne!(curl_code, 0);
    assert_ne!(rama_code, 0);
    eprintln!("no client certificate: curl {curl_code}, rama {rama_code}");
    assert!(curl_out.is_empty() && rama_out.is_empty());
    shutdown.trigger().trigger();
    tokio::time::timeout(Duration::from_secs(10), shutdown.shutdown())
        .await
        .unwrap();
}
