//! `rama serve echo` in its default HTTP mode: the real binary on loopback, driven by curl
//! (HTTP/1.1 and h2c), nghttp and a raw TCP client that controls the exact bytes sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use serde_json::Value;
use std::{net::SocketAddr, process::Command};
use support::{IO_TIMEOUT, Rama, STOP_TIMEOUT, pattern, tool_available};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

fn start(args: &[&str]) -> Rama {
    let mut all = vec!["serve", "echo", "--bind", "127.0.0.1:0"];
    all.extend_from_slice(args);
    Rama::start(&all)
}

/// Run `curl ARGS... URL` (bounded by `--max-time`), returning (success, stdout).
async fn curl(addr: SocketAddr, path: &str, args: &[&str]) -> (bool, Vec<u8>) {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .arg(format!("http://{addr}{path}"));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run curl");
    if !out.status.success() {
        eprintln!("curl: {}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.success(), out.stdout)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
        )
    })
}

/// The header names of an echo, in the order listed.
fn header_names(v: &Value) -> Vec<String> {
    v["headers"]
        .as_array()
        .unwrap_or_else(|| panic!("no headers list in {v}"))
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

fn position(names: &[String], name: &str) -> usize {
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("`{name}` not in {names:?}"))
}

/// Send `request` as is on a new connection, read the response until the server closes
/// (the request asks for `Connection: close`); returns (head, body).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    timeout(IO_TIMEOUT, stream.read_to_end(&mut response))
        .await
        .expect("response timed out")
        .unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&response)));
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    (head, response[split + 4..].to_vec())
}

#[tokio::test]
async fn raw_http1_request_is_echoed_in_wire_order_and_spelling() {
    let rama = start(&[]);
    let request = b"GET /a/b?c=d HTTP/1.1\r\n\
        Host: echo.test\r\n\
        User-Agent: raw-client/1\r\n\
        X-MiXeD-cAsE: 1\r\n\
        aCCept: text/plain\r\n\
        x-dup: one\r\n\
        X-Other: 2\r\n\
        X-DUP: two\r\n\
        Connection: close\r\n\r\n";
    let (head, body) = raw_exchange(rama.addr(), request).await;
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("content-type: application/json")),
        "{head}"
    );
    let v = json(&body);
    assert_eq!(v["method"], "GET");
    assert_eq!(v["uri"], "/a/b?c=d");
    assert_eq!(v["version"], "HTTP/1.1");
    assert!(
        v["peer_addr"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{v}"
    );
    assert_eq!(
        header_names(&v),
        [
            "Host",
            "User-Agent",
            "X-MiXeD-cAsE",
            "aCCept",
            "x-dup",
            "X-Other",
            "X-DUP",
            "Connection"
        ]
    );
    let values: Vec<&str> = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["value"].as_str().unwrap())
        .collect();
    assert_eq!(values[2], "1");
    assert_eq!(values[4], "one");
    assert_eq!(values[6], "two");
    assert_eq!(v["body"]["size"], 0);
    assert!(v["h2"].is_null());
    rama.stop_cleanly();
}

#[tokio::test]
async fn raw_http1_bodies_binary_chunked_and_large() {
    let rama = start(&["--http-version", "http1"]);

    // binary, Content-Length
    let mut request =
        b"POST /bin HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n".to_vec();
    request.extend_from_slice(&[0xff, 0x00, 0xfe, 0x01]);
    let (_, body) = raw_exchange(rama.addr(), &request).await;
    let v = json(&body);
    assert_eq!(v["body"]["encoding"], "base64");
    assert_eq!(v["body"]["data"], "/wD+AQ==");
    assert_eq!(v["body"]["size"], 4);

    // chunked with a trailer
    let request = b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
        Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n";
    let (_, body) = raw_exchange(rama.addr(), request).await;
    let v = json(&body);
    assert_eq!(v["body"]["data"], "hello world");
    assert_eq!(v["body"]["truncated"], false);
    assert_eq!(v["trailers"][0]["value"], "42", "{v}");

    // larger than the capture: counted in full, truncated in the echo
    let data = vec![b'z'; 200 * 1024];
    let mut request = format!(
        "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        data.len()
    )
    .into_bytes();
    request.extend_from_slice(&data);
    let (_, body) = raw_exchange(rama.addr(), &request).await;
    let v = json(&body);
    assert_eq!(v["body"]["size"], data.len() as u64);
    assert_eq!(v["body"]["truncated"], true);
    assert_eq!(v["body"]["complete"], true);
    assert_eq!(v["body"]["data"].as_str().unwrap().len(), 64 * 1024);
    rama.stop_cleanly();
}

#[tokio::test]
async fn curl_http11_gets_json_with_the_header_spelling_and_order() {
    if !tool_available("curl") {
        return;
    }
    let rama = start(&[]);
    let body = String::from_utf8(pattern(300).iter().map(|b| b'a' + b % 26).collect()).unwrap();
    let (ok, out) = curl(
        rama.addr(),
        "/curl?x=1",
        &["--http1.1", "-H", "X-MiXeD-cAsE: 1", "--data-binary", &body],
    )
    .await;
    assert!(ok);
    let v = json(&out);
    assert_eq!(v["method"], "POST");
    assert_eq!(v["version"], "HTTP/1.1");
    assert_eq!(v["uri"], "/curl?x=1");
    assert_eq!(v["body"]["data"], body.as_str());
    let names = header_names(&v);
    // curl sends its own headers first, then the -H ones
    assert!(position(&names, "User-Agent") < position(&names, "X-MiXeD-cAsE"));
    assert!(
        !names
            .iter()
            .any(|n| n == "x-mixed-case" || n == "X-Mixed-Case")
    );
    rama.stop_cleanly();
}

#[tokio::test]
async fn curl_h2c_gets_json_with_early_frames() {
    if !tool_available("curl") {
        return;
    }
    let rama = start(&[]);
    let (ok, out) = curl(
        rama.addr(),
        "/h2",
        &["--http2-prior-knowledge", "-H", "X-MiXeD-cAsE: 1"],
    )
    .await;
    assert!(ok);
    let v = json(&out);
    assert_eq!(v["method"], "GET");
    assert_eq!(v["version"], "HTTP/2");
    let names = header_names(&v);
    // h2 names are lowercase by the protocol; the order is kept
    assert!(position(&names, "user-agent") < position(&names, "x-mixed-case"));
    let h2 = &v["h2"];
    assert_eq!(h2["outcome"], "complete", "{h2}");
    // curl (libcurl over nghttp2) announces these in its first SETTINGS frame
    let settings: Vec<&str> = h2["settings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for name in [
        "MAX_CONCURRENT_STREAMS",
        "INITIAL_WINDOW_SIZE",
        "ENABLE_PUSH",
    ] {
        assert!(settings.contains(&name), "{name} missing from {settings:?}");
    }
    assert!(!h2["window_updates"].as_array().unwrap().is_empty(), "{h2}");
    let pseudo: Vec<&str> = h2["pseudo_header_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut sorted = pseudo.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [":authority", ":method", ":path", ":scheme"]);
    assert_eq!(pseudo[0], ":method");
    rama.stop_cleanly();
}

#[tokio::test]
async fn nghttp_gets_json_with_its_priorities() {
    if !tool_available("nghttp") {
        return;
    }
    let rama = start(&[]);
    let url = format!("http://{}/nghttp", rama.addr());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("nghttp")
            .args(["--timeout=10", "-H", "x-test: 1", &url])
            .output()
    })
    .await
    .unwrap()
    .expect("run nghttp");
    assert!(
        out.status.success(),
        "nghttp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["version"], "HTTP/2");
    assert_eq!(
        v["uri"].as_str().unwrap().rsplit('/').next(),
        Some("nghttp")
    );
    assert!(header_names(&v).iter().any(|n| n == "x-test"));
    let h2 = &v["h2"];
    assert_eq!(h2["outcome"], "complete", "{h2}");
    assert!(!h2["settings"].as_array().unwrap().is_empty(), "{h2}");
    // nghttp builds its dependency tree with PRIORITY frames before the first request
    assert!(!h2["priorities"].as_array().unwrap().is_empty(), "{h2}");
    rama.stop_cleanly();
}

#[tokio::test]
async fn http_version_flag_restricts_the_protocol() {
    if !tool_available("curl") {
        return;
    }
    let http1 = start(&["--http-version", "http1"]);
    let h2 = start(&["--http-version", "h2"]);
    let (ok, out) = curl(http1.addr(), "/", &["--http1.1"]).await;
    assert!(ok);
    assert_eq!(json(&out)["version"], "HTTP/1.1");
    let (ok, _) = curl(http1.addr(), "/", &["--http2-prior-knowledge"]).await;
    assert!(!ok, "the http1-only echo answered h2");

    let (ok, out) = curl(h2.addr(), "/", &["--http2-prior-knowledge"]).await;
    assert!(ok);
    assert_eq!(json(&out)["version"], "HTTP/2");
    let (ok, _) = curl(h2.addr(), "/", &["--http1.1"]).await;
    assert!(!ok, "the h2-only echo answered HTTP/1.1");
    http1.stop_cleanly();
    h2.stop_cleanly();
}

/// An idle keep-alive connection does not hold the process after SIGTERM: the engine closes
/// it, and the process exits well within the graceful timeout.
#[tokio::test]
async fn sigterm_closes_idle_keep_alive_connections() {
    let mut rama = start(&["--graceful-timeout", "30"]);
    let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // read the whole response: head, then Content-Length bytes
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let complete = |got: &[u8]| {
        let text = String::from_utf8_lossy(got);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return false;
        };
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        body.len() >= len
    };
    while !complete(&got) {
        let n = timeout(IO_TIMEOUT, stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    rama.terminate();
    let status = rama
        .wait_timeout(STOP_TIMEOUT)
        .expect("still running: the idle keep-alive connection held it");
    assert!(status.success(), "exit status {status}");
    let mut rest = Vec::new();
    let read = timeout(IO_TIMEOUT, stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "connection left open");
}
