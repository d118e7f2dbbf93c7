//! `rama serve echo --tls --tls-backend boring`: curl (`--http1.1`, `--http2`, default) and
//! `openssl s_client` complete handshakes with the BoringSSL acceptor, ALPN picks the HTTP
//! version, the echoed ClientHello matches the bytes the client sent (recorded by a TCP
//! proxy in front of the echo), and the `tls` section has the same shape and, for the same
//! client, the same values as with the rustls backend.

#![cfg(feature = "boring")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use serde_json::Value;
use support::tls_echo::{Recorder, assert_same_hello, echo_json, run_ok};
use support::{Rama, tool_available};

const BORING_ECHO: &[&str] = &[
    "serve",
    "echo",
    "--tls",
    "--tls-backend",
    "boring",
    "--bind",
    "127.0.0.1:0",
];

/// curl's arguments for `https://localhost:PORT/tls` (via `--resolve`), with `flag`.
fn curl_args(port: u16, flag: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["-sS", "-k", "--max-time", "10", "--resolve"]
        .map(String::from)
        .into();
    args.push(format!("localhost:{port}:127.0.0.1"));
    args.extend(flag.map(String::from));
    args.push(format!("https://localhost:{port}/tls"));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_handshakes_and_the_echoed_client_hello_matches_the_wire() {
    if !tool_available("curl") {
        return;
    }
    let server = Rama::start(BORING_ECHO);
    let recorder = Recorder::start(server.addr()).await;
    let port = recorder.addr.port();
    for (flag, version, alpn) in [
        (Some("--http1.1"), "HTTP/1.1", "http/1.1"),
        (Some("--http2"), "HTTP/2", "h2"),
        (None, "HTTP/2", "h2"),
    ] {
        let echo = echo_json(&run_ok("curl", curl_args(port, flag), b"").await);
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
    let server = Rama::start(BORING_ECHO);
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

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_section_is_the_same_as_with_rustls() {
    if !tool_available("curl") {
        return;
    }
    let boring = Rama::start(BORING_ECHO);
    let rustls = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    for flag in [Some("--http1.1"), None] {
        let from_boring =
            echo_json(&run_ok("curl", curl_args(boring.addr().port(), flag), b"").await);
        let from_rustls =
            echo_json(&run_ok("curl", curl_args(rustls.addr().port(), flag), b"").await);
        let (b, r) = (&from_boring["tls"], &from_rustls["tls"]);
        assert_eq!(keys(b), keys(r), "{flag:?}");
        for key in ["version", "alpn", "server_name"] {
            assert_eq!(b[key], r[key], "{key} {flag:?}");
        }
        // the suite and group are each backend's pick among curl's offer: both named
        assert!(b["cipher_suite"].as_str().unwrap().starts_with("TLS_"));
        assert_eq!(
            b["key_exchange_group"].is_string(),
            r["key_exchange_group"].is_string()
        );
        let (bh, rh) = (&b["client_hello"], &r["client_hello"]);
        assert_eq!(keys(bh), keys(rh), "{flag:?}");
        for key in ["cipher_suites", "extensions", "alpn", "supported_groups"] {
            assert_eq!(bh[key], rh[key], "{key} {flag:?}");
        }
    }
    boring.stop_cleanly();
    rustls.stop_cleanly();
}
