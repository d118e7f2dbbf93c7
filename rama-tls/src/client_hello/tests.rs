//! Table-driven tests of the parser: real captures (curl and `openssl s_client` over
//! loopback, in `fixtures/`) and crafted bad input.

use super::*;
use crate::types::{
    ApplicationProtocol, CipherSuite, CompressionMethod, ExtensionId, ProtocolVersion,
    PskKeyExchangeMode, SupportedGroup,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/src/client_hello/fixtures/{name}.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

const FIXTURES: [&str; 6] = [
    "curl_default",
    "curl_http11",
    "openssl_servername",
    "openssl_tls12",
    "openssl_no_sni",
    "openssl_ffdhe",
];

/// Builds a ClientHello handshake message (header included) with the given extensions.
fn handshake(extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([0x42; 32]);
    body.push(32);
    body.extend([0x11; 32]);
    body.extend([0x00, 0x06, 0x4a, 0x4a, 0x13, 0x01, 0x13, 0x02]);
    body.extend([0x01, 0x00]);
    let mut block = Vec::new();
    for (id, data) in extensions {
        block.extend(id.to_be_bytes());
        block.extend(u16::try_from(data.len()).unwrap().to_be_bytes());
        block.extend(data);
    }
    body.extend(u16::try_from(block.len()).unwrap().to_be_bytes());
    body.extend(block);
    let mut msg = vec![0x01];
    msg.extend(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    msg.extend(body);
    msg
}

/// Frames a handshake message into records of at most `fragment` bytes.
fn records(handshake: &[u8], fragment: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in handshake.chunks(fragment) {
        out.extend([0x16, 0x03, 0x01]);
        out.extend(u16::try_from(chunk.len()).unwrap().to_be_bytes());
        out.extend(chunk);
    }
    out
}

/// The handshake message of a record-framed input (single or multi record).
fn unframe(input: &[u8]) -> Vec<u8> {
    ClientHello::parse(input)
        .unwrap()
        .handshake_message()
        .to_vec()
}

fn sni(name: &str) -> (u16, Vec<u8>) {
    let mut entry = vec![0x00];
    entry.extend(u16::try_from(name.len()).unwrap().to_be_bytes());
    entry.extend(name.as_bytes());
    let mut data = u16::try_from(entry.len()).unwrap().to_be_bytes().to_vec();
    data.extend(entry);
    (0, data)
}

#[test]
fn real_captures() {
    // (fixture, SNI, ALPN, max version, first suite, #suites, extension ids in order)
    type Row = (
        &'static str,
        Option<&'static str>,
        &'static [&'static str],
        ProtocolVersion,
        usize,
        &'static [u16],
    );
    let rows: [Row; 6] = [
        (
            "curl_default",
            Some("localhost"),
            &["h2", "http/1.1"],
            ProtocolVersion::TLS_V1_3,
            31,
            &[0, 11, 10, 16, 22, 23, 49, 13, 43, 45, 51, 21],
        ),
        (
            "curl_http11",
            None,
            &["http/1.1"],
            ProtocolVersion::TLS_V1_3,
            31,
            &[11, 10, 16, 22, 23, 49, 13, 43, 45, 51, 21],
        ),
        (
            "openssl_servername",
            Some("a.test"),
            &["h2", "http/1.1"],
            ProtocolVersion::TLS_V1_3,
            31,
            &[0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51],
        ),
        (
            "openssl_tls12",
            Some("tls12.test"),
            &[],
            ProtocolVersion::TLS_V1_2,
            28,
            &[0, 11, 10, 35, 22, 23, 13],
        ),
        (
            "openssl_no_sni",
            None,
            &[],
            ProtocolVersion::TLS_V1_3,
            31,
            &[11, 10, 35, 22, 23, 13, 43, 45, 51],
        ),
        (
            "openssl_ffdhe",
            Some("big.test"),
            &[],
            ProtocolVersion::TLS_V1_3,
            31,
            &[0, 11, 10, 35, 22, 23, 13, 43, 45, 51],
        ),
    ];
    for (name, server_name, alpn, max_version, suites, ext_ids) in rows {
        let bytes = fixture(name);
        let hello = ClientHello::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hello.server_name(), server_name, "{name}");
        let got_alpn: Vec<String> = hello
            .alpn()
            .into_iter()
            .flatten()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(got_alpn, alpn, "{name}");
        assert_eq!(hello.max_version(), max_version, "{name}");
        assert_eq!(hello.legacy_version(), ProtocolVersion::TLS_V1_2, "{name}");
        assert_eq!(hello.cipher_suites().len(), suites, "{name}");
        assert_eq!(
            hello.compression_methods(),
            [CompressionMethod::NULL],
            "{name}"
        );
        let ids: Vec<u16> = hello.extension_ids().map(u16::from).collect();
        assert_eq!(ids, ext_ids, "{name}");
        // raw bytes are kept exactly: the records re-encode the input
        assert_eq!(hello.raw_records(), &bytes[..], "{name}");
        // every extension's raw data is a slice of the handshake message
        let total: usize = hello.extensions().iter().map(|e| e.data().len() + 4).sum();
        assert_eq!(
            hello.handshake_message().len(),
            4 + 2 + 32 + 1 + hello.session_id().len() + 2 + 2 * suites + 1 + 1 + 2 + total,
            "{name}"
        );
    }

    let curl = ClientHello::parse(&fixture("curl_default")).unwrap();
    assert_eq!(curl.cipher_suites()[0], CipherSuite::TLS_AES_256_GCM_SHA384);
    assert_eq!(
        curl.cipher_suites().last(),
        Some(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    );
    assert_eq!(
        curl.supported_groups().unwrap()[..2],
        [SupportedGroup::X25519, SupportedGroup::SECP256R1]
    );
    assert_eq!(curl.key_shares().unwrap()[0].group, SupportedGroup::X25519);
    assert_eq!(curl.key_shares().unwrap()[0].key_len, 32);
    assert_eq!(
        curl.psk_key_exchange_modes(),
        Some(&[PskKeyExchangeMode::PSK_DHE_KE][..])
    );
    assert_eq!(curl.signature_algorithms().map(<[_]>::len), Some(20));
    assert_eq!(curl.raw_records().len(), 517);
    // OpenSSL pads the hello to 512 bytes of handshake message
    assert_eq!(curl.handshake_message().len(), 512);
    assert!(curl.padding_len().is_some());

    let ffdhe = ClientHello::parse(&fixture("openssl_ffdhe")).unwrap();
    assert_eq!(
        ffdhe.supported_groups(),
        Some(&[SupportedGroup::FFDHE4096, SupportedGroup::X25519][..])
    );
    assert_eq!(ffdhe.key_shares().unwrap()[0].key_len, 512);

    let tls12 = ClientHello::parse(&fixture("openssl_tls12")).unwrap();
    assert_eq!(tls12.supported_versions(), None);
    assert_eq!(tls12.key_shares(), None);
}

#[test]
fn every_prefix_asks_for_more_and_never_overshoots() {
    let parser = ClientHelloParser::new();
    for name in FIXTURES {
        let bytes = fixture(name);
        for len in 0..bytes.len() {
            match parser.parse(&bytes[..len]) {
                Ok(ParseStatus::NeedMore(n)) => {
                    assert!(
                        n > 0 && len + n <= bytes.len(),
                        "{name}[..{len}]: NeedMore({n})"
                    );
                }
                other => panic!("{name}[..{len}]: {other:?}"),
            }
        }
        // bytes after the ClientHello are left for the next reader
        let mut more = bytes.clone();
        more.extend(b"\x14\x03\x03\x00\x01\x01");
        match parser.parse(&more).unwrap() {
            ParseStatus::Complete { consumed, .. } => assert_eq!(consumed, bytes.len(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn split_across_records_parses_like_one_record() {
    for name in FIXTURES {
        let whole = ClientHello::parse(&fixture(name)).unwrap();
        let message = whole.handshake_message().to_vec();
        for fragment in [1, 2, 3, 4, 5, 100, 511] {
            let split = records(&message, fragment);
            let hello =
                ClientHello::parse(&split).unwrap_or_else(|e| panic!("{name}/{fragment}: {e}"));
            assert_eq!(hello.handshake_message(), whole.handshake_message());
            assert_eq!(hello.extensions(), whole.extensions());
            assert_eq!(hello.cipher_suites(), whole.cipher_suites());
            assert_eq!(hello.raw_records(), &split[..]);
        }
    }
}

#[test]
fn grease_is_kept_in_order() {
    let msg = handshake(&[
        (0x1a1a, vec![]),
        sni("grease.test"),
        (10, vec![0x00, 0x06, 0xaa, 0xaa, 0x11, 0xec, 0x00, 0x1d]),
        (43, vec![0x04, 0x7a, 0x7a, 0x03, 0x04]),
        (51, vec![0x00, 0x05, 0xaa, 0xaa, 0x00, 0x01, 0x00]),
        (45, vec![0x02, 0x2a, 0x01]),
        (0x44cd, vec![0x00, 0x03, 0x02, b'h', b'2']),
        (27, vec![0x02, 0x00, 0x02]),
        (0x4a4a, vec![0x00]),
    ]);
    let hello = ClientHello::parse(&records(&msg, 16384)).unwrap();
    assert!(hello.cipher_suites()[0].is_grease());
    let ids: Vec<ExtensionId> = hello.extension_ids().collect();
    assert!(ids[0].is_grease() && ids[8].is_grease());
    assert_eq!(ids[0].value(), 0x1a1a);
    assert_eq!(ids[8].value(), 0x4a4a);
    assert_eq!(hello.extensions()[8].data(), [0x00]);
    assert!(hello.supported_groups().unwrap()[0].is_grease());
    assert_eq!(
        hello.supported_groups().unwrap()[1],
        SupportedGroup::X25519_MLKEM768
    );
    assert_eq!(
        hello.supported_versions().unwrap(),
        [ProtocolVersion::from(0x7a7a), ProtocolVersion::TLS_V1_3]
    );
    assert_eq!(hello.max_version(), ProtocolVersion::TLS_V1_3);
    assert!(hello.key_shares().unwrap()[0].group.is_grease());
    assert!(hello.psk_key_exchange_modes().unwrap()[0].is_grease());
    assert_eq!(
        hello.application_settings().unwrap().as_slice(),
        [ApplicationProtocol::H2]
    );
    assert_eq!(hello.server_name(), Some("grease.test"));
    assert_eq!(hello.session_id(), [0x11; 32]);
    assert_eq!(hello.random(), &[0x42; 32]);
}

#[test]
fn incomplete_input_asks_for_exactly_what_is_missing() {
    let parser = ClientHelloParser::new();
    let cases: [(&[u8], usize); 5] = [
        (b"", 5),
        (b"\x16", 4),
        (b"\x16\x03\x01\x00", 1),
        (b"\x16\x03\x01\x02\x00", 0x200),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 0x200 - 4),
    ];
    for (input, need) in cases {
        assert_eq!(
            parser.parse(input).unwrap(),
            ParseStatus::NeedMore(need),
            "{input:?}"
        );
    }
    // a complete record whose handshake message continues in the next record
    let msg = unframe(&fixture("openssl_servername"));
    let split = records(&msg, 100);
    assert_eq!(
        parser.parse(&split[..105]).unwrap(),
        ParseStatus::NeedMore(5)
    );
    assert!(
        ClientHello::parse(&split[..105])
            .unwrap_err()
            .is_truncated()
    );
}

#[test]
fn bad_input_is_refused_with_the_right_kind() {
    #[derive(Debug, Clone, Copy)]
    enum K {
        NotTls,
        NotClientHello,
        TooLarge,
        Malformed,
    }
    let good = unframe(&fixture("openssl_servername"));
    let with_body = |patch: &dyn Fn(&mut Vec<u8>)| {
        let mut msg = good.clone();
        patch(&mut msg);
        records(&msg, 16384)
    };
    // offsets into the handshake message: 4 header, 2 version, 32 random, then session id
    let sid = 4 + 2 + 32;
    let sid_len = usize::from(good[sid]);
    let suites = sid + 1 + sid_len;
    let comp = suites + 2 + usize::from(u16::from_be_bytes([good[suites], good[suites + 1]]));
    let exts = comp + 2;
    let first_ext = exts + 2;
    let cases: Vec<(&str, Vec<u8>, K)> = vec![
        (
            "plain http",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
            K::NotTls,
        ),
        ("sslv2 hello", vec![0x80, 0x2e, 0x01, 0x00, 0x02], K::NotTls),
        (
            "application data",
            vec![0x17, 0x03, 0x03, 0x00, 0x01, 0x00],
            K::NotTls,
        ),
        (
            "record major version 2",
            vec![0x16, 0x02, 0x00, 0x00, 0x01, 0x01],
            K::Malformed,
        ),
        ("partial header bad version", vec![0x16, 0x04], K::Malformed),
        (
            "empty record",
            vec![0x16, 0x03, 0x01, 0x00, 0x00],
            K::Malformed,
        ),
        (
            "record over 2^14",
            vec![0x16, 0x03, 0x01, 0x40, 0x01],
            K::Malformed,
        ),
        (
            "server hello",
            vec![0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00],
            K::NotClientHello,
        ),
        (
            "handshake of 16 MiB",
            vec![0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff],
            K::TooLarge,
        ),
        (
            "handshake of 64 KiB",
            vec![0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00],
            K::TooLarge,
        ),
        (
            "second record is alert",
            {
                let mut r = records(&good[..10], 10);
                r.extend([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                r
            },
            K::Malformed,
        ),
        (
            "handshake shorter than its body",
            records(
                &{
                    let mut m = good[..sid].to_vec();
                    m[1..4].copy_from_slice(&[0, 0, u8::try_from(sid - 4).unwrap()]);
                    m
                },
                16384,
            ),
            K::Malformed,
        ),
        (
            "session id of 33 bytes",
            with_body(&|m| m[sid] = 33),
            K::Malformed,
        ),
        (
            "session id runs past the end",
            with_body(&|m| m[sid] = 0xff),
            K::Malformed,
        ),
        (
            "odd cipher suites length",
            with_body(&|m| m[suites + 1] -= 1),
            K::Malformed,
        ),
        (
            "empty cipher suites",
            with_body(&|m| {
                let n = usize::from(u16::from_be_bytes([m[suites], m[suites + 1]]));
                m.drain(suites + 2..suites + 2 + n);
                m[suites..suites + 2].copy_from_slice(&[0, 0]);
                fix_len(m);
            }),
            K::Malformed,
        ),
        (
            "cipher suites run past the end",
            with_body(&|m| m[suites] = 0xff),
            K::Malformed,
        ),
        (
            "no compression method",
            with_body(&|m| {
                m[comp] = 0;
                m.remove(comp + 1);
                fix_len(m);
            }),
            K::Malformed,
        ),
        (
            "extensions length too long",
            with_body(&|m| m[exts + 1] += 1),
            K::Malformed,
        ),
        (
            "extensions length too short",
            with_body(&|m| m[exts + 1] -= 1),
            K::Malformed,
        ),
        (
            "extension data runs past the block",
            with_body(&|m| m[first_ext + 2] = 0xff),
            K::Malformed,
        ),
        (
            "byte after the extensions",
            with_body(&|m| {
                m.push(0);
                fix_len(m);
            }),
            K::Malformed,
        ),
        (
            "duplicate extension",
            with_body(&|m| {
                let ext = m[first_ext
                    ..first_ext
                        + 4
                        + usize::from(u16::from_be_bytes([m[first_ext + 2], m[first_ext + 3]]))]
                    .to_vec();
                m.extend(&ext);
                let block = m.len() - exts - 2;
                m[exts..exts + 2].copy_from_slice(&u16::try_from(block).unwrap().to_be_bytes());
                fix_len(m);
            }),
            K::Malformed,
        ),
        (
            "sni with a lying name length",
            records(
                &handshake(&[{
                    let (id, mut data) = sni("a.test");
                    data[4] = 0x20;
                    (id, data)
                }]),
                16384,
            ),
            K::Malformed,
        ),
    ];
    let parser = ClientHelloParser::new();
    for (name, input, kind) in cases {
        let err = match parser.parse(&input) {
            Err(err) => err,
            Ok(status) => panic!("{name}: expected {kind:?}, got {status:?}"),
        };
        let ok = match kind {
            K::NotTls => err.is_not_tls(),
            K::NotClientHello => err.is_not_client_hello(),
            K::TooLarge => err.is_too_large(),
            K::Malformed => err.is_malformed(),
        };
        assert!(ok, "{name}: expected {kind:?}, got {err}");
        assert!(!err.to_string().is_empty());
    }
}

/// Rewrites the handshake length after the body was edited.
fn fix_len(msg: &mut [u8]) {
    let len = u32::try_from(msg.len() - 4).unwrap().to_be_bytes();
    msg[1..4].copy_from_slice(&len[1..]);
}

#[test]
fn sixty_four_kib_of_extensions() {
    // one extension of 65 500 bytes: the extensions block is nearly the u16 maximum
    let msg = handshake(&[sni("big.test"), (0xff00, vec![0xab; 65_500])]);
    let input = records(&msg, 16384);
    assert!(input.len() > DEFAULT_MAX_CLIENT_HELLO_SIZE);

    let err = ClientHelloParser::new().parse(&input).unwrap_err();
    assert!(err.is_too_large(), "{err}");
    // refused as soon as the handshake header is in, before the rest arrives
    assert!(
        ClientHelloParser::new()
            .parse(&input[..9])
            .unwrap_err()
            .is_too_large()
    );

    let roomy = ClientHelloParser::new().with_max_size(128 * 1024);
    let ParseStatus::Complete {
        client_hello,
        consumed,
    } = roomy.parse(&input).unwrap()
    else {
        panic!("not complete");
    };
    assert_eq!(consumed, input.len());
    assert_eq!(client_hello.server_name(), Some("big.test"));
    assert_eq!(client_hello.extensions()[1].data().len(), 65_500);

    // many small extensions: 16 380 empty unknown ones
    let many: Vec<(u16, Vec<u8>)> = (0..16_380u16).map(|i| (0x5000 + i, vec![])).collect();
    let input = records(&handshake(&many), 16384);
    assert!(
        ClientHelloParser::new()
            .parse(&input)
            .unwrap_err()
            .is_too_large()
    );
    assert!(ClientHello::parse(&input).unwrap_err().is_too_large());
    let ParseStatus::Complete { client_hello, .. } = roomy.parse(&input).unwrap() else {
        panic!("not complete");
    };
    assert_eq!(client_hello.extensions().len(), 16_380);
}
