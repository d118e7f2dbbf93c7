//! Shared pieces of the client tests (included by `client_http1.rs` and `client_h2.rs`
//! through `#[path]`): a rama HttpServer on loopback with a test service.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code; each test file uses a part"
)]

use bytes::Bytes;
use rama_core::error::BoxError;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::connection::ConnectionExtensions;
use rama_http::server::HttpServer;
use rama_http::wire::{OriginalHeaderNames, ordered_headers};
use rama_http::{Body, HeaderMap, Request, Response, StatusCode};
use rama_net::stream::SocketInfo;
use rama_tcp::server::TcpListener;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many `/endless` responses stopped because the client went away.
pub(crate) static ENDLESS_STOPPED: AtomicUsize = AtomicUsize::new(0);

/// Bounds every wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// Awaits a client's `response` (within [`WAIT`]) and asserts that it arrived and that
/// its body is `expected`.
pub(crate) async fn assert_body_is<E: std::fmt::Debug>(
    response: impl Future<Output = Result<Response<Body>, E>>,
    expected: &str,
) {
    let res = tokio::time::timeout(WAIT, response)
        .await
        .expect("a response in time")
        .expect("a response");
    let body = tokio::time::timeout(WAIT, res.into_body().collect_string(100))
        .await
        .expect("the body in time")
        .expect("the body");
    assert_eq!(body, expected);
}

/// A running server; call [`TestServer::stop`].
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: Shutdown,
    /// peer ports of the requests served, in order
    pub(crate) peers: Arc<Mutex<Vec<u16>>>,
}

impl TestServer {
    pub(crate) async fn stop(self) {
        self.shutdown.trigger().trigger();
        tokio::time::timeout(WAIT, self.shutdown.shutdown())
            .await
            .expect("server stops in time");
    }

    pub(crate) fn uri(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub(crate) async fn start(server: HttpServer) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let peers = Arc::new(Mutex::new(Vec::new()));
    let seen = peers.clone();
    let service = server.service(service_fn(move |req: Request<Body>| {
        let seen = seen.clone();
        async move { handle(req, seen).await }
    }));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    TestServer {
        addr,
        shutdown,
        peers,
    }
}

pub(crate) fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

pub(crate) fn fnv(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A body of unknown size, sent in 16 KiB frames with `trailers` at the end.
pub(crate) fn unsized_body(data: Vec<u8>, trailers: Option<HeaderMap>) -> Body {
    let (tx, body) = Body::channel();
    tokio::spawn(async move {
        for part in data.chunks(16 * 1024) {
            if tx.send_data(Bytes::copy_from_slice(part)).await.is_err() {
                return;
            }
        }
        if let Some(t) = trailers {
            let _ = tx.send_trailers(t).await;
        }
    });
    body
}

/// The test service, by path:
/// - `/headers`: the request's header lines in wire order and spelling
/// - `/echo`: the request body (and trailers) streamed back
/// - `/sum`: length and FNV-1a of the request body, then `|name=value` per trailer
/// - `/status/N`: status N with an empty body ("x" for 200)
/// - `/big/N`: N bytes of [`pattern`], unknown size
/// - `/trailers`: "data" of unknown size, then trailer `x-checksum: 42`
/// - `/endless`: data until the client goes away
/// - `/silent`: no answer at all (for response-head timeouts)
/// - anything else: "hello <path>"
async fn handle(
    req: Request<Body>,
    seen: Arc<Mutex<Vec<u16>>>,
) -> Result<Response<Body>, BoxError> {
    if let Some(info) = req.connection_get::<SocketInfo>() {
        seen.lock().unwrap().push(info.peer_addr().port());
    }
    let path = req.uri().path().to_owned();
    let res = match path.as_str() {
        "/headers" => {
            let record = req.extensions().get::<OriginalHeaderNames>();
            let mut out = String::new();
            for (name, value) in ordered_headers(req.headers(), record) {
                out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
            }
            Response::new(Body::from(out))
        }
        "/echo" => Response::new(req.into_body()),
        "/sum" => {
            let mut body = req.into_body();
            let mut data = Vec::new();
            let mut trailers = String::new();
            while let Some(frame) = body.frame().await {
                let frame = frame?;
                match frame.into_data() {
                    Ok(d) => data.extend_from_slice(&d),
                    Err(f) => {
                        if let Ok(t) = f.into_trailers() {
                            for (n, v) in &t {
                                trailers.push_str(&format!("|{n}={}", v.to_str()?));
                            }
                        }
                    }
                }
            }
            Response::new(Body::from(format!(
                "{} {:016x}{trailers}",
                data.len(),
                fnv(&data)
            )))
        }
        "/trailers" => {
            let mut t = HeaderMap::new();
            t.insert("x-checksum", "42".parse()?);
            Response::new(unsized_body(b"data".to_vec(), Some(t)))
        }
        "/silent" => std::future::pending().await,
        "/endless" => {
            let (tx, body) = Body::channel();
            tokio::spawn(async move {
                while tx
                    .send_data(Bytes::from_static(&[b'e'; 16 * 1024]))
                    .await
                    .is_ok()
                {}
                ENDLESS_STOPPED.fetch_add(1, Ordering::SeqCst);
            });
            Response::new(body)
        }
        p if p.starts_with("/status/") => {
            let code: u16 = p["/status/".len()..].parse()?;
            let mut res = Response::new(if code == 200 {
                Body::from("x")
            } else {
                Body::empty()
            });
            *res.status_mut() = StatusCode::from_u16(code)?;
            res
        }
        p if p.starts_with("/big/") => {
            let n: usize = p["/big/".len()..].parse()?;
            Response::new(unsized_body(pattern(n), None))
        }
        p => Response::new(Body::from(format!("hello {p}"))),
    };
    Ok(res)
}
