//! Start the HTTP proxy examples on `127.0.0.1:0` in front of the `http_echo` example, talk
//! through them with curl over loopback (absolute-form, CONNECT, HTTPS proxy, 407), stop them
//! with SIGTERM and check they exit cleanly.
//!
//! curl is required under `CI=true`; elsewhere the tests are skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, run_client, tool_available};

fn curl(args: &[&str]) -> String {
    let mut all = vec!["-sS", "--max-time", "8"];
    all.extend_from_slice(args);
    String::from_utf8(run_client("curl", &all, b"", IO_TIMEOUT)).unwrap()
}

#[test]
fn http_connect_proxy_forwards_and_tunnels() {
    if !tool_available("curl") {
        return;
    }
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let proxy = ChildServer::start(env!("CARGO_BIN_EXE_http_connect_proxy"), &["127.0.0.1:0"]);
    let x = format!("http://{}", proxy.addr());
    let url = format!("http://{}/via-proxy", echo.addr());

    let out = curl(&["-x", &x, "-d", "absolute", &url]);
    assert!(out.starts_with("POST /via-proxy HTTP/1.1\n"), "{out}");
    assert!(out.ends_with("absolute"), "{out}");
    // the proxy dropped its own hop-by-hop fields
    assert!(
        !out.to_ascii_lowercase().contains("proxy-connection"),
        "{out}"
    );

    let out = curl(&["-p", "-x", &x, "-d", "tunnelled", &url]);
    assert!(out.starts_with("POST /via-proxy HTTP/1.1\n"), "{out}");
    assert!(out.ends_with("tunnelled"), "{out}");

    proxy.stop_cleanly();
    echo.stop_cleanly();
}

#[test]
fn https_connect_proxy_requires_auth_over_tls() {
    if !tool_available("curl") {
        return;
    }
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let proxy = ChildServer::start(env!("CARGO_BIN_EXE_https_connect_proxy"), &["127.0.0.1:0"]);
    let x = format!("https://{}", proxy.addr());
    let url = format!("http://{}/secure", echo.addr());

    let status = curl(&[
        "-x",
        &x,
        "--proxy-insecure",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ]);
    assert_eq!(status, "407");

    let out = curl(&["-x", &x, "--proxy-insecure", "-U", "john:secret", &url]);
    assert!(out.starts_with("GET /secure HTTP/1.1\n"), "{out}");
    assert!(
        !out.to_ascii_lowercase().contains("proxy-authorization"),
        "{out}"
    );

    let out = curl(&[
        "-p",
        "-x",
        &x,
        "--proxy-insecure",
        "-U",
        "john-country-us:secret",
        &url,
    ]);
    assert!(out.starts_with("GET /secure HTTP/1.1\n"), "{out}");

    proxy.stop_cleanly();
    echo.stop_cleanly();
}
