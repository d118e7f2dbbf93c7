//! Start the TLS example binaries on `127.0.0.1:0`, talk to them with curl and openssl
//! s_client over loopback, stop them with SIGTERM and check they exit cleanly.
//!
//! curl and openssl are required under `CI=true`; elsewhere a test that needs a missing one
//! is skipped with a printed reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama::tls::cert::CertificateAuthority;
use rama_test_support::{ChildServer, IO_TIMEOUT, run_client, run_to_exit, tool_available};
use std::path::{Path, PathBuf};

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rama-tls-examples-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

fn curl(args: &[&str]) -> String {
    String::from_utf8(run_client("curl", args, b"", IO_TIMEOUT)).unwrap()
}

#[test]
fn tls_termination_proxy_in_front_of_http_echo() {
    if !tool_available("curl") || !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("termination");
    let ca = CertificateAuthority::generate("termination example CA").unwrap();
    let leaf = ca.issue(&["localhost"]).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.chain_pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf.key_pem()).unwrap();

    let echo = ChildServer::start(env!("CARGO_BIN_EXE_http_echo"), &["127.0.0.1:0"]);
    let backend = echo.addr().to_string();
    let (cert, key) = (path(&dir, "cert.pem"), path(&dir, "key.pem"));
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_tls_termination_proxy"),
        &["127.0.0.1:0", &backend, &cert, &key],
    );
    let port = proxy.addr().port();

    // curl trusts the CA and sees the backend's answer through TLS
    let out = curl(&[
        "-sS",
        "--cacert",
        &path(&dir, "ca.pem"),
        "--resolve",
        &format!("localhost:{port}:127.0.0.1"),
        "-d",
        "through tls",
        &format!("https://localhost:{port}/"),
    ]);
    assert!(out.starts_with("POST / HTTP/1.1\n"), "{out}");
    assert!(out.ends_with("through tls"), "{out}");

    // openssl s_client: any bytes go through; the backend closes after its answer
    let script = format!(
        "printf 'GET /s_client HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' \
         | openssl s_client -connect {} -servername localhost -CAfile {} \
         -verify_return_error -quiet",
        proxy.addr(),
        path(&dir, "ca.pem")
    );
    let out = String::from_utf8(run_client("sh", &["-c", &script], b"", IO_TIMEOUT)).unwrap();
    assert!(out.contains("GET /s_client HTTP/1.1"), "{out}");

    // without the CA, curl refuses the certificate
    let (status, _) = run_to_exit(
        "curl",
        &["-sS", &format!("https://127.0.0.1:{port}/")],
        IO_TIMEOUT,
    );
    assert_eq!(status.code(), Some(60));

    proxy.stop_cleanly();

    // no certificate given: a self-signed one (curl -k)
    let proxy = ChildServer::start(
        env!("CARGO_BIN_EXE_tls_termination_proxy"),
        &["127.0.0.1:0", &backend],
    );
    let out = curl(&["-sSk", &format!("https://{}/self-signed", proxy.addr())]);
    assert!(out.starts_with("GET /self-signed HTTP/1.1\n"), "{out}");
    proxy.stop_cleanly();
    echo.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mtls_service_serves_only_clients_with_a_certificate() {
    if !tool_available("curl") {
        return;
    }
    let dir = temp_dir("mtls");
    let service = ChildServer::start(
        env!("CARGO_BIN_EXE_mtls_service"),
        &["127.0.0.1:0", &dir.display().to_string()],
    );
    let port = service.addr().port();
    let url = format!("https://localhost:{port}/");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = path(&dir, "ca.pem");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |f: &str| std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("ca.key"), 0o600);
        assert_eq!(mode("client.key"), 0o600);
        assert_eq!(mode("ca.pem"), 0o644);
    }

    let (status, stderr) = run_to_exit(
        "curl",
        &["-sS", "--cacert", &ca, "--resolve", &resolve, &url],
        IO_TIMEOUT,
    );
    assert!(
        !status.success(),
        "served without a client certificate: {stderr}"
    );

    let out = curl(&[
        "-sS",
        "--cacert",
        &ca,
        "--cert",
        &path(&dir, "client.pem"),
        "--key",
        &path(&dir, "client.key"),
        "--resolve",
        &resolve,
        "-w",
        "http=%{http_version}",
        &url,
    ]);
    // ALPN picked h2 for curl's default; curl sends its certificate with the CA (OpenSSL
    // completes the chain from the trust store)
    let presented: usize = out
        .strip_prefix("hello, mTLS client: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!((1..=2).contains(&presented), "{out}");
    assert!(out.ends_with("over TLSv1.3\nhttp=2"), "{out}");
    let out = curl(&[
        "-sS",
        "--http1.1",
        "--cacert",
        &ca,
        "--cert",
        &path(&dir, "client.pem"),
        "--key",
        &path(&dir, "client.key"),
        "--resolve",
        &resolve,
        "-w",
        "http=%{http_version}",
        &url,
    ]);
    assert!(out.ends_with("http=1.1"), "{out}");

    service.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tls_dynamic_certs_mints_one_certificate_per_name() {
    if !tool_available("curl") || !tool_available("openssl") {
        return;
    }
    let dir = temp_dir("dynamic");
    let server = ChildServer::start(
        env!("CARGO_BIN_EXE_tls_dynamic_certs"),
        &["127.0.0.1:0", &dir.display().to_string()],
    );
    let port = server.addr().port();
    let ca = path(&dir, "ca.pem");
    for (name, minted) in [("shop.test", 1), ("news.test", 2), ("shop.test", 2)] {
        let out = curl(&[
            "-sS",
            "--cacert",
            &ca,
            "--resolve",
            &format!("{name}:{port}:127.0.0.1"),
            &format!("https://{name}:{port}/"),
        ]);
        assert_eq!(
            out,
            format!("hello {name} (certificates minted: {minted})\n")
        );
    }

    // openssl checks the minted certificate for its name against the CA
    let script = format!(
        "printf 'GET / HTTP/1.1\\r\\nHost: mail.test\\r\\nConnection: close\\r\\n\\r\\n' \
         | openssl s_client -connect {} -servername mail.test -verify_hostname mail.test \
         -CAfile {ca} -verify_return_error -quiet",
        server.addr()
    );
    let out = String::from_utf8(run_client("sh", &["-c", &script], b"", IO_TIMEOUT)).unwrap();
    assert!(
        out.ends_with("hello mail.test (certificates minted: 3)\n"),
        "{out}"
    );
    server.stop_cleanly();

    // a restart loads the same CA from the directory
    let before = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let server = ChildServer::start(
        env!("CARGO_BIN_EXE_tls_dynamic_certs"),
        &["127.0.0.1:0", &dir.display().to_string()],
    );
    assert_eq!(std::fs::read_to_string(dir.join("ca.pem")).unwrap(), before);
    let port = server.addr().port();
    let out = curl(&[
        "-sS",
        "--cacert",
        &ca,
        "--resolve",
        &format!("shop.test:{port}:127.0.0.1"),
        &format!("https://shop.test:{port}/"),
    ]);
    assert_eq!(out, "hello shop.test (certificates minted: 1)\n");
    server.stop_cleanly();
    std::fs::remove_dir_all(&dir).unwrap();
}
