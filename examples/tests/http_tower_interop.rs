//! Start the `http_tower_interop` example on `127.0.0.1:0` and request its axum routes with
//! curl over HTTP/1.1 and h2 (prior knowledge): the answers are axum's, with the headers of
//! the rama layers around it; then stop it with SIGTERM.
//!
//! curl is required under `CI=true`; elsewhere the test is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, tool_available};
use std::process::Command;

/// `curl -s -i ARGS URL`; returns (head, body).
fn curl(url: &str, args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--include", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?} {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head/body split in {text:?}"));
    (head.to_owned(), body.to_owned())
}

fn status(head: &str) -> u16 {
    head.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

#[test]
fn axum_router_served_by_rama_over_http1_and_h2() {
    if !tool_available("curl") {
        return;
    }
    let server = ChildServer::start(env!("CARGO_BIN_EXE_http_tower_interop"), &["127.0.0.1:0"]);
    let base = format!("http://{}", server.addr());

    for (proto, args) in [
        ("HTTP/1.1", &["--http1.1"][..]),
        ("HTTP/2", &["--http2-prior-knowledge"][..]),
    ] {
        let (head, body) = curl(&format!("{base}/users/7"), args);
        assert!(head.starts_with(proto), "{proto}: {head}");
        assert_eq!(status(&head), 200, "{head}");
        assert_eq!(body, "user 7");
        // the rama response layer wrapped axum's answer
        assert_eq!(header(&head, "server"), Some("rama+axum"), "{head}");

        let (head, body) = curl(&format!("{base}/json"), args);
        assert_eq!(status(&head), 200);
        assert_eq!(header(&head, "content-type"), Some("application/json"));
        assert_eq!(body, r#"{"framework":"axum","server":"rama"}"#);

        // the rama request layer ran before axum's handler
        let (_, body) = curl(&format!("{base}/via"), args);
        assert_eq!(body, "rama");

        let (head, body) = curl(&format!("{base}/nope"), args);
        assert_eq!(status(&head), 404, "{head}");
        assert_eq!(body, "no such page");
        assert_eq!(header(&head, "server"), Some("rama+axum"));

        let (head, _) = curl(&format!("{base}/users/x"), args);
        assert_eq!(status(&head), 400, "{head}");
    }
    server.stop_cleanly();
}
