//! `TcpListener` over loopback: round trip, extensions, bind errors, dual stack, graceful
//! shutdown with connections in flight.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{
    extensions::ExtensionsRef,
    graceful::{Shutdown, ShutdownSignal},
    service_fn,
};
use rama_net::stream::SocketInfo;
use rama_tcp::{
    TcpStream,
    server::{TcpListener, ThreadListeners, serve_graceful_on_threads},
};
use std::{
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(20);

/// Echo every byte back until EOF.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return stream.shutdown().await;
        }
        stream.write_all(&buf[..n]).await?;
    }
}

#[tokio::test]
async fn serve_and_connect_round_trip() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(listener.serve(service_fn(echo)));

    for _ in 0..3 {
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"hello rama").await.unwrap();
        client.shutdown().await.unwrap();
        let mut back = Vec::new();
        tokio::time::timeout(LIMIT, client.read_to_end(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, b"hello rama");
    }
    server.abort();
}

#[tokio::test]
async fn accepted_streams_carry_socket_info_and_shutdown_signal() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let shutdown = Shutdown::manual();
    shutdown.spawn_task_fn(async move |guard| {
        let svc = service_fn(move |stream: TcpStream| {
            let tx = tx.clone();
            async move {
                let info = *stream.extensions().get::<SocketInfo>().unwrap();
                let has_signal = stream.extensions().contains::<ShutdownSignal>();
                tx.send((info, has_signal, stream.peer_addr().unwrap()))
                    .unwrap();
                Ok::<_, io::Error>(())
            }
        });
        listener.serve_graceful(guard, svc).await;
    });

    let client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (info, has_signal, peer) = tokio::time::timeout(LIMIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.peer_addr(), client.local_addr().unwrap());
    assert_eq!(info.peer_addr(), peer);
    assert_eq!(info.local_addr(), Some(addr));
    assert!(
        has_signal,
        "graceful serve puts the ShutdownSignal in the extensions"
    );

    shutdown.trigger().trigger();
    shutdown
        .shutdown_with_limit(LIMIT)
        .await
        .expect("no task left behind");
}

#[tokio::test]
async fn wildcard_listener_reports_the_real_local_address() {
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(listener.serve(service_fn(move |stream: TcpStream| {
        let tx = tx.clone();
        async move {
            tx.send(*stream.extensions().get::<SocketInfo>().unwrap())
                .unwrap();
            Ok::<_, io::Error>(())
        }
    })));
    let _client = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let info = tokio::time::timeout(LIMIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        info.local_addr(),
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    );
    server.abort();
}

#[tokio::test]
async fn bind_on_a_used_port_says_address_in_use() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = first.local_addr().unwrap();
    let err = TcpListener::bind(addr).await.unwrap_err();
    assert!(err.is_addr_in_use());
    assert_eq!(
        err.to_string(),
        format!("bind {addr}: address already in use (another socket is bound to this port)")
    );

    let err = TcpListener::bind("not an address").await.unwrap_err();
    assert!(
        err.to_string().starts_with("bind (invalid address): "),
        "{err}"
    );
}

/// `TCP_NODELAY` on an accepted socket, whether the listener sets it per connection or
/// the kernel copies it from the listening socket.
async fn accepted_nodelay(listener: TcpListener) -> bool {
    let addr = listener.local_addr().unwrap();
    let (accepted, _client) = tokio::join!(listener.accept(), tokio::net::TcpStream::connect(addr));
    accepted.unwrap().nodelay().unwrap()
}

#[tokio::test]
async fn accepted_sockets_have_nodelay() {
    assert!(accepted_nodelay(TcpListener::bind("127.0.0.1:0").await.unwrap()).await);
    let tokio_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    assert!(accepted_nodelay(TcpListener::from_tokio(tokio_listener)).await);
    let off = TcpListener::builder().nodelay(false);
    assert!(!accepted_nodelay(off.bind("127.0.0.1:0").await.unwrap()).await);
}

#[tokio::test]
async fn reuse_port_lets_two_listeners_share_an_address() {
    let builder = TcpListener::builder().reuse_port(true);
    let first = builder.bind("127.0.0.1:0").await.unwrap();
    let addr = first.local_addr().unwrap();
    let second = builder.bind(addr).await.unwrap();
    assert_eq!(second.local_addr().unwrap(), addr);
}

#[tokio::test]
async fn dual_stack_listener_serves_ipv4_and_ipv6_clients() {
    let listener = TcpListener::builder()
        .ipv6_only(false)
        .bind("[::]:0")
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(listener.serve(service_fn(async |mut stream: TcpStream| {
        let peer = stream.extensions().get::<SocketInfo>().unwrap().peer_addr();
        stream.write_all(peer.to_string().as_bytes()).await
    })));

    for client_addr in ["127.0.0.1", "::1"] {
        let ip: std::net::IpAddr = client_addr.parse().unwrap();
        let mut client = tokio::net::TcpStream::connect((ip, port)).await.unwrap();
        let mut seen = String::new();
        tokio::time::timeout(LIMIT, client.read_to_string(&mut seen))
            .await
            .unwrap()
            .unwrap();
        let seen: SocketAddr = seen.parse().unwrap();
        // an IPv4 client shows up as an IPv4-mapped IPv6 address on a dual-stack socket
        let seen_ip = match seen.ip() {
            std::net::IpAddr::V6(v6) => v6.to_canonical(),
            v4 => v4,
        };
        assert_eq!(seen_ip, ip, "{client_addr}");
        assert_eq!(seen.port(), client.local_addr().unwrap().port());
    }
    server.abort();
}

#[tokio::test]
async fn ipv6_only_listener_refuses_ipv4_clients() {
    let listener = TcpListener::builder()
        .ipv6_only(true)
        .bind("[::]:0")
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let err = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    tokio::net::TcpStream::connect(("::1", port)).await.unwrap();
}

#[tokio::test]
async fn service_errors_do_not_stop_the_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = tokio::spawn(listener.serve(service_fn(move |_stream: TcpStream| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if n.is_multiple_of(2) {
                Err(io::Error::other("this connection fails"))
            } else {
                Ok(())
            }
        }
    })));
    for _ in 0..6 {
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut rest = Vec::new();
        // the service returns (with or without an error): the connection closes
        tokio::time::timeout(LIMIT, client.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    server.abort();
}

/// 100 connections are mid-transfer when the shutdown starts: the listener stops accepting,
/// every connection in flight finishes, and no byte is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_drains_connections_in_flight() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drains_connections_in_flight(addr, async move |guard, svc| {
        listener.serve_graceful(guard, svc).await;
    })
    .await;
}

/// The same with two worker threads, each with its own runtime, sharing one listening
/// socket: the connections live on the workers' runtimes, which must outlive the accept
/// loops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_drains_connections_on_worker_threads() {
    drains_on_worker_threads(ThreadListeners::Shared).await;
}

/// The same with a `SO_REUSEPORT` socket per worker thread.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_thread_listeners_serve_and_drain() {
    drains_on_worker_threads(ThreadListeners::PerThread).await;
}

/// The same with the balanced layout (a `SO_REUSEPORT` socket per worker, connections
/// handed to the least loaded worker).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balanced_listeners_serve_and_drain() {
    drains_on_worker_threads(ThreadListeners::Balanced).await;
}

/// With the balanced layout, 40 connections held open end up 19 to 21 per worker (at most
/// two apart), wherever the kernel's hash put them; each is served (it echoes a byte).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balanced_listeners_even_out_open_connections() {
    const CONNS: usize = 40;
    let per_worker = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let seen = per_worker.clone();
    let hold = service_fn(move |mut s: TcpStream| {
        let worker = std::thread::current().name().unwrap_or("?").to_owned();
        *seen.lock().unwrap().entry(worker).or_insert(0usize) += 1;
        async move {
            let mut byte = [0u8; 1];
            s.read_exact(&mut byte).await?;
            s.write_all(&byte).await?;
            // held until the client closes
            while s.read(&mut byte).await? != 0 {}
            Ok::<_, io::Error>(())
        }
    });
    let shutdown = Shutdown::manual();
    let threads = std::num::NonZeroUsize::new(2).unwrap();
    let addr = serve_graceful_on_threads(
        TcpListener::builder(),
        "127.0.0.1:0".parse().unwrap(),
        threads,
        ThreadListeners::Balanced,
        shutdown.guard(),
        hold,
    )
    .await
    .unwrap();
    let mut open = Vec::new();
    for _ in 0..CONNS {
        open.push(one_byte_echoed(addr).await);
    }
    let counts: Vec<usize> = per_worker.lock().unwrap().values().copied().collect();
    assert_eq!(counts.iter().sum::<usize>(), CONNS, "{counts:?}");
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts[0].abs_diff(counts[1]) <= 2, "{counts:?}");
    drop(open);
    shutdown.trigger().trigger();
    shutdown.shutdown_with_limit(LIMIT).await.unwrap();
}

/// A client connected to `addr` that sent a byte and got it back (the connection is served).
async fn one_byte_echoed(addr: SocketAddr) -> tokio::net::TcpStream {
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(b"x").await.unwrap();
    let mut byte = [0u8; 1];
    tokio::time::timeout(LIMIT, client.read_exact(&mut byte))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&byte, b"x");
    client
}

async fn drains_on_worker_threads(listeners: ThreadListeners) {
    // a port no concurrent test (or the kernel, for a `bind` to port 0) can take before the
    // server binds it
    let addr = SocketAddr::from(([127, 0, 0, 1], rama_test_support::free_port()));
    let threads = std::num::NonZeroUsize::new(2).unwrap();
    drains_connections_in_flight(addr, async move |guard, svc| {
        let bound =
            serve_graceful_on_threads(TcpListener::builder(), addr, threads, listeners, guard, svc)
                .await
                .unwrap();
        assert_eq!(bound, addr);
    })
    .await;
}

/// Start a server on `addr` with `serve` (given the guard and a counting echo service),
/// then check the graceful drain of 100 connections caught mid-transfer.
async fn drains_connections_in_flight<F, Fut>(addr: SocketAddr, serve: F)
where
    F: FnOnce(
        rama_core::graceful::ShutdownGuard,
        rama_core::service::BoxService<TcpStream, (), io::Error>,
    ) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    use rama_core::Service;
    const CONNS: usize = 100;
    const HALF: usize = 32 * 1024;

    let shutdown = Shutdown::manual();
    let served = Arc::new(AtomicUsize::new(0));
    let counted = served.clone();
    let svc = service_fn(move |stream: TcpStream| {
        counted.fetch_add(1, Ordering::SeqCst);
        echo(stream)
    })
    .boxed();
    let accept_loop = shutdown.spawn_task(serve(shutdown.guard(), svc));

    // every client sends half its payload, then waits for the shutdown to start
    let (started_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut clients = Vec::new();
    let mut halfway = Vec::new();
    for i in 0..CONNS {
        let mut started = started_tx.subscribe();
        let (half_tx, half_rx) = tokio::sync::oneshot::channel();
        halfway.push(half_rx);
        clients.push(tokio::spawn(async move {
            let payload: Vec<u8> = (0..2 * HALF).map(|j| (i * 7 + j) as u8).collect();
            let stream = connect_with_retry(addr).await;
            let (mut r, mut w) = stream.into_split();
            let reader = tokio::spawn(async move {
                let mut back = Vec::new();
                r.read_to_end(&mut back).await.unwrap();
                back
            });
            w.write_all(&payload[..HALF]).await.unwrap();
            half_tx.send(()).unwrap();
            started.recv().await.unwrap();
            w.write_all(&payload[HALF..]).await.unwrap();
            w.shutdown().await.unwrap();
            let back = reader.await.unwrap();
            assert!(back == payload, "connection {i} lost or changed bytes");
        }));
    }
    for half in halfway {
        tokio::time::timeout(LIMIT, half).await.unwrap().unwrap();
    }
    // all 100 are being served and mid-transfer
    tokio::time::timeout(LIMIT, async {
        while served.load(Ordering::SeqCst) < CONNS {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();

    shutdown.trigger().trigger();
    tokio::time::timeout(LIMIT, accept_loop)
        .await
        .unwrap()
        .unwrap();
    // the listening socket closes: a new client is refused
    tokio::time::timeout(LIMIT, async {
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => break,
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    })
    .await
    .expect("the listener closes after the shutdown starts");

    started_tx.send(()).unwrap();
    let drained = tokio::spawn(shutdown.shutdown_with_limit(LIMIT));
    for client in clients {
        tokio::time::timeout(LIMIT, client).await.unwrap().unwrap();
    }
    tokio::time::timeout(LIMIT, drained)
        .await
        .unwrap()
        .unwrap()
        .expect("every connection finished within the limit");
    assert_eq!(served.load(Ordering::SeqCst), CONNS);
}

/// Connect, retrying briefly while the server's workers come up.
async fn connect_with_retry(addr: SocketAddr) -> tokio::net::TcpStream {
    tokio::time::timeout(LIMIT, async {
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(stream) => return stream,
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn one_socket_shared_by_two_listeners() {
    let builder = TcpListener::builder();
    let std_listener = builder.bind_std("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let a = builder.from_std(std_listener.try_clone().unwrap()).unwrap();
    let b = builder.from_std(std_listener).unwrap();
    assert_eq!(a.local_addr().unwrap(), addr);
    assert_eq!(b.local_addr().unwrap(), addr);
    let reply = |tag: &'static [u8]| {
        service_fn(move |mut s: TcpStream| async move { s.write_all(tag).await })
    };
    let ta = tokio::spawn(a.serve(reply(b"a")));
    let tb = tokio::spawn(b.serve(reply(b"b")));
    for _ in 0..10 {
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, client.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert!(got == b"a" || got == b"b", "{got:?}");
    }
    // while they listen, the address is taken
    let err = builder.bind_std(addr).unwrap_err();
    assert!(err.is_addr_in_use(), "{err}");
    ta.abort();
    tb.abort();
}

/// `SO_REUSEPORT` listeners would share their address with another server that set it too;
/// the per-thread layout still reports the address as in use, whether the other listener
/// set `SO_REUSEPORT` or not, and port 0 gets one port for every thread.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_thread_listeners_report_an_address_in_use() {
    let threads = std::num::NonZeroUsize::new(2).unwrap();
    let serve = |addr: SocketAddr, shutdown: &Shutdown| {
        let echo = service_fn(async |mut s: TcpStream| {
            let mut byte = [0u8; 1];
            s.read_exact(&mut byte).await?;
            s.write_all(&byte).await
        });
        serve_graceful_on_threads(
            TcpListener::builder(),
            addr,
            threads,
            ThreadListeners::PerThread,
            shutdown.guard(),
            echo,
        )
    };
    let first = Shutdown::manual();
    let addr = serve("127.0.0.1:0".parse().unwrap(), &first).await.unwrap();
    assert_ne!(addr.port(), 0);
    for _ in 0..8 {
        one_byte_echoed(addr).await;
    }
    // a second server of the same layout on the same address
    let second = Shutdown::manual();
    let err = serve(addr, &second).await.unwrap_err();
    let err = err.downcast_ref::<rama_tcp::server::BindError>().unwrap();
    assert!(err.is_addr_in_use(), "{err}");
    first.trigger().trigger();
    first.shutdown_with_limit(LIMIT).await.unwrap();

    // another program's listener with SO_REUSEPORT set
    let other = TcpListener::builder()
        .reuse_port(true)
        .bind_std("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let addr = other.local_addr().unwrap();
    let third = Shutdown::manual();
    let err = serve(addr, &third).await.unwrap_err();
    let err = err.downcast_ref::<rama_tcp::server::BindError>().unwrap();
    assert!(err.is_addr_in_use(), "{err}");
}
