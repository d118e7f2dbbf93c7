//! Compile-time checks: the ClientHello types can travel in extensions (`Clone + Send +
//! Sync + 'static`), and the peek service and the SNI router are services whose futures are
//! `Send`, so a multi-threaded listener can run them.

use rama_core::{Service, service_fn};
use rama_net::dns::DenyAllDns;
use rama_net::stream::RewindStream;
use rama_tcp::TcpStream;
use rama_tcp::client::TcpConnector;
use rama_tls::client_hello::{
    ClientHello, ClientHelloExtension, ClientHelloParseError, ClientHelloParser, PeekClientHello,
    PeekClientHelloError, PeekClientHelloLayer,
};
use rama_tls::sni::{SniRouteOutcome, SniRouter, SniRoutes};
use rama_tls::types::{AlpnList, ApplicationProtocol, CipherSuite, ExtensionId};
use std::convert::Infallible;

fn extension_value<T: Clone + Send + Sync + 'static>() {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}
fn service<S: Service<TcpStream>>(_: &S) {}

#[test]
fn types_are_send_sync() {
    extension_value::<ClientHello>();
    extension_value::<ClientHelloExtension>();
    extension_value::<ClientHelloParser>();
    extension_value::<AlpnList>();
    extension_value::<ApplicationProtocol>();
    extension_value::<CipherSuite>();
    extension_value::<ExtensionId>();
    extension_value::<SniRoutes>();
    extension_value::<SniRouteOutcome>();
    error::<ClientHelloParseError>();
    error::<PeekClientHelloError>();
}

#[test]
fn services_over_tcp_streams() {
    let inner = service_fn(async |_: RewindStream<TcpStream>| Ok::<_, Infallible>(()));
    let peek: PeekClientHello<_> = rama_core::Layer::into_layer(PeekClientHelloLayer::new(), inner);
    service(&peek);
    let router = SniRouter::new(TcpConnector::with_resolver(DenyAllDns::new()));
    service(&router);
}
