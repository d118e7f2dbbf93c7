//! Peeking over real loopback TCP: a TLS-record-like header that says how many bytes to
//! wait for, arriving in pieces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_net::stream::{PeekOutcome, peek, peek_until};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(5);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (connected, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (connected.unwrap(), accepted.unwrap().0)
}

/// Enough once a 5-byte record header and the record it announces are in, or as soon as
/// the first byte shows this is not a handshake record.
fn whole_record(seen: &[u8]) -> bool {
    match seen {
        [] => false,
        [first, ..] if *first != 0x16 => true,
        [_, _, _, hi, lo, body @ ..] => body.len() >= usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => false,
    }
}

fn record(len: u16) -> Vec<u8> {
    let mut r = vec![0x16, 0x03, 0x01];
    r.extend_from_slice(&len.to_be_bytes());
    r.extend((0..len).map(|i| i as u8));
    r
}

#[tokio::test]
async fn waits_for_a_record_sent_in_pieces_then_replays_it() {
    let (mut client, server) = tcp_pair().await;
    let hello = record(700);
    let sent = hello.clone();
    let writer = tokio::spawn(async move {
        for piece in sent.chunks(97) {
            client.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        client.write_all(b"after").await.unwrap();
        client.shutdown().await.unwrap();
    });

    let peeked = timeout(BOUND, peek_until(server, 16 * 1024, BOUND, whole_record))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peeked.outcome, PeekOutcome::Enough);
    assert!(peeked.bytes.len() >= hello.len());
    assert_eq!(&peeked.bytes[..hello.len()], &hello[..]);

    let mut stream = peeked.stream;
    let mut all = Vec::new();
    timeout(BOUND, stream.read_to_end(&mut all))
        .await
        .unwrap()
        .unwrap();
    let mut want = hello;
    want.extend_from_slice(b"after");
    assert_eq!(all, want);
    writer.await.unwrap();
}

#[tokio::test]
async fn not_a_record_is_decided_on_the_first_byte() {
    let (mut client, server) = tcp_pair().await;
    client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    // the client keeps the connection open: peeking must not wait for more
    let peeked = timeout(BOUND, peek_until(server, 16 * 1024, BOUND, whole_record))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peeked.outcome, PeekOutcome::Enough);
    assert_eq!(peeked.bytes[0], b'G');
    drop(client);
}

#[tokio::test]
async fn silent_client_times_out_with_its_stream_intact() {
    let (mut client, server) = tcp_pair().await;
    let peeked = timeout(BOUND, peek(server, 5, Duration::from_millis(100)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peeked.outcome, PeekOutcome::TimedOut);
    assert!(peeked.bytes.is_empty());
    // the stream still works in both directions
    let mut stream = peeked.stream;
    client.write_all(b"late").await.unwrap();
    let mut buf = [0u8; 4];
    timeout(BOUND, stream.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"late");
    stream.write_all(b"ok").await.unwrap();
    let mut buf = [0u8; 2];
    timeout(BOUND, client.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"ok");
}
