//! Compile-time checks: the public types and futures can move between threads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Service, graceful::Shutdown, service_fn};
use rama_net::dns::InMemoryDns;
use rama_tcp::{
    TcpStream,
    client::{TcpConnectConfig, TcpConnectError, TcpConnector, TcpRequest, tcp_connect},
    forward::{ForwardTarget, Forwarder, TcpForwardError, Transferred, forward_tcp},
    server::{BindError, TcpListener, TcpListenerBuilder},
};

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>(_: &T) {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<TcpStream>();
    send_sync::<TcpListener>();
    send_sync::<TcpListenerBuilder>();
    send_sync::<BindError>();
    send_sync::<TcpConnector<InMemoryDns>>();
    send_sync::<TcpConnectConfig>();
    send_sync::<TcpConnectError>();
    send_sync::<TcpRequest>();
    send_sync::<Forwarder<TcpConnector<InMemoryDns>>>();
    send_sync::<ForwardTarget>();
    send_sync::<TcpForwardError>();
    send_sync::<Transferred>();
}

#[tokio::test]
async fn public_futures_are_send() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connector = TcpConnector::with_resolver(InMemoryDns::new());
    let forwarder = Forwarder::with_connector(Some(addr.into()), connector.clone());

    send(&connector.serve(TcpRequest::new(addr.into())));
    send(&tcp_connect(
        &addr.into(),
        &InMemoryDns::new(),
        &TcpConnectConfig::new(),
    ));
    send(&listener.accept());
    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    send(&forward_tcp(
        &mut a,
        &mut b,
        &rama_net::stream::ForwardConfig::new(),
    ));
    send(&forwarder.serve(a));

    let shutdown = Shutdown::manual();
    let svc = service_fn(async |_: TcpStream| Ok::<_, std::io::Error>(()));
    send(&listener.serve_graceful(shutdown.guard(), svc));
}
