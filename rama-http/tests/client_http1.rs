//! The HTTP/1 client connection against rama's own HttpServer (http1 and auto) and against
//! misbehaving raw peers, over loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

#[path = "client_common.rs"]
mod common;

use common::*;
use rama_http::client::http1::{Http1ClientConfig, SendRequest, handshake};
use rama_http::server::{Http1Config, HttpServer};
use rama_http::wire::OriginalHeaderNames;
use rama_http::{Body, HeaderMap, Method, Request, StatusCode};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

type ConnTask = JoinHandle<Result<(), rama_http::client::Error>>;

async fn connect(addr: std::net::SocketAddr, config: Http1ClientConfig) -> (SendRequest, ConnTask) {
    let io = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = handshake(io, config).await.unwrap();
    (sender, tokio::spawn(conn))
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn get_and_post_one_mib_checksums_both_ways() {
    for server in [HttpServer::http1(), HttpServer::auto()] {
        let server = start(server).await;
        let (sender, task) = connect(server.addr, Http1ClientConfig::new()).await;
        let data = pattern(1 << 20);

        // download, chunked by the server
        let res = timeout(WAIT, sender.send_request(get(&server.uri("/big/1048576"))))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let got = timeout(WAIT, res.into_body().collect_bytes(2 << 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fnv(&got), fnv(&data));

        // upload with a Content-Length
        let req = Request::post(server.uri("/sum"))
            .body(Body::from(data.clone()))
            .unwrap();
        let res = timeout(WAIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        let text = res.into_body().collect_string(1024).await.unwrap();
        assert_eq!(text, format!("1048576 {:016x}", fnv(&data)));

        // upload chunked (unknown size), echoed back
        let req = Request::post(server.uri("/echo"))
            .body(unsized_body(data.clone(), None))
            .unwrap();
        let res = timeout(WAIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        let got = timeout(WAIT, res.into_body().collect_bytes(2 << 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.len(), data.len());
        assert_eq!(fnv(&got), fnv(&data));

        assert!(sender.is_ready());
        drop(sender);
        timeout(WAIT, task).await.unwrap().unwrap().unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn trailers_both_ways() {
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    let mut t = HeaderMap::new();
    t.insert("x-sent", "yes".parse().unwrap());
    let req = Request::post(server.uri("/sum"))
        .body(unsized_body(b"abc".to_vec(), Some(t)))
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    let text = res.into_body().collect_string(1024).await.unwrap();
    assert_eq!(text, format!("3 {:016x}|x-sent=yes", fnv(b"abc")));

    let res = timeout(WAIT, sender.send_request(get(&server.uri("/trailers"))))
        .await
        .unwrap()
        .unwrap();
    let collected = rama_http::body::collect(res.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&collected.data[..], b"data");
    assert_eq!(
        collected
            .trailers
            .as_ref()
            .unwrap()
            .get("x-checksum")
            .unwrap(),
        "42"
    );
    server.stop().await;
}

#[tokio::test]
async fn head_204_304_have_empty_bodies_and_keep_the_connection() {
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    let req = Request::head(server.uri("/big/5000"))
        .body(Body::empty())
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.into_body().collect_bytes(10).await.unwrap().is_empty());
    for code in [204u16, 304] {
        let res = timeout(
            WAIT,
            sender.send_request(get(&server.uri(&format!("/status/{code}")))),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(res.status().as_u16(), code);
        assert!(res.into_body().collect_bytes(10).await.unwrap().is_empty());
    }
    assert_body_is(
        sender.send_request(get(&server.uri("/after"))),
        "hello /after",
    )
    .await;
    let peers = server.peers.lock().unwrap().clone();
    assert_eq!(peers.len(), 4);
    assert!(peers.iter().all(|p| *p == peers[0]));
    server.stop().await;
}

#[tokio::test]
async fn ten_sequential_requests_use_one_connection() {
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    for i in 0..10 {
        assert!(sender.is_ready(), "ready before request {i}");
        let res = timeout(
            WAIT,
            sender.send_request(get(&server.uri(&format!("/r/{i}")))),
        )
        .await
        .unwrap()
        .unwrap();
        let text = res.into_body().collect_string(100).await.unwrap();
        assert_eq!(text, format!("hello /r/{i}"));
    }
    let peers = server.peers.lock().unwrap().clone();
    assert_eq!(peers.len(), 10);
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one connection: {peers:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn idle_close_by_server_gives_a_clean_closed_error() {
    let config = Http1Config::new().with_keep_alive_timeout(Duration::from_millis(100));
    let server = start(HttpServer::http1().with_http1_config(config)).await;
    let (sender, task) = connect(server.addr, Http1ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/a"))))
        .await
        .unwrap()
        .unwrap();
    res.into_body().collect_bytes(100).await.unwrap();
    // the connection task notices the close and ends cleanly
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert!(sender.is_closed());
    assert!(!sender.is_ready());
    let err = timeout(WAIT, sender.send_request(get(&server.uri("/b"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_closed(), "{err:#}");
    server.stop().await;
}

#[tokio::test]
async fn caller_header_order_and_spelling_arrive_as_such() {
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    let mut req = Request::get(server.uri("/headers"))
        .header("x-mixed-case", "1")
        .header("accept", "*/*")
        .header("dnt", "1")
        .header("user-agent", "t/1")
        .body(Body::empty())
        .unwrap();
    let mut record = OriginalHeaderNames::new();
    for name in ["user-agent", "X-MiXeD-cAsE", "DNT", "ACCEPT"] {
        record.push(name).unwrap();
    }
    req.extensions_mut().insert(record);
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    let text = res.into_body().collect_string(1000).await.unwrap();
    // recorded names first, in order and spelling; Host (added from the URI) after them
    assert_eq!(
        text,
        format!(
            "user-agent: t/1\nX-MiXeD-cAsE: 1\nDNT: 1\nACCEPT: */*\nHost: {}\n",
            server.addr
        )
    );

    // without a record: Title-Case, Host added first, repeated names kept
    let req = Request::get(server.uri("/headers"))
        .header("x-request-id", "7")
        .header("x-dup", "a")
        .header("x-dup", "b")
        .body(Body::empty())
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    let text = res.into_body().collect_string(1000).await.unwrap();
    assert_eq!(
        text,
        format!(
            "Host: {}\nX-Request-Id: 7\nX-Dup: a\nX-Dup: b\n",
            server.addr
        )
    );
    server.stop().await;
}

#[tokio::test]
async fn dropping_a_response_body_early_closes_the_connection_not_hangs() {
    let server = start(HttpServer::http1()).await;
    let (sender, task) = connect(server.addr, Http1ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/endless"))))
        .await
        .unwrap()
        .unwrap();
    let mut body = res.into_body();
    body.frame().await.unwrap().unwrap();
    drop(body);
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert!(sender.is_closed());
    server.stop().await;
}

/// The client [`Error`](rama_http::client::Error) in an error's source chain.
fn client_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rama_http::client::Error> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(found) = e.downcast_ref::<rama_http::client::Error>() {
            return Some(found);
        }
        cur = e.source();
    }
    None
}

/// A raw peer that reads one request head and answers with `reply`, then closes.
async fn raw_peer(
    reply: &'static [u8],
    close: bool,
) -> (std::net::SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(reply).await.unwrap();
        if !close {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        got
    });
    (addr, task)
}

#[tokio::test]
async fn misbehaving_peers_give_typed_errors() {
    // garbage instead of a status line
    let (addr, peer) = raw_peer(b"SSH-2.0-OpenSSH\r\n\r\n", true).await;
    let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
    let err = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_parse(), "{err:#}");
    let request = peer.await.unwrap();
    assert!(request.starts_with(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n").as_bytes()));

    // closed in the middle of a Content-Length body
    let (addr, _peer) = raw_peer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true).await;
    let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap();
    let err = timeout(WAIT, res.into_body().collect_bytes(100))
        .await
        .unwrap()
        .unwrap_err();
    let client_err = client_error(&err).expect("the client error is in the chain");
    assert!(client_err.is_incomplete_message(), "{client_err:#}");

    // closed in the middle of the head
    let (addr, _peer) = raw_peer(b"HTTP/1.1 200 OK\r\nContent-Le", true).await;
    let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
    let err = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_incomplete_message(), "{err:#}");

    // closed without answering
    let (addr, _peer) = raw_peer(b"", true).await;
    let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
    let err = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_closed(), "{err:#}");

    // silent: the response head timeout fires
    let (addr, peer) = raw_peer(b"", false).await;
    let config =
        Http1ClientConfig::new().with_response_head_timeout(Some(Duration::from_millis(200)));
    let (sender, _task) = connect(addr, config).await;
    let err = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_timeout(), "{err:#}");
    peer.abort();
}

#[tokio::test]
async fn continue_is_skipped_and_close_delimited_body_is_read() {
    let (addr, peer) = raw_peer(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nuntil close",
        true,
    )
    .await;
    let (sender, task) = connect(addr, Http1ClientConfig::new().with_absolute_form(true)).await;
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}/x?y=1"))
        .body(Body::from("hi"))
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("x-a").unwrap(), "1");
    let text = timeout(WAIT, res.into_body().collect_string(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text, "until close");
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert!(sender.is_closed());
    let request = peer.await.unwrap();
    assert!(
        request.starts_with(format!("POST http://{addr}/x?y=1 HTTP/1.1\r\n").as_bytes()),
        "{}",
        String::from_utf8_lossy(&request)
    );
}

#[tokio::test]
async fn switching_protocols_hands_over_the_io() {
    let (addr, _peer) = raw_peer(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nearly",
        true,
    )
    .await;
    let (sender, task) = connect(addr, Http1ClientConfig::new()).await;
    let req = Request::get(format!("http://{addr}/"))
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(Body::empty())
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    let on_upgrade = res
        .extensions()
        .get::<rama_http::client::http1::OnClientUpgrade>()
        .unwrap();
    let mut io = on_upgrade.take().unwrap();
    let mut got = Vec::new();
    timeout(WAIT, io.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, b"early");
}

#[tokio::test]
async fn early_answer_during_a_large_upload_is_returned_not_a_hang() {
    // the peer reads the head only, answers, and keeps the socket open without reading
    let (addr, peer) = raw_peer(
        b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!",
        false,
    )
    .await;
    let (sender, task) = connect(addr, Http1ClientConfig::new()).await;
    let req = Request::post(format!("http://{addr}/up"))
        .body(Body::from(vec![b'u'; 16 << 20]))
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = timeout(WAIT, res.into_body().collect_string(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text, "big!");
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    assert!(sender.is_closed());
    peer.abort();
}

#[tokio::test]
async fn failing_request_body_is_a_user_body_error_and_closes() {
    let server = start(HttpServer::http1()).await;
    // a body that aborts half-way
    let (sender, task) = connect(server.addr, Http1ClientConfig::new()).await;
    let (tx, body) = Body::channel();
    tokio::spawn(async move {
        tx.send_data("part").await.unwrap();
        tx.abort("disk read failed");
    });
    let req = Request::post(server.uri("/sum")).body(body).unwrap();
    let err = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_user_body(), "{err:#}");
    assert!(format!("{err:#}").contains("disk read failed"), "{err:#}");
    assert!(timeout(WAIT, task).await.unwrap().unwrap().is_err());
    assert!(sender.is_closed());

    // a body longer than its declared Content-Length
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    let req = Request::post(server.uri("/sum"))
        .header("content-length", "2")
        .body(Body::from("too long"))
        .unwrap();
    let err = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_user_body(), "{err:#}");
    server.stop().await;
}

#[tokio::test]
async fn a_request_on_a_closed_connection_comes_back_in_the_error() {
    let config = Http1Config::new().with_keep_alive_timeout(Duration::from_millis(100));
    let server = start(HttpServer::http1().with_http1_config(config)).await;
    let (sender, task) = connect(server.addr, Http1ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/a"))))
        .await
        .unwrap()
        .unwrap();
    res.into_body().collect_bytes(100).await.unwrap();
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
    // never written: handed back whatever the method, body included
    let req = Request::post(server.uri("/b"))
        .header("x-keep", "1")
        .body(Body::from("payload"))
        .unwrap();
    let mut err = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_closed(), "{err:#}");
    let again = err.take_request().expect("the unsent request comes back");
    assert_eq!(again.method(), Method::POST);
    assert_eq!(again.uri().path(), "/b");
    assert_eq!(again.headers()["x-keep"], "1");
    assert_eq!(
        again.into_body().collect_string(100).await.unwrap(),
        "payload"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_written_request_comes_back_only_when_idempotent_and_empty() {
    // (method, body, comes back): the peer reads the head and closes without a byte
    for (method, body, back) in [
        (Method::GET, None, true),
        (Method::DELETE, None, true),
        (Method::POST, None, false),
        (Method::PUT, Some("x"), false),
    ] {
        let (addr, peer) = raw_peer(b"", true).await;
        let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
        let req = Request::builder()
            .method(method.clone())
            .uri(format!("http://{addr}/w"))
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        let mut err = timeout(WAIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap_err();
        assert!(err.is_closed(), "{method}: {err:#}");
        assert_eq!(err.take_request().is_some(), back, "{method}");
        let head = peer.await.unwrap();
        assert!(head.starts_with(method.as_str().as_bytes()), "{method}");
    }
}

#[tokio::test]
async fn the_connection_is_ready_when_the_caller_sees_the_body_end() {
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    // streamed (chunked, unknown size) and small-and-whole bodies alike
    for path in ["/big/100000", "/big/10", "/r/small", "/status/204"] {
        let res = timeout(WAIT, sender.send_request(get(&server.uri(path))))
            .await
            .unwrap()
            .unwrap();
        let mut body = res.into_body();
        while let Some(frame) = timeout(WAIT, body.frame()).await.unwrap() {
            frame.unwrap();
        }
        // no yield in between: the connection marked itself ready before ending the body
        assert!(sender.is_ready(), "{path}");
    }
    let peers = server.peers.lock().unwrap().clone();
    assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_response_that_closes_marks_the_connection_closed_at_its_head() {
    let (addr, _peer) = raw_peer(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhel",
        false,
    )
    .await;
    let (sender, _task) = connect(addr, Http1ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap();
    // the body is still unread (and incomplete), yet a pool must not park this connection
    assert!(sender.is_closed());
    drop(res);
}

#[tokio::test]
async fn a_request_map_recycled_for_the_next_response_leaks_no_field() {
    // the connection parses the next response into the map of the request it just wrote
    // (`ResponseHeadParser::recycle`), on the inline path (empty body) and the queued one
    let server = start(HttpServer::http1()).await;
    let (sender, _task) = connect(server.addr, Http1ClientConfig::new()).await;
    for i in 0..4 {
        let mut req = if i % 2 == 0 {
            get(&server.uri("/x"))
        } else {
            Request::post(server.uri("/echo"))
                .body(Body::from("body"))
                .unwrap()
        };
        for n in 0..6 {
            let name = rama_http::HeaderName::try_from(format!("x-req-{n}")).unwrap();
            req.headers_mut().insert(name, "1".parse().unwrap());
        }
        let res = timeout(WAIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        let leaked: Vec<_> = res
            .headers()
            .keys()
            .filter(|k| k.as_str().starts_with("x-req"))
            .collect();
        assert!(leaked.is_empty(), "request {i}: {leaked:?}");
        res.into_body().collect_bytes(1024).await.unwrap();
    }
    server.stop().await;
}
