//! Table-driven tests for the PROXY protocol codec.

use super::*;

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What a table row expects.
#[derive(Debug)]
enum Want {
    Ip(&'static str, &'static str, usize),
    Unknown(usize),
    Unix(usize),
    Local(usize),
    Incomplete,
    NotProxy,
    Malformed,
    TooLarge,
    Checksum,
}

fn check(name: &str, input: &[u8], want: &Want) {
    let got = decode(input);
    match (want, &got) {
        (Want::Ip(src, dst, n), Ok(Decoded::Header { header, len })) => {
            assert_eq!(header.source(), Some(sock(src)), "{name}");
            assert_eq!(header.destination(), Some(sock(dst)), "{name}");
            assert_eq!(len, n, "{name}");
        }
        (Want::Unknown(n), Ok(Decoded::Header { header, len })) => {
            assert_eq!(header.addresses, Addresses::Unspecified, "{name}");
            assert_eq!(header.command, Command::Proxy, "{name}");
            assert_eq!(len, n, "{name}");
        }
        (Want::Unix(n), Ok(Decoded::Header { header, len })) => {
            assert!(matches!(header.addresses, Addresses::Unix { .. }), "{name}");
            assert_eq!(len, n, "{name}");
        }
        (Want::Local(n), Ok(Decoded::Header { header, len })) => {
            assert_eq!(header.command, Command::Local, "{name}");
            assert_eq!(header.source(), None, "{name}");
            assert_eq!(len, n, "{name}");
        }
        (Want::Incomplete, Ok(Decoded::Incomplete))
        | (Want::NotProxy, Ok(Decoded::NotProxyProtocol)) => {}
        (Want::Malformed, Err(e)) if e.is_malformed() => {}
        (Want::TooLarge, Err(e)) if e.is_too_large() => {}
        (Want::Checksum, Err(e)) if e.is_checksum_mismatch() => {}
        _ => panic!("{name}: want {want:?}, got {got:?}"),
    }
}

#[test]
fn v1_table() {
    let long = [b"PROXY ".as_slice(), &[b'x'; 120]].concat();
    let rows: &[(&str, &[u8], Want)] = &[
        (
            "tcp4",
            b"PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\n",
            Want::Ip("192.0.2.1:5000", "198.51.100.7:443", 44),
        ),
        (
            "tcp4 with data after",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET /",
            Want::Ip("1.2.3.4:1", "5.6.7.8:2", 32),
        ),
        (
            "tcp6",
            b"PROXY TCP6 ::1 ::2 65535 0\r\n",
            Want::Ip("[::1]:65535", "[::2]:0", 28),
        ),
        ("unknown", b"PROXY UNKNOWN\r\n", Want::Unknown(15)),
        (
            "unknown with junk",
            b"PROXY UNKNOWN ff::1 ::2 1 2\r\n",
            Want::Unknown(29),
        ),
        (
            "v6 in tcp4",
            b"PROXY TCP4 ::1 1.2.3.4 1 2\r\n",
            Want::Malformed,
        ),
        (
            "v4 in tcp6",
            b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
            Want::Malformed,
        ),
        (
            "port too big",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
            Want::Malformed,
        ),
        (
            "leading zero port",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            Want::Malformed,
        ),
        (
            "signed port",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
            Want::Malformed,
        ),
        (
            "missing port",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            Want::Malformed,
        ),
        (
            "extra field",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
            Want::Malformed,
        ),
        (
            "double space",
            b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
            Want::Malformed,
        ),
        (
            "bare LF",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            Want::Malformed,
        ),
        (
            "bad protocol",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
            Want::Malformed,
        ),
        (
            "non-ascii",
            b"PROXY TCP4 1.2.3.\xff 5.6.7.8 1 2\r\n",
            Want::Malformed,
        ),
        ("partial line", b"PROXY TCP4 1.2.3.4", Want::Incomplete),
        ("partial prefix", b"PROX", Want::Incomplete),
        ("empty", b"", Want::Incomplete),
        ("no CRLF in 107 bytes", &long, Want::TooLarge),
        ("http", b"GET / HTTP/1.1\r\n", Want::NotProxy),
        (
            "lower case",
            b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            Want::NotProxy,
        ),
        ("tls", b"\x16\x03\x01\x02\x00", Want::NotProxy),
    ];
    for (name, input, want) in rows {
        check(name, input, want);
    }
}

fn v2(ver_cmd: u8, fam: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.push(ver_cmd);
    out.push(fam);
    out.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out
}

const INET: [u8; 12] = [127, 0, 0, 1, 127, 0, 0, 2, 0x04, 0xD2, 0x00, 0x50];

#[test]
fn v2_table() {
    let mut inet6 = Vec::new();
    inet6.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    inet6.extend_from_slice(&"::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    inet6.extend_from_slice(&[0x01, 0xBB, 0x1F, 0x90]);
    let with_tlvs = [INET.as_slice(), &[0x01, 0, 2, b'h', b'2', 0xEE, 0, 1, 7]].concat();
    let with_data = [v2(0x21, 0x11, &INET), b"hello".to_vec()].concat();
    let rows: Vec<(&str, Vec<u8>, Want)> = vec![
        (
            "tcp4",
            v2(0x21, 0x11, &INET),
            Want::Ip("127.0.0.1:1234", "127.0.0.2:80", 28),
        ),
        (
            "tcp4 then data",
            with_data,
            Want::Ip("127.0.0.1:1234", "127.0.0.2:80", 28),
        ),
        (
            "udp4",
            v2(0x21, 0x12, &INET),
            Want::Ip("127.0.0.1:1234", "127.0.0.2:80", 28),
        ),
        (
            "tcp6",
            v2(0x21, 0x21, &inet6),
            Want::Ip("[2001:db8::1]:443", "[::1]:8080", 52),
        ),
        (
            "tlvs",
            v2(0x21, 0x11, &with_tlvs),
            Want::Ip("127.0.0.1:1234", "127.0.0.2:80", 37),
        ),
        ("local", v2(0x20, 0x00, &[]), Want::Local(16)),
        ("local with inet", v2(0x20, 0x11, &INET), Want::Local(28)),
        ("proxy unspec", v2(0x21, 0x00, &[]), Want::Unknown(16)),
        ("unix", v2(0x21, 0x31, &[0u8; 216]), Want::Unix(232)),
        ("version 1 nibble", v2(0x11, 0x11, &INET), Want::Malformed),
        ("command 2", v2(0x22, 0x11, &INET), Want::Malformed),
        ("family 4", v2(0x21, 0x41, &INET), Want::Malformed),
        ("transport 3", v2(0x21, 0x13, &INET), Want::Malformed),
        (
            "short address block",
            v2(0x21, 0x21, &INET),
            Want::Malformed,
        ),
        (
            "truncated tlv head",
            v2(0x21, 0x11, &[INET.as_slice(), &[1, 0]].concat()),
            Want::Malformed,
        ),
        (
            "tlv longer than block",
            v2(0x21, 0x11, &[INET.as_slice(), &[1, 0, 9, 1]].concat()),
            Want::Malformed,
        ),
        (
            "crc of 3 bytes",
            v2(0x21, 0x11, &[INET.as_slice(), &[3, 0, 3, 1, 2, 3]].concat()),
            Want::Malformed,
        ),
        (
            "ssl too short",
            v2(0x21, 0x11, &[INET.as_slice(), &[0x20, 0, 2, 1, 0]].concat()),
            Want::Malformed,
        ),
        (
            "unique id too long",
            v2(
                0x21,
                0x11,
                &[INET.as_slice(), &[5, 0, 129], &[0; 129]].concat(),
            ),
            Want::Malformed,
        ),
        (
            "length above limit",
            v2(0x21, 0x11, &vec![0; 5000]),
            Want::TooLarge,
        ),
        (
            "head only",
            v2(0x21, 0x11, &INET)[..16].to_vec(),
            Want::Incomplete,
        ),
        ("half signature", SIGNATURE[..6].to_vec(), Want::Incomplete),
        (
            "body missing a byte",
            v2(0x21, 0x11, &INET)[..27].to_vec(),
            Want::Incomplete,
        ),
        (
            "signature off by one",
            [&SIGNATURE[..11], &[0x0B]].concat(),
            Want::NotProxy,
        ),
    ];
    for (name, input, want) in &rows {
        check(name, input, want);
    }
}

#[test]
fn v2_tlvs_are_kept_in_order_unknown_ones_raw() {
    let with_tlvs = [
        INET.as_slice(),
        &[
            0x01, 0, 2, b'h', b'2', 0xEE, 0, 1, 7, 0x02, 0, 3, b'a', b'.', b'b',
        ],
    ]
    .concat();
    let Decoded::Header { header, .. } = decode(&v2(0x21, 0x11, &with_tlvs)).unwrap() else {
        panic!("not decoded")
    };
    assert_eq!(header.alpn(), Some(&b"h2"[..]));
    assert_eq!(header.authority(), Some("a.b"));
    assert_eq!(header.tlvs[1], Tlv::new(0xEE, vec![7]));
    assert_eq!(header.tlvs.len(), 3);
}

#[test]
fn crc32c_verified_and_mismatch_refused() {
    let header = Header::proxy(sock("192.0.2.1:5000"), sock("198.51.100.7:443"))
        .with_authority("example.com")
        .with_crc32c();
    let bytes = header.encode(Version::V2).unwrap();
    let Decoded::Header { header: read, len } = decode(&bytes).unwrap() else {
        panic!("not decoded")
    };
    assert_eq!(len, bytes.len());
    assert_eq!(read.authority(), Some("example.com"));
    // the checksum was filled in, not left zero
    assert_ne!(read.tlv(kind::CRC32C), Some(&[0u8; 4][..]));

    // flip one bit of the source address: the checksum no longer matches
    let mut tampered = bytes.clone();
    tampered[16] ^= 0x01;
    check("tampered", &tampered, &Want::Checksum);
    // a zero checksum is checked too (it is not "absent")
    let crc_at = bytes.len() - 4;
    let mut zeroed = bytes;
    zeroed[crc_at..].fill(0);
    check("zeroed crc", &zeroed, &Want::Checksum);
}

#[test]
fn round_trips() {
    let ssl = SslInfo {
        client: SslInfo::CLIENT_SSL | SslInfo::CLIENT_CERT_CONN,
        verify: 0,
        sub_tlvs: vec![
            Tlv::new(kind::SSL_VERSION, b"TLSv1.3".to_vec()),
            Tlv::new(kind::SSL_CN, b"client".to_vec()),
        ],
    };
    let headers = [
        Header::proxy(sock("192.0.2.1:5000"), sock("198.51.100.7:443")),
        Header::proxy(sock("[2001:db8::1]:1"), sock("[::1]:2")),
        Header::proxy(sock("[2001:db8::1]:1"), sock("[::1]:2"))
            .with_alpn(b"http/1.1")
            .with_tlv(Tlv::new(kind::SSL, ssl.to_bytes().unwrap()))
            .with_tlv(Tlv::new(kind::UNIQUE_ID, vec![9; 128]))
            .with_tlv(Tlv::new(kind::NETNS, b"blue".to_vec()))
            .with_tlv(Tlv::new(0xE0, vec![1, 2, 3]))
            .with_crc32c(),
        Header::local(),
        Header::unknown(),
        Header {
            transport: Transport::Datagram,
            ..Header::proxy(sock("10.0.0.1:53"), sock("10.0.0.2:53"))
        },
        Header {
            addresses: Addresses::Unix {
                source: [b"/tmp/a".as_slice(), &[0; 102]].concat(),
                destination: vec![0; 108],
            },
            ..Header::proxy(sock("10.0.0.1:53"), sock("10.0.0.2:53"))
        },
    ];
    for header in headers {
        let bytes = header.encode(Version::V2).unwrap();
        let Decoded::Header { header: read, len } = decode(&bytes).unwrap() else {
            panic!("{header:?} not decoded")
        };
        assert_eq!(len, bytes.len());
        let without_crc = |h: &Header| -> Vec<Tlv> {
            h.tlvs
                .iter()
                .filter(|t| t.kind != kind::CRC32C)
                .cloned()
                .collect()
        };
        assert_eq!(without_crc(&read), without_crc(&header));
        assert_eq!(read.tlvs.len(), header.tlvs.len());
        assert_eq!(
            (read.command, read.transport),
            (header.command, header.transport)
        );
        assert_eq!(read.addresses, header.addresses);
        assert_eq!(read.encode(Version::V2).unwrap(), bytes);
        if let Some(ssl_info) = read.ssl() {
            assert_eq!(ssl_info, ssl);
            assert_eq!(ssl_info.version(), Some("TLSv1.3"));
            assert_eq!(ssl_info.common_name(), Some("client"));
        }
    }
}

#[test]
fn v1_encode() {
    let rows: &[(Header, Result<&str, ()>)] = &[
        (
            Header::proxy(sock("1.2.3.4:1"), sock("5.6.7.8:2")),
            Ok("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
        ),
        (
            Header::proxy(sock("[::1]:1"), sock("[::2]:2")),
            Ok("PROXY TCP6 ::1 ::2 1 2\r\n"),
        ),
        (
            Header::proxy(sock("1.2.3.4:1"), sock("[::2]:2")),
            Ok("PROXY TCP6 ::ffff:1.2.3.4 ::2 1 2\r\n"),
        ),
        (Header::unknown(), Ok("PROXY UNKNOWN\r\n")),
        (Header::local(), Err(())),
        (
            Header::proxy(sock("1.2.3.4:1"), sock("5.6.7.8:2")).with_alpn(b"h2"),
            Err(()),
        ),
        (
            Header {
                transport: Transport::Datagram,
                ..Header::proxy(sock("1.2.3.4:1"), sock("5.6.7.8:2"))
            },
            Err(()),
        ),
    ];
    for (header, want) in rows {
        match (header.encode(Version::V1), want) {
            (Ok(bytes), Ok(text)) => {
                assert_eq!(std::str::from_utf8(&bytes).unwrap(), *text);
                assert!(bytes.len() <= MAX_V1_LEN);
                let Decoded::Header { header: read, .. } = decode(&bytes).unwrap() else {
                    panic!("{text} not decoded")
                };
                assert_eq!(
                    read.addresses,
                    if text.contains("ffff") {
                        Addresses::Ip {
                            source: sock("[::ffff:1.2.3.4]:1"),
                            destination: sock("[::2]:2"),
                        }
                    } else {
                        header.addresses.clone()
                    }
                );
            }
            (Err(err), Err(())) => assert!(err.is_unsupported(), "{err}"),
            (got, _) => panic!("{header:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn longest_v1_headers_fit() {
    let tcp6 = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    assert_eq!(tcp6.len(), 104);
    let any = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
    check("longest tcp6", tcp6.as_bytes(), &Want::Ip(any, any, 104));
    let unknown_107 = format!("PROXY UNKNOWN {}\r\n", "x".repeat(MAX_V1_LEN - 16));
    assert_eq!(unknown_107.len(), MAX_V1_LEN);
    check(
        "unknown of 107",
        unknown_107.as_bytes(),
        &Want::Unknown(MAX_V1_LEN),
    );
    let unknown_108 = format!("PROXY UNKNOWN {}\r\n", "x".repeat(MAX_V1_LEN - 15));
    check("unknown of 108", unknown_108.as_bytes(), &Want::TooLarge);
}

#[test]
fn limit_is_configurable() {
    let bytes = v2(0x21, 0x11, &INET);
    assert!(decode_with_limit(&bytes, 11).unwrap_err().is_too_large());
    assert!(matches!(
        decode_with_limit(&bytes, 12),
        Ok(Decoded::Header { .. })
    ));
}

/// The fuzz target's properties on seeded mutations of valid headers: no panic, the length
/// never exceeds the input, and a decoded header encodes and decodes to itself.
#[test]
fn mutated_headers_never_panic_and_round_trip() {
    let seeds: Vec<Vec<u8>> = vec![
        b"PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\nGET /".to_vec(),
        b"PROXY TCP6 ::1 ::2 1 2\r\n".to_vec(),
        b"PROXY UNKNOWN\r\n".to_vec(),
        Header::proxy(sock("192.0.2.1:5000"), sock("198.51.100.7:443"))
            .with_alpn(b"h2")
            .with_authority("a.example")
            .with_crc32c()
            .encode(Version::V2)
            .unwrap(),
        Header::local().encode(Version::V2).unwrap(),
        v2(0x21, 0x31, &[0u8; 216]),
    ];
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for _ in 0..20_000 {
        let mut input = seeds[rng.usize(..seeds.len())].clone();
        for _ in 0..rng.usize(1..4) {
            match rng.u8(..3) {
                0 if !input.is_empty() => {
                    let at = rng.usize(..input.len());
                    input[at] = rng.u8(..);
                }
                1 if !input.is_empty() => {
                    input.truncate(rng.usize(..input.len()));
                }
                _ => {
                    let at = rng.usize(..=input.len());
                    input.insert(at, rng.u8(..));
                }
            }
        }
        let Ok(Decoded::Header { header, len }) = decode(&input) else {
            continue;
        };
        assert!(len <= input.len());
        let bytes = header
            .encode(header.version)
            .or_else(|_| header.encode(Version::V2))
            .unwrap();
        let Ok(Decoded::Header { header: again, .. }) = decode_with_limit(&bytes, u16::MAX) else {
            panic!("{header:?} encoded as {bytes:?} does not decode")
        };
        assert_eq!(
            (again.command, &again.addresses),
            (header.command, &header.addresses)
        );
    }
}

#[test]
fn public_types_are_send_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Header>();
    check::<HeaderError>();
    check::<Decoded>();
    check::<crate::haproxy::ProxyProtocolInfo>();
    check::<crate::haproxy::HaProxyService<()>>();
    check::<crate::haproxy::HaProxyConnector<()>>();
    check::<crate::proxydb::MemoryProxyDB>();
    check::<crate::proxydb::ProxyDBService<()>>();
    check::<crate::proxydb::ProxyDBError>();
    check::<crate::proxydb::LoadError>();
}
