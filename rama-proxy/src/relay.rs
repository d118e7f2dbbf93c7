//! Relaying an established tunnel's bytes: with `splice(2)` when both ends turn out to be
//! plain TCP sockets (the common case for CONNECT and SOCKS5 tunnels: bulk bytes never
//! enter user space), else with a user-space copy.
//!
//! The ends arrive as generic streams (an HTTP upgrade, a peeked-and-replayed stream, a
//! proxy connector's stream), so each is taken apart by type: a rama-tcp [`TcpStream`], a
//! [`RewindStream`] over one or over a `RewindStream` over one (a stream peeked twice, as
//! `rama serve proxy` peeks its clients), an HTTP [`Upgraded`] over any of those (a server's
//! upgrade or CONNECT, or an HTTP/1 client connection that switched protocols) or a replay
//! over such an `Upgraded` (the MITM peeks a CONNECT tunnel for a ClientHello), or a
//! [`ProxyStream`] that holds one plainly. Bytes already read off a socket (the replay
//! prefix, bytes read past an HTTP head) are written to the other end first, so none is
//! lost or reordered.

use crate::client::ProxyStream;
use bytes::Bytes;
use rama_core::error::BoxError;
use rama_core::extensions::Extensions;
use rama_core::service::Either;
use rama_http::server::upgrade::Upgraded;
use rama_net::stream::{ForwardConfig, RewindStream, Stream, forward_bidirectional};
use rama_tcp::TcpStream;
use std::any::Any;
use std::fmt;
use tokio::io::AsyncWriteExt;

/// Bytes moved each way by [`relay`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Relayed {
    /// Client → upstream.
    pub(crate) client_to_upstream: u64,
    /// Upstream → client.
    pub(crate) upstream_to_client: u64,
    /// Whether the bytes went with `splice(2)` (both ends plain TCP sockets), not through
    /// user space.
    pub(crate) spliced: bool,
}

/// Why [`relay`] stopped before both directions ended cleanly: the forwarding error (it names
/// the side and operation, or the idle timeout) and which side failed.
#[derive(Debug)]
pub(crate) struct RelayError {
    client_side: bool,
    source: BoxError,
}

impl RelayError {
    fn client(source: impl Into<BoxError>) -> Self {
        Self {
            client_side: true,
            source: source.into(),
        }
    }

    fn upstream(source: impl Into<BoxError>) -> Self {
        Self {
            client_side: false,
            source: source.into(),
        }
    }

    /// Whether the client's side failed (else the upstream's, or the idle timeout).
    pub(crate) const fn is_client_side(&self) -> bool {
        self.client_side
    }
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for RelayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

/// Forward `client` ⇄ `upstream` until both directions ended, an error, or the idle timeout
/// of `config`.
pub(crate) async fn relay<C: Stream, U: Stream>(
    client: C,
    upstream: U,
    config: &ForwardConfig,
) -> Result<Relayed, RelayError> {
    let (client, upstream) = (End::of(client), End::of(upstream));
    #[cfg(target_os = "linux")]
    let (client, upstream) = match (client, upstream) {
        (Some(End::Tcp(client)), Some(End::Tcp(upstream))) => {
            return splice(client, upstream, config).await;
        }
        ends => ends,
    };
    let (Some(client), Some(upstream)) = (client, upstream) else {
        return Err(RelayError::client(
            "relay: a stream was lost while taken apart",
        ));
    };
    // a socket taken apart goes back under a replay of its early bytes; its extensions are
    // kept as long as the copy runs
    let (client, _client_extensions) = client.into_stream();
    let (upstream, _upstream_extensions) = upstream.into_stream();
    let (mut client, mut upstream) = (Box::pin(client), Box::pin(upstream));
    let stats = forward_bidirectional(&mut client, &mut upstream, config)
        .await
        .map_err(|e| RelayError {
            client_side: e.kind().is_client_side(),
            source: e.into(),
        })?;
    Ok(Relayed {
        client_to_upstream: stats.client_to_upstream(),
        upstream_to_client: stats.upstream_to_client(),
        spliced: false,
    })
}

/// Both ends are sockets: what each side sent that was read already goes to the other side
/// first, then `splice(2)` moves the rest.
#[cfg(target_os = "linux")]
async fn splice(
    mut client: TakenTcp,
    mut upstream: TakenTcp,
    config: &ForwardConfig,
) -> Result<Relayed, RelayError> {
    upstream
        .tcp
        .write_all(&client.early)
        .await
        .map_err(RelayError::upstream)?;
    client
        .tcp
        .write_all(&upstream.early)
        .await
        .map_err(RelayError::client)?;
    let moved = rama_tcp::forward::forward_tcp(&mut client.tcp, &mut upstream.tcp, config)
        .await
        .map_err(|e| RelayError {
            client_side: e.kind().is_client_side(),
            source: e.into(),
        })?;
    Ok(Relayed {
        client_to_upstream: moved.client_to_upstream + client.early.len() as u64,
        upstream_to_client: moved.upstream_to_client + upstream.early.len() as u64,
        spliced: true,
    })
}

/// A client connection of `rama serve proxy` (and of any server that stacks the same
/// services) as the HTTP server hands it over: peeked once by
/// [`Socks5OrHttp`](crate::peek::Socks5OrHttp) (SOCKS5 or HTTP?), then again by
/// `HttpServer::auto` (the h2 preface?), each peek a replay over the one before.
type TwicePeeked = RewindStream<RewindStream<TcpStream>>;

/// One end of a relay: a TCP socket taken apart, or any other stream as it came.
enum End<S> {
    Tcp(TakenTcp),
    Stream(S),
}

impl<S: Any> End<S> {
    /// `stream` taken apart when it is a socket under wrappers this module knows (see the
    /// module docs), else as it is. `None` only if a stream was lost on the way, which the
    /// put-backs of [`take_tcp`] rule out.
    fn of(stream: S) -> Option<Self> {
        let mut slot = Some(stream);
        match take_tcp(&mut slot) {
            Some(tcp) => Some(Self::Tcp(tcp)),
            None => slot.map(Self::Stream),
        }
    }

    /// A stream to copy with: a socket taken apart goes back under a replay of its early
    /// bytes (read first), with the extensions it must keep alive.
    fn into_stream(self) -> (Either<RewindStream<TcpStream>, S>, Extensions) {
        match self {
            Self::Tcp(taken) => (
                Either::A(RewindStream::new(taken.tcp, taken.early)),
                taken.extensions,
            ),
            Self::Stream(stream) => (Either::B(stream), Extensions::new()),
        }
    }
}

/// A plain stream taken apart by [`take_tcp`].
struct TakenTcp {
    tcp: TcpStream,
    /// Bytes already read off `tcp`: they go to the other side first.
    early: Bytes,
    /// An upgraded stream's extensions, kept as long as the socket is relayed: they may hold
    /// what counts the connection (`--max-conns`' permit), which must last as long as the
    /// tunnel does.
    extensions: Extensions,
}

impl TakenTcp {
    fn new(tcp: TcpStream, early: Bytes) -> Self {
        Self::upgraded(tcp, early, Extensions::new())
    }

    const fn upgraded(tcp: TcpStream, early: Bytes, extensions: Extensions) -> Self {
        Self {
            tcp,
            early,
            extensions,
        }
    }
}

/// Takes the stream in `slot` apart into its TCP socket when it is one of: a rama-tcp
/// [`TcpStream`], alone or under one or two replays; a [`ProxyStream`] that holds one
/// plainly; an [`Upgraded`] over any of the first three, or a replay over such an
/// `Upgraded`. Any other stream stays in `slot` as it was (a wrapper taken out to look
/// inside is put back).
fn take_tcp<S: Any>(slot: &mut Option<S>) -> Option<TakenTcp> {
    let slot = slot as &mut dyn Any;
    if let Some((tcp, early)) = unwind(slot) {
        return Some(TakenTcp::new(tcp, early));
    }
    if let Some(proxied) = take::<ProxyStream<TcpStream>>(slot) {
        return match proxied.into_plain() {
            Ok(tcp) => Some(TakenTcp::new(tcp, Bytes::new())),
            Err(proxied) => put(slot, proxied),
        };
    }
    if let Some(upgraded) = take::<Upgraded>(slot) {
        return match take_upgraded(upgraded) {
            Ok(taken) => Some(taken),
            Err(upgraded) => put(slot, upgraded),
        };
    }
    // an upgraded stream peeked after the upgrade (the MITM's ClientHello peek): the peeked
    // bytes were read first, then what the upgrade still holds
    let (peeked, upgraded) = take::<RewindStream<Upgraded>>(slot)?.into_parts();
    match take_upgraded(upgraded) {
        Ok(mut taken) => {
            taken.early = in_read_order(peeked, taken.early);
            Some(taken)
        }
        Err(upgraded) => put(slot, RewindStream::new(upgraded, peeked)),
    }
}

/// The `T` in `slot`, taken out; `None` (and `slot` untouched) when it holds no `T`.
fn take<T: Any>(slot: &mut dyn Any) -> Option<T> {
    slot.downcast_mut::<Option<T>>().and_then(Option::take)
}

/// Puts `value` back into `slot`, where [`take`] found it; `None`, for the caller that
/// returns "nothing taken".
fn put<T: Any, R>(slot: &mut dyn Any, value: T) -> Option<R> {
    if let Some(slot) = slot.downcast_mut::<Option<T>>() {
        *slot = Some(value);
    }
    None
}

/// An upgraded stream taken apart when its IO is a socket, alone or under one or two
/// replays; else handed back untouched.
fn take_upgraded(upgraded: Upgraded) -> Result<TakenTcp, Upgraded> {
    // reads return the upgrade's read-ahead first, then what the replays had left
    let upgraded = match upgraded.downcast::<TcpStream>() {
        Ok(parts) => {
            return Ok(TakenTcp::upgraded(
                parts.io,
                parts.read_ahead,
                parts.extensions,
            ));
        }
        Err(upgraded) => upgraded,
    };
    let upgraded = match upgraded.downcast::<RewindStream<TcpStream>>() {
        Ok(parts) => {
            let (tcp, left) = unwind_rewind(parts.io);
            let early = in_read_order(parts.read_ahead, left);
            return Ok(TakenTcp::upgraded(tcp, early, parts.extensions));
        }
        Err(upgraded) => upgraded,
    };
    let parts = upgraded.downcast::<TwicePeeked>()?;
    let (tcp, left) = unwind_twice_peeked(parts.io);
    let early = in_read_order(parts.read_ahead, left);
    Ok(TakenTcp::upgraded(tcp, early, parts.extensions))
}

/// A socket in `slot`, alone or under one or two replays, taken out with the bytes the
/// replays have left.
fn unwind(slot: &mut dyn Any) -> Option<(TcpStream, Bytes)> {
    if let Some(tcp) = take::<TcpStream>(slot) {
        return Some((tcp, Bytes::new()));
    }
    if let Some(rewind) = take::<RewindStream<TcpStream>>(slot) {
        return Some(unwind_rewind(rewind));
    }
    take::<TwicePeeked>(slot).map(unwind_twice_peeked)
}

/// The socket under a replay, and the bytes the replay has left.
fn unwind_rewind(rewind: RewindStream<TcpStream>) -> (TcpStream, Bytes) {
    let (prefix, tcp) = rewind.into_parts();
    (tcp, prefix)
}

/// The socket under two replays, and the bytes they have left: the outer one's first (it
/// was filled from the inner one and the socket, so its bytes come before what the inner
/// one still holds).
fn unwind_twice_peeked(twice: TwicePeeked) -> (TcpStream, Bytes) {
    let (outer, inner) = twice.into_parts();
    let (tcp, inner) = unwind_rewind(inner);
    (tcp, in_read_order(outer, inner))
}

/// `first` then `then`, copied only when both hold bytes.
fn in_read_order(first: Bytes, then: Bytes) -> Bytes {
    if then.is_empty() {
        return first;
    }
    if first.is_empty() {
        return then;
    }
    let mut both = Vec::with_capacity(first.len() + then.len());
    both.extend_from_slice(&first);
    both.extend_from_slice(&then);
    Bytes::from(both)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A connected pair of loopback TCP sockets, as rama-tcp streams.
    async fn tcp_pair() -> (TcpStream, tokio::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (ours, theirs) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        (TcpStream::new(ours.unwrap()), theirs.unwrap().0)
    }

    /// A client socket under two replays, `inner ` then `outer ` left in them, and the
    /// peer's end. The outer replay was filled first, so its bytes come before the inner
    /// one's rest: the relay owes the upstream `outer inner `.
    async fn twice_peeked_client() -> (TwicePeeked, tokio::net::TcpStream) {
        let (client, client_end) = tcp_pair().await;
        let client = RewindStream::new(
            RewindStream::new(client, Bytes::from_static(b"inner ")),
            Bytes::from_static(b"outer "),
        );
        (client, client_end)
    }

    /// Bytes a relayed end had read already: the relay must deliver them first.
    #[derive(Clone, Copy, Default)]
    struct Early<'a> {
        /// read off the client's side, owed to the upstream's end
        to_upstream: &'a [u8],
        /// read off the upstream's side, owed to the client's end
        to_client: &'a [u8],
    }

    impl<'a> Early<'a> {
        fn to_upstream(bytes: &'a [u8]) -> Self {
            Self {
                to_upstream: bytes,
                to_client: b"",
            }
        }

        fn to_client(bytes: &'a [u8]) -> Self {
            Self {
                to_upstream: b"",
                to_client: bytes,
            }
        }
    }

    /// What [`exchange`] writes at the client's end, and at the upstream's.
    const UP: usize = 300_000;
    const DOWN: usize = 200_000;

    /// `client_end` and `upstream_end` are the peers' sockets: what one writes must reach the
    /// other, after the early bytes, and both half-closes must propagate.
    async fn exchange(
        mut client_end: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
        mut upstream_end: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
        early: Early<'_>,
    ) {
        let up = vec![7u8; UP];
        let down = vec![9u8; DOWN];
        let (to_up, to_down) = (up.clone(), down.clone());
        let client = async move {
            client_end.write_all(&to_up).await.unwrap();
            client_end.shutdown().await.unwrap();
            let mut got = Vec::new();
            client_end.read_to_end(&mut got).await.unwrap();
            got
        };
        let upstream = async move {
            upstream_end.write_all(&to_down).await.unwrap();
            upstream_end.shutdown().await.unwrap();
            let mut got = Vec::new();
            upstream_end.read_to_end(&mut got).await.unwrap();
            got
        };
        let (at_client, at_upstream) = tokio::time::timeout(Duration::from_secs(20), async {
            tokio::join!(client, upstream)
        })
        .await
        .unwrap();
        for (got, early, sent) in [
            (at_client, early.to_client, down),
            (at_upstream, early.to_upstream, up),
        ] {
            let mut expected = early.to_vec();
            expected.extend_from_slice(&sent);
            assert_eq!(got.len(), expected.len());
            assert!(got == expected, "bytes reordered or lost");
        }
    }

    /// Asserts that `moved` counts what [`exchange`] sent each way, early bytes included.
    fn assert_counted(moved: &Relayed, early: Early<'_>) {
        let up = UP + early.to_upstream.len();
        let down = DOWN + early.to_client.len();
        assert_eq!(moved.client_to_upstream, up as u64);
        assert_eq!(moved.upstream_to_client, down as u64);
    }

    /// How a relay moved the bytes: `splice(2)` between two sockets, or a copy through user
    /// space.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Path {
        Spliced,
        Copied,
    }

    /// [`relay`]s `client` and `upstream` in a task while the peers' ends run [`exchange`]
    /// (`early`: what the relayed ends had read already), and checks the relay's counts and
    /// that it took `path`.
    async fn relay_exchange<C: Stream, U: Stream>(
        (client, client_end): (C, impl AsyncRead + AsyncWrite + Unpin),
        (upstream, upstream_end): (U, impl AsyncRead + AsyncWrite + Unpin),
        early: Early<'_>,
        path: Path,
    ) {
        let config = ForwardConfig::new();
        let relayed = tokio::spawn(async move { relay(client, upstream, &config).await });
        exchange(client_end, upstream_end, early).await;
        let moved = relayed.await.unwrap().unwrap();
        assert_counted(&moved, early);
        let took = if moved.spliced {
            Path::Spliced
        } else {
            Path::Copied
        };
        assert_eq!(took, path, "the relay's path");
    }

    #[tokio::test]
    async fn tcp_ends_are_taken_apart_and_early_bytes_go_first() {
        let (client, client_end) = tcp_pair().await;
        let (upstream, upstream_end) = tcp_pair().await;
        let client = RewindStream::new(client, Bytes::from_static(b"early "));
        relay_exchange(
            (client, client_end),
            (upstream, upstream_end),
            Early::to_upstream(b"early "),
            Path::Spliced,
        )
        .await;
    }

    #[tokio::test]
    async fn a_socket_under_two_replays_is_taken_apart_in_read_order() {
        let (client, client_end) = twice_peeked_client().await;
        let (upstream, upstream_end) = tcp_pair().await;
        relay_exchange(
            (client, client_end),
            (upstream, upstream_end),
            Early::to_upstream(b"outer inner "),
            Path::Spliced,
        )
        .await;
    }

    /// The stack `rama serve proxy` runs: [`Socks5OrHttp`](crate::peek::Socks5OrHttp) peeks
    /// the client's first byte, `HttpServer::auto` peeks for the h2 preface, so a CONNECT's
    /// upgraded stream comes out under two replays. The relay must still find the socket
    /// (it copied through user space when it looked for one replay only).
    #[tokio::test]
    async fn a_connect_through_the_proxys_peeking_stack_is_spliced() {
        use crate::peek::Socks5OrHttp;
        use rama_core::{Service, service_fn};
        use rama_http::server::HttpServer;
        use rama_http::server::upgrade::OnUpgrade;
        use rama_http::{Body, Request, Response};
        use std::convert::Infallible;
        use std::sync::{Arc, Mutex};

        let (server_side, mut client_end) = tcp_pair().await;
        let (upstream, upstream_end) = tcp_pair().await;
        let upstream = Arc::new(Mutex::new(Some(upstream)));
        let (relayed_tx, relayed_rx) = tokio::sync::oneshot::channel();
        let relayed_tx = Arc::new(Mutex::new(Some(relayed_tx)));
        let connect = service_fn(move |mut req: Request<Body>| {
            let on_upgrade = req.extensions_mut().remove::<OnUpgrade>();
            let upstream = upstream.lock().unwrap().take();
            let relayed_tx = relayed_tx.lock().unwrap().take();
            async move {
                let (Some(on_upgrade), Some(upstream), Some(relayed_tx)) =
                    (on_upgrade, upstream, relayed_tx)
                else {
                    panic!("one CONNECT, with an upgrade, expected");
                };
                tokio::spawn(async move {
                    let client = on_upgrade.upgraded().await.unwrap();
                    let moved = relay(client, upstream, &ForwardConfig::new()).await;
                    let _ = relayed_tx.send(moved);
                });
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        });
        let socks5 = service_fn(
            async |_: RewindStream<TcpStream>| -> Result<(), Infallible> {
                panic!("an HTTP client was taken for SOCKS5")
            },
        );
        let stack = Socks5OrHttp::new(socks5, HttpServer::auto().service(connect));
        let served = tokio::spawn(async move { stack.serve(server_side).await });

        // the head and the first tunnel bytes in one write: they arrive read ahead
        client_end
            .write_all(b"CONNECT upstream.test:80 HTTP/1.1\r\nHost: upstream.test:80\r\n\r\nearly ")
            .await
            .unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(client_end.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        exchange(client_end, upstream_end, Early::to_upstream(b"early ")).await;
        let moved = tokio::time::timeout(Duration::from_secs(20), relayed_rx)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(moved.spliced, "the tunnel was copied through user space");
        assert_counted(&moved, Early::to_upstream(b"early "));
        tokio::time::timeout(Duration::from_secs(20), served)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }

    /// An HTTP/1 client connection over loopback TCP that switched protocols; the peer's
    /// socket, and the `101` was followed by `early ` (read past the head).
    async fn switched_connection() -> (Upgraded, tokio::net::TcpStream) {
        let (to_upstream, upstream_end) = tcp_pair().await;
        switched_connection_over(to_upstream, upstream_end).await
    }

    /// [`switched_connection`] over any IO: `to_upstream` and the upstream's end of it.
    async fn switched_connection_over<E: AsyncRead + AsyncWrite + Unpin>(
        to_upstream: impl rama_http::client::http1::ClientIo,
        mut upstream_end: E,
    ) -> (Upgraded, E) {
        use rama_http::client::http1::{Http1ClientConfig, OnClientUpgrade, handshake};
        use rama_http::{Body, Request, StatusCode};

        let (sender, conn) = handshake(to_upstream, Http1ClientConfig::new())
            .await
            .unwrap();
        tokio::spawn(conn);
        let upstream_answers = async {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(upstream_end.read_u8().await.unwrap());
            }
            upstream_end
                .write_all(
                    b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\
                      Upgrade: test\r\n\r\nearly ",
                )
                .await
                .unwrap();
        };
        let req = Request::get("http://upstream.test/")
            .header("connection", "upgrade")
            .header("upgrade", "test")
            .body(Body::empty())
            .unwrap();
        let (res, ()) = tokio::time::timeout(Duration::from_secs(20), async {
            tokio::join!(sender.send_request(req), upstream_answers)
        })
        .await
        .unwrap();
        let res = res.unwrap();
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        let on_upgrade = res.extensions().get::<OnClientUpgrade>().unwrap().clone();
        let upgraded = tokio::time::timeout(Duration::from_secs(20), on_upgrade.upgraded())
            .await
            .unwrap()
            .unwrap();
        (upgraded, upstream_end)
    }

    /// Relays a client socket with `upstream`, which holds `early` read already (it must
    /// reach the client's end first), and checks the relay spliced.
    async fn relay_spliced_with_early<U: Stream>(
        upstream: U,
        upstream_end: impl AsyncRead + AsyncWrite + Unpin,
        early: &[u8],
    ) {
        let (client, client_end) = tcp_pair().await;
        relay_exchange(
            (client, client_end),
            (upstream, upstream_end),
            Early::to_client(early),
            Path::Spliced,
        )
        .await;
    }

    /// The reverse proxy's upgrade pass-through: the upstream side is an HTTP/1 client
    /// connection that switched protocols. It hands over the socket it was connected on, so
    /// the relay splices; the bytes the upstream sent right after its `101` go first.
    #[tokio::test]
    async fn a_client_connection_that_switched_protocols_is_spliced() {
        let (upgraded, upstream_end) = switched_connection().await;
        relay_spliced_with_early(upgraded, upstream_end, b"early ").await;
    }

    /// The MITM's fallback tunnel: an upgraded stream it peeked again (for a ClientHello)
    /// is spliced; the peeked bytes come first, then what the upgrade had read ahead.
    #[tokio::test]
    async fn an_upgraded_stream_peeked_again_is_spliced_in_read_order() {
        let (upgraded, upstream_end) = switched_connection().await;
        let peeked = RewindStream::new(upgraded, Bytes::from_static(b"peeked "));
        relay_spliced_with_early(peeked, upstream_end, b"peeked early ").await;
    }

    #[tokio::test]
    async fn other_streams_fall_back_to_a_copy() {
        let (client, client_end) = tcp_pair().await;
        let (upstream, upstream_end) = tokio::io::duplex(64 * 1024);
        relay_exchange(
            (client, client_end),
            (upstream, upstream_end),
            Early::default(),
            Path::Copied,
        )
        .await;
    }

    /// A socket taken apart but relayed with a stream that is no socket: it goes back under
    /// a replay, and the copy delivers its early bytes first.
    #[tokio::test]
    async fn a_socket_relayed_with_another_stream_is_copied_early_bytes_first() {
        let (client, client_end) = twice_peeked_client().await;
        let (upstream, upstream_end) = tokio::io::duplex(64 * 1024);
        relay_exchange(
            (client, client_end),
            (upstream, upstream_end),
            Early::to_upstream(b"outer inner "),
            Path::Copied,
        )
        .await;
    }

    /// Wrappers taken out to look inside are put back whole when no socket is under them:
    /// an upgrade over a stream that is no socket, peeked again, relays its peeked bytes,
    /// then its read-ahead, then the rest.
    #[tokio::test]
    async fn a_peeked_upgrade_over_another_stream_is_copied_whole() {
        let (to_upstream, upstream_end) = tokio::io::duplex(64 * 1024);
        let (upgraded, upstream_end) = switched_connection_over(to_upstream, upstream_end).await;
        let peeked = RewindStream::new(upgraded, Bytes::from_static(b"peeked "));
        let (client, client_end) = tcp_pair().await;
        relay_exchange(
            (client, client_end),
            (peeked, upstream_end),
            Early::to_client(b"peeked early "),
            Path::Copied,
        )
        .await;
    }
}
