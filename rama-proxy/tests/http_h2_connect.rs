//! h2 CONNECT (RFC 9113 §8.5) through the forward proxy over loopback, with the `h2` crate
//! as the client: the stream's DATA frames carry the tunnel both ways, the client's END_STREAM
//! half-closes the target, and failures answer 502/403 on the stream. Plain `http://`
//! requests over h2 (`:scheme http`, `:authority` the origin) are forwarded as HTTP/1.1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use bytes::Bytes;
use rama_core::graceful::Shutdown;
use rama_http::client::EasyHttpWebClient;
use rama_http::server::HttpServer;
use rama_net::dns::InMemoryDns;
use rama_net::stream::ForwardConfig;
use rama_proxy::http::server::HttpForwardProxy;
use rama_proxy::policy::{PolicyConnector, TargetPolicy};
use rama_tcp::server::TcpListener;
use rama_test_support::pattern;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn start_proxy(policy: TargetPolicy) -> (SocketAddr, Shutdown) {
    start_proxy_with(policy, ForwardConfig::new()).await
}

async fn start_proxy_with(policy: TargetPolicy, tunnel: ForwardConfig) -> (SocketAddr, Shutdown) {
    let connector = PolicyConnector::tcp(InMemoryDns::new(), policy);
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let proxy = HttpForwardProxy::new(connector, client).with_tunnel_config(tunnel);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    shutdown
        .spawn_task(listener.serve_graceful(shutdown.guard(), HttpServer::auto().service(proxy)));
    (addr, shutdown)
}

/// A TCP target that echoes everything, then closes its side once the client half-closed.
async fn start_echo() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                let _ = w.shutdown().await;
            });
        }
    });
    addr
}

async fn h2_client(proxy: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let (send, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

fn connect_request(target: &str) -> http::Request<()> {
    http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(target)
        .body(())
        .unwrap()
}

async fn read_all(body: &mut h2::RecvStream) -> Vec<u8> {
    let mut got = Vec::new();
    while let Some(chunk) = timeout(WAIT, body.data()).await.unwrap() {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        got.extend_from_slice(&chunk);
    }
    got
}

#[tokio::test]
async fn h2_connect_tunnels_bytes_both_ways_with_half_close() {
    let echo = start_echo().await;
    let (proxy, shutdown) = start_proxy(TargetPolicy::allow_all()).await;
    let mut send = h2_client(proxy).await.ready().await.unwrap();

    let (response, mut stream) = send
        .send_request(connect_request(&echo.to_string()), false)
        .unwrap();
    let response = timeout(WAIT, response).await.unwrap().unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let mut body = response.into_body();

    // 200 KiB up (more than one flow-control window), then END_STREAM: the echo closes
    let data = pattern(200 * 1024);
    let upload = {
        let data = Bytes::from(data.clone());
        tokio::spawn(async move {
            let mut rest = data;
            while !rest.is_empty() {
                stream.reserve_capacity(rest.len());
                let cap = std::future::poll_fn(|cx| stream.poll_capacity(cx))
                    .await
                    .unwrap()
                    .unwrap();
                let chunk = rest.split_to(cap.min(rest.len()));
                stream.send_data(chunk, false).unwrap();
            }
            stream.send_data(Bytes::new(), true).unwrap();
        })
    };
    let got = read_all(&mut body).await;
    timeout(WAIT, upload).await.unwrap().unwrap();
    assert!(got == data, "echoed {} of {} bytes", got.len(), data.len());

    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
}

#[tokio::test]
async fn h2_connect_failures_answer_on_the_stream() {
    let closed = rama_test_support::free_port();
    let echo = start_echo().await;
    let (proxy, shutdown) = start_proxy(TargetPolicy::public_only()).await;
    let send = h2_client(proxy).await;
    for (target, status) in [
        (format!("127.0.0.1:{closed}"), 403),
        (format!("[::1]:{}", echo.port()), 403),
    ] {
        let mut send = send.clone().ready().await.unwrap();
        let (response, _stream) = send.send_request(connect_request(&target), false).unwrap();
        let response = timeout(WAIT, response).await.unwrap().unwrap();
        assert_eq!(response.status().as_u16(), status, "{target}");
        let reason = read_all(&mut response.into_body()).await;
        let reason = String::from_utf8(reason).unwrap();
        assert!(reason.contains("refused by policy"), "{reason}");
    }
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();

    // an open policy: the closed port is a 502
    let (proxy, shutdown) = start_proxy(TargetPolicy::allow_all()).await;
    let mut send = h2_client(proxy).await.ready().await.unwrap();
    let target = format!("127.0.0.1:{closed}");
    let (response, _stream) = send.send_request(connect_request(&target), false).unwrap();
    let response = timeout(WAIT, response).await.unwrap().unwrap();
    assert_eq!(response.status(), http::StatusCode::BAD_GATEWAY);
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
}

#[tokio::test]
async fn h2_requests_for_http_urls_are_forwarded() {
    use rama_core::service_fn;
    let origin = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_addr = origin.local_addr().unwrap();
    let origin_shutdown = Shutdown::manual();
    let svc = HttpServer::http1().service(service_fn(
        async |req: rama_http::Request<rama_http::Body>| {
            let text = format!("{:?} {}", req.version(), req.uri());
            Ok::<_, std::convert::Infallible>(rama_http::Response::new(rama_http::Body::from(text)))
        },
    ));
    origin_shutdown.spawn_task(origin.serve_graceful(origin_shutdown.guard(), svc));

    let (proxy, shutdown) = start_proxy(TargetPolicy::allow_all()).await;
    let mut send = h2_client(proxy).await.ready().await.unwrap();
    let req = http::Request::get(format!("http://{origin_addr}/over-h2?q=1"))
        .body(())
        .unwrap();
    let (response, _) = send.send_request(req, true).unwrap();
    let response = timeout(WAIT, response).await.unwrap().unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let body = String::from_utf8(read_all(&mut response.into_body()).await).unwrap();
    // the origin got an HTTP/1.1 request in origin-form
    assert_eq!(body, "HTTP/1.1 /over-h2?q=1");

    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
    origin_shutdown.trigger().trigger();
    timeout(WAIT, origin_shutdown.shutdown()).await.unwrap();
}

/// A TCP target that reads everything and never answers.
async fn start_sink() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn h2_connect_idle_timeout_counts_both_directions() {
    let idle = Duration::from_millis(300);
    let sink = start_sink().await;
    let (addr, shutdown) = start_proxy_with(
        TargetPolicy::allow_all(),
        ForwardConfig::new().with_idle_timeout(idle),
    )
    .await;
    let mut send = h2_client(addr).await.ready().await.unwrap();

    let (response, mut stream) = send
        .send_request(connect_request(&sink.to_string()), false)
        .unwrap();
    let response = timeout(WAIT, response).await.unwrap().unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let mut body = response.into_body();

    // uploading for 4 idle timeouts, nothing coming back: the tunnel stays open
    for _ in 0..12 {
        stream
            .send_data(Bytes::from_static(b"tick"), false)
            .unwrap();
        tokio::time::sleep(idle / 3).await;
    }
    let still_open = timeout(Duration::from_millis(10), body.data()).await;
    assert!(
        still_open.is_err(),
        "the tunnel ended while the client was sending"
    );

    // silent both ways: closed after about one idle timeout
    let started = std::time::Instant::now();
    let end = timeout(WAIT, body.data())
        .await
        .expect("the idle tunnel ends");
    assert!(matches!(end, None | Some(Err(_))), "{end:?}");
    assert!(started.elapsed() < idle * 4, "took {:?}", started.elapsed());

    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
}
