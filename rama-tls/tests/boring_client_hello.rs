//! The ClientHello the BoringSSL connector sends, captured on a loopback listener by
//! rama-tls's own parser (`peek_client_hello`): the configured cipher order, groups order,
//! signature schemes, ALPN, GREASE, extension permutation, OCSP/SCT requests and
//! certificate compression appear as configured.
#![cfg(feature = "boring")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, Service, service_fn};
use rama_net::{address::Authority, client::EstablishedClientConnection};
use rama_tls::{
    boring::{BoringClientExt, CertCompression, TlsConnectorLayer},
    client_hello::{ClientHello, PeekClientHelloConfig, peek_client_hello},
    config::{ClientConfig, ClientServerName, ServerVerification},
    types::{
        AlpnList, ApplicationProtocol, CertificateCompressionAlgorithm, CipherSuite, ExtensionId,
        SignatureScheme, SupportedGroup,
    },
};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Connects the boring connector built from `config` and `ext` to a loopback listener that
/// only peeks the ClientHello, and returns it.
async fn capture(config: &ClientConfig, ext: &BoringClientExt) -> ClientHello {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let peeked = peek_client_hello(
            rama_tcp::TcpStream::new(socket),
            &PeekClientHelloConfig::new().with_timeout(LIMIT),
        )
        .await;
        peeked.client_hello.unwrap()
        // the stream drops here: the client's handshake fails, which is fine
    });
    let dial = service_fn(async |target: Authority| {
        let ip = target.host().as_ip().unwrap();
        let conn = rama_tcp::TcpStream::connect((ip, target.port()).into()).await?;
        Ok::<_, rama_core::error::BoxError>(EstablishedClientConnection::new(conn, target))
    });
    let connector = TlsConnectorLayer::with_ext(config, ext)
        .unwrap()
        .into_layer(dial);
    let target: Authority = addr.to_string().parse().unwrap();
    let attempt = tokio::time::timeout(LIMIT, connector.serve(target))
        .await
        .unwrap();
    assert!(attempt.is_err(), "the peek server never answers");
    tokio::time::timeout(LIMIT, server).await.unwrap().unwrap()
}

fn base() -> ClientConfig {
    ClientConfig::new()
        .with_verification(ServerVerification::Insecure)
        .with_alpn(AlpnList::from_iter([
            ApplicationProtocol::HTTP_11,
            ApplicationProtocol::H2,
        ]))
        .with_cipher_suites(vec![
            CipherSuite::from(0xcca8), // ECDHE-RSA-CHACHA20-POLY1305
            CipherSuite::from(0xc02f), // ECDHE-RSA-AES128-GCM-SHA256
            CipherSuite::from(0xc02b), // ECDHE-ECDSA-AES128-GCM-SHA256
        ])
        .with_groups(vec![
            SupportedGroup::from(0x0017),
            SupportedGroup::from(0x001d),
        ])
        .with_signature_schemes(vec![
            SignatureScheme::from(0x0804), // rsa_pss_rsae_sha256
            SignatureScheme::from(0x0403), // ecdsa_secp256r1_sha256
        ])
}

fn non_grease<T: Copy>(items: &[T], is_grease: impl Fn(T) -> bool) -> Vec<T> {
    items.iter().copied().filter(|i| !is_grease(*i)).collect()
}

#[tokio::test]
async fn configured_order_alpn_and_no_grease_by_default() {
    let hello = capture(&base(), &BoringClientExt::new()).await;
    // TLS 1.3 suites first (BoringSSL's fixed set), then ours in our order
    let tls12: Vec<u16> = hello
        .cipher_suites()
        .iter()
        .filter(|s| !s.is_tls13())
        .map(|s| s.value())
        .filter(|v| *v != 0x00ff) // the renegotiation SCSV, when sent
        .collect();
    assert_eq!(tls12, [0xcca8, 0xc02f, 0xc02b]);
    let groups: Vec<u16> = hello
        .supported_groups()
        .unwrap()
        .iter()
        .map(|g| g.value())
        .collect();
    assert_eq!(groups, [0x0017, 0x001d]);
    let schemes: Vec<u16> = hello
        .signature_algorithms()
        .unwrap()
        .iter()
        .map(|s| s.value())
        .collect();
    assert_eq!(schemes, [0x0804, 0x0403]);
    let alpn: Vec<String> = hello
        .alpn()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(alpn, ["http/1.1", "h2"]);
    assert!(hello.cipher_suites().iter().all(|s| !s.is_grease()));
    assert!(hello.extension_ids().all(|id| !id.is_grease()));
    // an IP target: no SNI; nothing asked for: no OCSP, SCT or compression
    assert_eq!(hello.server_name(), None);
    for id in [
        ExtensionId::STATUS_REQUEST,
        ExtensionId::SIGNED_CERTIFICATE_TIMESTAMP,
        ExtensionId::COMPRESS_CERTIFICATE,
    ] {
        assert!(hello.extension(id).is_none(), "{id}");
    }
    assert!(hello.application_settings().is_none());
}

#[tokio::test]
async fn browser_knobs_show_in_the_client_hello() {
    let ext = BoringClientExt::new()
        .with_grease(true)
        .with_permute_extensions(true)
        .with_ocsp_stapling(true)
        .with_signed_cert_timestamps(true)
        .with_cert_compression(vec![CertCompression::Brotli, CertCompression::Zlib])
        .with_alps(AlpnList::from_iter([ApplicationProtocol::H2]), true);
    let first = capture(&base(), &ext).await;
    let second = capture(&base(), &ext).await;
    for hello in [&first, &second] {
        // GREASE: first cipher suite, a group, an extension
        assert!(
            hello.cipher_suites()[0].is_grease(),
            "{:?}",
            hello.cipher_suites()
        );
        assert!(hello.supported_groups().unwrap()[0].is_grease());
        assert!(hello.extension_ids().any(|id| id.is_grease()));
        // and around the GREASE, the configured order stays
        let groups = non_grease(hello.supported_groups().unwrap(), SupportedGroup::is_grease);
        assert_eq!(
            groups,
            [SupportedGroup::from(0x0017), SupportedGroup::from(0x001d)]
        );
        let alpn: Vec<String> = hello
            .alpn()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(alpn, ["http/1.1", "h2"]);
        assert!(hello.status_request().is_some());
        assert!(
            hello
                .extension(ExtensionId::SIGNED_CERTIFICATE_TIMESTAMP)
                .is_some()
        );
        let alps: Vec<String> = hello
            .application_settings()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(alps, ["h2"]);
        assert!(hello.extension(ExtensionId::APPLICATION_SETTINGS).is_some());
        assert_eq!(
            hello.certificate_compression_algorithms().unwrap(),
            [
                CertificateCompressionAlgorithm::BROTLI,
                CertificateCompressionAlgorithm::ZLIB
            ]
        );
    }
    // permutation: the same extensions, in another order (15+ extensions: a repeat of the
    // same order by chance is vanishingly unlikely)
    let ids = |h: &ClientHello| {
        h.extension_ids()
            .filter(|id| !id.is_grease())
            .collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert!(a.len() >= 10, "{a:?}");
    let (mut sa, mut sb) = (a.clone(), b.clone());
    sa.sort();
    sb.sort();
    assert_eq!(sa, sb);
    assert_ne!(a, b, "extension order not permuted");
}

#[tokio::test]
async fn sni_override_is_sent_and_no_sni_sends_none() {
    let named = base().with_server_name(ClientServerName::Override("named.test".parse().unwrap()));
    let hello = capture(&named, &BoringClientExt::new()).await;
    assert_eq!(hello.server_name(), Some("named.test"));
    let hello = capture(
        &base().with_server_name(ClientServerName::NoSni),
        &BoringClientExt::new(),
    )
    .await;
    assert_eq!(hello.server_name(), None);
    assert!(hello.extension(ExtensionId::SERVER_NAME).is_none());
}

#[tokio::test]
async fn alps_under_the_old_codepoint() {
    let ext =
        BoringClientExt::new().with_alps(AlpnList::from_iter([ApplicationProtocol::H2]), false);
    let hello = capture(&base(), &ext).await;
    assert!(
        hello
            .extension(ExtensionId::APPLICATION_SETTINGS_OLD)
            .is_some()
    );
    assert!(hello.extension(ExtensionId::APPLICATION_SETTINGS).is_none());
    assert_eq!(hello.application_settings().unwrap().len(), 1);
}

#[test]
fn bad_knobs_are_refused_when_the_layer_is_built() {
    // ALPS for a protocol that ALPN does not offer
    let ext =
        BoringClientExt::new().with_alps(AlpnList::from_iter([ApplicationProtocol::H3]), true);
    let err = TlsConnectorLayer::with_ext(&base(), &ext).unwrap_err();
    assert!(err.to_string().contains("ALPS for h3"), "{err}");

    let ext = BoringClientExt::new()
        .with_cert_compression(vec![CertCompression::Zlib, CertCompression::Zlib]);
    assert!(TlsConnectorLayer::with_ext(&ClientConfig::new(), &ext).is_err());
    let raw = BoringClientExt::new().with_cipher_list("NOT-A-CIPHER");
    assert!(TlsConnectorLayer::with_ext(&ClientConfig::new(), &raw).is_err());
}
