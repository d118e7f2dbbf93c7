//! The SNI router over loopback: `openssl s_client -servername a.test` and `b.test` reach
//! two different plain TCP backends, and the bytes each backend receives are exactly the
//! bytes the client sent (recorded by a tap between client and router). A name without a
//! route gets an `unrecognized_name` alert.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::Service;
use rama_net::address::Authority;
use rama_net::dns::DenyAllDns;
use rama_tcp::TcpStream;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use rama_test_support::{IO_TIMEOUT, KillOnDrop, tool_available};
use rama_tls::client_hello::{ClientHello, ClientHelloParser, ParseStatus};
use rama_tls::sni::{SniRouteOutcome, SniRouter};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// A plain TCP backend that records the bytes of each connection up to a complete
/// ClientHello and reports them.
async fn backend(
    name: &'static str,
) -> (SocketAddr, mpsc::UnboundedReceiver<(&'static str, Vec<u8>)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    if let Ok(ParseStatus::Complete { .. }) = ClientHelloParser::new().parse(&got) {
                        break;
                    }
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx.send((name, got));
                // closing makes the client give up its handshake
            });
        }
    });
    (addr, rx)
}

/// A tap in front of `target`: forwards client bytes and records them.
async fn tap(target: SocketAddr) -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let upstream = tokio::net::TcpStream::connect(target).await.unwrap();
        let (mut client_read, mut client_write) = client.into_split();
        let (mut up_read, mut up_write) = upstream.into_split();
        let back = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut up_read, &mut client_write).await;
        });
        let mut sent = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    sent.extend_from_slice(&buf[..n]);
                    // report as soon as a ClientHello is through
                    if let Ok(ParseStatus::Complete { consumed, .. }) =
                        ClientHelloParser::new().parse(&sent)
                    {
                        let _ = tx.send(sent[..consumed].to_vec());
                    }
                    if up_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = up_write.shutdown().await;
        let _ = back.await;
    });
    (addr, rx)
}

fn openssl(addr: SocketAddr, servername: &str) -> KillOnDrop {
    KillOnDrop(
        Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &addr.to_string(),
                "-servername",
                servername,
            ])
            .stdin(Stdio::piped()) // kept open: openssl waits for the handshake
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

fn router() -> SniRouter<TcpConnector<DenyAllDns>> {
    SniRouter::new(TcpConnector::with_resolver(DenyAllDns::new()))
}

#[tokio::test]
async fn two_names_reach_two_backends_unmodified() {
    if !tool_available("openssl") {
        return;
    }
    let (a_addr, mut a_rx) = backend("a").await;
    let (b_addr, mut b_rx) = backend("b").await;
    let svc = router()
        .with_route("a.test", Authority::from(a_addr))
        .unwrap()
        .with_route("*.b.test", Authority::from(b_addr))
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let router_addr = listener.local_addr().unwrap();
    let server = tokio::spawn(listener.serve(svc));

    // (servername, backend that must receive it)
    for (servername, expected) in [("a.test", "a"), ("WWW.B.test", "b")] {
        let (tap_addr, mut sent_rx) = tap(router_addr).await;
        let _client = openssl(tap_addr, servername);
        let sent = tokio::time::timeout(IO_TIMEOUT, sent_rx.recv())
            .await
            .unwrap()
            .unwrap();
        let rx = if expected == "a" {
            &mut a_rx
        } else {
            &mut b_rx
        };
        let (name, received) = tokio::time::timeout(IO_TIMEOUT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(name, expected);
        assert_eq!(
            received, sent,
            "{servername}: the backend got other bytes than the client sent"
        );
        let hello = ClientHello::parse(&received).unwrap();
        assert_eq!(hello.server_name(), Some(servername));
    }
    // nothing went to the wrong backend
    assert!(a_rx.try_recv().is_err());
    assert!(b_rx.try_recv().is_err());
    server.abort();
}

#[tokio::test]
async fn unknown_name_gets_an_alert_and_a_clean_close() {
    if !tool_available("openssl") {
        return;
    }
    let (a_addr, mut a_rx) = backend("a").await;
    let svc = router()
        .with_route("a.test", Authority::from(a_addr))
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let mut client = openssl(addr, "c.test");
    let (socket, _) = tokio::time::timeout(IO_TIMEOUT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let outcome = tokio::time::timeout(IO_TIMEOUT, svc.serve(TcpStream::new(socket)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        outcome,
        SniRouteOutcome::NoRoute {
            sni: Some("c.test".into())
        }
    );

    // openssl exits on the alert and names it
    let status = tokio::task::spawn_blocking(move || {
        let status = client.0.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut client.0.stderr.take().unwrap(), &mut stderr).unwrap();
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(IO_TIMEOUT, status)
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    assert!(stderr.contains("unrecognized name"), "{stderr}");
    assert!(a_rx.try_recv().is_err());
}

#[tokio::test]
async fn non_tls_and_unreachable_backends_are_errors() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let svc = router().with_default_route(Authority::from(dead));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    // (bytes the client sends, expected error text)
    let cases: [(&[u8], &str); 2] = [
        (b"GET / HTTP/1.1\r\n\r\n", "not TLS"),
        (
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/client_hello/fixtures/openssl_servername.bin"
            ))
            .unwrap(),
            "connect to backend",
        ),
    ];
    for (bytes, expected) in cases {
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(bytes).await.unwrap();
        let (socket, _) = listener.accept().await.unwrap();
        let err = tokio::time::timeout(IO_TIMEOUT, svc.serve(TcpStream::new(socket)))
            .await
            .unwrap()
            .unwrap_err();
        assert!(format!("{err:#}").contains(expected), "{err:#}");
    }
}
