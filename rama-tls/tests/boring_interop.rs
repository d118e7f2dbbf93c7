//! The BoringSSL connector and acceptor against the rustls ones (both directions) over
//! loopback: ALPN, versions, server names, verification, insecure, and mTLS refused/served.
#![cfg(all(feature = "boring", feature = "rustls"))]
// (`rustls` too: the peer backend, and the test certificates come from rcgen)
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
    boring,
    cert::CertificateAuthority,
    config::{ClientAuth, ClientConfig, ClientServerName, ServerConfig, ServerVerification},
    negotiated::NegotiatedTlsParameters,
    rustls,
    types::{AlpnList, ApplicationProtocol, ProtocolVersion},
};
use std::{net::Ipv4Addr, net::SocketAddr, sync::Arc, time::Duration};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);

/// The echo behind either acceptor: one line with the agreed ALPN and the number of client
/// certificates, then an echo of everything.
async fn echo<S>(mut stream: S, params: NegotiatedTlsParameters) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let line = format!(
        "{} {}\n",
        params.alpn.map_or("-".into(), |a| a.to_string()),
        params.peer_certificates.len()
    );
    stream.write_all(line.as_bytes()).await?;
    let (mut r, mut w) = tokio::io::split(stream);
    tokio::io::copy(&mut r, &mut w).await?;
    w.shutdown().await
}

struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

async fn serve_boring(config: &ServerConfig) -> Server {
    let layer = boring::TlsAcceptorLayer::new(config).unwrap();
    let svc = layer.into_layer(service_fn(
        async |stream: boring::TlsStream<RewindStream<TcpStream>>| {
            let params = stream.negotiated().cloned().unwrap();
            echo(stream, params).await
        },
    ));
    let (listener, addr) = listen().await;
    Server {
        addr,
        task: tokio::spawn(listener.serve(svc)),
    }
}

async fn serve_rustls(config: &ServerConfig) -> Server {
    let layer = rustls::TlsAcceptorLayer::new(config).unwrap();
    let svc = layer.into_layer(service_fn(
        async |stream: rustls::TlsStream<RewindStream<TcpStream>>| {
            let params = stream.negotiated().cloned().unwrap();
            echo(stream, params).await
        },
    ));
    let (listener, addr) = listen().await;
    Server {
        addr,
        task: tokio::spawn(listener.serve(svc)),
    }
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

fn server_config(ca: &CertificateAuthority) -> ServerConfig {
    ServerConfig::new(ca.issue(&["localhost", "127.0.0.1"]).unwrap().into())
}

async fn line<S: AsyncRead + Unpin>(stream: &mut S) -> String {
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

/// Connects with the boring connector and returns the first line and the parameters.
async fn boring_client(
    config: &ClientConfig,
    target: &str,
) -> Result<(String, NegotiatedTlsParameters), boring::TlsError> {
    let connector = boring::TlsConnectorLayer::new(config)
        .unwrap()
        .into_layer(tcp());
    let established = tokio::time::timeout(
        LIMIT,
        connector.serve(TcpRequest::new(target.parse().unwrap())),
    )
    .await
    .unwrap()?;
    let mut conn = established.conn;
    assert!(conn.extensions().get::<SocketInfo>().is_some());
    let params = conn.negotiated().cloned().unwrap();
    let first = line(&mut conn).await;
    conn.write_all(b"ping\n").await.unwrap();
    assert_eq!(line(&mut conn).await, "ping");
    Ok((first, params))
}

/// Whether the server refused the boring client: a failed handshake, or (TLS 1.3, where the
/// client finishes before the server checks its certificate) a connection closed before the
/// server's first line.
async fn refused(config: &ClientConfig, target: &str) -> bool {
    let connector = boring::TlsConnectorLayer::new(config)
        .unwrap()
        .into_layer(tcp());
    let conn = tokio::time::timeout(
        LIMIT,
        connector.serve(TcpRequest::new(target.parse().unwrap())),
    )
    .await
    .unwrap();
    match conn {
        Err(err) => {
            assert!(err.is_handshake(), "{err}");
            true
        }
        Ok(established) => {
            let mut conn = established.conn;
            line(&mut conn).await.is_empty()
        }
    }
}

#[tokio::test]
async fn boring_connector_against_rustls_acceptor() {
    let ca = CertificateAuthority::generate("interop CA 1").unwrap();
    let server = serve_rustls(&server_config(&ca).with_alpn(AlpnList::h2_http11())).await;
    let port = server.addr.port();

    let (first, params) = boring_client(
        &trusting(&ca).with_alpn(AlpnList::h2_http11()),
        &format!("localhost:{port}"),
    )
    .await
    .unwrap();
    assert_eq!(first, "h2 0");
    assert!(params.is_h2());
    assert_eq!(params.version, ProtocolVersion::TLS_V1_3);
    assert!(params.cipher_suite.is_tls13());
    assert!(params.key_exchange_group.is_some());
    assert_eq!(params.server_name.as_deref(), Some("localhost"));
    assert_eq!(params.peer_certificates.len(), 1);

    // TLS 1.2 by IP, http/1.1 only
    let (first, params) = boring_client(
        &trusting(&ca)
            .with_alpn(AlpnList::from_iter([ApplicationProtocol::HTTP_11]))
            .with_max_version(ProtocolVersion::TLS_V1_2),
        &format!("127.0.0.1:{port}"),
    )
    .await
    .unwrap();
    assert_eq!(first, "http/1.1 0");
    assert_eq!(params.version, ProtocolVersion::TLS_V1_2);
    assert!(!params.cipher_suite.is_tls13());

    // untrusted, wrong name: refused; insecure: served
    let other = CertificateAuthority::generate("other CA").unwrap();
    let err = boring_client(&trusting(&other), &format!("localhost:{port}"))
        .await
        .unwrap_err();
    assert!(err.is_handshake(), "{err}");
    let wrong =
        trusting(&ca).with_server_name(ClientServerName::Override("other.test".parse().unwrap()));
    let err = boring_client(&wrong, &format!("127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert!(err.is_handshake(), "{err}");
    let (first, _) = boring_client(
        &ClientConfig::new().with_verification(ServerVerification::Insecure),
        &format!("localhost:{port}"),
    )
    .await
    .unwrap();
    assert_eq!(first, "- 0");

    // nothing listens: the inner connector's error
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = boring_client(&trusting(&ca), &format!("localhost:{port}"))
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
}

#[tokio::test]
async fn rustls_connector_against_boring_acceptor() {
    let ca = CertificateAuthority::generate("interop CA 2").unwrap();
    let server = serve_boring(&server_config(&ca).with_alpn(AlpnList::h2_http11())).await;
    let port = server.addr.port();
    for (alpn, max, want_alpn, want_version) in [
        (AlpnList::h2_http11(), None, "h2", ProtocolVersion::TLS_V1_3),
        (
            AlpnList::from_iter([ApplicationProtocol::HTTP_11]),
            Some(ProtocolVersion::TLS_V1_2),
            "http/1.1",
            ProtocolVersion::TLS_V1_2,
        ),
    ] {
        let mut config = trusting(&ca).with_alpn(alpn);
        if let Some(max) = max {
            config = config.with_max_version(max);
        }
        let connector = rustls::TlsConnectorLayer::new(&config)
            .unwrap()
            .into_layer(tcp());
        let req = TcpRequest::new(format!("localhost:{port}").parse().unwrap());
        let mut conn = tokio::time::timeout(LIMIT, connector.serve(req))
            .await
            .unwrap()
            .unwrap()
            .conn;
        assert_eq!(conn.negotiated().unwrap().version, want_version);
        assert_eq!(line(&mut conn).await, format!("{want_alpn} 0"));
        conn.write_all(b"pong\n").await.unwrap();
        assert_eq!(line(&mut conn).await, "pong");
    }
}

#[tokio::test]
async fn mtls_on_the_boring_acceptor_refuses_without_and_serves_with_a_certificate() {
    let server_ca = CertificateAuthority::generate("mtls server CA").unwrap();
    let client_ca = CertificateAuthority::generate("mtls client CA").unwrap();
    let server = serve_boring(
        &server_config(&server_ca)
            .with_client_auth(ClientAuth::required_pem(&client_ca.cert_pem()).unwrap()),
    )
    .await;
    let target = format!("localhost:{}", server.addr.port());
    let client_cert = Arc::new(client_ca.issue(&["client.test"]).unwrap());
    let stranger = Arc::new(
        CertificateAuthority::generate("stranger CA")
            .unwrap()
            .issue(&["client.test"])
            .unwrap(),
    );

    // boring client with a certificate of the client CA: served, the server sees it
    let (first, _) = boring_client(
        &trusting(&server_ca).with_client_cert(client_cert.clone()),
        &target,
    )
    .await
    .unwrap();
    assert_eq!(first, "- 1");

    // rustls client with one: served too
    let connector =
        rustls::TlsConnectorLayer::new(&trusting(&server_ca).with_client_cert(client_cert.clone()))
            .unwrap()
            .into_layer(tcp());
    let mut conn = connector
        .serve(TcpRequest::new(target.parse().unwrap()))
        .await
        .unwrap()
        .conn;
    assert_eq!(line(&mut conn).await, "- 1");

    // without a certificate, or with one of another CA: refused (in TLS 1.3 the client may
    // learn it only at its first read, so a failed handshake or an empty first line)
    for config in [
        trusting(&server_ca),
        trusting(&server_ca).with_client_cert(stranger.clone()),
    ] {
        assert!(refused(&config, &target).await);
    }
}

#[tokio::test]
async fn mtls_boring_client_certificate_on_the_rustls_acceptor() {
    let server_ca = CertificateAuthority::generate("mtls server CA 2").unwrap();
    let client_ca = CertificateAuthority::generate("mtls client CA 2").unwrap();
    let server = serve_rustls(
        &server_config(&server_ca)
            .with_client_auth(ClientAuth::required_pem(&client_ca.cert_pem()).unwrap()),
    )
    .await;
    let target = format!("localhost:{}", server.addr.port());
    let (first, _) = boring_client(
        &trusting(&server_ca)
            .with_client_cert(Arc::new(client_ca.issue(&["client.test"]).unwrap())),
        &target,
    )
    .await
    .unwrap();
    assert_eq!(first, "- 1");
}

#[test]
fn bad_configs_are_refused_when_the_layer_is_built() {
    use rama_tls::types::{CipherSuite, SupportedGroup};
    let ca = CertificateAuthority::generate("bad config CA").unwrap();
    let good = server_config(&ca);
    assert!(boring::TlsAcceptorLayer::new(&good).is_ok());
    for bad in [
        good.clone().with_groups(vec![SupportedGroup::from(0x0100)]),
        good.clone()
            .with_cipher_suites(vec![CipherSuite::from(0x0005)]),
        good.clone().with_min_version(ProtocolVersion::from(0x0300)),
        good.clone()
            .with_min_version(ProtocolVersion::TLS_V1_3)
            .with_max_version(ProtocolVersion::TLS_V1_2),
        good.clone()
            .with_client_auth(ClientAuth::Required { roots: Vec::new() }),
    ] {
        assert!(boring::TlsAcceptorLayer::new(&bad).is_err(), "{bad:?}");
    }
    // a key that does not belong to the certificate
    let a = ca.issue(&["a.test"]).unwrap();
    let b = ca.issue(&["b.test"]).unwrap();
    let mismatched = rama_tls::config::CertifiedKey::from_pem(&a.cert_pem(), &b.key_pem()).unwrap();
    let err = boring::TlsAcceptorLayer::new(&ServerConfig::new(mismatched.into())).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(
        boring::TlsConnectorLayer::new(
            &ClientConfig::new().with_verification(ServerVerification::Custom(Vec::new()))
        )
        .is_err()
    );
}

#[tokio::test]
async fn key_log_file_gets_the_secrets_of_each_handshake() {
    let ca = CertificateAuthority::generate("key log CA").unwrap();
    let server = serve_rustls(&server_config(&ca)).await;
    let path = std::env::temp_dir().join(format!("rama-boring-keylog-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = trusting(&ca).with_key_log(rama_tls::config::KeyLog::File(path.clone()));
    let target = format!("localhost:{}", server.addr.port());
    boring_client(&config, &target).await.unwrap();
    let log = std::fs::read_to_string(&path).unwrap();
    let labels: Vec<&str> = log.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(labels.contains(&"CLIENT_HANDSHAKE_TRAFFIC_SECRET"), "{log}");
    assert!(labels.contains(&"CLIENT_TRAFFIC_SECRET_0"), "{log}");
    // label, 32-byte client random, secret: hex
    let first: Vec<&str> = log.lines().next().unwrap().split(' ').collect();
    assert_eq!(first.len(), 3);
    assert_eq!(first[1].len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn version_floors_and_ceilings_meet_or_refuse() {
    let ca = CertificateAuthority::generate("versions CA").unwrap();
    let server =
        serve_boring(&server_config(&ca).with_min_version(ProtocolVersion::TLS_V1_3)).await;
    let target = format!("localhost:{}", server.addr.port());
    let err = boring_client(
        &trusting(&ca).with_max_version(ProtocolVersion::TLS_V1_2),
        &target,
    )
    .await
    .unwrap_err();
    assert!(err.is_handshake(), "{err}");
    let (_, params) = boring_client(&trusting(&ca), &target).await.unwrap();
    assert_eq!(params.version, ProtocolVersion::TLS_V1_3);
}
