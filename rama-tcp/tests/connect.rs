//! `tcp_connect` and `TcpConnector` over loopback: errors that name the target, the
//! timeout, Happy Eyeballs between ::1 and 127.0.0.1, the local address.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{
    Service,
    extensions::{ExtensionsMut, ExtensionsRef},
};
use rama_net::{
    address::{Authority, Domain},
    dns::{DnsError, DnsResolver, InMemoryDns},
    stream::SocketInfo,
};
use rama_tcp::client::{TcpConnectConfig, TcpConnector, TcpRequest, tcp_connect};
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::{Duration, Instant},
};
use tokio::net::{TcpListener, TcpSocket};

const LIMIT: Duration = Duration::from_secs(20);
const NAME: Domain = Domain::from_static("dual.test");

/// A resolver whose answers (and how long each takes) the test chooses.
#[derive(Debug, Clone, Default)]
struct ScriptedDns {
    v6: Vec<Ipv6Addr>,
    v4: Vec<Ipv4Addr>,
    v6_delay: Duration,
    v4_delay: Duration,
}

impl DnsResolver for ScriptedDns {
    type Error = DnsError;

    async fn ipv4_lookup(&self, domain: Domain) -> Result<Vec<Ipv4Addr>, DnsError> {
        tokio::time::sleep(self.v4_delay).await;
        if self.v4.is_empty() {
            return Err(DnsError::not_found(domain));
        }
        Ok(self.v4.clone())
    }

    async fn ipv6_lookup(&self, domain: Domain) -> Result<Vec<Ipv6Addr>, DnsError> {
        tokio::time::sleep(self.v6_delay).await;
        if self.v6.is_empty() {
            return Err(DnsError::not_found(domain));
        }
        Ok(self.v6.clone())
    }
}

fn dual(v6_delay: Duration, v4_delay: Duration) -> ScriptedDns {
    ScriptedDns {
        v6: vec![Ipv6Addr::LOCALHOST],
        v4: vec![Ipv4Addr::LOCALHOST],
        v6_delay,
        v4_delay,
    }
}

/// A socket bound to `ip` but not listening: connections to its port are refused.
fn closed_port(ip: IpAddr, port: u16) -> std::io::Result<TcpSocket> {
    let socket = if ip.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(ip, port))?;
    Ok(socket)
}

/// A listener whose accept queue is full: a new SYN is dropped, so connects hang.
/// Returns the listening socket and the connections that fill its queue.
async fn unresponsive(
    ip: IpAddr,
    port: u16,
) -> std::io::Result<(socket2::Socket, Vec<tokio::net::TcpStream>)> {
    let domain = if ip.is_ipv4() {
        socket2::Domain::IPV4
    } else {
        socket2::Domain::IPV6
    };
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
    if ip.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&SocketAddr::new(ip, port).into())?;
    socket.listen(0)?;
    let addr = socket.local_addr()?.as_socket().unwrap();
    let mut filled = Vec::new();
    for _ in 0..64 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(stream)) => filled.push(stream),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok((socket, filled)),
        }
    }
    panic!("the accept queue of {addr} never filled up");
}

/// Listeners on [::1]:P and 127.0.0.1:P for one port P.
async fn listeners_on_one_port() -> (TcpListener, TcpListener, u16) {
    for _ in 0..50 {
        let v6 = TcpListener::bind("[::1]:0").await.unwrap();
        let port = v6.local_addr().unwrap().port();
        if let Ok(v4) = TcpListener::bind(("127.0.0.1", port)).await {
            return (v6, v4, port);
        }
    }
    panic!("no port free on both ::1 and 127.0.0.1");
}

fn target(port: u16) -> Authority {
    Authority::new(NAME.into(), port)
}

fn peer_of(stream: &rama_tcp::TcpStream) -> SocketAddr {
    stream.extensions().get::<SocketInfo>().unwrap().peer_addr()
}

#[tokio::test]
async fn refused_connection_names_the_target() {
    let reserved = closed_port(Ipv4Addr::LOCALHOST.into(), 0).unwrap();
    let addr = reserved.local_addr().unwrap();
    let err = tcp_connect(&addr.into(), &InMemoryDns::new(), &TcpConnectConfig::new())
        .await
        .unwrap_err();
    assert!(err.is_refused());
    assert_eq!(
        err.to_string(),
        format!("connect to {addr}: connection refused")
    );
}

#[tokio::test]
async fn unresolvable_name_names_the_target() {
    let target: Authority = "example.invalid:80".parse().unwrap();
    for result in [
        tcp_connect(&target, &InMemoryDns::new(), &TcpConnectConfig::new()).await,
        tcp_connect(
            &target,
            &rama_net::dns::HickoryDns::default(),
            &TcpConnectConfig::new(),
        )
        .await,
    ] {
        let err = result.unwrap_err();
        assert!(err.is_resolve(), "{err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("connect to example.invalid:80: resolve: "),
            "{msg}"
        );
        assert!(msg.contains("example.invalid"), "{msg}");
    }
}

#[tokio::test]
async fn connect_timeout_names_the_target_and_the_limit() {
    let (listener, _filled) = unresponsive(Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let config = TcpConnectConfig::new().with_connect_timeout(Duration::from_millis(300));
    let start = Instant::now();
    let err = tcp_connect(&addr.into(), &InMemoryDns::new(), &config)
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(err.is_timeout(), "{err}");
    assert_eq!(
        err.to_string(),
        format!("connect to {addr}: timed out after 300ms")
    );
}

#[tokio::test]
async fn happy_eyeballs_skips_a_refusing_ipv6_address() {
    let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = v4.local_addr().unwrap().port();
    // nothing listens on [::1]:port (and nothing else may start to while we hold it)
    let _v6_closed = closed_port(Ipv6Addr::LOCALHOST.into(), port).ok();
    let dns = dual(Duration::ZERO, Duration::ZERO);

    // a refusal starts the next attempt at once, without waiting for the attempt delay
    // (made long here, so that a slow machine cannot blur the difference)
    let config = TcpConnectConfig::new().with_connection_attempt_delay(Duration::from_secs(10));
    let start = Instant::now();
    let stream = tcp_connect(&target(port), &dns, &config).await.unwrap();
    assert_eq!(peer_of(&stream), v4.local_addr().unwrap());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn happy_eyeballs_races_past_an_unanswering_ipv6_address() {
    let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = v4.local_addr().unwrap().port();
    let Ok((_v6, _filled)) = unresponsive(Ipv6Addr::LOCALHOST.into(), port).await else {
        // [::1]:port is taken by someone else; the refused case above covers the logic
        eprintln!("skipped: [::1]:{port} not available");
        return;
    };
    let dns = dual(Duration::ZERO, Duration::ZERO);
    let start = Instant::now();
    let stream = tokio::time::timeout(
        LIMIT,
        tcp_connect(&target(port), &dns, &TcpConnectConfig::new()),
    )
    .await
    .unwrap()
    .unwrap();
    let took = start.elapsed();
    assert_eq!(peer_of(&stream), v4.local_addr().unwrap());
    // IPv6 first; IPv4 only after the 250 ms Connection Attempt Delay
    assert!(took >= Duration::from_millis(240), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn ipv6_is_preferred_when_both_answer() {
    let (v6, _v4, port) = listeners_on_one_port().await;
    let stream = tcp_connect(
        &target(port),
        &dual(Duration::ZERO, Duration::ZERO),
        &TcpConnectConfig::new(),
    )
    .await
    .unwrap();
    assert_eq!(peer_of(&stream), v6.local_addr().unwrap());
}

#[tokio::test]
async fn resolution_delay_waits_briefly_for_the_aaaa_answer() {
    let (v6, v4, port) = listeners_on_one_port().await;

    // AAAA 20 ms after A: within the 50 ms Resolution Delay, so IPv6 still goes first
    let stream = tcp_connect(
        &target(port),
        &dual(Duration::from_millis(20), Duration::ZERO),
        &TcpConnectConfig::new(),
    )
    .await
    .unwrap();
    assert_eq!(peer_of(&stream), v6.local_addr().unwrap());

    // AAAA 2 s after A: IPv4 starts once the Resolution Delay is over
    let start = Instant::now();
    let stream = tcp_connect(
        &target(port),
        &dual(Duration::from_secs(2), Duration::ZERO),
        &TcpConnectConfig::new(),
    )
    .await
    .unwrap();
    let took = start.elapsed();
    assert_eq!(peer_of(&stream), v4.local_addr().unwrap());
    assert!(took >= Duration::from_millis(45), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test]
async fn every_address_failing_lists_them_all() {
    let reserved = closed_port(Ipv4Addr::LOCALHOST.into(), 0).unwrap();
    let port = reserved.local_addr().unwrap().port();
    let _v6_closed = closed_port(Ipv6Addr::LOCALHOST.into(), port).ok();
    let err = tcp_connect(
        &target(port),
        &dual(Duration::ZERO, Duration::ZERO),
        &TcpConnectConfig::new(),
    )
    .await
    .unwrap_err();
    assert!(err.is_refused(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "connect to dual.test:{port}: every address failed: [::1]:{port}: connection refused; 127.0.0.1:{port}: connection refused"
        )
    );
}

#[tokio::test]
async fn only_one_family_resolves() {
    let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = v4.local_addr().unwrap().port();
    let dns = ScriptedDns {
        v4: vec![Ipv4Addr::LOCALHOST],
        ..Default::default()
    };
    let stream = tcp_connect(&target(port), &dns, &TcpConnectConfig::new())
        .await
        .unwrap();
    assert_eq!(peer_of(&stream), v4.local_addr().unwrap());

    let err = tcp_connect(
        &target(port),
        &ScriptedDns::default(),
        &TcpConnectConfig::new(),
    )
    .await
    .unwrap_err();
    assert!(err.is_resolve());
    // both lookups failed alike: the reason is given once
    assert_eq!(
        err.to_string().matches("dual.test").count(),
        2,
        "target and one resolver message: {err}"
    );
}

#[tokio::test]
async fn local_address_is_used_for_outgoing_sockets() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = TcpConnectConfig::new().with_local_address(Ipv4Addr::LOCALHOST.into());
    let stream = tcp_connect(&addr.into(), &InMemoryDns::new(), &config)
        .await
        .unwrap();
    let info = *stream.extensions().get::<SocketInfo>().unwrap();
    assert_eq!(info.local_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(info.local_addr(), Some(stream.local_addr().unwrap()));

    // an address this host does not have cannot be bound: the connect fails before any
    // packet is sent (192.0.2.1 is TEST-NET-1, never assigned)
    let config = TcpConnectConfig::new().with_local_address(Ipv4Addr::new(192, 0, 2, 1).into());
    let err = tcp_connect(&addr.into(), &InMemoryDns::new(), &config)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("connect to {addr}: local address not available")
    );
}

#[tokio::test]
async fn connector_service_keeps_the_request_and_its_extensions() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dns = InMemoryDns::new().with_ips(NAME, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    let connector = TcpConnector::with_resolver(dns)
        .with_config(TcpConnectConfig::new().with_connect_timeout(Duration::from_secs(5)));
    let mut req = TcpRequest::new(target(port));
    req.extensions_mut().insert("trace-id-7");
    let established = connector.serve(req).await.unwrap();
    assert_eq!(established.input.authority, target(port));
    assert_eq!(
        established.input.extensions().get::<&str>(),
        Some(&"trace-id-7")
    );
    assert_eq!(peer_of(&established.conn), listener.local_addr().unwrap());
    assert!(established.conn.nodelay().unwrap());
}

#[tokio::test]
async fn a_request_for_a_proxy_is_refused_not_sent_direct() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut req = TcpRequest::new(target(port));
    let proxy: rama_net::address::ProxyAddress =
        "http://user:secret@127.0.0.1:3128".parse().unwrap();
    req.extensions_mut().insert(proxy);
    let err = TcpConnector::with_resolver(InMemoryDns::new())
        .serve(req)
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("asks for the proxy http://user:***@127.0.0.1:3128"),
        "{msg}"
    );
    assert!(!msg.contains("secret"), "{msg}");
    // nothing reached the target directly
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the connector connected directly");
}

#[tokio::test]
async fn the_local_address_is_recorded_unless_switched_off() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    for record in [true, false] {
        let config = TcpConnectConfig::new().with_record_local_addr(record);
        let stream = tcp_connect(&addr.into(), &InMemoryDns::new(), &config)
            .await
            .unwrap();
        let info = *stream.extensions().get::<SocketInfo>().unwrap();
        assert_eq!(info.peer_addr(), addr);
        let local = stream.local_addr().unwrap();
        assert_eq!(
            info.local_addr(),
            record.then_some(local),
            "record: {record}"
        );
        let _ = listener.accept().await.unwrap();
    }
}
