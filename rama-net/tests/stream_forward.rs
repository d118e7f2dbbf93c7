//! `forward_bidirectional` over real loopback TCP and in-memory duplex streams.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_net::stream::{ForwardConfig, ForwardErrorKind, ForwardStats, forward_bidirectional};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(10);

/// A connected loopback TCP pair: (the end we hand out, the end the proxy holds).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (connected, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (connected.unwrap(), accepted.unwrap().0)
}

struct Relay {
    client_peer: TcpStream,
    upstream_peer: TcpStream,
    task: JoinHandle<Result<ForwardStats, rama_net::stream::ForwardError>>,
}

/// client_peer <-tcp-> [client | forward | upstream] <-tcp-> upstream_peer
async fn tcp_relay(config: ForwardConfig) -> Relay {
    let (client_peer, mut client) = tcp_pair().await;
    let (mut upstream, upstream_peer) = tcp_pair().await;
    let task =
        tokio::spawn(
            async move { forward_bidirectional(&mut client, &mut upstream, &config).await },
        );
    Relay {
        client_peer,
        upstream_peer,
        task,
    }
}

async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    timeout(BOUND, r.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}

#[tokio::test]
async fn tcp_half_close_client_first() {
    let Relay {
        mut client_peer,
        mut upstream_peer,
        task,
    } = tcp_relay(ForwardConfig::new()).await;

    client_peer.write_all(b"request").await.unwrap();
    client_peer.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut upstream_peer).await, b"request");

    // the other direction keeps working after the half-close
    upstream_peer
        .write_all(b"response after EOF")
        .await
        .unwrap();
    upstream_peer.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut client_peer).await, b"response after EOF");

    let stats = timeout(BOUND, task).await.unwrap().unwrap().unwrap();
    assert_eq!(stats.client_to_upstream(), 7);
    assert_eq!(stats.upstream_to_client(), 18);
}

#[tokio::test]
async fn tcp_half_close_upstream_first() {
    let Relay {
        mut client_peer,
        mut upstream_peer,
        task,
    } = tcp_relay(ForwardConfig::new()).await;

    upstream_peer.write_all(b"banner").await.unwrap();
    upstream_peer.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut client_peer).await, b"banner");

    client_peer.write_all(b"late words").await.unwrap();
    client_peer.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut upstream_peer).await, b"late words");

    let stats = timeout(BOUND, task).await.unwrap().unwrap().unwrap();
    assert_eq!(stats.upstream_to_client(), 6);
    assert_eq!(stats.client_to_upstream(), 10);
}

/// Deterministic pseudo-random bytes (xorshift), different per seed.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
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

/// FNV-1a, enough to tell a reordered, dropped or duplicated byte.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Write `data` in odd-sized chunks then shut down, while reading everything from `r`.
async fn send_and_receive<S>(stream: S, data: Vec<u8>) -> Vec<u8>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut r, mut w) = tokio::io::split(stream);
    let writer = tokio::spawn(async move {
        for chunk in data.chunks(12_345) {
            w.write_all(chunk).await.unwrap();
        }
        w.shutdown().await.unwrap();
    });
    let got = read_to_end(&mut r).await;
    timeout(BOUND, writer).await.unwrap().unwrap();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_ten_mib_each_way_concurrently() {
    const LEN: usize = 10 * 1024 * 1024;
    let Relay {
        client_peer,
        upstream_peer,
        task,
    } = tcp_relay(ForwardConfig::new()).await;

    let up = pattern(1, LEN);
    let down = pattern(2, LEN);
    let (up_sum, down_sum) = (checksum(&up), checksum(&down));

    let client_side = tokio::spawn(send_and_receive(client_peer, up));
    let upstream_side = tokio::spawn(send_and_receive(upstream_peer, down));
    let received_by_client = timeout(BOUND, client_side).await.unwrap().unwrap();
    let received_by_upstream = timeout(BOUND, upstream_side).await.unwrap().unwrap();

    assert_eq!(received_by_upstream.len(), LEN);
    assert_eq!(received_by_client.len(), LEN);
    assert_eq!(checksum(&received_by_upstream), up_sum);
    assert_eq!(checksum(&received_by_client), down_sum);

    let stats = timeout(BOUND, task).await.unwrap().unwrap().unwrap();
    assert_eq!(stats.client_to_upstream(), LEN as u64);
    assert_eq!(stats.upstream_to_client(), LEN as u64);
}

#[tokio::test]
async fn duplex_small_buffers_lose_nothing() {
    // tiny pipes and the smallest forward buffer force many partial reads and writes
    const LEN: usize = 256 * 1024;
    let (client_peer, mut client) = tokio::io::duplex(7);
    let (mut upstream, upstream_peer) = tokio::io::duplex(13);
    let config = ForwardConfig::new().with_buffer_size(1);
    assert_eq!(config.buffer_size(), 512);
    let task =
        tokio::spawn(
            async move { forward_bidirectional(&mut client, &mut upstream, &config).await },
        );

    let up = pattern(3, LEN);
    let down = pattern(4, LEN);
    let client_side = tokio::spawn(send_and_receive(client_peer, up.clone()));
    let upstream_side = tokio::spawn(send_and_receive(upstream_peer, down.clone()));
    assert_eq!(timeout(BOUND, client_side).await.unwrap().unwrap(), down);
    assert_eq!(timeout(BOUND, upstream_side).await.unwrap().unwrap(), up);
    let stats = timeout(BOUND, task).await.unwrap().unwrap().unwrap();
    assert_eq!(stats.client_to_upstream(), LEN as u64);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_reports_counts() {
    let (mut client_peer, mut client) = tokio::io::duplex(1024);
    let (mut upstream, mut upstream_peer) = tokio::io::duplex(1024);
    let config = ForwardConfig::new().with_idle_timeout(Duration::from_secs(30));
    let task =
        tokio::spawn(
            async move { forward_bidirectional(&mut client, &mut upstream, &config).await },
        );

    // activity at t=0 and t=20s pushes the deadline to t=50s
    client_peer.write_all(b"abc").await.unwrap();
    let mut buf = [0u8; 3];
    upstream_peer.read_exact(&mut buf).await.unwrap();
    tokio::time::sleep(Duration::from_secs(20)).await;
    upstream_peer.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    client_peer.read_exact(&mut buf).await.unwrap();

    let started = tokio::time::Instant::now();
    let err = task.await.unwrap().unwrap_err();
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(29)..=Duration::from_secs(31)).contains(&waited),
        "timed out after {waited:?}"
    );
    assert!(err.is_timeout());
    assert_eq!(err.kind(), ForwardErrorKind::IdleTimeout);
    assert_eq!(err.stats().client_to_upstream(), 3);
    assert_eq!(err.stats().upstream_to_client(), 5);
    assert!(err.to_string().contains("30s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn no_idle_timeout_waits_for_eof() {
    let (client_peer, mut client) = tokio::io::duplex(64);
    let (mut upstream, upstream_peer) = tokio::io::duplex(64);
    let config = ForwardConfig::new().without_idle_timeout();
    let task =
        tokio::spawn(
            async move { forward_bidirectional(&mut client, &mut upstream, &config).await },
        );
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    assert!(!task.is_finished());
    drop((client_peer, upstream_peer));
    let stats = task.await.unwrap().unwrap();
    assert_eq!(stats, ForwardStats::default());
}

/// The peer sends, the relay delivers, then the peer resets its connection: the relay's
/// next read from that side fails and the error names it.
async fn reset_case(reset_client: bool) -> rama_net::stream::ForwardError {
    let Relay {
        mut client_peer,
        mut upstream_peer,
        task,
    } = tcp_relay(ForwardConfig::new()).await;

    client_peer.write_all(b"to upstream").await.unwrap();
    let mut buf = [0u8; 11];
    timeout(BOUND, upstream_peer.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    upstream_peer.write_all(b"to client").await.unwrap();
    let mut buf = [0u8; 9];
    timeout(BOUND, client_peer.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();

    let victim = if reset_client {
        &client_peer
    } else {
        &upstream_peer
    };
    victim.set_zero_linger().unwrap();
    if reset_client {
        drop(client_peer);
    } else {
        drop(upstream_peer);
    }
    timeout(BOUND, task).await.unwrap().unwrap().unwrap_err()
}

#[tokio::test]
async fn client_reset_names_client_read() {
    let err = reset_case(true).await;
    assert_eq!(err.kind(), ForwardErrorKind::ClientRead, "{err}");
    assert!(err.kind().is_client_side());
    assert_eq!(
        err.io_error().map(std::io::Error::kind),
        Some(std::io::ErrorKind::ConnectionReset)
    );
    assert_eq!(err.stats().client_to_upstream(), 11);
    assert_eq!(err.stats().upstream_to_client(), 9);
    assert!(err.to_string().contains("client read"), "{err}");
}

#[tokio::test]
async fn upstream_reset_names_upstream_read() {
    let err = reset_case(false).await;
    assert_eq!(err.kind(), ForwardErrorKind::UpstreamRead, "{err}");
    assert!(err.kind().is_upstream_side());
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn write_to_vanished_upstream_names_upstream_write() {
    // upstream's reading end is gone: the relay's write towards it must fail
    let (mut client_peer, mut client) = tokio::io::duplex(1024);
    let (mut upstream, upstream_peer) = tokio::io::duplex(1024);
    drop(upstream_peer);
    let task = tokio::spawn(async move {
        forward_bidirectional(&mut client, &mut upstream, &ForwardConfig::new()).await
    });
    client_peer.write_all(b"anyone there?").await.unwrap();
    let err = timeout(BOUND, task).await.unwrap().unwrap().unwrap_err();
    // the relay reads EOF from upstream (and shuts the client's write half), then its write
    // towards upstream fails; it must not count those bytes as delivered
    assert_eq!(err.kind(), ForwardErrorKind::UpstreamWrite, "{err}");
    assert_eq!(err.stats().client_to_upstream(), 0);
    assert_eq!(
        err.io_error().map(std::io::Error::kind),
        Some(std::io::ErrorKind::BrokenPipe)
    );
}

/// A reader that always has bytes and a writer that always accepts them, with no tokio
/// cooperative budget of their own: the forwarder must still yield to other tasks.
#[test]
fn always_ready_streams_do_not_starve_the_runtime() {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    struct Endless;
    impl AsyncRead for Endless {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let n = buf.remaining().min(1024);
            buf.put_slice(&[0x55; 1024][..n]);
            Poll::Ready(Ok(()))
        }
    }
    impl AsyncWrite for Endless {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    // a runtime of its own on its own thread, so that a regression shows as a failed
    // recv_timeout below instead of a hung test binary
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let relay = tokio::spawn(async {
                forward_bidirectional(&mut Endless, &mut Endless, &ForwardConfig::new()).await
            });
            // with a single thread, this only runs if the relay yields
            let other = tokio::spawn(async { 42 });
            let answer = other.await.unwrap();
            relay.abort();
            done.send(answer).unwrap();
        });
    });
    assert_eq!(result.recv_timeout(BOUND).unwrap(), 42);
}

#[tokio::test]
async fn client_reset_during_a_flood_is_a_client_side_error() {
    let Relay {
        client_peer,
        mut upstream_peer,
        task,
    } = tcp_relay(ForwardConfig::new()).await;

    // upstream floods the client, which reads nothing and then resets
    let flood = tokio::spawn(async move {
        let chunk = vec![0xAB; 64 * 1024];
        while upstream_peer.write_all(&chunk).await.is_ok() {}
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client_peer.set_zero_linger().unwrap();
    drop(client_peer);

    let err = timeout(BOUND, task).await.unwrap().unwrap().unwrap_err();
    // the relay notices on its write to the client or its read from it: either way the
    // client's side, never the upstream's
    assert!(err.kind().is_client_side(), "{err}");
    assert!(err.stats().upstream_to_client() > 0, "{err}");
    flood.abort();
}
