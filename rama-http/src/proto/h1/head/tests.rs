#![expect(clippy::type_complexity, reason = "test tables")]

use super::*;
use crate::wire::OriginalHeaderNames;

fn parse_req_with(
    input: &[u8],
    limits: Http1Limits,
) -> Result<(RequestHead, BytesMut), ParseError> {
    let mut buf = BytesMut::from(input);
    match RequestHeadParser::new(limits).parse(&mut buf)? {
        Some(head) => Ok((head, buf)),
        None => panic!("partial: {:?}", String::from_utf8_lossy(input)),
    }
}

fn parse_req(input: &[u8]) -> Result<RequestHead, ParseError> {
    parse_req_with(input, Http1Limits::new()).map(|(h, _)| h)
}

fn parse_res(input: &[u8], method: &Method) -> Result<ResponseHead, ParseError> {
    let mut buf = BytesMut::from(input);
    match ResponseHeadParser::new(Http1Limits::new()).parse(&mut buf, method)? {
        Some(head) => Ok(head),
        None => panic!("partial: {:?}", String::from_utf8_lossy(input)),
    }
}

/// One row: input, then method, target, version and framing it must parse to.
macro_rules! t_ok {
    ($input:expr, $method:expr, $uri:expr, $version:expr, $framing:expr) => {{
        let head = parse_req($input).unwrap_or_else(|e| panic!("{:?}: {e}", $input));
        assert_eq!(head.parts.method, $method, "{:?}", $input);
        assert_eq!(head.parts.uri.to_string(), $uri, "{:?}", $input);
        assert_eq!(head.parts.version, $version, "{:?}", $input);
        assert_eq!(head.framing, $framing, "{:?}", $input);
    }};
}

/// One row: input, then the error it must give.
macro_rules! t_err {
    ($input:expr, $err:expr) => {{
        let got = parse_req($input).map(|h| h.parts);
        assert_eq!(
            got.err(),
            Some($err),
            "{:?}",
            String::from_utf8_lossy($input)
        );
    }};
}

#[test]
fn request_good_table() {
    use BodyFraming::*;
    let v11 = Version::HTTP_11;
    t_ok!(
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        Method::GET,
        "/",
        v11,
        Empty
    );
    t_ok!(
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        Method::GET,
        "/",
        v11,
        Empty
    );
    t_ok!(
        b"GET /a/b?c=d&e HTTP/1.1\r\nHost: a\r\n\r\n",
        Method::GET,
        "/a/b?c=d&e",
        v11,
        Empty
    );
    t_ok!(
        b"GET http://a.com/x HTTP/1.1\r\nHost: a.com\r\n\r\n",
        Method::GET,
        "http://a.com/x",
        v11,
        Empty
    );
    t_ok!(
        b"CONNECT a.com:443 HTTP/1.1\r\nHost: a.com:443\r\n\r\n",
        Method::CONNECT,
        "a.com:443",
        v11,
        Empty
    );
    t_ok!(
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        Method::OPTIONS,
        "*",
        v11,
        Empty
    );
    t_ok!(
        b"GET / HTTP/1.0\r\n\r\n",
        Method::GET,
        "/",
        Version::HTTP_10,
        Empty
    );
    t_ok!(
        b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        Method::POST,
        "/p",
        v11,
        Length(5)
    );
    t_ok!(
        b"POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        Method::POST,
        "/p",
        v11,
        Chunked
    );
    t_ok!(
        b"PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n",
        Method::from_bytes(b"PURGE").unwrap(),
        "/x",
        v11,
        Empty
    );
    t_ok!(
        b"GET / HTTP/1.1\r\nHost: a\r\nEmpty:\r\n\r\n",
        Method::GET,
        "/",
        v11,
        Empty
    );
}

#[test]
fn request_bad_table() {
    use ParseError::*;
    // start line
    t_err!(b"GET\r\nHost: a\r\n\r\n", InvalidStartLine);
    t_err!(b"GET /\r\nHost: a\r\n\r\n", InvalidStartLine);
    t_err!(b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b" GET / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidMethod);
    t_err!(b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidMethod);
    t_err!(b"\0GET / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidMethod);
    t_err!(b"GET / HTTP/1.1 junk\r\nHost: a\r\n\r\n", InvalidVersion);
    t_err!(b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", InvalidVersion);
    t_err!(b"GET / http/1.1\r\nHost: a\r\n\r\n", InvalidVersion);
    t_err!(b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n", InvalidVersion);
    t_err!(b"GET / HTTP/11\r\nHost: a\r\n\r\n", InvalidVersion);
    t_err!(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", UnsupportedVersion);
    t_err!(b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", UnsupportedVersion);
    t_err!(b"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"GET a.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(b"CONNECT a.com HTTP/1.1\r\nHost: a\r\n\r\n", InvalidUri);
    t_err!(
        b"CONNECT http://a.com:1/ HTTP/1.1\r\nHost: a\r\n\r\n",
        InvalidUri
    );
    t_err!(b"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", InvalidVersion);
    // line endings
    t_err!(b"GET / HTTP/1.1\nHost: a\r\n\r\n", InvalidLineEnding);
    t_err!(b"GET / HTTP/1.1\r\nHost: a\n\r\n", InvalidLineEnding);
    t_err!(b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", InvalidLineEnding);
    // fields
    t_err!(b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", ObsFold);
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tfolded\r\n\r\n",
        ObsFold
    );
    t_err!(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", WhitespaceBeforeColon);
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 5\r\n\r\n",
        WhitespaceBeforeColon
    );
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
        InvalidHeaderValue
    );
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n",
        InvalidHeaderValue
    );
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nno-colon\r\n\r\n",
        InvalidHeaderName
    );
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
        InvalidHeaderName
    );
    t_err!(
        b"GET / HTTP/1.1\r\nHost: a\r\nX(y): v\r\n\r\n",
        InvalidHeaderName
    );
    // host
    t_err!(b"GET / HTTP/1.1\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", InvalidHost);
    t_err!(b"GET / HTTP/1.1\r\nHost: a:port\r\n\r\n", InvalidHost);
    // framing (the full table is in framing.rs; here: wired into the parser)
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        TransferEncodingWithContentLength
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        ConflictingContentLength
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n",
        InvalidContentLength
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 3\r\n\r\n",
        InvalidContentLength
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        ChunkedRepeated
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        ChunkedNotLast
    );
    t_err!(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n",
        UnknownTransferCoding
    );
    t_err!(
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        TransferEncodingInHttp10
    );
}

#[test]
fn errors_map_to_statuses() {
    let cases = [
        (ParseError::HeadTooLarge { limit: 1 }, 431),
        (ParseError::TooManyHeaders { limit: 1 }, 431),
        (ParseError::HeaderLineTooLong { limit: 1 }, 431),
        (ParseError::StartLineTooLong { limit: 1 }, 414),
        (ParseError::UnsupportedVersion, 505),
        (ParseError::ObsFold, 400),
        (ParseError::TransferEncodingWithContentLength, 400),
    ];
    for (err, status) in cases {
        assert_eq!(err.status().as_u16(), status, "{err}");
    }
}

#[test]
fn equal_content_lengths_are_folded_into_one_field() {
    let head =
        parse_req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n")
            .unwrap();
    assert_eq!(head.framing, BodyFraming::Length(3));
    let values: Vec<_> = head
        .parts
        .headers
        .get_all("content-length")
        .iter()
        .collect();
    assert_eq!(values, ["3"]);
    let head = parse_req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n").unwrap();
    assert_eq!(head.parts.headers["content-length"], "3");
}

#[test]
fn response_content_lengths_are_folded_and_keep_alive_read() {
    let get = Method::GET;
    let head = parse_res(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n", &get).unwrap();
    assert_eq!(head.framing, BodyFraming::Length(2));
    assert_eq!(head.parts.headers["content-length"], "2");
    // (head, whether the connection stays open)
    let cases: &[(&[u8], bool)] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
        (
            b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
            false,
        ),
        (
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            true,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            true,
        ),
        // a body that ends with the close ends the connection
        (b"HTTP/1.1 200 OK\r\n\r\n", false),
    ];
    for (input, keep) in cases {
        let head = parse_res(input, &get).unwrap();
        assert_eq!(
            head.keeps_alive(),
            *keep,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn record_and_body_bytes_are_kept() {
    let (head, rest) = parse_req_with(
        b"POST /p HTTP/1.1\r\nUser-Agent: x\r\nX-MiXeD-cAsE: 1\r\nhost: a\r\nContent-Length: 4\r\n\r\nbodyGET",
        Http1Limits::new(),
    )
    .unwrap();
    let record = head.parts.extensions.get::<OriginalHeaderNames>().unwrap();
    let names: Vec<&[u8]> = record.iter().map(|(_, s)| s).collect();
    assert_eq!(
        names,
        [
            &b"User-Agent"[..],
            b"X-MiXeD-cAsE",
            b"host",
            b"Content-Length"
        ]
    );
    assert_eq!(&rest[..], b"bodyGET");
}

#[test]
fn byte_at_a_time_equals_whole() {
    let input = b"POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nContent-Length: 2\r\n\r\nhi";
    let (whole, _) = parse_req_with(input, Http1Limits::new()).unwrap();
    let mut parser = RequestHeadParser::new(Http1Limits::new());
    let mut buf = BytesMut::new();
    let mut got = None;
    for &b in input.iter() {
        buf.extend_from_slice(&[b]);
        if let Some(head) = parser.parse(&mut buf).unwrap() {
            got = Some(head);
            break;
        }
    }
    let got = got.unwrap();
    assert_eq!(got.parts.uri, whole.parts.uri);
    assert_eq!(got.parts.headers, whole.parts.headers);
    assert_eq!(got.framing, whole.framing);
    assert!(buf.is_empty());
}

#[test]
fn pipelined_heads_parse_one_after_the_other() {
    let mut buf = BytesMut::from(
        &b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3"[..],
    );
    let mut parser = RequestHeadParser::new(Http1Limits::new());
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().parts.uri, "/1");
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().parts.uri, "/2");
    assert!(parser.parse(&mut buf).unwrap().is_none());
    buf.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(parser.parse(&mut buf).unwrap().unwrap().parts.uri, "/3");
}

/// `GET / HTTP/1.1\r\nHost: a\r\n` + `n` fields `X-<i>: v\r\n` + `\r\n`.
fn head_with_fields(n: usize) -> Vec<u8> {
    let mut v = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..n {
        v.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    v.extend_from_slice(b"\r\n");
    v
}

#[test]
fn head_size_limit_exact_passes_one_over_fails() {
    let head = head_with_fields(10);
    let at = Http1Limits::new().with_max_head_bytes(head.len());
    assert!(parse_req_with(&head, at).is_ok());
    let under = Http1Limits::new().with_max_head_bytes(head.len() - 1);
    let err = parse_req_with(&head, under).unwrap_err();
    assert_eq!(
        err,
        ParseError::HeadTooLarge {
            limit: head.len() - 1
        }
    );
    assert_eq!(err.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // an endless head is refused as soon as it passes the limit, not at its end
    let mut parser = RequestHeadParser::new(Http1Limits::new().with_max_head_bytes(100));
    let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
    let mut result = Ok(None);
    for _ in 0..20 {
        buf.extend_from_slice(b"X: 12345\r\n");
        result = parser.parse(&mut buf);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result.err(), Some(ParseError::HeadTooLarge { limit: 100 }));
}

#[test]
fn header_count_limit_exact_passes_one_over_fails() {
    // Host plus 9 fields = 10
    let limits = Http1Limits::new().with_max_headers(10);
    assert_eq!(
        parse_req_with(&head_with_fields(9), limits)
            .unwrap()
            .0
            .parts
            .headers
            .len(),
        10
    );
    assert_eq!(
        parse_req_with(&head_with_fields(10), limits).unwrap_err(),
        ParseError::TooManyHeaders { limit: 10 }
    );
    // the default is 100
    assert!(parse_req(&head_with_fields(99)).is_ok());
    assert_eq!(
        parse_req(&head_with_fields(100)).unwrap_err(),
        ParseError::TooManyHeaders { limit: 100 }
    );
}

#[test]
fn line_limits_exact_pass_one_over_fail() {
    // request line `GET /aaa HTTP/1.1` of exactly `len` bytes
    let with_line = |len: usize| {
        let path = "a".repeat(len - "GET / HTTP/1.1".len());
        format!("GET /{path} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes()
    };
    let limits = Http1Limits::new().with_max_start_line_bytes(64);
    assert!(parse_req_with(&with_line(64), limits).is_ok());
    let err = parse_req_with(&with_line(65), limits).unwrap_err();
    assert_eq!(err, ParseError::StartLineTooLong { limit: 64 });
    assert_eq!(err.status(), StatusCode::URI_TOO_LONG);

    // header line `X: vvv` of exactly `len` bytes
    let with_field = |len: usize| {
        let value = "v".repeat(len - "X: ".len());
        format!("GET / HTTP/1.1\r\nHost: a\r\nX: {value}\r\n\r\n").into_bytes()
    };
    let limits = Http1Limits::new().with_max_header_line_bytes(64);
    assert!(parse_req_with(&with_field(64), limits).is_ok());
    let err = parse_req_with(&with_field(65), limits).unwrap_err();
    assert_eq!(err, ParseError::HeaderLineTooLong { limit: 64 });
    assert_eq!(err.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

    // a too long line is refused before it ends
    let mut parser = RequestHeadParser::new(limits);
    let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nX: "[..]);
    buf.extend_from_slice(&[b'v'; 70]);
    assert_eq!(
        parser.parse(&mut buf).unwrap_err(),
        ParseError::HeaderLineTooLong { limit: 64 }
    );
}

#[test]
fn response_table() {
    use BodyFraming::*;
    let get = Method::GET;
    let cases: &[(&[u8], &Method, Result<(u16, &str, BodyFraming), ParseError>)] = &[
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            &get,
            Ok((200, "OK", Length(5))),
        ),
        (
            b"HTTP/1.1 200 OK\r\n\r\n",
            &get,
            Ok((200, "OK", CloseDelimited)),
        ),
        (
            b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
            &get,
            Ok((200, "", Empty)),
        ),
        (
            b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
            &get,
            Ok((200, "", Empty)),
        ),
        (
            b"HTTP/1.1 404 Not Found Here\r\nContent-Length: 1\r\n\r\n",
            &get,
            Ok((404, "Not Found Here", Length(1))),
        ),
        (
            b"HTTP/1.0 200 Fine\r\nContent-Length: 1\r\n\r\n",
            &get,
            Ok((200, "Fine", Length(1))),
        ),
        (
            b"HTTP/1.1 204 No Content\r\n\r\n",
            &get,
            Ok((204, "No Content", Empty)),
        ),
        (
            b"HTTP/1.1 100 Continue\r\n\r\n",
            &get,
            Ok((100, "Continue", Empty)),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            &Method::HEAD,
            Ok((200, "OK", Empty)),
        ),
        (
            b"HTTP/1.1 200 Connection established\r\n\r\n",
            &Method::CONNECT,
            Ok((200, "Connection established", Tunnel)),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            &get,
            Ok((200, "OK", Chunked)),
        ),
        (
            b"HTTP/1.1 99 OK\r\n\r\n",
            &get,
            Err(ParseError::InvalidStatus),
        ),
        (
            b"HTTP/1.1 2000 OK\r\n\r\n",
            &get,
            Err(ParseError::InvalidStatus),
        ),
        (
            b"HTTP/1.1 20x OK\r\n\r\n",
            &get,
            Err(ParseError::InvalidStatus),
        ),
        (
            b"HTTP/1.1 200 O\x01K\r\n\r\n",
            &get,
            Err(ParseError::InvalidReason),
        ),
        (
            b"HTTP/2 200 OK\r\n\r\n",
            &get,
            Err(ParseError::InvalidVersion),
        ),
        (
            b"HTTP/3.0 200 OK\r\n\r\n",
            &get,
            Err(ParseError::UnsupportedVersion),
        ),
        (b"HTTP/1.1\r\n\r\n", &get, Err(ParseError::InvalidStartLine)),
        (
            b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
            &get,
            Err(ParseError::WhitespaceBeforeColon),
        ),
        (
            b"HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n",
            &get,
            Err(ParseError::ObsFold),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            &get,
            Err(ParseError::TransferEncodingWithContentLength),
        ),
    ];
    for (input, method, want) in cases {
        let got = parse_res(input, method).map(|h| {
            // no record: the canonical reason
            let reason = h.parts.extensions.get::<ReasonPhrase>().map_or_else(
                || {
                    h.parts
                        .status
                        .canonical_reason()
                        .unwrap_or_default()
                        .as_bytes()
                        .to_vec()
                },
                |r| r.as_bytes().to_vec(),
            );
            (
                h.parts.status.as_u16(),
                String::from_utf8(reason).unwrap(),
                h.framing,
            )
        });
        let want = want.clone().map(|(s, r, f)| (s, r.to_owned(), f));
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn host_fast_path_agrees_with_full_check() {
    // every value the byte scan accepts, the full (Authority-building) check accepts too,
    // and the combined check gives the full check's answer
    let table: &[&[u8]] = &[
        b"",
        b"a",
        b"a.com",
        b"a.com:443",
        b"A-b.C0m:1",
        b"a:0",
        b"a:65535",
        b"a:99999",
        b"a:123456",
        b"a:",
        b":80",
        b":",
        b"-",
        b".",
        b"a..b",
        b"127.0.0.1",
        b"127.0.0.1:8080",
        b"[::1]",
        b"[::1]:443",
        b"[::1",
        b"::1",
        b"a:b",
        b"a:80:80",
        b"a:-1",
        b"a: 80",
        b"a b",
        b"u@a",
        b"u:p@a:80",
        b"a/b",
        b"a?b",
        b"a#b",
        b"a%20b",
        b"a_b",
        b"a~b",
        b"\xc3\xa9",
        b"a\tb",
    ];
    let long = [b'a'; 70_000];
    let long_port = [&b"a:"[..], &[b'1'; 40][..]].concat();
    let rows = table
        .iter()
        .copied()
        .chain([&long[..], &long_port[..]])
        .collect::<Vec<_>>();
    for host in rows {
        let full = super::host_value_ok_full(host).is_ok();
        if super::is_plain_host(host) {
            assert!(full, "scan accepts what the full check refuses: {host:?}");
        }
        assert_eq!(
            super::host_value_ok(host).is_ok(),
            full,
            "combined check differs from the full check: {host:?}"
        );
    }
    // also every generated `name[:port]` from a small alphabet
    let alphabet: &[u8] = b"a0.-:_[]@ ";
    for &x in alphabet {
        for &y in alphabet {
            for &z in alphabet {
                let host = [x, y, z];
                let full = super::host_value_ok_full(&host).is_ok();
                if super::is_plain_host(&host) {
                    assert!(full, "scan accepts what the full check refuses: {host:?}");
                }
            }
        }
    }
}

#[test]
fn only_a_reason_other_than_the_canonical_one_is_recorded() {
    let get = Method::GET;
    let cases: [(&[u8], Option<&str>); 4] = [
        (b"HTTP/1.1 200 OK\r\n\r\n", None),
        (b"HTTP/1.1 404 Not Found\r\n\r\n", None),
        (b"HTTP/1.1 200 Okay\r\n\r\n", Some("Okay")),
        (b"HTTP/1.1 200\r\n\r\n", Some("")),
    ];
    for (input, want) in cases {
        let head = parse_res(input, &get).unwrap();
        let got = head
            .parts
            .extensions
            .get::<ReasonPhrase>()
            .map(|r| String::from_utf8(r.as_bytes().to_vec()).unwrap());
        assert_eq!(got.as_deref(), want, "{}", String::from_utf8_lossy(input));
    }
}

/// A map with `n` fields and room for 24 (the largest kept).
fn full_map(n: usize) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(SpareMap::MAX_KEPT);
    for i in 0..n {
        let name = http::HeaderName::try_from(format!("x-old-{i}")).unwrap();
        map.insert(name, HeaderValue::from_static("stale"));
    }
    map
}

#[test]
fn a_recycled_map_is_parsed_into_cleared() {
    // (fields of the recycled map, fields of the next head, whether the map is reused)
    let cases = [(3, 1, true), (20, 10, true), (0, 19, true), (3, 21, false)];
    for (old, new, reused) in cases {
        let kept = full_map(old);
        let room = kept.capacity();
        let mut parser = RequestHeadParser::new(Http1Limits::new());
        parser.recycle(kept);
        let mut buf = BytesMut::from(&head_with_fields(new)[..]);
        let head = parser.parse(&mut buf).unwrap().unwrap();
        let map = &head.parts.headers;
        assert_eq!(map.len(), new + 1, "{old} {new}");
        assert!(
            map.keys().all(|k| !k.as_str().starts_with("x-old")),
            "{map:?}"
        );
        assert_eq!(
            map.capacity() == room,
            reused,
            "{old} {new}: {}",
            map.capacity()
        );
    }
}

#[test]
fn a_large_map_is_not_kept() {
    let large = HeaderMap::<HeaderValue>::with_capacity(100);
    assert!(large.capacity() > SpareMap::MAX_KEPT);
    let mut parser = ResponseHeadParser::new(Http1Limits::new());
    parser.recycle(large);
    let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\n\r\n"[..]);
    let head = parser.parse(&mut buf, &Method::GET).unwrap().unwrap();
    assert_eq!(head.parts.headers.len(), 2);
    assert!(head.parts.headers.capacity() <= SpareMap::MAX_KEPT);
}

#[test]
fn a_response_map_is_recycled_cleared() {
    let mut parser = ResponseHeadParser::new(Http1Limits::new());
    parser.recycle(full_map(5));
    let mut buf = BytesMut::from(&b"HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n"[..]);
    let head = parser.parse(&mut buf, &Method::GET).unwrap().unwrap();
    assert_eq!(head.parts.headers.len(), 1);
    assert_eq!(head.parts.headers.capacity(), SpareMap::MAX_KEPT);
}

/// The framing the parsers decide from what the field parser noted (a single plain
/// `Content-Length` read while parsing) is the framing the map's fields give, over every
/// combination of up to three framing and connection lines, for requests and for responses
/// to GET, HEAD and CONNECT with several statuses.
#[test]
fn framing_from_noted_values_matches_the_map() {
    let lines: &[&str] = &[
        "Content-Length: 5",
        "Content-Length: 0",
        "Content-Length: 007",
        "Content-Length: 5, 5",
        "Content-Length: 6",
        "Content-Length: ",
        "Content-Length: 99999999999999999999",
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: gzip",
        "Connection: close",
        "Connection: keep-alive",
        "X-Other: 1",
    ];
    let mut checked = 0;
    for a in 0..=lines.len() {
        for b in 0..=lines.len() {
            for c in 0..=lines.len() {
                let fields: String = [a, b, c]
                    .iter()
                    .filter_map(|&i| lines.get(i))
                    .map(|line| format!("{line}\r\n"))
                    .collect();
                for version in ["HTTP/1.1", "HTTP/1.0"] {
                    let request = format!("POST / {version}\r\nHost: a\r\n{fields}\r\n");
                    if let Ok(head) = parse_req(request.as_bytes()) {
                        let from_map =
                            request_body_framing(head.parts.version, &head.parts.headers);
                        assert_eq!(from_map, Ok(head.framing), "{request:?}");
                        checked += 1;
                    }
                    for status in [
                        "200 OK",
                        "204 No Content",
                        "101 Switching",
                        "304 Not Modified",
                    ] {
                        let response = format!("{version} {status}\r\n{fields}\r\n");
                        for method in [Method::GET, Method::HEAD, Method::CONNECT] {
                            if let Ok(head) = parse_res(response.as_bytes(), &method) {
                                let from_map = response_body_framing(
                                    &method,
                                    head.parts.status,
                                    head.parts.version,
                                    &head.parts.headers,
                                );
                                assert_eq!(from_map, Ok(head.framing), "{response:?} {method}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}
