//! A connector stack built from the `rama_net::client` contract over loopback TCP:
//! DNS (in-memory) → TCP → a "hello" hop that speaks first, as a proxy hop would. Plus
//! compile-time checks that the futures of this crate are `Send`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::Service;
use rama_core::error::{BoxError, ErrorContext, OpaqueError};
use rama_net::address::{Authority, Domain, Host};
use rama_net::client::{ConnectorService, EstablishedClientConnection};
use rama_net::dns::{DenyListDns, DnsResolver, InMemoryDns};
use rama_net::stream::{RewindStream, SocketInfo};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(5);

/// What the test connectors take: a target plus facts learned on the way.
struct Target {
    authority: Authority,
    socket: Option<SocketInfo>,
}

/// Resolves the target's host with `R`, then opens a TCP stream to the first address.
struct TestTcpConnector<R> {
    dns: R,
}

impl<R: DnsResolver> Service<Target> for TestTcpConnector<R> {
    type Output = EstablishedClientConnection<TcpStream, Target>;
    type Error = OpaqueError;

    async fn serve(&self, mut input: Target) -> Result<Self::Output, OpaqueError> {
        let port = input.authority.port();
        let ip = match input.authority.host() {
            Host::Address(ip) => *ip,
            Host::Name(domain) => {
                let ips = self
                    .dns
                    .ipv4_lookup(domain.clone())
                    .await
                    .context("resolve target")?;
                ips.first()
                    .copied()
                    .ok_or_else(|| OpaqueError::from_display("no address"))?
                    .into()
            }
        };
        let conn = TcpStream::connect(SocketAddr::new(ip, port))
            .await
            .context("connect")?;
        input.socket = Some(SocketInfo::new(
            conn.local_addr().ok(),
            conn.peer_addr().context("peer addr")?,
        ));
        Ok(EstablishedClientConnection::new(conn, input))
    }
}

/// A hop that writes a greeting on the inner connection before handing it on, and wraps it
/// (as TLS would); generic over any inner connector.
struct HelloHop<C> {
    inner: C,
}

impl<C> Service<Target> for HelloHop<C>
where
    C: ConnectorService<Target>,
    C::Connection: Unpin,
{
    type Output = EstablishedClientConnection<RewindStream<C::Connection>, Target>;
    type Error = BoxError;

    async fn serve(&self, input: Target) -> Result<Self::Output, BoxError> {
        let EstablishedClientConnection { mut conn, input } =
            self.inner.connect(input).await.map_err(Into::into)?;
        conn.write_all(b"HELLO\n").await?;
        Ok(EstablishedClientConnection::new(
            RewindStream::without_prefix(conn),
            input,
        ))
    }
}

/// Accepts one connection, expects the greeting, answers "WELCOME", echoes the rest.
async fn greeting_echo_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut hello = [0u8; 6];
        s.read_exact(&mut hello).await.unwrap();
        assert_eq!(&hello, b"HELLO\n");
        s.write_all(b"WELCOME\n").await.unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        s.write_all(&rest).await.unwrap();
    });
    (addr, task)
}

#[tokio::test]
async fn dns_tcp_hop_stack_over_loopback() {
    let (addr, server) = greeting_echo_server().await;
    let dns = DenyListDns::new(InMemoryDns::new().with_ips(
        Domain::from_static("service.test"),
        [Ipv4Addr::LOCALHOST.into()],
    ))
    .with_denied_suffix(Domain::from_static("blocked.test"));
    let stack = HelloHop {
        inner: TestTcpConnector { dns },
    };

    let target = Target {
        authority: Authority::new(Host::Name(Domain::from_static("service.test")), addr.port()),
        socket: None,
    };
    let EstablishedClientConnection { mut conn, input } = timeout(BOUND, stack.connect(target))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(input.socket.unwrap().peer_addr(), addr);

    let mut welcome = [0u8; 8];
    conn.read_exact(&mut welcome).await.unwrap();
    assert_eq!(&welcome, b"WELCOME\n");
    conn.write_all(b"echo me").await.unwrap();
    conn.shutdown().await.unwrap();
    let mut echoed = Vec::new();
    timeout(BOUND, conn.read_to_end(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echoed, b"echo me");
    timeout(BOUND, server).await.unwrap().unwrap();
}

#[tokio::test]
async fn stack_error_keeps_the_dns_cause() {
    let dns = DenyListDns::new(InMemoryDns::new())
        .with_denied_suffix(Domain::from_static("blocked.test"));
    let stack = HelloHop {
        inner: TestTcpConnector { dns },
    };
    let target = Target {
        authority: "x.blocked.test:80".parse().unwrap(),
        socket: None,
    };
    let err = stack.connect(target).await.err().unwrap();
    let dns_err = rama_core::error::find_in_chain::<rama_net::dns::DnsError>(err.as_ref())
        .expect("the DnsError is in the chain");
    assert!(dns_err.is_denied());
    assert_eq!(dns_err.domain().as_str(), "x.blocked.test");
}

/// Compile-time: the futures and values of this crate can cross threads.
#[test]
fn futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}

    send_sync::<rama_net::stream::ForwardConfig>();
    send_sync::<rama_net::stream::ForwardError>();
    send_sync::<rama_net::stream::SocketInfo>();
    send_sync::<RewindStream<TcpStream>>();
    send_sync::<rama_net::dns::DnsError>();
    send_sync::<InMemoryDns>();
    #[cfg(feature = "hickory")]
    send_sync::<rama_net::dns::HickoryDns>();

    let (mut a, mut b) = tokio::io::duplex(8);
    let cfg = rama_net::stream::ForwardConfig::new();
    send(&rama_net::stream::forward_bidirectional(
        &mut a, &mut b, &cfg,
    ));
    let (c, _d) = tokio::io::duplex(8);
    send(&rama_net::stream::peek_until(
        c,
        4,
        Duration::from_secs(1),
        |_| true,
    ));
    let dns = DenyListDns::new(std::sync::Arc::new(InMemoryDns::new()));
    send(&dns.ipv6_lookup(Domain::from_static("a.test")));
    #[cfg(feature = "hickory")]
    send(&rama_net::dns::HickoryDns::default().ipv4_lookup(Domain::from_static("a.test")));
}
