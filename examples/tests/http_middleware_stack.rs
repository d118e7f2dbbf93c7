//! Start the `http_middleware_stack` example on `127.0.0.1:0` and exercise its layers with
//! curl: compression (`--compressed`), a CORS preflight, a too-large body (413), a panic
//! (500); then stop it with SIGTERM.
//!
//! curl is required under `CI=true`; elsewhere the test is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, tool_available};
use std::{
    io::Write,
    process::{Command, Stdio},
    thread,
};

/// `curl -s -i ARGS URL` (stdin fed with `input`); returns the whole output (head and body).
fn curl(url: &str, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("curl")
        .args(["--silent", "--show-error", "--include", "--max-time", "10"])
        .args(args)
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // curl may stop reading once the server answered 413: ignore a broken pipe
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn header<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

#[test]
fn middleware_stack_compresses_answers_preflights_and_limits_bodies() {
    if !tool_available("curl") {
        return;
    }
    let server = ChildServer::start(
        env!("CARGO_BIN_EXE_http_middleware_stack"),
        &["127.0.0.1:0"],
    );
    let base = format!("http://{}", server.addr());

    // compression: curl negotiates, the body arrives encoded and curl decodes it
    let out = curl(&format!("{base}/"), &["--compressed"], b"");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert_eq!(header(&out, "content-encoding").len(), 1, "{out}");
    assert!(header(&out, "content-length").is_empty(), "{out}");
    assert!(header(&out, "vary").contains(&"accept-encoding"), "{out}");
    assert!(out.contains("line 199: the quick brown fox"), "{out}");
    assert_eq!(header(&out, "x-request-id").len(), 1, "{out}");
    // without --compressed: identity
    let out = curl(&format!("{base}/"), &[], b"");
    assert!(header(&out, "content-encoding").is_empty(), "{out}");

    // CORS preflight, answered by the layer with 204
    let out = curl(
        &format!("{base}/echo"),
        &[
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://localhost:3000",
            "-H",
            "Access-Control-Request-Method: POST",
        ],
        b"",
    );
    assert!(out.starts_with("HTTP/1.1 204"), "{out}");
    assert_eq!(
        header(&out, "access-control-allow-origin"),
        ["http://localhost:3000"],
        "{out}"
    );
    assert_eq!(header(&out, "access-control-allow-methods"), ["GET, POST"]);
    let out = curl(
        &format!("{base}/echo"),
        &[
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://evil.test",
            "-H",
            "Access-Control-Request-Method: POST",
        ],
        b"",
    );
    assert!(
        header(&out, "access-control-allow-origin").is_empty(),
        "{out}"
    );

    // body limit: a small body is echoed, a large one (with Content-Length, and chunked)
    // gets 413
    let out = curl(&format!("{base}/echo"), &["--data-binary", "@-"], b"small");
    assert!(
        out.starts_with("HTTP/1.1 200") && out.ends_with("small"),
        "{out}"
    );
    let big = vec![b'x'; 100_000];
    let out = curl(&format!("{base}/echo"), &["--data-binary", "@-"], &big);
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    let out = curl(
        &format!("{base}/echo"),
        &["-H", "Transfer-Encoding: chunked", "--data-binary", "@-"],
        &big,
    );
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");

    // catch panic: 500, and the server still serves
    let out = curl(&format!("{base}/panic"), &[], b"");
    assert!(out.starts_with("HTTP/1.1 500"), "{out}");
    assert!(!out.contains("handler bug"), "{out}");
    let out = curl(&format!("{base}/echo"), &["--data-binary", "@-"], b"again");
    assert!(out.ends_with("again"), "{out}");

    server.stop_cleanly();
}
