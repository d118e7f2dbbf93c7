//! The HTTP/1 engine over real loopback sockets: wire fidelity, pipelining, smuggling
//! defences, limits, bodies both ways, HTTP/1.0, upgrades, errors, timeouts, shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod server_support;

use rama_http::h1::Http1Limits;
use rama_http::server::Http1Config;
use server_support::*;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[tokio::test]
async fn header_case_and_order_reach_the_service() {
    let server = start_http1(Http1Config::new()).await;
    let raw = b"GET /headers HTTP/1.1\r\nHost: t\r\nUser-Agent: raw/1\r\nX-MiXeD-cAsE: 1\r\naccept: */*\r\nX-Dup: a\r\nx-dup: b\r\n\r\n";
    let (res, _) = exchange(server.addr, raw).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.text(),
        "Host: t\nUser-Agent: raw/1\nX-MiXeD-cAsE: 1\naccept: */*\nX-Dup: a\nx-dup: b\n"
    );
    assert!(res.header("date").is_some_and(|d| d.ends_with(" GMT")));
    server.stop().await;
}

#[tokio::test]
async fn a_response_map_recycled_for_the_next_request_leaks_no_field() {
    // the server parses the next request into the map of the response it just wrote
    // (`RequestHeadParser::recycle`): the response's fields must not show up in it
    let server = start_http1(Http1Config::new()).await;
    let (first, mut r) = exchange(
        server.addr,
        b"GET /spelled HTTP/1.1\r\nHost: t\r\nX-First: 1\r\n\r\n",
    )
    .await;
    assert_eq!(first.header("x-lower"), Some("1"));
    for i in 0..3 {
        r.get_mut()
            .write_all(b"GET /headers HTTP/1.1\r\nHost: t\r\nX-Next: 1\r\n\r\n")
            .await
            .unwrap();
        let next = timeout(WAIT, read_response(&mut r, false))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next.text(), "Host: t\nX-Next: 1\n", "request {i}");
    }
    server.stop().await;
}

#[tokio::test]
async fn hundred_pipelined_requests_answered_in_order() {
    let server = start_http1(Http1Config::new()).await;
    let mut raw = Vec::new();
    for i in 0..100 {
        // mix in bodies and slow handlers so that order is not an accident of timing
        match i % 10 {
            3 => raw.extend_from_slice(
                format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nbody{i:02}").as_bytes(),
            ),
            7 => raw.extend_from_slice(
                format!("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nbody{i:02}\r\n0\r\n\r\n").as_bytes(),
            ),
            _ => raw.extend_from_slice(format!("GET /p/{i} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes()),
        }
    }
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&raw).await.unwrap();
    let mut r = BufReader::new(stream);
    for i in 0..100 {
        let res = timeout(WAIT, read_response(&mut r, false))
            .await
            .unwrap()
            .unwrap();
        let want = match i % 10 {
            3 | 7 => format!("body{i:02}"),
            _ => format!("hello /p/{i}"),
        };
        assert_eq!(res.text(), want, "response {i}");
    }
    server.stop().await;
}

#[tokio::test]
async fn smuggling_shapes_get_400_and_close() {
    let server = start_http1(Http1Config::new()).await;
    let cases: &[(&str, &[u8])] = &[
        ("TE and CL", b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        ("CL, CL differing", b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        ("CL list differing", b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd"),
        ("bad chunk size", b"POST /sum HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        ("chunk size overflow", b"POST /sum HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc\r\n0\r\n\r\n"),
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n"),
        ("space before colon", b"GET / HTTP/1.1\r\nHost: t\r\nX-A : 1\r\n\r\n"),
        ("unknown coding", b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n"),
        ("chunked twice", b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        ("NUL in value", b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n"),
        ("bare LF in chunk", b"POST /sum HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
    ];
    for (name, raw) in cases {
        let (res, mut r) = exchange(server.addr, raw).await;
        assert_eq!(res.status, 400, "{name}: {}", res.status_line);
        assert_eq!(res.header("connection"), Some("close"), "{name}");
        assert!(is_closed(&mut r).await, "{name}: connection not closed");
        // the server keeps serving others
        let (ok, _) = exchange(server.addr, b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(ok.text(), "hello /after", "{name}");
    }
    server.stop().await;
}

#[tokio::test]
async fn limits_give_431_and_414() {
    let config = Http1Config::new().with_limits(
        Http1Limits::new()
            .with_max_head_bytes(4096)
            .with_max_start_line_bytes(1024),
    );
    let server = start_http1(config).await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(8000)
    );
    let (res, mut r) = exchange(server.addr, big.as_bytes()).await;
    assert_eq!(res.status, 431);
    assert!(is_closed(&mut r).await);
    let many: String = (0..200).map(|i| format!("X-{i}: 1\r\n")).collect();
    let (res, _) = exchange(
        server.addr,
        format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert_eq!(res.status, 431);
    let long = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "u".repeat(2000));
    let (res, _) = exchange(server.addr, long.as_bytes()).await;
    assert_eq!(res.status, 414);
    let (res, _) = exchange(server.addr, b"GET / HTTP/2.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.status, 505);
    server.stop().await;
}

#[tokio::test]
async fn head_204_304_have_no_body_and_keep_the_connection() {
    let server = start_http1(Http1Config::new()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"HEAD /status/200 HTTP/1.1\r\nHost: t\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: t\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: t\r\n\r\nGET /last HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    let head = read_response(&mut r, true).await.unwrap();
    assert_eq!(head.status, 200);
    let no_content = read_response(&mut r, false).await.unwrap();
    assert_eq!(no_content.status, 204);
    assert_eq!(no_content.header("content-length"), None);
    assert_eq!(no_content.header("transfer-encoding"), None);
    let not_modified = read_response(&mut r, false).await.unwrap();
    assert_eq!(not_modified.status, 304);
    // had any of them carried body bytes, this response would not parse as "hello /last"
    let last = read_response(&mut r, false).await.unwrap();
    assert_eq!(last.text(), "hello /last");
    server.stop().await;
}

#[tokio::test]
async fn chunked_mebibyte_both_ways() {
    let server = start_http1(Http1Config::new()).await;
    let data = pattern(1024 * 1024);
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (rd, mut wr) = stream.into_split();
    let body = data.clone();
    let writer = tokio::spawn(async move {
        wr.write_all(
            b"POST /echo-chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
        for piece in body.chunks(10_000) {
            wr.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .await
                .unwrap();
            wr.write_all(piece).await.unwrap();
            wr.write_all(b"\r\n").await.unwrap();
        }
        wr.write_all(b"0\r\n\r\n").await.unwrap();
        wr
    });
    let mut r = BufReader::new(rd);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    let _wr = writer.await.unwrap();
    assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    assert_eq!(res.body.len(), data.len());
    assert_eq!(fnv(&res.body), fnv(&data));

    // a chunked response of a MiB, and a chunked upload summed by the service
    let (res, _) = exchange(server.addr, b"GET /big/1048576 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    assert_eq!(fnv(&res.body), fnv(&data));
    let mut upload =
        b"POST /sum HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in data.chunks(65_536) {
        upload.extend_from_slice(format!("{:X};ext=1\r\n", piece.len()).as_bytes());
        upload.extend_from_slice(piece);
        upload.extend_from_slice(b"\r\n");
    }
    upload.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
    let (res, _) = exchange(server.addr, &upload).await;
    assert_eq!(res.text(), format!("{} {:016x}", data.len(), fnv(&data)));
    server.stop().await;
}

#[tokio::test]
async fn http10_closes_unless_keep_alive_asked() {
    let server = start_http1(Http1Config::new()).await;
    let (res, mut r) = exchange(server.addr, b"GET /a HTTP/1.0\r\n\r\n").await;
    assert_eq!(res.text(), "hello /a");
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut r).await);

    let (res, mut r) = exchange(
        server.addr,
        b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    )
    .await;
    assert_eq!(res.header("connection"), Some("keep-alive"));
    r.get_mut()
        .write_all(b"GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await
        .unwrap();
    let res = read_response(&mut r, false).await.unwrap();
    assert_eq!(res.text(), "hello /c");

    // an HTTP/1.0 body of unknown size is close-delimited
    let (res, mut r) = exchange(
        server.addr,
        b"GET /big/1000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    )
    .await;
    assert_eq!(res.body.len(), 1000);
    assert_eq!(res.header("transfer-encoding"), None);
    assert!(is_closed(&mut r).await);

    // HTTP/1.1 with Connection: close
    let (res, mut r) = exchange(
        server.addr,
        b"GET /d HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut r).await);
    server.stop().await;
}

#[tokio::test]
async fn upgrade_hands_over_the_io_with_read_ahead_bytes() {
    let server = start_http1(Http1Config::new()).await;
    let (res, mut r) = exchange(
        server.addr,
        b"GET /upgrade HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nEARLY",
    )
    .await;
    assert_eq!(res.status, 101);
    let mut got = [0u8; 5];
    timeout(WAIT, tokio::io::AsyncReadExt::read_exact(&mut r, &mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got, b"EARLY");
    r.get_mut().write_all(b"later bytes").await.unwrap();
    let mut got = [0u8; 11];
    timeout(WAIT, tokio::io::AsyncReadExt::read_exact(&mut r, &mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got, b"later bytes");
    // CONNECT: 200, then the tunnel
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\nTUNNEL")
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    // a 2xx to CONNECT has no body: read the head only
    let res = timeout(WAIT, read_response(&mut r, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-length"), None);
    let mut got = [0u8; 6];
    timeout(WAIT, tokio::io::AsyncReadExt::read_exact(&mut r, &mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got, b"TUNNEL");
    // not an upgrade request: a normal response
    let (res, _) = exchange(server.addr, b"GET /upgrade HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.text(), "no upgrade");
    server.stop().await;
}

#[tokio::test]
async fn service_error_is_500_and_connection_stays() {
    let server = start_http1(Http1Config::new()).await;
    let (res, mut r) = exchange(server.addr, b"GET /fail HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.status, 500);
    assert_eq!(res.header("connection"), None);
    r.get_mut()
        .write_all(b"GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_response(&mut r, false).await.unwrap().text(),
        "hello /again"
    );
    server.stop().await;
}

#[tokio::test]
async fn service_panic_is_500_and_close() {
    let server = start_http1(Http1Config::new()).await;
    let (res, mut r) = exchange(server.addr, b"GET /panic HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.status, 500);
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut r).await);
    let (res, _) = exchange(server.addr, b"GET /fine HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.text(), "hello /fine");
    server.stop().await;
}

#[tokio::test]
async fn unread_body_is_drained_or_closes() {
    let server = start_http1(Http1Config::new().with_max_drain_bytes(1000)).await;
    // a small unread body is drained and the connection goes on
    let (res, mut r) = exchange(
        server.addr,
        b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789",
    )
    .await;
    assert_eq!(res.text(), "hello /x");
    r.get_mut()
        .write_all(b"GET /y HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        read_response(&mut r, false).await.unwrap().text(),
        "hello /y"
    );
    // a large one is not waited for: the connection closes after the response
    let mut raw = b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n".to_vec();
    raw.extend_from_slice(&[b'z'; 5000]);
    let (res, mut r) = exchange(server.addr, &raw).await;
    assert_eq!(res.text(), "hello /x");
    assert!(is_closed(&mut r).await);
    server.stop().await;
}

#[tokio::test]
async fn expect_continue_waits_for_the_service_to_read() {
    let server = start_http1(Http1Config::new()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    let interim = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    r.get_mut().write_all(b"hello").await.unwrap();
    let res = read_response(&mut r, false).await.unwrap();
    assert_eq!(res.text(), "hello");

    // a service that answers without reading: no 100, and the connection closes after
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut r).await);
    server.stop().await;
}

#[tokio::test]
async fn expect_continue_with_curl() {
    if !have_tool("curl") {
        return;
    }
    let server = start_http1(Http1Config::new()).await;
    let url = format!("http://{}/sum", server.addr);
    let out = timeout(
        WAIT,
        tokio::process::Command::new("curl")
            .args([
                "-sS",
                "-v",
                "--max-time",
                "5",
                "-H",
                "Expect: 100-continue",
                "--data-binary",
                "hello world",
                &url,
            ])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("HTTP/1.1 100 Continue"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("11 {:016x}", fnv(b"hello world"))
    );
    server.stop().await;
}

#[tokio::test]
async fn timeouts_close_idle_and_late_heads() {
    let config = Http1Config::new()
        .with_header_read_timeout(Duration::from_millis(300))
        .with_keep_alive_timeout(Duration::from_millis(300));
    let server = start_http1(config).await;
    // a head that never completes gets 408 and a close
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost").await.unwrap();
    let mut r = BufReader::new(stream);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status, 408);
    assert!(is_closed(&mut r).await);
    // an idle keep-alive connection is closed quietly
    let (_, mut r) = exchange(server.addr, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let started = std::time::Instant::now();
    assert!(is_closed(&mut r).await);
    assert!(started.elapsed() < Duration::from_secs(3));
    server.stop().await;
}

#[tokio::test]
async fn max_requests_per_connection() {
    let server = start_http1(Http1Config::new().with_max_requests(Some(2))).await;
    let (res, mut r) = exchange(server.addr, b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(res.header("connection"), None);
    r.get_mut()
        .write_all(b"GET /2 HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let res = read_response(&mut r, false).await.unwrap();
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut r).await);
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_and_closes_idle() {
    let server = start_http1(Http1Config::new()).await;
    let (_, mut idle) = exchange(server.addr, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let mut busy = TcpStream::connect(server.addr).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let TestServer { shutdown, .. } = server;
    shutdown.trigger().trigger();
    let done = tokio::spawn(shutdown.shutdown());
    assert!(is_closed(&mut idle).await, "idle connection closed at once");
    let mut busy = BufReader::new(busy);
    let res = timeout(WAIT, read_response(&mut busy, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.text(), "slow");
    assert_eq!(res.header("connection"), Some("close"));
    assert!(is_closed(&mut busy).await);
    timeout(WAIT, done).await.unwrap().unwrap();
}

#[tokio::test]
async fn response_header_record_is_written_back() {
    let server = start_http1(Http1Config::new()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /spelled HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut r = BufReader::new(stream);
    let res = timeout(WAIT, read_response(&mut r, false))
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = res.headers.iter().map(|(n, _)| n.as_str()).collect();
    // recorded names first, in recorded order and spelling; then added ones in default form
    assert_eq!(names, ["ETag", "x-LOWER", "Content-Length", "Date"]);
    server.stop().await;
}
