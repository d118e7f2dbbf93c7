//! curl as the client of the proxy tests (`serve_proxy*.rs`), `rama serve proxy` as the proxy
//! and `rama serve echo` as the origin.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use super::{IO_TIMEOUT, Rama};
use std::process::Command;

/// What a curl run ended with.
pub(crate) struct Curl {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs curl (bounded by its own `--max-time` and by `IO_TIMEOUT` here).
pub(crate) async fn curl(args: &[&str]) -> Curl {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-sS", "--max-time", "8"])
            .args(&args)
            .output()
    });
    let out = tokio::time::timeout(IO_TIMEOUT, run)
        .await
        .expect("curl finished in time")
        .unwrap()
        .expect("curl runs");
    Curl {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `rama serve echo` on a free loopback port: the origin whose JSON names the request.
pub(crate) fn echo() -> Rama {
    Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"])
}

/// `rama serve proxy` on a free loopback port, with `extra` flags.
pub(crate) fn serve_proxy(extra: &[&str]) -> Rama {
    let mut args = vec!["serve", "proxy", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Rama::start(&args)
}

/// curl succeeded and the echo's JSON names the path it was asked for.
pub(crate) fn assert_echoed(got: &Curl, path: &str) {
    assert_eq!(got.code, 0, "curl failed: {}", got.stderr);
    assert!(got.stdout.contains(path), "{}", got.stdout);
}
