//! Start the `http_echo` example on `127.0.0.1:0` and run the client examples against it:
//! what the echo reports shows that the requests arrived as built, and the pooled client's
//! counters show the connection reuse.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, run_client};

fn echo_server() -> ChildServer {
    ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"])
}

fn run(bin: &str, args: &[&str]) -> String {
    String::from_utf8(run_client(bin, args, b"", IO_TIMEOUT * 3)).unwrap()
}

#[test]
fn high_level_client_requests_arrive_as_built() {
    let server = echo_server();
    let url = format!("http://{}/", server.addr());
    let out = run(env!("CARGO_BIN_EXE_http_high_level_client"), &[&url]);
    let get = out.split("== POST").next().unwrap();
    assert!(
        get.contains("GET /?lang=en&q=rama+client HTTP/1.1\n"),
        "{out}"
    );
    // the caller's header order and spelling, as seen by the server
    let lines: Vec<&str> = get.lines().skip(2).take(3).collect();
    assert_eq!(
        lines,
        [
            "X-Example: high-level".to_owned(),
            format!("Host: {}", server.addr()),
            "Authorization: Bearer demo-token".to_owned(),
        ],
        "{out}"
    );
    assert!(out.contains("Content-Type: application/json\n"), "{out}");
    assert!(
        out.contains(r#"{"kind":"framework","name":"rama"}"#),
        "{out}"
    );
    assert!(
        out.contains("== pool: 1 connection(s) created, 1 reuse(s)"),
        "{out}"
    );
    server.stop_cleanly();
}

#[test]
fn pooled_client_reuses_connections() {
    let server = echo_server();
    let url = format!("http://{}/", server.addr());
    let out = run(env!("CARGO_BIN_EXE_http_pooled_client"), &[&url, "50"]);
    assert!(
        out.contains("http1 sequential: created=1 reused=49 evicted=0 idle=1 distinct_peers=1\n"),
        "{out}"
    );
    let concurrent = out
        .lines()
        .find(|l| l.starts_with("http1 concurrent:"))
        .unwrap();
    let created: u64 = concurrent
        .split_whitespace()
        .find_map(|w| w.strip_prefix("created="))
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=51).contains(&created), "{out}");
    assert!(
        out.contains("h2 concurrent: created=1 reused=49 evicted=0 idle=1 distinct_peers=1\n"),
        "{out}"
    );
    server.stop_cleanly();
}
