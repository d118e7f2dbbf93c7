//! The h2 server over loopback TCP with the `h2` crate's client as the peer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use bytes::Bytes;
use h2::{Reason, RecvStream, SendStream, client::SendRequest};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use rama_core::{
    error::BoxError,
    extensions::Extensions,
    graceful::{Shutdown, ShutdownTrigger},
    service_fn,
};
use rama_http::connection::ConnectionExtensions;
use rama_http::{
    Body,
    h2::{EarlyFrames, H2ServerConfig, PseudoHeader, TapOutcome, WindowUpdate, serve_connection},
};
use rama_net::stream::SocketInfo;
use std::{convert::Infallible, future::poll_fn, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Notify, mpsc, oneshot},
    task::JoinHandle,
};

const LIMIT: Duration = Duration::from_secs(10);

async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f).await.expect("timed out")
}

/// A marker the test puts in the connection extensions to see them reach requests.
#[derive(Clone, Debug, PartialEq)]
struct ConnTag(&'static str);

struct Server {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    /// results of `serve_connection`, one per connection
    results: mpsc::UnboundedReceiver<Result<(), String>>,
    accept: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn start<S>(service: S) -> Server
where
    S: rama_core::Service<Request<Body>, Output = Response<Body>> + Clone,
    S::Error: Into<BoxError>,
{
    start_with(H2ServerConfig::new(), service).await
}

async fn start_with<S>(config: H2ServerConfig, service: S) -> Server
where
    S: rama_core::Service<Request<Body>, Output = Response<Body>> + Clone,
    S::Error: Into<BoxError>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let trigger = shutdown.trigger();
    let signal = shutdown.guard().signal();
    let (tx, results) = mpsc::unbounded_channel();
    let accept = tokio::spawn(async move {
        let _shutdown = shutdown;
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            // as rama's TcpListener does by default
            stream.set_nodelay(true).unwrap();
            let service = service.clone();
            let signal = signal.clone();
            let tx = tx.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let mut ext = Extensions::new();
                ext.insert(ConnTag("loopback"));
                ext.insert(SocketInfo::new(
                    stream.local_addr().ok(),
                    stream.peer_addr().unwrap(),
                ));
                let r = serve_connection(stream, &config, service, ext, Some(signal)).await;
                let _ = tx.send(r.map_err(|e| e.to_string()));
            });
        }
    });
    Server {
        addr,
        trigger,
        results,
        accept,
    }
}

async fn connect(addr: SocketAddr) -> (SendRequest<Bytes>, JoinHandle<Result<(), h2::Error>>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    (client, tokio::spawn(conn))
}

async fn send_all(stream: &mut SendStream<Bytes>, mut data: Bytes) {
    while !data.is_empty() {
        stream.reserve_capacity(data.len());
        let n = poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .unwrap()
            .unwrap();
        let chunk = data.split_to(n.min(data.len()));
        stream.send_data(chunk, false).unwrap();
    }
}

async fn read_all(body: &mut RecvStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        out.extend_from_slice(&chunk);
    }
    out
}

fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8 ^ seed)
        .collect::<Vec<u8>>()
        .into()
}

fn get(path: &str) -> Request<()> {
    Request::builder()
        .uri(format!("http://localhost{path}"))
        .body(())
        .unwrap()
}

#[tokio::test]
async fn one_mib_bodies_both_ways() {
    let server = start(service_fn(async |req: Request<Body>| {
        assert_eq!(
            req.extensions().get::<Extensions>().unwrap().get(),
            Some(&ConnTag("loopback"))
        );
        let socket = req.connection_get::<SocketInfo>().unwrap();
        assert!(socket.peer_addr().ip().is_loopback());
        let body = req
            .into_body()
            .collect_bytes(2 * 1024 * 1024)
            .await
            .unwrap();
        let ok = body == pattern(1024 * 1024, 7);
        // answer in 16 streamed chunks of 64 KiB
        let (tx, response_body) = Body::channel();
        tokio::spawn(async move {
            let all = pattern(1024 * 1024, 9);
            for i in 0..16 {
                tx.send_data(all.slice(i * 65536..(i + 1) * 65536))
                    .await
                    .unwrap();
            }
        });
        let mut response = Response::new(response_body);
        response.headers_mut().insert(
            "x-request-ok",
            HeaderValue::from_static(if ok { "yes" } else { "no" }),
        );
        Ok::<_, Infallible>(response)
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let mut request = get("/upload");
    *request.method_mut() = Method::POST;
    let (response, mut send) = client.send_request(request, false).unwrap();
    within(send_all(&mut send, pattern(1024 * 1024, 7))).await;
    send.send_data(Bytes::new(), true).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-ok"], "yes");
    let mut body = response.into_body();
    let got = within(read_all(&mut body)).await;
    assert_eq!(got.len(), 1024 * 1024);
    assert!(got == pattern(1024 * 1024, 9));
}

#[tokio::test]
async fn trailers_both_ways() {
    let server = start(service_fn(async |req: Request<Body>| {
        let collected = rama_http::body::collect(req.into_body(), 1024)
            .await
            .unwrap();
        let trailers = collected.trailers.unwrap_or_default();
        let (tx, body) = Body::channel();
        tokio::spawn(async move {
            tx.send_data(collected.data).await.unwrap();
            let mut out = HeaderMap::new();
            out.insert("x-echo-checksum", trailers["x-checksum"].clone());
            out.insert("x-server", HeaderValue::from_static("rama"));
            tx.send_trailers(out).await.unwrap();
        });
        Ok::<_, Infallible>(Response::new(body))
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let (response, mut send) = client.send_request(get("/t"), false).unwrap();
    send.send_data(Bytes::from_static(b"payload"), false)
        .unwrap();
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", HeaderValue::from_static("abc123"));
    send.send_trailers(trailers).unwrap();
    let response = within(response).await.unwrap();
    let mut body = response.into_body();
    assert_eq!(within(read_all(&mut body)).await, b"payload");
    let trailers = within(body.trailers()).await.unwrap().unwrap();
    assert_eq!(trailers["x-echo-checksum"], "abc123");
    assert_eq!(trailers["x-server"], "rama");
}

#[tokio::test]
async fn service_error_becomes_500() {
    let server = start(service_fn(async |_req: Request<Body>| {
        Err::<Response<Body>, _>(BoxError::from("boom"))
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let (response, _) = client.send_request(get("/"), true).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// Dropped when the service's future is dropped.
struct DropSignal(Option<oneshot::Sender<()>>);
impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test]
async fn client_reset_reaches_the_service() {
    // three cases on one connection: reset while the service reads the request body, while it
    // works on the answer, and while the response body streams
    let (events_tx, mut events) = mpsc::unbounded_channel::<(String, String)>();
    let (drop_tx, drop_rx) = mpsc::unbounded_channel::<oneshot::Receiver<()>>();
    let drop_tx = Arc::new(drop_tx);
    let server = start(service_fn(move |req: Request<Body>| {
        let events = events_tx.clone();
        let drop_tx = drop_tx.clone();
        async move {
            let path = req.uri().path().to_owned();
            match path.as_str() {
                "/read" => {
                    // read the body in a task of its own: the service future itself is
                    // dropped on reset (case 2), the body must then fail
                    let body = req.into_body();
                    tokio::spawn(async move {
                        let r = body.collect_bytes(1 << 20).await;
                        events.send((path, format!("{}", r.is_err()))).unwrap();
                    });
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                "/slow" => {
                    let (tx, rx) = oneshot::channel();
                    drop_tx.send(rx).unwrap();
                    let _guard = DropSignal(Some(tx));
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                _ => {
                    let (tx, body) = Body::channel();
                    tokio::spawn(async move {
                        let mut sent = 0usize;
                        loop {
                            if tx.send_data(vec![0u8; 16 * 1024]).await.is_err() {
                                break;
                            }
                            sent += 1;
                        }
                        events
                            .send(("/stream".into(), format!("stopped after {sent}")))
                            .unwrap();
                    });
                    Ok::<_, Infallible>(Response::new(body))
                }
            }
        }
    }))
    .await;
    let mut drop_rx = drop_rx;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();

    // 1. reset during the request body
    let (_response, mut send) = client.send_request(get("/read"), false).unwrap();
    send.send_data(Bytes::from_static(b"partial"), false)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    send.send_reset(Reason::CANCEL);
    assert_eq!(
        within(events.recv()).await.unwrap(),
        ("/read".into(), "true".into())
    );

    // 2. reset while the service works: its future is dropped
    let mut client = client.ready().await.unwrap();
    let (_response, mut send) = client.send_request(get("/slow"), false).unwrap();
    let dropped = within(drop_rx.recv()).await.unwrap();
    send.send_reset(Reason::CANCEL);
    within(dropped).await.unwrap();

    // 3. reset while the response streams: the body is dropped, its sender sees it
    let mut client = client.ready().await.unwrap();
    let (response, mut send) = client.send_request(get("/stream"), false).unwrap();
    let response = within(response).await.unwrap();
    let mut body = response.into_body();
    let first = within(body.data()).await.unwrap().unwrap();
    assert!(!first.is_empty());
    send.send_reset(Reason::CANCEL);
    drop(body);
    let (path, what) = within(events.recv()).await.unwrap();
    assert_eq!(path, "/stream");
    assert!(what.starts_with("stopped after"), "{what}");
    drop(server);
}

#[tokio::test]
async fn graceful_shutdown_sends_goaway_and_finishes_in_flight() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (e, r) = (entered.clone(), release.clone());
    let mut server = start(service_fn(move |_req: Request<Body>| {
        let (entered, release) = (e.clone(), r.clone());
        async move {
            entered.notify_one();
            release.notified().await;
            Ok::<_, Infallible>(Response::new(Body::from("finished")))
        }
    }))
    .await;
    let (client, conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let (in_flight, _) = client.send_request(get("/long"), true).unwrap();
    within(entered.notified()).await;

    server.trigger.trigger();
    // after GOAWAY the server refuses new streams; the client sees it on its next request
    let refusal = within(async {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut c = match client.clone().ready().await {
                Ok(c) => c,
                Err(e) => break e,
            };
            match c.send_request(get("/new"), true) {
                Err(e) => break e,
                // a stream opened before the client saw GOAWAY is refused (or the service
                // would hold it until `release`, and this loop would time out)
                Ok((response, _)) => {
                    if let Err(e) = response.await {
                        break e;
                    }
                }
            }
        }
    })
    .await;
    assert!(
        refusal.is_go_away() || refusal.reason() == Some(Reason::REFUSED_STREAM),
        "{refusal:?}"
    );

    release.notify_one();
    let response = within(in_flight).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    assert_eq!(within(read_all(&mut body)).await, b"finished");
    // the server's connection ends cleanly, and so does the client's
    assert_eq!(within(server.results.recv()).await.unwrap(), Ok(()));
    within(conn).await.unwrap().unwrap();
}

#[tokio::test]
async fn early_frames_record_what_the_client_sent() {
    let (tx, mut rx) = mpsc::unbounded_channel::<EarlyFrames>();
    let server = start(service_fn(move |req: Request<Body>| {
        let tx = tx.clone();
        async move {
            let early = req.connection_get::<EarlyFrames>().cloned().unwrap();
            // the connection's facts are there too
            let conn = req.extensions().get::<Extensions>().unwrap();
            assert_eq!(conn.get(), Some(&ConnTag("loopback")));
            tx.send(early).unwrap();
            Ok::<_, Infallible>(Response::new(Body::empty()))
        }
    }))
    .await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (client, conn) = h2::client::Builder::new()
        .header_table_size(8192)
        .enable_push(false)
        .max_concurrent_streams(77)
        .initial_window_size(123_456)
        .max_frame_size(20_000)
        .max_header_list_size(9_999)
        .initial_connection_window_size(1 << 20)
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut client = client.ready().await.unwrap();
    for path in ["/first", "/second"] {
        let (response, _) = client.send_request(get(path), true).unwrap();
        within(response).await.unwrap();
        client = client.ready().await.unwrap();
    }
    let first = within(rx.recv()).await.unwrap();
    let second = within(rx.recv()).await.unwrap();
    assert_eq!(first, second, "one record per connection");
    assert_eq!(first.outcome(), TapOutcome::Complete);
    let settings: Vec<_> = first.settings().iter().map(|s| (s.id, s.value)).collect();
    assert_eq!(
        settings,
        [
            (1, 8192),
            (2, 0),
            (3, 77),
            (4, 123_456),
            (5, 20_000),
            (6, 9_999)
        ]
    );
    assert_eq!(
        first.window_updates(),
        [WindowUpdate {
            stream_id: 0,
            increment: (1 << 20) - 65_535
        }]
    );
    assert!(first.priorities().is_empty());
    // h2 writes :method, :scheme, :authority, :path
    assert_eq!(
        first.pseudo_header_order(),
        [
            PseudoHeader::Method,
            PseudoHeader::Scheme,
            PseudoHeader::Authority,
            PseudoHeader::Path
        ]
    );
    assert_eq!(first.first_headers().unwrap().stream_id, 1);
}

#[tokio::test]
async fn content_length_head_and_connection_headers() {
    let server = start(service_fn(async |_req: Request<Body>| {
        let mut response = Response::new(Body::from("twelve bytes"));
        response
            .headers_mut()
            .insert("connection", HeaderValue::from_static("keep-alive"));
        response
            .headers_mut()
            .insert("transfer-encoding", HeaderValue::from_static("chunked"));
        Ok::<_, Infallible>(response)
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    for method in [Method::GET, Method::HEAD] {
        let mut client = client.clone().ready().await.unwrap();
        let mut request = get("/");
        *request.method_mut() = method.clone();
        let (response, _) = client.send_request(request, true).unwrap();
        let response = within(response).await.unwrap();
        assert_eq!(response.headers()["content-length"], "12", "{method}");
        assert!(!response.headers().contains_key("connection"));
        assert!(!response.headers().contains_key("transfer-encoding"));
        let mut body = response.into_body();
        let want: &[u8] = if method == Method::HEAD {
            b""
        } else {
            b"twelve bytes"
        };
        assert_eq!(within(read_all(&mut body)).await, want, "{method}");
    }
}

#[tokio::test]
async fn streams_are_served_concurrently() {
    // every handler waits until all of them have started: only concurrent streams finish
    const N: usize = 50;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let server = start(service_fn(move |_req: Request<Body>| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            Ok::<_, Infallible>(Response::new(Body::from("ok")))
        }
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut responses = Vec::new();
    for i in 0..N {
        let mut c = client.clone().ready().await.unwrap();
        let (response, _) = c.send_request(get(&format!("/{i}")), true).unwrap();
        responses.push(response);
    }
    for response in responses {
        assert_eq!(within(response).await.unwrap().status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn silent_client_hits_the_handshake_timeout() {
    let config = H2ServerConfig::new().with_handshake_timeout(Some(Duration::from_millis(200)));
    let mut server = start_with(
        config,
        service_fn(async |_req: Request<Body>| Ok::<_, Infallible>(Response::new(Body::empty()))),
    )
    .await;
    let _silent = TcpStream::connect(server.addr).await.unwrap();
    let result = within(server.results.recv()).await.unwrap();
    assert!(result.unwrap_err().contains("handshake timed out"));
}

/// A connection with no stream in flight for the idle timeout gets GOAWAY and is closed;
/// one with a stream in flight is not, however long the stream takes.
#[tokio::test]
async fn idle_connection_gets_goaway_after_the_idle_timeout() {
    let idle = Duration::from_millis(300);
    let config = H2ServerConfig::new().with_idle_timeout(Some(idle));
    let mut server = start_with(
        config,
        service_fn(async |req: Request<Body>| {
            if req.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(900)).await;
            }
            Ok::<_, Infallible>(Response::new(Body::from("done")))
        }),
    )
    .await;
    let (mut client, conn) = connect(server.addr).await;
    let started = tokio::time::Instant::now();
    // a stream lasting three idle timeouts keeps the connection open
    let (response, _) = client.send_request(get("/slow"), true).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(900));
    // then, idle: the server closes the connection, cleanly, soon after the timeout
    let idle_from = tokio::time::Instant::now();
    within(conn).await.unwrap().unwrap();
    let closed_after = idle_from.elapsed();
    assert!(
        closed_after >= idle - Duration::from_millis(50),
        "{closed_after:?}"
    );
    assert!(closed_after < idle * 4, "{closed_after:?}");
    within(server.results.recv()).await.unwrap().unwrap();
}

/// With keep-alive pings on, a client that answers them keeps its connection over many
/// intervals; one that went silent (socket open, nothing read: a vanished peer) is closed
/// soon after a PING goes unacknowledged, even with a stream still in flight.
#[tokio::test]
async fn keep_alive_pings_close_a_silent_peer() {
    let interval = Duration::from_millis(100);
    let timeout = Duration::from_millis(200);
    let config = H2ServerConfig::new().with_keep_alive(Some((interval, timeout)));
    let mut server = start_with(
        config,
        service_fn(async |req: Request<Body>| {
            if req.uri().path() == "/hang" {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Ok::<_, Infallible>(Response::new(Body::from("ok")))
        }),
    )
    .await;

    // a live client: pings are acknowledged by its connection task, requests keep working
    let (client, conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    tokio::time::sleep(interval * 6).await;
    let (response, _) = client.send_request(get("/"), true).unwrap();
    assert_eq!(within(response).await.unwrap().status(), StatusCode::OK);
    assert!(!conn.is_finished());

    // a silent client: handshake done, a stream open, then nobody reads the socket
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (silent, silent_conn) = h2::client::handshake(tcp).await.unwrap();
    let mut silent_conn = Box::pin(silent_conn);
    let mut silent = silent.ready().await.unwrap();
    let (_pending, _) = silent.send_request(get("/hang"), true).unwrap();
    // drive the client until the request is surely sent, then stop polling it
    let _ = tokio::time::timeout(Duration::from_millis(50), &mut silent_conn).await;
    let silent_since = tokio::time::Instant::now();
    let result = within(server.results.recv()).await.unwrap();
    let err = result.unwrap_err();
    assert!(err.contains("keep-alive"), "{err}");
    let closed_after = silent_since.elapsed();
    assert!(closed_after < interval + timeout * 3, "{closed_after:?}");
    drop(silent_conn);
    drop(client);
    within(conn).await.unwrap().unwrap();
}

#[tokio::test]
async fn early_frames_can_be_turned_off() {
    let (tx, mut rx) = mpsc::unbounded_channel::<bool>();
    let server = start_with(
        H2ServerConfig::new().with_record_early_frames(false),
        service_fn(move |req: Request<Body>| {
            let tx = tx.clone();
            async move {
                tx.send(req.connection_get::<EarlyFrames>().is_some())
                    .unwrap();
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        }),
    )
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let (response, _) = client.send_request(get("/"), true).unwrap();
    within(response).await.unwrap();
    assert!(!within(rx.recv()).await.unwrap());
}

#[tokio::test]
async fn shutdown_closes_a_connection_still_in_its_handshake() {
    let mut server = start(service_fn(async |_req: Request<Body>| {
        Ok::<_, Infallible>(Response::new(Body::empty()))
    }))
    .await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.trigger.trigger();
    assert_eq!(within(server.results.recv()).await.unwrap(), Ok(()));
    // the server closed its side (after its own SETTINGS, if it had written them)
    let mut buf = Vec::new();
    within(tokio::io::AsyncReadExt::read_to_end(&mut silent, &mut buf))
        .await
        .unwrap();
}

#[tokio::test]
async fn extended_connect_echo_stream() {
    // RFC 8441: the server announces SETTINGS_ENABLE_CONNECT_PROTOCOL and a CONNECT with
    // :protocol gets a 200 whose body echoes the request body as it arrives
    let server = start(service_fn(async |req: Request<Body>| {
        let protocol = req.extensions().get::<h2::ext::Protocol>().cloned();
        assert_eq!(req.method(), Method::CONNECT);
        assert_eq!(protocol.unwrap().as_str(), "websocket");
        Ok::<_, Infallible>(Response::new(req.into_body()))
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    // the server's SETTINGS arrive asynchronously
    within(async {
        while !client.is_extended_connect_protocol_enabled() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let mut request = get("/chat");
    *request.method_mut() = Method::CONNECT;
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("websocket"));
    let (response, mut send) = client.send_request(request, false).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    for message in ["ping", "pong", "bye"] {
        send.send_data(Bytes::from(message), false).unwrap();
        let echoed = within(body.data()).await.unwrap().unwrap();
        body.flow_control().release_capacity(echoed.len()).unwrap();
        assert_eq!(echoed, message);
    }
    send.send_data(Bytes::new(), true).unwrap();
    // the server ends its side too (an empty DATA frame with END_STREAM ends a stream)
    assert!(within(read_all(&mut body)).await.is_empty());
}

/// Compile-time: the public types are `Send + Sync` and the connection future is `Send`.
#[test]
fn public_types_are_send_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<H2ServerConfig>();
    send_sync::<EarlyFrames>();
    send_sync::<rama_http::h2::H2ConnectionError>();
    send_sync::<rama_http::h2::EarlyFramesHandle>();
    send_sync::<rama_http::h2::EarlyFrameParser>();
    let config = H2ServerConfig::new();
    let (io, _peer) = tokio::io::duplex(64);
    let service =
        service_fn(async |_req: Request<Body>| Ok::<_, Infallible>(Response::new(Body::empty())));
    let fut = serve_connection(io, &config, service, Extensions::new(), None);
    send(&fut);
}

#[tokio::test]
async fn response_body_error_resets_the_stream() {
    let server = start(service_fn(async |_req: Request<Body>| {
        let (tx, body) = Body::channel();
        tokio::spawn(async move {
            tx.send_data("partial").await.unwrap();
            tx.abort("the upstream went away");
        });
        Ok::<_, Infallible>(Response::new(body))
    }))
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let (response, _) = client.send_request(get("/"), true).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let error = within(async {
        loop {
            match body.data().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break e,
                None => panic!("the body ended cleanly"),
            }
        }
    })
    .await;
    assert_eq!(error.reason(), Some(Reason::INTERNAL_ERROR), "{error:?}");
}

#[tokio::test]
async fn early_frames_follow_continuation_frames() {
    // a 40 KB header does not fit one 16 KiB frame: h2 sends HEADERS + CONTINUATIONs
    let (tx, mut rx) = mpsc::unbounded_channel::<EarlyFrames>();
    let server = start_with(
        H2ServerConfig::new().with_max_header_list_size(128 * 1024),
        service_fn(move |req: Request<Body>| {
            let tx = tx.clone();
            async move {
                assert_eq!(req.headers()["x-big"].len(), 40_000);
                tx.send(req.connection_get::<EarlyFrames>().cloned().unwrap())
                    .unwrap();
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        }),
    )
    .await;
    let (client, _conn) = connect(server.addr).await;
    let mut client = client.ready().await.unwrap();
    let mut request = get("/big");
    let big: String = (0..40_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    request
        .headers_mut()
        .insert("x-big", HeaderValue::from_str(&big).unwrap());
    request
        .headers_mut()
        .insert("x-after", HeaderValue::from_static("1"));
    let (response, _) = client.send_request(request, true).unwrap();
    assert_eq!(within(response).await.unwrap().status(), StatusCode::OK);
    let early = within(rx.recv()).await.unwrap();
    assert_eq!(early.outcome(), TapOutcome::Complete, "{early:?}");
    let headers = early.first_headers().unwrap();
    assert!(headers.continuations >= 1, "{headers:?}");
    assert_eq!(early.pseudo_header_order().len(), 4);
    let names: Vec<_> = headers.header_names.iter().map(|n| n.as_str()).collect();
    assert!(
        names.contains(&"x-big") && names.contains(&"x-after"),
        "{names:?}"
    );
}
