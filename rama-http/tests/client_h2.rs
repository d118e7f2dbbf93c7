//! The h2 client connection against rama's own HttpServer (h2 and auto with prior
//! knowledge) over loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

#[path = "client_common.rs"]
mod common;

use common::*;
use rama_http::client::h2::{H2ClientConfig, SendRequest, handshake};
use rama_http::server::HttpServer;
use rama_http::{Body, HeaderMap, Request, StatusCode, Version};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;

type ConnTask = JoinHandle<Result<(), rama_http::client::Error>>;

async fn connect(addr: std::net::SocketAddr, config: H2ClientConfig) -> (SendRequest, ConnTask) {
    let io = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = timeout(WAIT, handshake(io, config)).await.unwrap().unwrap();
    (sender, tokio::spawn(conn))
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// Asserts the connection still serves a request after what a test did to one stream.
async fn the_connection_goes_on(sender: &SendRequest, server: &TestServer) {
    assert_body_is(
        sender.send_request(get(&server.uri("/after"))),
        "hello /after",
    )
    .await;
}

#[tokio::test]
async fn one_mib_both_ways_with_small_windows() {
    for server in [HttpServer::h2(), HttpServer::auto()] {
        let server = start(server).await;
        // small windows: the transfer only completes if capacity is released as read
        let config = H2ClientConfig::new()
            .with_initial_window_size(16 * 1024)
            .with_initial_connection_window_size(32 * 1024)
            .with_max_frame_size(16 * 1024)
            .with_header_table_size(4096)
            .with_max_header_list_size(64 * 1024)
            .with_max_concurrent_reset_streams(10);
        let (sender, task) = connect(server.addr, config).await;
        let data = pattern(1 << 20);

        let res = timeout(WAIT, sender.send_request(get(&server.uri("/big/1048576"))))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.version(), Version::HTTP_2);
        let got = timeout(WAIT, res.into_body().collect_bytes(2 << 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fnv(&got), fnv(&data));

        let req = Request::post(server.uri("/sum"))
            .body(Body::from(data.clone()))
            .unwrap();
        let res = timeout(WAIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        let text = res.into_body().collect_string(1024).await.unwrap();
        assert_eq!(text, format!("1048576 {:016x}", fnv(&data)));

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
        assert_eq!(fnv(&got), fnv(&data));

        assert!(sender.is_ready());
        assert!(!sender.is_closed());
        drop(sender);
        timeout(WAIT, task).await.unwrap().unwrap().unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn trailers_both_ways() {
    let server = start(HttpServer::h2()).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
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
async fn fifty_concurrent_streams_on_one_connection() {
    let server = start(HttpServer::h2()).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let sender = sender.clone();
        let uri = server.uri(&format!("/big/{}", 1000 + i));
        tasks.push(tokio::spawn(async move {
            let res = sender.send_request(get(&uri)).await.unwrap();
            res.into_body().collect_bytes(1 << 20).await.unwrap().len()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(timeout(WAIT, task).await.unwrap().unwrap(), 1000 + i);
    }
    let peers = server.peers.lock().unwrap().clone();
    assert_eq!(peers.len(), 50);
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one connection: {peers:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn head_and_204_have_empty_bodies() {
    let server = start(HttpServer::h2()).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
    let req = Request::head(server.uri("/big/100"))
        .body(Body::empty())
        .unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.into_body().collect_bytes(10).await.unwrap().is_empty());
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/status/204"))))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.into_body().collect_bytes(10).await.unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn dropping_a_response_body_resets_the_stream() {
    let server = start(HttpServer::h2()).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/endless"))))
        .await
        .unwrap()
        .unwrap();
    let mut body = res.into_body();
    body.frame().await.unwrap().unwrap();
    drop(body);
    // the server's handler sees its stream go away
    timeout(WAIT, async {
        while ENDLESS_STOPPED.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the stream was reset");
    the_connection_goes_on(&sender, &server).await;
    server.stop().await;
}

/// RFC 9113 §8.1: a server may answer before the request body is in, then end the
/// upload with RST_STREAM(NO_ERROR). The client keeps the complete response, stops sending
/// (the body it was sending is dropped) and the connection goes on.
#[tokio::test]
async fn an_early_answer_stops_the_upload_and_keeps_the_response() {
    let server = start(HttpServer::h2()).await;
    let config = H2ClientConfig::new()
        .with_initial_window_size(16 * 1024)
        .with_initial_connection_window_size(32 * 1024);
    let (sender, _task) = connect(server.addr, config).await;
    // an upload that never ends: only the reset can stop it
    let (tx, body) = Body::channel();
    let upload = tokio::spawn(async move {
        let chunk = bytes::Bytes::from(pattern(16 * 1024));
        let mut sent = 0usize;
        while tx.send_data(chunk.clone()).await.is_ok() {
            sent += chunk.len();
        }
        sent
    });
    // "/early" is not read by the test service: it answers "hello /early" at once
    let req = Request::post(server.uri("/early")).body(body).unwrap();
    let res = timeout(WAIT, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        timeout(WAIT, res.into_body().collect_string(100))
            .await
            .unwrap()
            .unwrap(),
        "hello /early"
    );
    let sent = timeout(WAIT, upload)
        .await
        .expect("the reset stops the upload")
        .unwrap();
    assert!(
        sent < 1 << 20,
        "{sent} bytes went up before the upload stopped"
    );
    the_connection_goes_on(&sender, &server).await;
    server.stop().await;
}

/// A server that never answers: the request fails with a timeout error once the
/// response-head timeout passed, and the connection serves the next request.
#[tokio::test]
async fn a_silent_server_times_out_the_response_head() {
    let server = start(HttpServer::h2()).await;
    let config = H2ClientConfig::new().with_response_head_timeout(Some(Duration::from_millis(200)));
    let (sender, _task) = connect(server.addr, config).await;
    let started = std::time::Instant::now();
    let err = timeout(WAIT, sender.send_request(get(&server.uri("/silent"))))
        .await
        .expect("the head timeout ends the wait")
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(200));
    the_connection_goes_on(&sender, &server).await;
    assert_eq!(
        H2ClientConfig::new().response_head_timeout(),
        Some(Duration::from_secs(30))
    );
    server.stop().await;
}

#[tokio::test]
async fn origin_form_request_uses_the_host_header() {
    let server = start(HttpServer::h2()).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
    let req = Request::get("/x")
        .header("host", server.addr.to_string())
        .header("connection", "keep-alive")
        .body(Body::empty())
        .unwrap();
    assert_body_is(sender.send_request(req), "hello /x").await;
    server.stop().await;
}

#[tokio::test]
async fn server_gone_gives_a_typed_error_not_a_hang() {
    let server = start(HttpServer::h2()).await;
    let (sender, task) = connect(server.addr, H2ClientConfig::new()).await;
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/a"))))
        .await
        .unwrap()
        .unwrap();
    res.into_body().collect_bytes(100).await.unwrap();
    server.stop().await;
    let _ = timeout(WAIT, task).await.unwrap().unwrap();
    assert!(sender.is_closed());
    let err = timeout(WAIT, sender.send_request(get("http://127.0.0.1:1/b")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_closed() || err.is_h2() || err.is_io(), "{err:#}");
}

#[tokio::test]
async fn garbage_peer_gives_a_typed_error_not_a_hang() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
    });
    let io = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = timeout(WAIT, handshake(io, H2ClientConfig::new()))
        .await
        .unwrap()
        .unwrap();
    let task = tokio::spawn(conn);
    let err = timeout(WAIT, sender.send_request(get(&format!("http://{addr}/"))))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_h2() || err.is_closed() || err.is_io(), "{err:#}");
    let conn_err = timeout(WAIT, task).await.unwrap().unwrap().unwrap_err();
    assert!(
        conn_err.is_h2() || conn_err.is_io() || conn_err.is_closed(),
        "{conn_err:#}"
    );
    peer.await.unwrap();
}

#[tokio::test]
async fn more_requests_than_the_server_allows_streams_queue_and_all_succeed() {
    let config = rama_http::h2::H2ServerConfig::new().with_max_concurrent_streams(2);
    let server = start(HttpServer::h2().with_h2_config(config)).await;
    let (sender, _task) = connect(server.addr, H2ClientConfig::new()).await;
    // let the server's SETTINGS (the limit) arrive first
    let res = timeout(WAIT, sender.send_request(get(&server.uri("/warm"))))
        .await
        .unwrap()
        .unwrap();
    res.into_body().collect_bytes(100).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let sender = sender.clone();
        let uri = server.uri(&format!("/big/{}", 20_000 + i));
        tasks.push(tokio::spawn(async move {
            let res = sender.send_request(get(&uri)).await.unwrap();
            res.into_body().collect_bytes(1 << 20).await.unwrap().len()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(timeout(WAIT, task).await.unwrap().unwrap(), 20_000 + i);
    }
    let peers = server.peers.lock().unwrap().clone();
    assert_eq!(peers.len(), 21);
    assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
    server.stop().await;
}
