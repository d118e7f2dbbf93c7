//! Start the `reverse_proxy` example in front of the `http_hello` and `http_echo` examples on
//! `127.0.0.1:0`, talk to it with curl, stop an upstream, stop everything with SIGTERM and
//! check clean exits.
//!
//! curl is required under `CI=true`; elsewhere the test is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, run_client, tool_available};

fn curl(args: &[&str]) -> String {
    String::from_utf8(run_client("curl", args, b"", IO_TIMEOUT)).unwrap()
}

#[test]
fn reverse_proxy_balances_retries_and_forwards() {
    if !tool_available("curl") {
        return;
    }
    let hello = ChildServer::start(env!("CARGO_BIN_EXE_http_hello"), &["127.0.0.1:0"]);
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let (hello_url, echo_url) = (
        format!("http://{}", hello.addr()),
        format!("http://{}", echo.addr()),
    );
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_reverse_proxy"),
        &["127.0.0.1:0", &hello_url, &echo_url],
    );
    let url = format!("http://{}/path?q=1", proxy.addr());

    // round robin: hello and the echoed head in turn
    let mut hellos = 0;
    let mut echoes = Vec::new();
    for _ in 0..4 {
        let out = curl(&["-sS", "--fail", "-H", "X-MiXeD-cAsE: 1", &url]);
        if out.starts_with("hello") {
            hellos += 1;
        } else {
            echoes.push(out);
        }
    }
    assert_eq!((hellos, echoes.len()), (2, 2), "{echoes:?}");
    let head = &echoes[0];
    assert!(head.starts_with("GET /path?q=1 HTTP/1.1\n"), "{head}");
    // the client's Host kept, its header spelling kept, this hop added
    assert!(
        head.contains(&format!("Host: {}\n", proxy.addr())),
        "{head}"
    );
    assert!(head.contains("X-MiXeD-cAsE: 1\n"), "{head}");
    assert!(head.contains("Forwarded: for=127.0.0.1;"), "{head}");
    assert!(head.contains("X-Forwarded-For: 127.0.0.1\n"), "{head}");

    // one upstream gone: every request still answered (retried, then the dead one ejected)
    hello.stop_cleanly();
    for _ in 0..4 {
        let out = curl(&["-sS", "--fail", &url]);
        assert!(out.starts_with("GET /path?q=1 HTTP/1.1\n"), "{out}");
    }

    proxy.stop_cleanly();
    echo.stop_cleanly();
}
