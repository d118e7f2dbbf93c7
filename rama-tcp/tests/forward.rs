//! `Forwarder` behind a `TcpListener`, over loopback: bulk bytes both ways intact,
//! half-close, resets, dynamic targets, errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Service, error::BoxError, extensions::ExtensionsMut, service_fn};
use rama_net::{address::Authority, dns::InMemoryDns};
use rama_tcp::{
    TcpStream,
    client::TcpConnector,
    forward::{ForwardTarget, Forwarder},
    server::TcpListener,
};
use std::{net::SocketAddr, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(60);

/// Deterministic pseudo-random bytes (xorshift), so that corruption cannot hide.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// FNV-1a, to compare large payloads by a short value in messages.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn forwarder(target: Option<SocketAddr>) -> Forwarder<TcpConnector<InMemoryDns>> {
    Forwarder::with_connector(
        target.map(Authority::from),
        TcpConnector::with_resolver(InMemoryDns::new()),
    )
}

/// Start `svc` behind a listener on 127.0.0.1; returns its address.
async fn serve<S>(svc: S) -> (SocketAddr, tokio::task::JoinHandle<()>)
where
    S: Service<TcpStream, Error: Into<BoxError>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, tokio::spawn(listener.serve(svc)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_both_ways_through_the_forwarder_with_checksums() {
    const UP: usize = 12 * 1024 * 1024 + 5;
    const DOWN: usize = 11 * 1024 * 1024 + 3;
    // the upstream reads the client's bytes while sending its own, then reports their
    // checksum as the last 8 bytes
    let (upstream, up_task) = serve(service_fn(async |stream: TcpStream| {
        let (mut r, mut w) = tokio::io::split(stream);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.map(|_| got)
        });
        w.write_all(&pattern(DOWN, 2)).await?;
        let got = reader.await.unwrap()?;
        w.write_all(&checksum(&got).to_be_bytes()).await?;
        w.write_all(&(got.len() as u64).to_be_bytes()).await?;
        w.shutdown().await
    }))
    .await;
    let (front, front_task) = serve(forwarder(Some(upstream))).await;

    let client = tokio::net::TcpStream::connect(front).await.unwrap();
    let (mut r, mut w) = client.into_split();
    let sent = pattern(UP, 1);
    let want = checksum(&sent);
    let writer = tokio::spawn(async move {
        for chunk in sent.chunks(100_000) {
            w.write_all(chunk).await.unwrap();
        }
        w.shutdown().await.unwrap(); // half-close: the upstream still answers after this
    });
    let mut got = Vec::new();
    tokio::time::timeout(LIMIT, r.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    writer.await.unwrap();

    assert_eq!(got.len(), DOWN + 16);
    let (body, trailer) = got.split_at(DOWN);
    assert!(body == pattern(DOWN, 2).as_slice(), "download corrupted");
    assert_eq!(
        u64::from_be_bytes(trailer[..8].try_into().unwrap()),
        want,
        "upload corrupted"
    );
    assert_eq!(
        u64::from_be_bytes(trailer[8..].try_into().unwrap()),
        UP as u64
    );
    front_task.abort();
    up_task.abort();
}

#[tokio::test]
async fn small_exchanges_and_half_close() {
    let (upstream, up_task) = serve(service_fn(async |mut s: TcpStream| {
        let mut req = Vec::new();
        s.read_to_end(&mut req).await?; // waits for the client's half-close
        tokio::time::sleep(Duration::from_millis(20)).await;
        s.write_all(b"re: ").await?;
        s.write_all(&req).await
    }))
    .await;
    let (front, front_task) = serve(forwarder(Some(upstream))).await;
    for i in 0..20 {
        let mut client = tokio::net::TcpStream::connect(front).await.unwrap();
        let msg = format!("message {i}");
        client.write_all(msg.as_bytes()).await.unwrap();
        client.shutdown().await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(LIMIT, client.read_to_string(&mut answer))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer, format!("re: {msg}"));
    }
    front_task.abort();
    up_task.abort();
}

#[tokio::test]
async fn upstream_reset_closes_the_client_connection() {
    let (upstream, up_task) = serve(service_fn(async |mut s: TcpStream| {
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await?;
        s.write_all(b"bye").await?;
        socket2::SockRef::from(s.get_ref()).set_linger(Some(Duration::ZERO))?;
        Ok::<_, std::io::Error>(()) // dropped with linger 0: a reset
    }))
    .await;
    let (front, front_task) = serve(forwarder(Some(upstream))).await;
    let mut client = tokio::net::TcpStream::connect(front).await.unwrap();
    client.write_all(b"hello").await.unwrap();
    let mut got = Vec::new();
    // the connection ends (cleanly or by a reset, in time); what arrived before the reset
    // may or may not be delivered, and nothing else appears
    let _ended = tokio::time::timeout(LIMIT, client.read_to_end(&mut got))
        .await
        .expect("the client connection ends");
    assert!(b"bye".starts_with(&got), "{got:?}");
    front_task.abort();
    up_task.abort();
}

#[tokio::test]
async fn refused_upstream_closes_the_client_connection() {
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let dead = reserved.local_addr().unwrap();
    let fwd = forwarder(Some(dead));

    // called directly, the error names the upstream
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let err = fwd.serve(TcpStream::new(accepted)).await.unwrap_err();
    let msg = format!("{:#}", rama_core::error::OpaqueError::from_boxed(err));
    assert!(
        msg.contains(&format!("connect to {dead}: connection refused")),
        "{msg}"
    );

    // behind a listener, the client sees its connection closed
    let (front, front_task) = serve(fwd).await;
    let mut client = tokio::net::TcpStream::connect(front).await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(LIMIT, client.read_to_end(&mut got))
        .await
        .unwrap();
    assert!(got.is_empty());
    front_task.abort();
}

#[tokio::test]
async fn dynamic_target_from_the_stream_extensions() {
    let (upstream_a, a_task) =
        serve(service_fn(async |mut s: TcpStream| s.write_all(b"A").await)).await;
    let (upstream_b, b_task) =
        serve(service_fn(async |mut s: TcpStream| s.write_all(b"B").await)).await;
    let fwd = Forwarder::with_connector(None, TcpConnector::with_resolver(InMemoryDns::new()));
    // a layer in front picks the target per connection: even client ports go to A
    let (front, front_task) = serve(service_fn(move |mut stream: TcpStream| {
        let fwd = fwd.clone();
        async move {
            let port = stream.peer_addr().unwrap().port();
            let target = if port.is_multiple_of(2) {
                upstream_a
            } else {
                upstream_b
            };
            stream.extensions_mut().insert(ForwardTarget(target.into()));
            fwd.serve(stream).await
        }
    }))
    .await;
    for _ in 0..6 {
        let mut client = tokio::net::TcpStream::connect(front).await.unwrap();
        let want: &[u8] = if client.local_addr().unwrap().port().is_multiple_of(2) {
            b"A"
        } else {
            b"B"
        };
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, client.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, want);
    }
    front_task.abort();
    a_task.abort();
    b_task.abort();
}

#[tokio::test]
async fn no_target_is_an_error() {
    let fwd = Forwarder::with_connector(None, TcpConnector::with_resolver(InMemoryDns::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let _client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let err = fwd.serve(TcpStream::new(accepted)).await.unwrap_err();
    assert!(err.to_string().contains("no target"), "{err}");
}
