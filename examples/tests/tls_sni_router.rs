//! Start the `tls_sni_router` example in front of two `openssl s_server` backends (each with
//! a certificate for its own name) and drive it with `openssl s_client -servername`: each
//! name completes a verified TLS handshake with its own backend through the router, and a
//! name without a route gets an `unrecognized_name` alert.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama::tls::cert::CertificateAuthority;
use rama_test_support::{
    ChildServer, IO_TIMEOUT, KillOnDrop, free_port, run_to_exit, tool_available,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rama-tls-sni-router-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// `openssl s_server` on 127.0.0.1:`port` with a certificate for `name`, once it accepts.
fn tls_backend(dir: &Path, ca: &CertificateAuthority, name: &str, port: u16) -> KillOnDrop {
    let leaf = ca.issue(&[name]).unwrap();
    let (cert, key) = (
        path(dir, &format!("{name}.pem")),
        path(dir, &format!("{name}.key")),
    );
    std::fs::write(&cert, leaf.chain_pem()).unwrap();
    std::fs::write(&key, leaf.key_pem()).unwrap();
    let server = KillOnDrop(
        Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &cert,
                "-key",
                &key,
                "-www",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + IO_TIMEOUT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "openssl s_server on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// `openssl s_client` through the router with SNI `name`, verifying the peer for `name`;
/// returns (stdout, stderr) once it exits (its stdin is closed, so it quits after the
/// handshake).
fn s_client(router: u16, name: &str, ca: &str) -> (String, String) {
    let child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{router}"),
            "-servername",
            name,
            "-CAfile",
            ca,
            "-verify_hostname",
            name,
            "-verify_return_error",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let deadline = Instant::now() + IO_TIMEOUT;
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "openssl s_client -servername {name} did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut out).unwrap();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
    (out, err)
}

#[test]
fn tls_sni_router_routes_by_server_name() {
    if !tool_available("openssl") {
        return;
    }
    let dir = temp_dir();
    let ca = CertificateAuthority::generate("sni router example CA").unwrap();
    let ca_pem = path(&dir, "ca.pem");
    std::fs::write(&ca_pem, ca.cert_pem()).unwrap();

    let (a_port, b_port) = (free_port(), free_port());
    let _a = tls_backend(&dir, &ca, "a.test", a_port);
    let _b = tls_backend(&dir, &ca, "www.b.test", b_port);

    let router = ChildServer::start(
        env!("CARGO_BIN_EXE_tls_sni_router"),
        &[
            "--bind",
            "127.0.0.1:0",
            "--route",
            &format!("a.test=127.0.0.1:{a_port}"),
            "--route",
            &format!("*.b.test=127.0.0.1:{b_port}"),
        ],
    );
    let port = router.addr().port();

    // each name completes a verified handshake with the backend holding its certificate
    for name in ["a.test", "www.b.test"] {
        let (out, err) = s_client(port, name, &ca_pem);
        assert!(
            out.contains("Verify return code: 0 (ok)"),
            "{name}: {out}\n{err}"
        );
        assert!(
            out.contains(&format!("subject=CN = {name}\n")),
            "{name}: {out}"
        );
    }

    // a name without a route: alert, no handshake
    let (out, err) = s_client(port, "c.test", &ca_pem);
    assert!(err.contains("unrecognized name"), "{out}\n{err}");
    assert!(
        router.wait_for_stderr("no route", IO_TIMEOUT),
        "{}",
        router.stderr()
    );

    // bad arguments fail fast with a clear message
    let (status, stderr) = run_to_exit(
        env!("CARGO_BIN_EXE_tls_sni_router"),
        &["--bind", "127.0.0.1:0", "--route", "a..test=127.0.0.1:1"],
        IO_TIMEOUT,
    );
    assert!(!status.success());
    assert!(stderr.contains("SNI route pattern"), "{stderr}");

    router.stop_cleanly();
    let _ = std::fs::remove_dir_all(&dir);
}
