use super::*;
use rama_net::address::Authority;
use rustls_pki_types::PrivateKeyDer;
use std::sync::Arc;

#[test]
fn base64_padding_table() {
    // RFC 4648 section 10 test vectors
    for (input, b64) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        let pem = pem_encode("X", input.as_bytes());
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(body, b64, "{input:?}");
    }
}

#[test]
fn pem_round_trips() {
    let der: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let pem = pem_encode("CERTIFICATE", &der);
    assert!(pem.lines().all(|l| l.len() <= 64));
    let parsed = certs_from_pem(&pem).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].as_ref(), der.as_slice());
    let two = format!("{pem}{}", pem_encode("CERTIFICATE", b"xyz"));
    assert_eq!(certs_from_pem(&two).unwrap().len(), 2);
}

#[test]
fn bad_pem_is_refused() {
    for pem in [
        "",
        "junk",
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        assert!(certs_from_pem(pem).is_err(), "{pem:?}");
        assert!(ServerVerification::custom_pem(pem).is_err());
        assert!(ClientAuth::required_pem(pem).is_err());
    }
    let cert = pem_encode("CERTIFICATE", b"abc");
    let err = CertifiedKey::from_pem(&cert, "no key").unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    assert!(CertifiedKey::new(Vec::new(), PrivateKeyDer::Pkcs8(vec![1].into())).is_err());
    let err = CertifiedKey::from_pem_files("/nonexistent/c.pem", "/nonexistent/k.pem").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/c.pem"), "{err}");
}

#[test]
fn key_pem_label_follows_the_encoding() {
    let key_pem = pem_encode("EC PRIVATE KEY", b"sec1");
    let key = CertifiedKey::from_pem(&pem_encode("CERTIFICATE", b"c"), &key_pem).unwrap();
    assert!(matches!(key.key_der(), PrivateKeyDer::Sec1(_)));
    assert_eq!(key.key_pem(), key_pem);
    assert!(!format!("{key:?}").contains("sec1"));
}

#[test]
fn backend_material_is_made_once() {
    let key = CertifiedKey::from_pem(
        &pem_encode("CERTIFICATE", b"c"),
        &pem_encode("PRIVATE KEY", b"k"),
    )
    .unwrap();
    let mut calls = 0;
    let a = key
        .backend_material(|_| {
            calls += 1;
            Ok::<_, ()>(7u32)
        })
        .unwrap();
    let b = key.backend_material(|_| Ok::<_, ()>(8u32)).unwrap();
    assert_eq!((*a, *b, calls), (7, 7, 1));
    // another type is made, not kept
    let s = key.backend_material(|_| Ok::<_, ()>("x")).unwrap();
    assert_eq!(*s, "x");
    assert!(key.backend_material(|_| Err::<u8, _>("fails")).is_err());
}

#[test]
fn sni_map_table() {
    let k = |tag: &str| {
        Arc::new(
            CertifiedKey::from_pem(
                &pem_encode("CERTIFICATE", tag.as_bytes()),
                &pem_encode("PRIVATE KEY", b"k"),
            )
            .unwrap(),
        )
    };
    let map = SniCertMap::new()
        .with_cert("a.test", k("a"))
        .with_cert("*.w.test", k("w"))
        .with_cert("x.w.test", k("xw"));
    let tag = |name: Option<&str>| {
        map.get(name)
            .map(|c| String::from_utf8(c.cert_der().to_vec()).unwrap())
    };
    for (name, want) in [
        (Some("a.test"), Some("a")),
        (Some("A.TEST."), Some("a")),
        (Some("b.w.test"), Some("w")),
        (Some("x.w.test"), Some("xw")),
        (Some("deep.b.w.test"), None),
        (Some("w.test"), None),
        (None, None),
    ] {
        assert_eq!(tag(name).as_deref(), want, "{name:?}");
    }
    let with_default = map.clone().with_default(k("d"));
    assert_eq!(
        with_default.get(Some("zzz")).map(|c| c.cert_der().len()),
        Some(1)
    );
    assert_eq!(with_default.len(), 3);
}

#[test]
fn targets() {
    let authority: Authority = "example.com:443".parse().unwrap();
    assert_eq!(
        authority.tls_target_host().unwrap().to_string(),
        "example.com"
    );
    let req = rama_net::client::ConnectRequest::new("127.0.0.1:8443".parse().unwrap());
    assert_eq!(req.tls_target_host().unwrap().to_string(), "127.0.0.1");
}

#[test]
fn defaults_are_safe() {
    let client = ClientConfig::new();
    assert!(matches!(
        client.verification,
        ServerVerification::WebPkiRoots
    ));
    assert_eq!(client.key_log, KeyLog::Disabled);
    assert_eq!(client.handshake_timeout, Some(DEFAULT_HANDSHAKE_TIMEOUT));
    assert_eq!(client.server_name, ClientServerName::FromTarget);
    let server = ServerConfig::new(SniCertMap::new().into());
    assert!(!server.store_client_hello);
    assert!(matches!(server.client_auth, ClientAuth::None));
}
