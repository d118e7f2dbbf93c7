//! The rustls connector over rama-tcp's `TcpConnector`, against the rustls acceptor on
//! loopback: ALPN, server names, verification (custom roots, untrusted, insecure).
#![cfg(feature = "rustls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, Service, extensions::ExtensionsRef, service_fn};
use rama_net::{address::Domain, dns::InMemoryDns, stream::RewindStream, stream::SocketInfo};
use rama_tcp::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
    server::TcpListener,
};
use rama_tls::{
    cert::CertificateAuthority,
    config::{ClientConfig, ClientServerName, ServerConfig, ServerVerification},
    rustls::{TlsAcceptorLayer, TlsConnectorLayer, TlsStream},
    types::{AlpnList, ApplicationProtocol, ProtocolVersion},
};
use std::{net::Ipv4Addr, net::SocketAddr, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);

/// An acceptor with a `localhost` leaf of a fresh CA, in front of an echo service that
/// first writes the ALPN it agreed on.
async fn serve(
    alpn: AlpnList,
) -> (
    CertificateAuthority,
    SocketAddr,
    tokio::task::JoinHandle<()>,
) {
    let ca = CertificateAuthority::generate("connector test CA").unwrap();
    let leaf = ca.issue(&["localhost", "127.0.0.1"]).unwrap();
    let layer = TlsAcceptorLayer::new(&ServerConfig::new(leaf.into()).with_alpn(alpn)).unwrap();
    let svc = layer.into_layer(service_fn(
        async |mut stream: TlsStream<RewindStream<TcpStream>>| {
            let alpn = stream.negotiated().and_then(|p| p.alpn.clone());
            let line = format!("{}\n", alpn.map_or("-".into(), |a| a.to_string()));
            stream.write_all(line.as_bytes()).await?;
            let (mut r, mut w) = tokio::io::split(stream);
            tokio::io::copy(&mut r, &mut w).await?;
            w.shutdown().await
        },
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (ca, addr, tokio::spawn(listener.serve(svc)))
}

fn tcp() -> TcpConnector<InMemoryDns> {
    TcpConnector::with_resolver(InMemoryDns::new().with_ips(
        Domain::from_static("localhost"),
        [Ipv4Addr::LOCALHOST.into()],
    ))
}

fn trusting(ca: &CertificateAuthority) -> ClientConfig {
    ClientConfig::new().with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap())
}

async fn first_line(stream: &mut TlsStream<TcpStream>) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while tokio::time::timeout(LIMIT, stream.read_exact(&mut byte))
        .await
        .unwrap()
        .is_ok()
        && byte[0] != b'\n'
    {
        line.push(byte[0]);
    }
    String::from_utf8(line).unwrap()
}

#[tokio::test]
async fn alpn_h2_is_negotiated_when_both_offer_it_and_data_round_trips() {
    let (ca, addr, server) = serve(AlpnList::h2_http11()).await;
    let connector = TlsConnectorLayer::new(&trusting(&ca).with_alpn(AlpnList::h2_http11()))
        .unwrap()
        .into_layer(tcp());
    let req = TcpRequest::new(format!("localhost:{}", addr.port()).parse().unwrap());
    let established = tokio::time::timeout(LIMIT, connector.serve(req))
        .await
        .unwrap()
        .unwrap();
    let mut conn = established.conn;
    let params = conn.negotiated().unwrap().clone();
    assert!(params.is_h2());
    assert_eq!(params.version, ProtocolVersion::TLS_V1_3);
    assert_eq!(params.server_name.as_deref(), Some("localhost"));
    assert_eq!(params.peer_certificates.len(), 1);
    // the TCP connection's facts travel on
    assert_eq!(
        conn.extensions().get::<SocketInfo>().unwrap().peer_addr(),
        addr
    );
    assert_eq!(established.input.authority.port(), addr.port());

    assert_eq!(first_line(&mut conn).await, "h2");
    conn.write_all(b"ping\n").await.unwrap();
    assert_eq!(first_line(&mut conn).await, "ping");
    server.abort();
}

#[tokio::test]
async fn alpn_falls_back_to_what_both_speak() {
    let (ca, addr, server) = serve(AlpnList::from_iter([ApplicationProtocol::HTTP_11])).await;
    let connector = TlsConnectorLayer::new(
        &trusting(&ca)
            .with_alpn(AlpnList::h2_http11())
            .with_max_version(ProtocolVersion::TLS_V1_2),
    )
    .unwrap()
    .into_layer(tcp());
    let req = TcpRequest::new(format!("127.0.0.1:{}", addr.port()).parse().unwrap());
    let mut conn = connector.serve(req).await.unwrap().conn;
    let params = conn.negotiated().unwrap().clone();
    assert_eq!(params.alpn, Some(ApplicationProtocol::HTTP_11));
    assert_eq!(params.version, ProtocolVersion::TLS_V1_2);
    assert_eq!(params.server_name.as_deref(), Some("127.0.0.1"));
    assert_eq!(first_line(&mut conn).await, "http/1.1");
    server.abort();
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_unless_insecure() {
    let (_ca, addr, server) = serve(AlpnList::new()).await;
    let target = format!("localhost:{}", addr.port());

    for config in [
        // the default: webpki roots, which do not know our CA
        ClientConfig::new(),
        // another CA
        trusting(&CertificateAuthority::generate("other CA").unwrap()),
    ] {
        let connector = TlsConnectorLayer::new(&config).unwrap().into_layer(tcp());
        let err = connector
            .serve(TcpRequest::new(target.parse().unwrap()))
            .await
            .unwrap_err();
        assert!(err.is_handshake(), "{err}");
        assert_eq!(err.to_string(), "TLS handshake failed with localhost");
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("UnknownIssuer"), "{cause}");
    }

    let insecure = TlsConnectorLayer::new(
        &ClientConfig::new().with_verification(ServerVerification::Insecure),
    )
    .unwrap()
    .into_layer(tcp());
    let mut conn = insecure
        .serve(TcpRequest::new(target.parse().unwrap()))
        .await
        .unwrap()
        .conn;
    assert_eq!(first_line(&mut conn).await, "-");
    server.abort();
}

#[tokio::test]
async fn server_name_override_and_wrong_names() {
    let (ca, addr, server) = serve(AlpnList::new()).await;
    // the target is an IP; the override makes the connector send and verify `localhost`
    let connector = TlsConnectorLayer::new(
        &trusting(&ca).with_server_name(ClientServerName::Override("localhost".parse().unwrap())),
    )
    .unwrap()
    .into_layer(tcp());
    let conn = connector
        .serve(TcpRequest::new(addr.into()))
        .await
        .unwrap()
        .conn;
    assert_eq!(
        conn.negotiated().unwrap().server_name.as_deref(),
        Some("localhost")
    );

    // a name the certificate was not issued for is refused
    let wrong = TlsConnectorLayer::new(
        &trusting(&ca).with_server_name(ClientServerName::Override("other.test".parse().unwrap())),
    )
    .unwrap()
    .into_layer(tcp());
    let err = wrong.serve(TcpRequest::new(addr.into())).await.unwrap_err();
    assert!(err.is_handshake(), "{err}");

    // nothing listens: the error is the inner connector's
    let closed = TlsConnectorLayer::new(&trusting(&ca))
        .unwrap()
        .into_layer(tcp());
    let err = closed
        .serve(TcpRequest::new("127.0.0.1:1".parse().unwrap()))
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
    server.abort();
}

#[tokio::test]
async fn unsupported_settings_are_refused_when_the_layer_is_built() {
    let err =
        TlsConnectorLayer::new(&ClientConfig::new().with_min_version(ProtocolVersion::TLS_V1_0))
            .unwrap_err();
    assert!(err.to_string().contains("TLSv1.0"), "{err}");
    let err = TlsAcceptorLayer::new(
        &ServerConfig::new(rama_tls::cert::self_signed(&["x.test"]).unwrap().into())
            .with_cipher_suites(vec![rama_tls::types::CipherSuite::from(0x000a)]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
    let err = TlsConnectorLayer::new(
        &ClientConfig::new()
            .with_signature_schemes(vec![rama_tls::types::SignatureScheme::from(0x0403)]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("signature schemes"), "{err}");
}

#[tokio::test]
async fn key_log_file_is_written_only_when_asked() {
    let (ca, addr, server) = serve(AlpnList::new()).await;
    let path = std::env::temp_dir().join(format!("rama-keylog-conn-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let req = || TcpRequest::new(format!("localhost:{}", addr.port()).parse().unwrap());

    let plain = TlsConnectorLayer::new(&trusting(&ca))
        .unwrap()
        .into_layer(tcp());
    plain.serve(req()).await.unwrap();
    assert!(!path.exists());

    let logged = TlsConnectorLayer::new(
        &trusting(&ca).with_key_log(rama_tls::config::KeyLog::File(path.clone())),
    )
    .unwrap()
    .into_layer(tcp());
    let mut conn = logged.serve(req()).await.unwrap().conn;
    assert_eq!(first_line(&mut conn).await, "-");
    let log = std::fs::read_to_string(&path).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
    ] {
        assert!(
            log.lines().any(|l| l.starts_with(label)),
            "{label} missing in {log}"
        );
    }
    std::fs::remove_file(&path).unwrap();
    server.abort();
}
