//! Acceptance: 1,000 TLS handshakes over 50 server names against an acceptor whose
//! certificates come from a `DynamicIssuer` mint exactly 50 certificates, and each one
//! verifies against the CA for its name.
#![cfg(feature = "rustls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, Service, service_fn};
use rama_net::{address::Domain, dns::InMemoryDns, stream::RewindStream};
use rama_tcp::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
    server::TcpListener,
};
use rama_tls::{
    cert::{CertificateAuthority, DynamicIssuer},
    config::{ClientConfig, ServerCertSource, ServerConfig, ServerVerification},
    rustls::{TlsAcceptorLayer, TlsConnectorLayer, TlsStream},
};
use rustls::{
    client::{WebPkiServerVerifier, danger::ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use std::{
    collections::HashMap,
    net::Ipv4Addr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAMES: usize = 50;
const HANDSHAKES: usize = 1000;
const CONCURRENCY: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_handshakes_over_fifty_names_mint_fifty_certificates() {
    let ca = Arc::new(CertificateAuthority::generate("dynamic issuer acceptance CA").unwrap());
    let issuer = Arc::new(DynamicIssuer::new(ca.clone()));
    let config = ServerConfig::new(ServerCertSource::resolver(issuer.clone()));
    let svc = TlsAcceptorLayer::new(&config)
        .unwrap()
        .into_layer(service_fn(
            async |mut stream: TlsStream<RewindStream<TcpStream>>| {
                stream.write_all(b"ok").await?;
                stream.shutdown().await
            },
        ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(listener.serve(svc));

    let names: Vec<String> = (0..NAMES).map(|i| format!("site{i}.dyn.test")).collect();
    let mut dns = InMemoryDns::new();
    for name in &names {
        dns.insert(
            name.parse::<Domain>().unwrap(),
            [Ipv4Addr::LOCALHOST.into()],
        );
    }
    let connector = Arc::new(
        TlsConnectorLayer::new(
            &ClientConfig::new()
                .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap()),
        )
        .unwrap()
        .into_layer(TcpConnector::with_resolver(dns)),
    );

    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let connector = connector.clone();
        let names = names.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for i in (worker..HANDSHAKES).step_by(CONCURRENCY) {
                let name = &names[i % NAMES];
                let req = TcpRequest::new(format!("{name}:{port}").parse().unwrap());
                let mut conn = connector.serve(req).await.unwrap().conn;
                let leaf = conn
                    .negotiated()
                    .unwrap()
                    .peer_certificate()
                    .unwrap()
                    .clone();
                let mut reply = Vec::new();
                conn.read_to_end(&mut reply).await.unwrap();
                assert_eq!(reply, b"ok");
                seen.push((name.clone(), leaf));
            }
            seen
        }));
    }
    let mut leaves: HashMap<String, Vec<CertificateDer<'static>>> = HashMap::new();
    let mut handshakes = 0;
    for task in tasks {
        let seen = tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("handshakes took longer than 2 minutes")
            .unwrap();
        for (name, leaf) in seen {
            handshakes += 1;
            leaves.entry(name).or_default().push(leaf);
        }
    }
    let elapsed = started.elapsed();
    server.abort();

    assert_eq!(handshakes, HANDSHAKES);
    assert_eq!(issuer.minted(), NAMES as u64);
    assert_eq!(leaves.len(), NAMES);

    let verifier = WebPkiServerVerifier::builder_with_provider(
        Arc::new(ca.root_store().unwrap()),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .unwrap();
    let mut distinct = std::collections::HashSet::new();
    for (name, certs) in &leaves {
        // every handshake for a name got the same leaf
        assert!(
            certs.iter().all(|c| c == &certs[0]),
            "{name} got several leaves"
        );
        distinct.insert(certs[0].clone());
        let server_name = ServerName::try_from(name.clone()).unwrap();
        verifier
            .verify_server_cert(&certs[0], &[], &server_name, &[], UnixTime::now())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // and not for another name
        let other = ServerName::try_from("other.dyn.test").unwrap();
        assert!(
            verifier
                .verify_server_cert(&certs[0], &[], &other, &[], UnixTime::now())
                .is_err()
        );
    }
    assert_eq!(distinct.len(), NAMES);
    eprintln!(
        "{HANDSHAKES} handshakes over {NAMES} names in {elapsed:?} ({:.0}/s), {} certificates minted",
        HANDSHAKES as f64 / elapsed.as_secs_f64(),
        issuer.minted()
    );
}
