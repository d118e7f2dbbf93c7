//! Start `proxy_db_chaining` with a proxy database of two tinyproxy upstreams (each naming
//! itself in the `Via` header it adds) and the `http_echo` example as origin; curl through
//! it with labelled usernames and check which upstream carried each request.
//!
//! curl and tinyproxy are required under `CI=true`; elsewhere the test is skipped when one
//! is missing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_test_support::{ChildServer, IO_TIMEOUT, KillOnDrop, free_port, tool_available};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A temp directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tinyproxy on a free loopback port that calls itself `name` in `Via`.
fn tinyproxy(dir: &TempDir, name: &str) -> (u16, KillOnDrop) {
    let port = free_port();
    let conf = dir.0.join(format!("{name}.conf"));
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 16\nViaProxyName \"{name}\"\n"
        ),
    )
    .unwrap();
    let child = KillOnDrop(
        Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + IO_TIMEOUT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tinyproxy {name} did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (port, child)
}

/// curl through `proxy`: (HTTP status, body).
fn curl(proxy: &str, url: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-w",
            "\n%{http_code}",
            "-x",
            proxy,
            url,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), body.to_owned())
}

#[test]
fn labels_pick_the_upstream() {
    if !tool_available("curl") || !tool_available("tinyproxy") {
        return;
    }
    let dir =
        TempDir(std::env::temp_dir().join(format!("rama-proxydb-example-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (us_port, _us) = tinyproxy(&dir, "us-upstream");
    let (de_port, _de) = tinyproxy(&dir, "de-upstream");
    let db = dir.0.join("db.json");
    std::fs::write(
        &db,
        format!(
            r#"[
  {{"id": "us", "address": "http://127.0.0.1:{us_port}", "country": "us", "datacenter": true}},
  {{"id": "de", "address": "http://127.0.0.1:{de_port}", "country": "de", "residential": true}}
]"#
        ),
    )
    .unwrap();

    let origin = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_proxy_db_chaining"),
        &["127.0.0.1:0", db.to_str().unwrap()],
    );
    let url = format!("http://{}/hello", origin.addr());
    let via = |user: &str| curl(&format!("http://{user}@{}", proxy.addr()), &url);

    let (status, body) = via("john-country-us:secret");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("us-upstream"), "{body}");
    assert!(body.starts_with("GET /hello HTTP/1.1"), "{body}");

    let (status, body) = via("john-residential:secret");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("de-upstream"), "{body}");

    assert_eq!(via("john-country-fr:secret").0, 503);
    assert_eq!(via("john-planet-mars:secret").0, 407);
    assert_eq!(via("john-country-us:wrong").0, 407);

    proxy.stop_cleanly();
    origin.stop_cleanly();
}
