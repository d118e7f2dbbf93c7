//! Layer-4 forwarding: relay the bytes of a TCP connection to another TCP endpoint.
//!
//! - [`forward_tcp`] forwards two connected [`TcpStream`]s into each other. On Linux each
//!   direction starts with a small user-space buffer and switches to `splice(2)` through its
//!   own pipe once it carries bulk data, so short exchanges cost no pipe and bulk bytes never
//!   enter user space (a splice the kernel refuses falls back to copying); other systems use
//!   [`rama_net::stream::forward_bidirectional`]. Both paths propagate half-close, count the
//!   bytes and end an idle tunnel after the [`ForwardConfig`] idle timeout.
//! - [`Forwarder`] is the service a listener runs: for each accepted stream it connects to
//!   the target (fixed, or a [`ForwardTarget`] found in the stream's extensions) with a
//!   [`TcpConnector`](crate::client::TcpConnector) and calls [`forward_tcp`].
//!
//! ```no_run
//! use rama_net::address::Authority;
//! use rama_tcp::{forward::Forwarder, server::TcpListener};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let target: Authority = "127.0.0.1:5201".parse()?;
//! TcpListener::bind("127.0.0.1:8080").await?
//!     .serve(Forwarder::new(target))
//!     .await;
//! # Ok(())
//! # }
//! ```

mod error;
mod forwarder;
#[cfg(target_os = "linux")]
mod splice;
#[cfg(target_os = "linux")]
mod sys;

pub use error::{TcpForwardError, Transferred};
pub use forwarder::{ForwardTarget, Forwarder};

use crate::TcpStream;
use rama_net::stream::{ForwardConfig, forward_bidirectional};

/// Forward `client` ⇄ `upstream` until both directions ended (each end's write half is shut
/// down after the other end's EOF), an I/O error happens, or no byte moved for the
/// configured idle timeout.
///
/// On Linux each direction starts with a small user-space buffer and switches to
/// `splice(2)` (zero copy, through a pipe) once it carries bulk data, so short exchanges
/// cost no pipe and long transfers cost no copy. [`ForwardConfig::buffer_size`] only applies
/// to the portable path used on other systems.
///
/// # Cancel safety
///
/// Dropping the future stops the forwarding; bytes read but not yet written are lost with it.
///
/// # Errors
///
/// A [`TcpForwardError`] naming the side that failed (or the idle timeout), with the byte
/// counts reached so far.
pub async fn forward_tcp(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    config: &ForwardConfig,
) -> Result<Transferred, TcpForwardError> {
    #[cfg(target_os = "linux")]
    {
        splice::forward(
            client.get_ref(),
            upstream.get_ref(),
            config.idle_timeout(),
            splice::SpliceConfig::default(),
        )
        .await
        .map(|outcome| outcome.transferred)
    }
    #[cfg(not(target_os = "linux"))]
    {
        copy_bidirectional(client, upstream, config).await
    }
}

/// [`forward_tcp`], then close both streams. Knowing that the close follows, the last
/// direction to end leaves its half-close to the close (one system call less per
/// connection).
pub(crate) async fn forward_tcp_then_close(
    client: TcpStream,
    upstream: TcpStream,
    config: &ForwardConfig,
) -> Result<Transferred, TcpForwardError> {
    #[cfg(target_os = "linux")]
    {
        let result = splice::forward(
            client.get_ref(),
            upstream.get_ref(),
            config.idle_timeout(),
            splice::SpliceConfig {
                close_follows: true,
                ..Default::default()
            },
        )
        .await
        .map(|outcome| outcome.transferred);
        drop((client, upstream));
        result
    }
    #[cfg(not(target_os = "linux"))]
    {
        let (mut client, mut upstream) = (client, upstream);
        copy_bidirectional(&mut client, &mut upstream, config).await
    }
}

/// The portable path: a user-space copy through two buffers.
#[cfg_attr(
    all(target_os = "linux", not(test)),
    expect(dead_code, reason = "Linux uses the splice path; tests run both")
)]
async fn copy_bidirectional(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    config: &ForwardConfig,
) -> Result<Transferred, TcpForwardError> {
    match forward_bidirectional(client.get_mut(), upstream.get_mut(), config).await {
        Ok(stats) => Ok(Transferred {
            client_to_upstream: stats.client_to_upstream(),
            upstream_to_client: stats.upstream_to_client(),
        }),
        Err(err) => Err(TcpForwardError::from_copy(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_net::stream::ForwardErrorKind;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// How a test forwards: splice with a given pipe size, or the user-space copy.
    #[derive(Debug, Clone, Copy)]
    enum Path {
        /// The hybrid path with this pipe size.
        #[cfg(target_os = "linux")]
        Splice(usize),
        /// The hybrid path that never splices.
        #[cfg(target_os = "linux")]
        CopyOnly,
        /// The portable path.
        Copy,
    }

    fn paths() -> Vec<Path> {
        let mut paths = Vec::new();
        #[cfg(target_os = "linux")]
        paths.extend([
            Path::Splice(4096),
            Path::Splice(1 << 16),
            Path::Splice(splice::PIPE_SIZE),
            Path::CopyOnly,
        ]);
        paths.push(Path::Copy);
        paths
    }

    async fn run(
        path: Path,
        client: &mut TcpStream,
        upstream: &mut TcpStream,
        config: &ForwardConfig,
    ) -> Result<Transferred, TcpForwardError> {
        match path {
            #[cfg(target_os = "linux")]
            Path::Splice(pipe_size) => splice::forward(
                client.get_ref(),
                upstream.get_ref(),
                config.idle_timeout(),
                splice::SpliceConfig {
                    pipe_size,
                    copy_only: false,
                    close_follows: false,
                },
            )
            .await
            .map(|o| o.transferred),
            Path::CopyOnly => splice::forward(
                client.get_ref(),
                upstream.get_ref(),
                config.idle_timeout(),
                splice::SpliceConfig {
                    pipe_size: 0,
                    copy_only: true,
                    close_follows: false,
                },
            )
            .await
            .map(|o| o.transferred),
            Path::Copy => copy_bidirectional(client, upstream, config).await,
        }
    }

    /// A connected pair over loopback: (the peer's end, our end).
    async fn pair() -> (tokio::net::TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (ours, _) = listener.accept().await.unwrap();
        (peer, TcpStream::new(ours))
    }

    /// Deterministic pseudo-random bytes (xorshift), so corruption cannot hide.
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

    /// Send `data` in `chunk`-sized writes, then half-close.
    async fn send(mut w: impl AsyncWriteExt + Unpin, data: Vec<u8>, chunk: usize) {
        for part in data.chunks(chunk) {
            w.write_all(part).await.unwrap();
        }
        w.shutdown().await.unwrap();
    }

    const LIMIT: Duration = Duration::from_secs(30);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bulk_both_ways_at_once_with_half_close() {
        for path in paths() {
            let (client_peer, mut client) = pair().await;
            let (upstream_peer, mut upstream) = pair().await;
            let up_data = pattern(12 * 1024 * 1024 + 17, 1);
            let down_data = pattern(10 * 1024 * 1024 + 3, 2);
            let relay = tokio::spawn(async move {
                run(path, &mut client, &mut upstream, &ForwardConfig::new()).await
            });
            let (mut client_r, client_w) = client_peer.into_split();
            let (mut upstream_r, upstream_w) = upstream_peer.into_split();
            let tasks = async {
                tokio::join!(
                    send(client_w, up_data.clone(), 100_000),
                    send(upstream_w, down_data.clone(), 65_536),
                    async {
                        let mut got = Vec::new();
                        upstream_r.read_to_end(&mut got).await.unwrap();
                        assert!(got == up_data, "{path:?}: upstream got corrupted bytes");
                    },
                    async {
                        let mut got = Vec::new();
                        client_r.read_to_end(&mut got).await.unwrap();
                        assert!(got == down_data, "{path:?}: client got corrupted bytes");
                    },
                )
            };
            tokio::time::timeout(LIMIT, tasks).await.unwrap();
            let t = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(t.client_to_upstream, up_data.len() as u64, "{path:?}");
            assert_eq!(t.upstream_to_client, down_data.len() as u64, "{path:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_small_writes_to_a_slow_reader() {
        // small segments fill a pipe's slots with few bytes: the "pipe full" EAGAIN case
        for path in paths() {
            let (mut client_peer, mut client) = pair().await;
            let (mut upstream_peer, mut upstream) = pair().await;
            client_peer.set_nodelay(true).unwrap();
            // past SPLICE_AFTER, so the splice path sees the small segments too
            let data = pattern(700_000, 3);
            let relay = tokio::spawn(async move {
                run(path, &mut client, &mut upstream, &ForwardConfig::new()).await
            });
            let writer = {
                let data = data.clone();
                tokio::spawn(async move {
                    for part in data.chunks(100) {
                        client_peer.write_all(part).await.unwrap();
                    }
                    client_peer.shutdown().await.unwrap();
                    client_peer
                })
            };
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut got = Vec::new();
            tokio::time::timeout(LIMIT, upstream_peer.read_to_end(&mut got))
                .await
                .unwrap()
                .unwrap();
            assert!(
                got == data,
                "{path:?}: corrupted or truncated ({} bytes)",
                got.len()
            );
            drop(upstream_peer); // ends the other direction
            let client_peer = writer.await.unwrap();
            let t = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(t.client_to_upstream, data.len() as u64);
            assert_eq!(t.upstream_to_client, 0);
            drop(client_peer);
        }
    }

    #[tokio::test]
    async fn half_close_keeps_the_other_direction_open() {
        for path in paths() {
            let (mut client_peer, mut client) = pair().await;
            let (mut upstream_peer, mut upstream) = pair().await;
            let relay = tokio::spawn(async move {
                run(path, &mut client, &mut upstream, &ForwardConfig::new()).await
            });
            client_peer.write_all(b"ping").await.unwrap();
            client_peer.shutdown().await.unwrap();
            let mut got = Vec::new();
            tokio::time::timeout(LIMIT, upstream_peer.read_to_end(&mut got))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, b"ping");
            tokio::time::sleep(Duration::from_millis(50)).await;
            upstream_peer.write_all(b"pong").await.unwrap();
            drop(upstream_peer);
            let mut got = Vec::new();
            tokio::time::timeout(LIMIT, client_peer.read_to_end(&mut got))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, b"pong");
            let t = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(
                (t.client_to_upstream, t.upstream_to_client),
                (4, 4),
                "{path:?}"
            );
        }
    }

    #[tokio::test]
    async fn upstream_reset_ends_the_forwarding_with_an_upstream_error() {
        for path in paths() {
            let (mut client_peer, mut client) = pair().await;
            let (upstream_peer, mut upstream) = pair().await;
            let relay = tokio::spawn(async move {
                run(path, &mut client, &mut upstream, &ForwardConfig::new()).await
            });
            client_peer.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            let mut upstream_peer = upstream_peer;
            upstream_peer.read_exact(&mut buf).await.unwrap();
            // linger 0 turns the close into a reset
            socket2::SockRef::from(&upstream_peer)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(upstream_peer);
            let err = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap_err();
            assert_eq!(
                err.kind(),
                ForwardErrorKind::UpstreamRead,
                "{path:?}: {err}"
            );
            assert_eq!(err.transferred().client_to_upstream, 5);
            // the relay dropped its ends: the client sees the connection close
            let mut rest = Vec::new();
            let _ = tokio::time::timeout(LIMIT, client_peer.read_to_end(&mut rest))
                .await
                .unwrap();
            assert!(rest.is_empty());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn destination_gone_while_sending_bulk_is_a_write_error() {
        for path in paths() {
            let (client_peer, mut client) = pair().await;
            let (mut upstream_peer, mut upstream) = pair().await;
            let relay = tokio::spawn(async move {
                run(path, &mut client, &mut upstream, &ForwardConfig::new()).await
            });
            let writer = tokio::spawn(async move {
                let mut client_peer = client_peer;
                let chunk = pattern(64 * 1024, 5);
                // the relay's failure closes our connection: stop at the first error
                for _ in 0..1000 {
                    if client_peer.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
            });
            let mut first = vec![0u8; 100_000];
            upstream_peer.read_exact(&mut first).await.unwrap();
            socket2::SockRef::from(&upstream_peer)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(upstream_peer);
            let err = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ForwardErrorKind::UpstreamWrite | ForwardErrorKind::UpstreamRead
                ),
                "{path:?}: {err}"
            );
            assert!(
                err.transferred().client_to_upstream >= 100_000,
                "{path:?}: {err}"
            );
            tokio::time::timeout(LIMIT, writer).await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn a_huge_idle_timeout_is_fine() {
        for path in paths() {
            let (mut client_peer, mut client) = pair().await;
            let (mut upstream_peer, mut upstream) = pair().await;
            let config = ForwardConfig::new().with_idle_timeout(Duration::MAX);
            let relay =
                tokio::spawn(async move { run(path, &mut client, &mut upstream, &config).await });
            client_peer.write_all(b"x").await.unwrap();
            client_peer.shutdown().await.unwrap();
            let mut got = Vec::new();
            upstream_peer.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"x");
            drop(upstream_peer);
            let t = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(t.client_to_upstream, 1, "{path:?}");
        }
    }

    #[tokio::test]
    async fn idle_tunnel_times_out() {
        for path in paths() {
            let (_client_peer, mut client) = pair().await;
            let (_upstream_peer, mut upstream) = pair().await;
            let config = ForwardConfig::new().with_idle_timeout(Duration::from_millis(100));
            let err = tokio::time::timeout(LIMIT, run(path, &mut client, &mut upstream, &config))
                .await
                .unwrap()
                .unwrap_err();
            assert!(err.is_timeout(), "{path:?}: {err}");
        }
    }

    #[tokio::test]
    async fn activity_keeps_the_idle_timer_away() {
        for path in paths() {
            let (mut client_peer, mut client) = pair().await;
            let (mut upstream_peer, mut upstream) = pair().await;
            let config = ForwardConfig::new().with_idle_timeout(Duration::from_millis(300));
            let relay =
                tokio::spawn(async move { run(path, &mut client, &mut upstream, &config).await });
            // a byte every 100 ms for 900 ms: three idle timeouts' worth, never idle
            for _ in 0..9 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                client_peer.write_all(b"x").await.unwrap();
                let mut one = [0u8; 1];
                upstream_peer.read_exact(&mut one).await.unwrap();
            }
            assert!(!relay.is_finished(), "{path:?}: timed out while active");
            // then silence: the timeout ends it
            let err = tokio::time::timeout(LIMIT, relay)
                .await
                .unwrap()
                .unwrap()
                .unwrap_err();
            assert!(err.is_timeout(), "{path:?}: {err}");
            assert_eq!(err.transferred().client_to_upstream, 9);
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn bulk_switches_to_splice_and_small_exchanges_do_not() {
        let (mut client_peer, client) = pair().await;
        let (mut upstream_peer, upstream) = pair().await;
        let relay = tokio::spawn(async move {
            splice::forward(
                client.get_ref(),
                upstream.get_ref(),
                None,
                Default::default(),
            )
            .await
        });
        let data = pattern(2 * 1024 * 1024, 9);
        let sent = data.clone();
        let writer = tokio::spawn(async move {
            client_peer.write_all(&sent).await.unwrap();
            client_peer.shutdown().await.unwrap();
            client_peer
        });
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, upstream_peer.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert!(got == data);
        upstream_peer.write_all(b"ok").await.unwrap();
        drop(upstream_peer);
        let mut client_peer = writer.await.unwrap();
        let mut answer = Vec::new();
        client_peer.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"ok");
        let outcome = tokio::time::timeout(LIMIT, relay)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(outcome.spliced, (true, false));
        assert_eq!(outcome.transferred.client_to_upstream, data.len() as u64);
        assert_eq!(outcome.transferred.upstream_to_client, 2);
    }

    #[tokio::test]
    async fn forward_tcp_moves_bytes() {
        let (mut client_peer, mut client) = pair().await;
        let (mut upstream_peer, mut upstream) = pair().await;
        let relay = tokio::spawn(async move {
            forward_tcp(&mut client, &mut upstream, &ForwardConfig::new()).await
        });
        client_peer.write_all(b"abc").await.unwrap();
        client_peer.shutdown().await.unwrap();
        let mut got = Vec::new();
        upstream_peer.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"abc");
        drop(upstream_peer);
        let t = tokio::time::timeout(LIMIT, relay)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(t.client_to_upstream, 3);
    }
}
