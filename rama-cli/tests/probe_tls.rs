//! `rama probe tls` against `rama serve echo --tls`: self-signed (exit 60 unless -k, the
//! chain still shown), CA-signed with --cacert (exit 0), ALPN choice, and curl's exit codes
//! for a refused connection (7) and a server without TLS (35).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use rama::tls::cert::CertificateAuthority;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{RAMA, Rama};

/// `rama probe tls ARGS...` (killed after 20 s): exit code and stdout.
fn probe(args: &[&str]) -> (i32, String) {
    let mut all = vec!["probe", "tls", "--timeout", "10"];
    all.extend_from_slice(args);
    let mut child = Command::new(RAMA)
        .args(&all)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rama {all:?} did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    eprintln!(
        "rama {all:?}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn self_signed_echo_does_not_verify_unless_insecure() {
    let server = Rama::start(&["serve", "echo", "--tls", "--bind", "127.0.0.1:0"]);
    let target = format!("localhost:{}", server.addr().port());
    let (code, out) = probe(&[&target]);
    assert_eq!(code, 60);
    assert!(out.contains("verification: FAILED (webpki roots)"), "{out}");
    assert!(out.contains("certificate chain (1):"), "{out}");
    assert!(out.contains("DNS:localhost, IP:127.0.0.1, IP:::1"), "{out}");
    assert!(out.contains("(valid now)"), "{out}");
    let (code, out) = probe(&["-k", &target]);
    assert_eq!(code, 0);
    assert!(out.contains("verification: skipped (-k)"), "{out}");
    assert!(out.contains("version: TLSv1.3"), "{out}");
    assert!(out.contains("alpn: h2"), "{out}");
    assert!(out.contains("server name localhost"), "{out}");
    server.stop_cleanly();
}

#[test]
fn ca_signed_echo_verifies_with_cacert() {
    let dir = std::env::temp_dir().join(format!("rama-probe-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = CertificateAuthority::generate("probe test CA").unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    let path = |name: &str, contents: String| {
        let p = dir.join(name);
        std::fs::write(&p, contents).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let ca_file = path("ca.pem", ca.cert_pem());
    let cert_file = path("cert.pem", leaf.chain_pem());
    let key_file = path("key.pem", leaf.key_pem());
    let server = Rama::start(&[
        "serve",
        "echo",
        "--tls",
        "--cert",
        &cert_file,
        "--key",
        &key_file,
        "--bind",
        "127.0.0.1:0",
    ]);
    let target = format!("127.0.0.1:{}", server.addr().port());
    let (code, out) = probe(&["--cacert", &ca_file, &target]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("verification: ok (--cacert {ca_file})")),
        "{out}"
    );
    assert!(out.contains("issuer:  CN=probe test CA"), "{out}");
    assert!(
        out.contains("SAN:     DNS:localhost, IP:127.0.0.1"),
        "{out}"
    );
    // only http/1.1 offered
    let (code, out) = probe(&["--cacert", &ca_file, "--alpn", "http/1.1", &target]);
    assert_eq!(code, 0);
    assert!(out.contains("alpn: http/1.1"), "{out}");
    // a name the certificate lacks: does not verify
    let (code, out) = probe(&["--cacert", &ca_file, "--servername", "other.test", &target]);
    assert_eq!(code, 60, "{out}");
    // TLS 1.2 only is not refused by the echo, and reported
    let (code, out) = probe(&["--cacert", &ca_file, "--tlsv1.2", &target]);
    assert_eq!(code, 0);
    assert!(out.contains("version: TLSv1."), "{out}");
    server.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn connection_failures_have_curl_codes() {
    let plain = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let (code, _) = probe(&["-k", &format!("127.0.0.1:{}", plain.addr().port())]);
    assert_eq!(code, 35);
    plain.stop_cleanly();
    let port = support::free_port();
    let (code, _) = probe(&[&format!("127.0.0.1:{port}")]);
    assert_eq!(code, 7);
}
