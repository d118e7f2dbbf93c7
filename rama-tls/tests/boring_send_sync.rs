//! Compile-time checks: the public services, layers, streams and config types of the
//! BoringSSL backend can move between tasks and be shared (`Send + Sync`), and the streams
//! are `rama_net::stream::Stream`s that carry extensions.
#![cfg(feature = "boring")]

use rama_core::{Service, extensions::ExtensionsMut};
use rama_net::{client::ConnectorService, stream::RewindStream, stream::Stream};
use rama_tcp::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
};
use rama_tls::boring::{
    BoringClientExt, CertCompression, TlsAcceptorLayer, TlsAcceptorService, TlsConnector,
    TlsConnectorLayer, TlsError, TlsStream,
};

fn send_sync<T: Send + Sync + 'static>() {}
fn stream_with_extensions<T: Stream + ExtensionsMut + Unpin>() {}
fn clone<T: Clone>() {}
fn acceptor<S: Service<TcpStream>>() {}
fn connector<C: ConnectorService<TcpRequest>>() {}

type Echo = rama_core::service::BoxService<TlsStream<RewindStream<TcpStream>>, (), std::io::Error>;

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<TlsAcceptorLayer>();
    send_sync::<TlsAcceptorService<Echo>>();
    send_sync::<TlsConnectorLayer>();
    send_sync::<TlsConnector<TcpConnector<rama_net::dns::InMemoryDns>>>();
    send_sync::<TlsStream<TcpStream>>();
    send_sync::<TlsError>();
    send_sync::<BoringClientExt>();
    send_sync::<CertCompression>();
    clone::<TlsAcceptorLayer>();
    clone::<TlsConnectorLayer>();
    clone::<BoringClientExt>();
    stream_with_extensions::<TlsStream<TcpStream>>();
    stream_with_extensions::<TlsStream<RewindStream<TcpStream>>>();
    acceptor::<TlsAcceptorService<Echo>>();
    connector::<TlsConnector<TcpConnector<rama_net::dns::InMemoryDns>>>();
}
