//! The ClientHello peek service over loopback, with real curl and `openssl s_client` as
//! clients: what they offer (SNI, ALPN, cipher suites, groups, versions) must be what the
//! parser reports, and the peeked bytes must be replayed unchanged.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::extensions::ExtensionsRef;
use rama_core::{Layer, Service, service_fn};
use rama_net::stream::RewindStream;
use rama_tcp::TcpStream;
use rama_test_support::{IO_TIMEOUT, KillOnDrop, tool_available};
use rama_tls::client_hello::{ClientHello, PeekClientHelloLayer};
use rama_tls::types::{CipherSuite, ExtensionId, ProtocolVersion, SupportedGroup};
use std::process::{Command, Stdio};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// Runs `program args` (with `PORT` replaced) against a peek server on 127.0.0.1 and returns
/// the ClientHello the server peeked, after checking the stream replays its bytes.
async fn capture(program: &str, args: &[&str]) -> ClientHello {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let svc = PeekClientHelloLayer::new().into_layer(service_fn(
        move |mut stream: RewindStream<TcpStream>| {
            let tx = tx.clone();
            async move {
                let hello = stream.extensions().get::<ClientHello>().cloned().unwrap();
                // the next reader sees exactly the records that were peeked
                let mut replay = vec![0u8; hello.raw_records().len()];
                stream.read_exact(&mut replay).await?;
                assert_eq!(replay, hello.raw_records().as_ref());
                tx.send(hello).unwrap();
                Ok::<_, std::io::Error>(())
            }
        },
    ));
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        svc.serve(TcpStream::new(socket)).await.unwrap();
    });

    let args: Vec<String> = args.iter().map(|a| a.replace("PORT", &port)).collect();
    let _client = KillOnDrop(
        Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let hello = tokio::time::timeout(IO_TIMEOUT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?}: no ClientHello in time"))
        .unwrap();
    tokio::time::timeout(IO_TIMEOUT, server)
        .await
        .unwrap()
        .unwrap();
    hello
}

fn alpn(hello: &ClientHello) -> Vec<String> {
    hello
        .alpn()
        .into_iter()
        .flatten()
        .map(ToString::to_string)
        .collect()
}

fn has(hello: &ClientHello, id: ExtensionId) -> bool {
    hello.extension(id).is_some()
}

/// Checks that holds for every modern client: key shares are for offered groups, TLS 1.3
/// suites come with supported_versions, no duplicate ids in lists.
fn check_consistency(hello: &ClientHello) {
    if let Some(shares) = hello.key_shares() {
        let groups = hello.supported_groups().unwrap();
        for share in shares {
            assert!(
                groups.contains(&share.group),
                "key share {} not offered",
                share.group
            );
        }
    }
    if hello.cipher_suites().iter().any(|c| c.is_tls13()) {
        assert!(
            hello
                .supported_versions()
                .unwrap()
                .contains(&ProtocolVersion::TLS_V1_3)
        );
    }
    let mut ids: Vec<u16> = hello.extension_ids().map(u16::from).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), hello.extensions().len());
}

#[tokio::test]
async fn curl_client_hellos() {
    if !tool_available("curl") {
        return;
    }
    let base = [
        "-sk",
        "--max-time",
        "5",
        "--resolve",
        "peek.test:PORT:127.0.0.1",
    ];
    let url = "https://peek.test:PORT/";

    // default: h2 and http/1.1 offered, TLS 1.3 with a key share
    let hello = capture("curl", &[&base[..], &[url]].concat()).await;
    assert_eq!(hello.server_name(), Some("peek.test"));
    assert_eq!(alpn(&hello), ["h2", "http/1.1"]);
    assert_eq!(hello.max_version(), ProtocolVersion::TLS_V1_3);
    assert!(
        hello
            .cipher_suites()
            .contains(&CipherSuite::TLS_AES_128_GCM_SHA256)
    );
    for id in [
        ExtensionId::SERVER_NAME,
        ExtensionId::APPLICATION_LAYER_PROTOCOL_NEGOTIATION,
        ExtensionId::SUPPORTED_VERSIONS,
        ExtensionId::SUPPORTED_GROUPS,
        ExtensionId::SIGNATURE_ALGORITHMS,
        ExtensionId::KEY_SHARE,
    ] {
        assert!(has(&hello, id), "curl sends {id}");
    }
    check_consistency(&hello);

    // --http1.1: only http/1.1
    let hello = capture("curl", &[&base[..], &["--http1.1", url]].concat()).await;
    assert_eq!(alpn(&hello), ["http/1.1"]);

    // exactly the suites asked for, in order (OpenSSL appends the renegotiation SCSV)
    let hello = capture(
        "curl",
        &[
            &base[..],
            &[
                "--tls13-ciphers",
                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
                "--ciphers",
                "ECDHE-RSA-AES128-GCM-SHA256",
                url,
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(
        hello.cipher_suites(),
        [
            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ]
    );

    // TLS 1.2 at most: no supported_versions, no key share
    let hello = capture("curl", &[&base[..], &["--tls-max", "1.2", url]].concat()).await;
    assert_eq!(hello.max_version(), ProtocolVersion::TLS_V1_2);
    assert!(hello.supported_versions().is_none());
    assert!(hello.key_shares().is_none());
    assert!(hello.cipher_suites().iter().all(|c| !c.is_tls13()));
}

#[tokio::test]
async fn openssl_client_hellos() {
    if !tool_available("openssl") {
        return;
    }
    let connect = ["s_client", "-connect", "127.0.0.1:PORT"];

    let hello = capture(
        "openssl",
        &[
            &connect[..],
            &[
                "-servername",
                "X.Example.Test",
                "-alpn",
                "foo,h2",
                "-groups",
                "P-256:X25519",
                "-ciphersuites",
                "TLS_AES_256_GCM_SHA384",
                "-sigalgs",
                "ECDSA+SHA256:RSA-PSS+SHA256",
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(hello.server_name(), Some("X.Example.Test"));
    assert_eq!(alpn(&hello), ["foo", "h2"]);
    assert_eq!(
        hello.supported_groups(),
        Some(&[SupportedGroup::SECP256R1, SupportedGroup::X25519][..])
    );
    assert_eq!(
        hello.key_shares().unwrap()[0].group,
        SupportedGroup::SECP256R1
    );
    assert_eq!(hello.key_shares().unwrap()[0].key_len, 65);
    assert_eq!(
        hello.cipher_suites()[0],
        CipherSuite::TLS_AES_256_GCM_SHA384
    );
    assert!(!hello.cipher_suites()[1].is_tls13());
    assert_eq!(
        hello
            .signature_algorithms()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"]
    );
    check_consistency(&hello);

    // without SNI
    let hello = capture("openssl", &[&connect[..], &["-noservername"]].concat()).await;
    assert_eq!(hello.server_name(), None);
    assert!(!has(&hello, ExtensionId::SERVER_NAME));
    check_consistency(&hello);
}
