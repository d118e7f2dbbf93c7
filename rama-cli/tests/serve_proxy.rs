//! `rama serve proxy`: the real binary as an HTTP, HTTPS and SOCKS5 proxy on one port, with
//! curl as the client and `rama serve echo` as the origin, all on loopback.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::{Duration, Instant};
use support::curl::{assert_echoed, curl, echo, serve_proxy};
use support::{free_port, tool_available};

#[tokio::test]
async fn http_and_socks5_on_one_port() {
    if !tool_available("curl") {
        return;
    }
    let origin = echo();
    let proxy = serve_proxy(&[]);
    let x = format!("http://{}", proxy.addr());
    let port = origin.addr().port();

    let got = curl(&["-x", &x, &format!("http://127.0.0.1:{port}/absolute-form")]).await;
    assert_echoed(&got, "/absolute-form");
    let got = curl(&["-p", "-x", &x, &format!("http://127.0.0.1:{port}/tunnel")]).await;
    assert_echoed(&got, "/tunnel");

    let socks = proxy.addr().to_string();
    let got = curl(&[
        "--socks5",
        &socks,
        &format!("http://127.0.0.1:{port}/socks5"),
    ])
    .await;
    assert_echoed(&got, "/socks5");
    let got = curl(&[
        "--socks5-hostname",
        &socks,
        &format!("http://localhost:{port}/socks5h"),
    ])
    .await;
    assert_echoed(&got, "/socks5h");

    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn auth_is_required_on_both_protocols() {
    if !tool_available("curl") {
        return;
    }
    let origin = echo();
    let proxy = serve_proxy(&["--auth", "john:s3cret", "--username-labels"]);
    let x = format!("http://{}", proxy.addr());
    let url = format!("http://127.0.0.1:{}/auth", origin.addr().port());

    let got = curl(&["-x", &x, "-o", "/dev/null", "-w", "%{http_code}", &url]).await;
    assert_eq!(got.stdout, "407", "{}", got.stderr);
    let got = curl(&[
        "-x",
        &x,
        "--proxy-user",
        "john:wrong",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ])
    .await;
    assert_eq!(got.stdout, "407", "{}", got.stderr);
    let got = curl(&["-x", &x, "--proxy-user", "john-country-us:s3cret", &url]).await;
    assert_echoed(&got, "/auth");
    // the credentials are not forwarded to the origin
    assert!(
        !got.stdout
            .to_ascii_lowercase()
            .contains("proxy-authorization"),
        "{}",
        got.stdout
    );

    let socks = format!("socks5h://john:s3cret@{}", proxy.addr());
    let got = curl(&["-x", &socks, &url]).await;
    assert_echoed(&got, "/auth");
    let socks = format!("socks5h://john:nope@{}", proxy.addr());
    let got = curl(&["-x", &socks, &url]).await;
    assert_ne!(got.code, 0, "a wrong SOCKS5 password was accepted");

    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn https_proxy_with_a_self_signed_certificate() {
    if !tool_available("curl") {
        return;
    }
    let origin = echo();
    let proxy = serve_proxy(&["--tls-self-signed"]);
    let x = format!("https://{}", proxy.addr());
    let port = origin.addr().port();
    let got = curl(&[
        "-x",
        &x,
        "--proxy-insecure",
        &format!("http://127.0.0.1:{port}/https-proxy"),
    ])
    .await;
    assert_echoed(&got, "/https-proxy");
    let got = curl(&[
        "-p",
        "-x",
        &x,
        "--proxy-insecure",
        &format!("http://127.0.0.1:{port}/https-tunnel"),
    ])
    .await;
    assert_echoed(&got, "/https-tunnel");
    // SOCKS5 still answers on the same port
    let socks = proxy.addr().to_string();
    let got = curl(&[
        "--socks5",
        &socks,
        &format!("http://127.0.0.1:{port}/socks5"),
    ])
    .await;
    assert_echoed(&got, "/socks5");
    proxy.stop_cleanly();
    origin.stop_cleanly();
}

#[tokio::test]
async fn connect_to_a_closed_port_fails_fast_with_502() {
    if !tool_available("curl") {
        return;
    }
    let proxy = serve_proxy(&[]);
    let x = format!("http://{}", proxy.addr());
    let closed = free_port();
    let start = Instant::now();
    let got = curl(&["-p", "-x", &x, &format!("http://127.0.0.1:{closed}/")]).await;
    assert_ne!(got.code, 0);
    assert!(got.stderr.contains("502"), "{}", got.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    proxy.stop_cleanly();
}

/// Sends `request` on a new connection to `proxy` and reads until the end of the head (or
/// the connection's end): what came back, `""` when the proxy closed it at once.
fn exchange(proxy: std::net::SocketAddr, request: &str) -> (std::net::TcpStream, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(proxy).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // a rejected connection may be reset before or while the request is written
    let _ = s.write_all(request.as_bytes());
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    (s, String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn max_conns_counts_a_connect_tunnel_until_it_ends() {
    let origin = echo();
    let target = origin.addr();
    let proxy = serve_proxy(&["--max-conns", "1"]);
    let connect = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    let get = format!(
        "GET http://{target}/after HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"
    );

    let (tunnel, head) = exchange(proxy.addr(), &connect);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // the tunnel is handed to a task of its own, and still counts
    let (_rejected, head) = exchange(proxy.addr(), &get);
    assert_eq!(head, "", "a second connection while the tunnel is open");

    drop(tunnel);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_s, head) = exchange(proxy.addr(), &get);
        if head.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the tunnel's place comes back");
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.stop_cleanly();
}
