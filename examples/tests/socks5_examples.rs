//! Start the SOCKS5 examples on `127.0.0.1:0` in front of the `http_echo` example, talk
//! through them with curl over loopback (`--socks5`, `--socks5-hostname`, a login, HTTP on
//! the same port), stop them with SIGTERM and check they exit cleanly.
//!
//! curl is required under `CI=true`; elsewhere the tests are skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, run_client, run_to_exit, tool_available};

fn curl(args: &[&str]) -> String {
    let mut all = vec!["-sS", "--max-time", "8"];
    all.extend_from_slice(args);
    String::from_utf8(run_client("curl", &all, b"", IO_TIMEOUT)).unwrap()
}

/// A loopback port nothing listens on (see [`rama_test_support::free_port`]).
fn closed_port() -> u16 {
    rama_test_support::free_port()
}

#[test]
fn socks5_proxy_with_and_without_login() {
    if !tool_available("curl") {
        return;
    }
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let port = echo.addr().port();

    let proxy = ChildServer::start(env!("CARGO_BIN_EXE_socks5_proxy"), &["127.0.0.1:0"]);
    let p = proxy.addr().to_string();
    let out = curl(&[
        "--socks5",
        &p,
        "-d",
        "socks5",
        &format!("http://127.0.0.1:{port}/local"),
    ]);
    assert!(out.starts_with("POST /local HTTP/1.1\n"), "{out}");
    assert!(out.ends_with("socks5"), "{out}");
    let out = curl(&[
        "--socks5-hostname",
        &p,
        &format!("http://localhost:{port}/remote"),
    ]);
    assert!(out.starts_with("GET /remote HTTP/1.1\n"), "{out}");
    // curl prints the proxy's reply code: 2 refused by policy (a private address), 4 a name
    // that does not resolve, 5 nothing listens
    let cases = [
        ("--socks5", "http://10.255.255.1:9/".to_owned(), "(2)"),
        (
            "--socks5-hostname",
            "http://nonexistent.invalid/".to_owned(),
            "(4)",
        ),
        (
            "--socks5",
            format!("http://127.0.0.1:{}/", closed_port()),
            "(5)",
        ),
    ];
    for (flag, url, code) in cases {
        let (status, stderr) = run_to_exit(
            "curl",
            &["-sS", "--max-time", "8", flag, &p, &url],
            IO_TIMEOUT,
        );
        assert!(!status.success(), "{url}: {stderr}");
        assert!(stderr.contains(code), "{url}: want {code} in {stderr}");
    }
    proxy.stop_cleanly();

    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_socks5_proxy"),
        &["127.0.0.1:0", "john", "secret"],
    );
    let url = format!("http://localhost:{port}/login");
    let out = curl(&[
        "-x",
        &format!("socks5h://john:secret@{}", proxy.addr()),
        &url,
    ]);
    assert!(out.starts_with("GET /login HTTP/1.1\n"), "{out}");
    for bad in [
        format!("socks5h://john:wrong@{}", proxy.addr()),
        format!("socks5h://{}", proxy.addr()),
    ] {
        let (status, stderr) = run_to_exit(
            "curl",
            &["-sS", "--max-time", "8", "-x", &bad, &url],
            IO_TIMEOUT,
        );
        assert!(!status.success(), "{bad}: {stderr}");
    }
    proxy.stop_cleanly();
    echo.stop_cleanly();
}

#[test]
fn socks5_and_http_proxy_share_one_port() {
    if !tool_available("curl") {
        return;
    }
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let port = echo.addr().port();
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_socks5_and_http_proxy"),
        &["127.0.0.1:0"],
    );
    let p = proxy.addr().to_string();
    let cases: [(&[&str], &str); 4] = [
        (&["--socks5-hostname", &p], "/socks5h"),
        (&["--socks5", &p], "/socks5"),
        (&["-x", &format!("http://{p}")], "/absolute-form"),
        (&["-p", "-x", &format!("http://{p}")], "/connect"),
    ];
    for (proxy_args, path) in cases {
        let mut args = proxy_args.to_vec();
        let url = format!("http://127.0.0.1:{port}{path}");
        args.push(&url);
        let out = curl(&args);
        assert!(
            out.starts_with(&format!("GET {path} HTTP/1.1\n")),
            "{proxy_args:?}: {out}"
        );
    }
    proxy.stop_cleanly();
    echo.stop_cleanly();
}
