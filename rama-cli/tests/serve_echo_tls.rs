//! `rama serve echo --tls`: curl (`--http1.1`, `--http2`, default) and `openssl s_client`
//! complete handshakes, ALPN picks the HTTP version, and the echoed ClientHello lists the
//! same cipher suites and extensions, in the same order, as our parser reads from the raw
//! bytes the client sent (recorded by a small TCP proxy in front of the echo), and as
//! Wireshark's dissector (`tshark`, installed by `.ci/run`) reads from the same bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use support::tls_echo::{Recorder, assert_same_hello, echo_json, run_ok};
use support::{Rama, STOP_TIMEOUT, run_to_exit, tool_available};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_handshakes_and_the_echoed_client_hello_matches_the_wire() {
    if !tool_available("curl") {
        return;
    }
    let server = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let recorder = Recorder::start(server.addr()).await;
    let port = recorder.addr.port();
    for (flag, version, alpn) in [
        (Some("--http1.1"), "HTTP/1.1", "http/1.1"),
        (Some("--http2"), "HTTP/2", "h2"),
        (None, "HTTP/2", "h2"),
    ] {
        let mut args: Vec<String> = ["-sS", "-k", "--max-time", "10", "--resolve"]
            .map(String::from)
            .into();
        args.push(format!("localhost:{port}:127.0.0.1"));
        args.extend(flag.map(String::from));
        args.push(format!("https://localhost:{port}/tls"));
        let echo = echo_json(&run_ok("curl", args, b"").await);
        assert_eq!(echo["version"], version, "{flag:?}");
        let tls = &echo["tls"];
        assert_eq!(tls["alpn"], alpn, "{flag:?}");
        assert_eq!(tls["server_name"], "localhost");
        assert!(tls["version"].as_str().unwrap().starts_with("TLSv1."));
        assert!(tls["cipher_suite"].as_str().unwrap().starts_with("TLS_"));
        assert_eq!(tls["client_hello"]["server_name"], "localhost");
        assert_same_hello(&echo, &recorder.take_client_hello());
    }
    drop(recorder);
    server.stop_cleanly();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_s_client_handshakes_and_matches_the_wire() {
    if !tool_available("openssl") {
        return;
    }
    let server = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let recorder = Recorder::start(server.addr()).await;
    let args: Vec<String> = [
        "s_client",
        "-connect",
        &recorder.addr.to_string(),
        "-servername",
        "localhost",
        "-alpn",
        "http/1.1",
        "-quiet",
    ]
    .map(String::from)
    .into();
    let out = run_ok(
        "openssl",
        args,
        b"GET /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    let echo = echo_json(&out);
    assert_eq!(echo["uri"], "/s");
    assert_eq!(echo["version"], "HTTP/1.1");
    assert_eq!(echo["tls"]["alpn"], "http/1.1");
    assert_same_hello(&echo, &recorder.take_client_hello());
    drop(recorder);
    server.stop_cleanly();
}

#[test]
fn boring_backend_is_refused_clearly_and_tls_needs_http_mode() {
    // with the feature, tests/serve_echo_tls_boring.rs serves with it
    if !cfg!(feature = "boring") {
        boring_backend_is_refused_clearly();
    }
    let (status, stderr) = run_to_exit(
        &[
            "serve",
            "echo",
            "--tls",
            "--mode",
            "tcp",
            "--bind",
            "127.0.0.1:0",
        ],
        STOP_TIMEOUT,
    );
    assert_eq!(status.code(), Some(2), "{stderr}");
}

fn boring_backend_is_refused_clearly() {
    let (status, stderr) = run_to_exit(
        &[
            "serve",
            "echo",
            "--tls",
            "--tls-backend",
            "boring",
            "--bind",
            "127.0.0.1:0",
        ],
        STOP_TIMEOUT,
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not built with the boring"), "{stderr}");
}
