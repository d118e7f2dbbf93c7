//! `http_mitm_proxy` between curl and the `https_server` example: curl trusts the MITM's
//! CA, the MITM trusts the origin's CA (`--upstream-ca`); the MITM logs what it decrypted.
//! Plain `http://` goes through its forward proxy to the `http_echo` example.
//!
//! curl is required under `CI=true`; elsewhere the test is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{
    ChildServer, IO_TIMEOUT, KillOnDrop, run_client, run_to_exit, tool_available,
};
use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rama-mitm-example-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn http_mitm_proxy_intercepts_curl() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("intercept");
    let (origin_dir, ca_dir) = (dir.join("origin"), dir.join("mitm"));
    let origin = ChildServer::start(
        env!("CARGO_BIN_EXE_https_server"),
        &["127.0.0.1:0", origin_dir.to_str().unwrap()],
    );
    let origin_ca = origin_dir.join("ca.pem").display().to_string();
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_http_mitm_proxy"),
        &[
            "127.0.0.1:0",
            ca_dir.to_str().unwrap(),
            "--upstream-ca",
            &origin_ca,
        ],
    );
    let proxy_url = format!("http://{}", proxy.addr());
    let mitm_ca = ca_dir.join("ca.pem").display().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ca_dir.join("ca.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the CA key must be private");
    }

    // by name (SNI localhost) over h2, and by IP (no SNI: a leaf for 127.0.0.1) over HTTP/1.1
    let port = origin.addr().port();
    for (url, version, expected) in [
        (
            format!("https://localhost:{port}/by-name"),
            "--http2",
            "hello over HTTP/2.0 (ALPN h2, ",
        ),
        (
            format!("https://127.0.0.1:{port}/by-ip"),
            "--http1.1",
            "hello over HTTP/2.0 (ALPN h2, ",
        ),
    ] {
        let out = run_client(
            "curl",
            &[
                "-sS",
                "--max-time",
                "10",
                "-x",
                &proxy_url,
                "--cacert",
                &mitm_ca,
                version,
                &url,
            ],
            b"",
            IO_TIMEOUT,
        );
        let out = String::from_utf8(out).unwrap();
        // the MITM's own client speaks h2 with the origin whatever curl spoke
        assert!(out.starts_with(expected), "{url}: {out}");
    }
    assert!(
        proxy.wait_for_stderr(
            &format!("intercepted GET https://localhost:{port}/by-name -> 200"),
            Duration::from_secs(5)
        ),
        "{}",
        proxy.stderr()
    );
    assert!(
        proxy.wait_for_stderr(
            &format!("intercepted GET https://127.0.0.1:{port}/by-ip -> 200"),
            Duration::from_secs(5)
        ),
        "{}",
        proxy.stderr()
    );

    // plain http:// (absolute form) goes through the forward proxy, logged as well
    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let plain = format!("http://{}/plain", echo.addr());
    let out = run_client(
        "curl",
        &["-sS", "--max-time", "10", "-x", &proxy_url, &plain],
        b"",
        IO_TIMEOUT,
    );
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("GET /plain HTTP/1.1\n"), "{out}");
    assert!(
        proxy.wait_for_stderr(
            &format!("intercepted GET {plain} -> 200"),
            Duration::from_secs(5)
        ),
        "{}",
        proxy.stderr()
    );
    echo.stop_cleanly();

    // without the MITM's CA curl refuses the leaf (60): the traffic was intercepted
    let (status, _) = run_to_exit(
        "curl",
        &[
            "-sS",
            "--max-time",
            "10",
            "-x",
            &proxy_url,
            &format!("https://localhost:{port}/"),
        ],
        IO_TIMEOUT,
    );
    assert_eq!(status.code(), Some(60));

    // graceful shutdown with a decrypted keep-alive connection open: it is closed at once
    // and the proxy exits cleanly (a tunnel left open would hold it past the time limit)
    if tool_available("openssl") {
        let mut client = KillOnDrop(
            Command::new("openssl")
                .args([
                    "s_client",
                    "-proxy",
                    &proxy.addr().to_string(),
                    "-connect",
                    &format!("localhost:{port}"),
                    "-servername",
                    "localhost",
                    "-alpn",
                    "http/1.1",
                    "-CAfile",
                    &mitm_ca,
                    "-verify_return_error",
                    "-quiet",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut stdin = client.0.stdin.take().unwrap();
        stdin
            .write_all(b"GET /kept HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let stdout = client.0.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
            let _ = tx.send("EOF".to_owned());
        });
        let mut seen = Vec::new();
        while !seen.iter().any(|l: &String| l.starts_with("hello over")) {
            seen.push(
                rx.recv_timeout(IO_TIMEOUT)
                    .expect("no answer on the kept connection"),
            );
        }
        proxy.stop_cleanly();
        // the proxy closed the connection: s_client sees the end
        loop {
            let line = rx
                .recv_timeout(IO_TIMEOUT)
                .expect("the connection was not closed");
            if line == "EOF" {
                break;
            }
        }
        drop(stdin);
    } else {
        proxy.stop_cleanly();
    }

    // a MITM that does not trust the origin (webpki roots only): 502
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_http_mitm_proxy"),
        &["127.0.0.1:0", ca_dir.to_str().unwrap()],
    );
    let out = run_client(
        "curl",
        &[
            "-sS",
            "--max-time",
            "10",
            "-x",
            &format!("http://{}", proxy.addr()),
            "--cacert",
            &mitm_ca,
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("https://localhost:{port}/"),
        ],
        b"",
        IO_TIMEOUT,
    );
    assert_eq!(String::from_utf8(out).unwrap(), "502");
    proxy.stop_cleanly();
    origin.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}
