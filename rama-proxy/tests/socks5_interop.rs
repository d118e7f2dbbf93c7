//! The SOCKS5 client handshake against real SOCKS5 servers on loopback: microsocks (no
//! auth and username/password) and dante. Skipped with a message when a server is not
//! installed (unless `CI=true`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_net::{address::Authority, user::Basic};
use rama_proxy::socks5::{client::socks5_handshake, proto::ReplyCode};
use rama_test_support::{KillOnDrop, free_port, tool_available};
use std::{
    net::SocketAddr,
    process::Command,
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(10);
const MICROSOCKS: &str = "/usr/bin/microsocks";
const DANTED: &str = "/usr/sbin/danted";

/// An echo server on loopback; returns its address and the task (aborted on drop).
async fn echo() -> (SocketAddr, AbortOnDrop) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    (addr, AbortOnDrop(task))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// CONNECTs through the proxy to `echo` and checks bytes go both ways.
async fn tunnel_works(proxy: u16, echo: SocketAddr, creds: Option<&Basic>) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", proxy))
        .await
        .unwrap();
    let target = Authority::from(echo);
    let bound = tokio::time::timeout(T, socks5_handshake(&mut s, &target, creds))
        .await
        .unwrap()
        .unwrap();
    assert!(
        bound.port() != 0 || bound.host().as_ip().is_some(),
        "{bound}"
    );
    let payload = rama_test_support::pattern(100_000);
    let (mut r, mut w) = s.into_split();
    let sent = payload.clone();
    // the write half is handed back, not dropped: dropping it sends FIN, and microsocks
    // closes both directions on a half-close
    let writer = tokio::spawn(async move {
        w.write_all(&sent).await.unwrap();
        w
    });
    let mut back = vec![0u8; payload.len()];
    tokio::time::timeout(T, r.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    let _w = writer.await.unwrap();
    assert!(back == payload, "echo through the proxy differs");
}

#[tokio::test]
async fn handshake_against_microsocks() {
    if !tool_available(MICROSOCKS) {
        return;
    }
    let (echo, _e) = echo().await;
    let port = free_port();
    let _m = KillOnDrop::spawn_listening(
        MICROSOCKS,
        &["-i", "127.0.0.1", "-p", &port.to_string()],
        port,
    );
    tunnel_works(port, echo, None).await;

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let target: Authority = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let err = tokio::time::timeout(T, socks5_handshake(&mut s, &target, None))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.reply_code(),
        Some(ReplyCode::ConnectionRefused),
        "{err}"
    );
}

#[tokio::test]
async fn handshake_against_microsocks_with_login() {
    if !tool_available(MICROSOCKS) {
        return;
    }
    let (echo, _e) = echo().await;
    let port = free_port();
    let _m = KillOnDrop::spawn_listening(
        MICROSOCKS,
        &[
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-u",
            "john",
            "-P",
            "secret",
        ],
        port,
    );
    let good = Basic::new("john", "secret").unwrap();
    tunnel_works(port, echo, Some(&good)).await;

    let bad = Basic::new("john", "wrong").unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let err = tokio::time::timeout(T, socks5_handshake(&mut s, &echo.into(), Some(&bad)))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_auth() || err.is_io(), "{err}");

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let err = tokio::time::timeout(T, socks5_handshake(&mut s, &echo.into(), None))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(
        err.to_string().contains("requires a username and password"),
        "{err}"
    );
}

#[tokio::test]
async fn handshake_against_dante() {
    if !tool_available(DANTED) {
        return;
    }
    let (echo, _e) = echo().await;
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("rama-socks5-dante-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("danted.conf");
    std::fs::write(
        &config,
        format!(
            "logoutput: stderr\n\
             internal: 127.0.0.1 port = {port}\n\
             external: 127.0.0.1\n\
             clientmethod: none\n\
             socksmethod: none\n\
             user.privileged: root\n\
             user.unprivileged: nobody\n\
             client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
             socks pass {{ from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }}\n"
        ),
    )
    .unwrap();
    let pid = dir.join("danted.pid");
    let mut dante = KillOnDrop::spawn_listening(
        DANTED,
        &["-f", config.to_str().unwrap(), "-p", pid.to_str().unwrap()],
        port,
    );
    tunnel_works(port, echo, None).await;

    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let target: Authority = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let err = tokio::time::timeout(T, socks5_handshake(&mut s, &target, None))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        err.reply_code().is_some_and(|c| c != ReplyCode::Succeeded),
        "{err}"
    );
    // SIGTERM, so dante stops its own child processes too (SIGKILL would orphan them)
    let _ = Command::new("kill")
        .args(["-TERM", &dante.0.id().to_string()])
        .status();
    let start = Instant::now();
    while matches!(dante.0.try_wait(), Ok(None)) && start.elapsed() < T {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
