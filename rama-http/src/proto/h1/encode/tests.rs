use super::*;
use crate::proto::h1::{Http1Limits, RequestHeadParser, ResponseHeadParser};
use crate::test_util::header_map;

fn reencode_request(input: &[u8]) -> Vec<u8> {
    let mut buf = BytesMut::from(input);
    let head = RequestHeadParser::new(Http1Limits::new())
        .parse(&mut buf)
        .unwrap()
        .unwrap();
    let mut out = BytesMut::new();
    encode_request_head(&head.parts, &mut out);
    out.to_vec()
}

const CURL: &[u8] =
    b"GET /get?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

const CHROME: &[u8] = b"GET /index.html HTTP/1.1\r\n\
Host: www.example.com\r\n\
Connection: keep-alive\r\n\
sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n\
sec-ch-ua-mobile: ?0\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
Upgrade-Insecure-Requests: 1\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Sec-Fetch-Site: none\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-User: ?1\r\n\
Sec-Fetch-Dest: document\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: a=1\r\n\
Cookie: b=2\r\n\
\r\n";

const MIXED: &[u8] = b"POST /submit HTTP/1.1\r\nhost: a\r\nUser-Agent: x/1\r\nX-MiXeD-cAsE: 1\r\nCONTENT-LENGTH: 2\r\nx-mixed-case: 2\r\nDNT: 1\r\n\r\n";

#[test]
fn realistic_requests_round_trip_byte_identical() {
    for input in [
        CURL,
        CHROME,
        MIXED,
        b"GET http://a.com/x HTTP/1.0\r\n\r\n",
        b"CONNECT a.com:443 HTTP/1.1\r\nHost: a.com:443\r\n\r\n",
    ] {
        assert_eq!(
            String::from_utf8_lossy(&reencode_request(input)),
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn realistic_responses_round_trip_byte_identical() {
    let inputs: &[&[u8]] = &[
        b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Sat, 21 Nov 2026 07:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 615\r\nLast-Modified: Tue, 11 Apr 2023 01:45:34 GMT\r\nConnection: keep-alive\r\nETag: \"6434bbbe-267\"\r\nAccept-Ranges: bytes\r\n\r\n",
        b"HTTP/1.1 404 Nicht Gefunden\r\ncontent-length: 0\r\n\r\n",
        b"HTTP/1.0 200 Connection established\r\n\r\n",
        b"HTTP/1.1 299 \r\nx: y\r\n\r\n",
    ];
    for input in inputs {
        let mut buf = BytesMut::from(*input);
        let head = ResponseHeadParser::new(Http1Limits::new())
            .parse(&mut buf, &Method::GET)
            .unwrap()
            .unwrap();
        let mut out = BytesMut::new();
        encode_response_head(&head.parts, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn proxy_changes_stay_visible_and_the_rest_identical() {
    let mut buf = BytesMut::from(MIXED);
    let mut head = RequestHeadParser::new(Http1Limits::new())
        .parse(&mut buf)
        .unwrap()
        .unwrap();
    head.parts.headers.remove("dnt");
    head.parts
        .headers
        .insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
    head.parts
        .headers
        .append("x-mixed-case", "3".parse().unwrap());
    let mut out = BytesMut::new();
    encode_request_head(&head.parts, &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "POST /submit HTTP/1.1\r\nhost: a\r\nUser-Agent: x/1\r\nX-MiXeD-cAsE: 1\r\nCONTENT-LENGTH: 2\r\nx-mixed-case: 2\r\nx-mixed-case: 3\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"
    );
}

#[test]
fn without_record_names_are_title_case() {
    let mut res = http::Response::new(());
    res.headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    res.headers_mut()
        .insert("x-request-id", "7".parse().unwrap());
    let (mut parts, ()) = res.into_parts();
    let framing = prepare_response_framing(
        &Method::GET,
        Version::HTTP_11,
        parts.status,
        &mut parts.headers,
        Some(2),
    );
    assert_eq!(framing, BodyFraming::Length(2));
    let mut out = BytesMut::new();
    encode_response_head(&parts, &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: 7\r\nContent-Length: 2\r\n\r\n"
    );
}

fn names(m: &HeaderMap) -> Vec<String> {
    m.iter()
        .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
        .collect()
}

#[test]
fn response_framing_preparation_table() {
    use BodyFraming::*;
    let v11 = Version::HTTP_11;
    let v10 = Version::HTTP_10;
    let get = Method::GET;
    #[expect(clippy::type_complexity, reason = "test table")]
    let cases: &[(
        &Method,
        Version,
        u16,
        &[(&str, &str)],
        Option<u64>,
        BodyFraming,
        &[&str],
    )] = &[
        (
            &get,
            v11,
            200,
            &[],
            Some(5),
            Length(5),
            &["content-length: 5"],
        ),
        (&get, v11, 200, &[], Some(0), Empty, &["content-length: 0"]),
        (
            &get,
            v11,
            200,
            &[],
            None,
            Chunked,
            &["transfer-encoding: chunked"],
        ),
        (&get, v10, 200, &[], None, CloseDelimited, &[]),
        (
            &get,
            v10,
            200,
            &[("transfer-encoding", "chunked")],
            None,
            CloseDelimited,
            &[],
        ),
        (
            &get,
            v11,
            200,
            &[("content-length", "9")],
            None,
            Length(9),
            &["content-length: 9"],
        ),
        (
            &get,
            v11,
            200,
            &[("content-length", "x")],
            Some(1),
            Length(1),
            &["content-length: 1"],
        ),
        (
            &get,
            v11,
            200,
            &[("transfer-encoding", "chunked"), ("content-length", "3")],
            Some(3),
            Chunked,
            &["transfer-encoding: chunked"],
        ),
        (
            &get,
            v11,
            204,
            &[("content-length", "3")],
            Some(3),
            Empty,
            &[],
        ),
        (
            &get,
            v11,
            101,
            &[("upgrade", "websocket")],
            None,
            Tunnel,
            &["upgrade: websocket"],
        ),
        (
            &Method::CONNECT,
            v11,
            200,
            &[("content-length", "0")],
            None,
            Tunnel,
            &[],
        ),
        (
            &Method::HEAD,
            v11,
            200,
            &[("content-length", "42")],
            Some(0),
            Empty,
            &["content-length: 42"],
        ),
        (
            &get,
            v11,
            304,
            &[("etag", "\"x\"")],
            None,
            Empty,
            &["etag: \"x\""],
        ),
    ];
    for (method, version, status, fields, size, want, want_fields) in cases {
        let mut h = header_map(fields);
        let status = StatusCode::from_u16(*status).unwrap();
        let got = prepare_response_framing(method, *version, status, &mut h, *size);
        assert_eq!(
            (got, names(&h)),
            (
                *want,
                want_fields
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
            ),
            "{method} {status} {fields:?}"
        );
    }
}

#[test]
fn request_framing_preparation_table() {
    use BodyFraming::*;
    #[expect(clippy::type_complexity, reason = "test table")]
    let cases: &[(Method, &[(&str, &str)], Option<u64>, BodyFraming, &[&str])] = &[
        (Method::GET, &[], Some(0), Empty, &[]),
        (Method::POST, &[], Some(0), Empty, &["content-length: 0"]),
        (
            Method::POST,
            &[],
            Some(3),
            Length(3),
            &["content-length: 3"],
        ),
        (
            Method::POST,
            &[],
            None,
            Chunked,
            &["transfer-encoding: chunked"],
        ),
        (
            Method::POST,
            &[("transfer-encoding", "gzip")],
            None,
            Chunked,
            &["transfer-encoding: chunked"],
        ),
        (
            Method::PUT,
            &[("content-length", "7")],
            None,
            Length(7),
            &["content-length: 7"],
        ),
    ];
    for (method, fields, size, want, want_fields) in cases {
        let mut h = header_map(fields);
        let got = prepare_request_framing(method, &mut h, *size);
        assert_eq!(
            (got, names(&h)),
            (
                *want,
                want_fields
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
            ),
            "{method} {fields:?}"
        );
    }
}

#[test]
fn chunked_encoding_round_trips_through_the_decoder() {
    use crate::proto::h1::{BodyDecoder, Decoded};
    let mut wire = BytesMut::new();
    encode_chunk(b"hello ", &mut wire);
    encode_chunk(b"", &mut wire);
    encode_chunk(&[b'x'; 300], &mut wire);
    let mut t = HeaderMap::new();
    t.insert("x-checksum", "abc".parse().unwrap());
    encode_last_chunk(Some(&t), &mut wire);
    assert!(wire.starts_with(b"6\r\nhello \r\n12C\r\n"));
    assert!(wire.ends_with(b"\r\n0\r\nX-Checksum: abc\r\n\r\n"));

    let mut dec = BodyDecoder::new(BodyFraming::Chunked, &Http1Limits::new());
    let mut data = Vec::new();
    let mut trailers = None;
    loop {
        match dec.decode(&mut wire).unwrap().unwrap() {
            Decoded::Data(d) => data.extend_from_slice(&d),
            Decoded::Trailers(t) => trailers = Some(t),
            Decoded::End => break,
        }
    }
    assert_eq!(data.len(), 306);
    assert_eq!(trailers, Some(t));
    let mut header = BytesMut::new();
    encode_chunk_header(0x1f, &mut header);
    assert_eq!(&header[..], b"1F\r\n");
    let mut end = BytesMut::new();
    encode_last_chunk(None, &mut end);
    assert_eq!(&end[..], b"0\r\n\r\n");
}
