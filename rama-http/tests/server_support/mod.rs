//! Shared pieces of the server integration tests: a server on loopback, a test service, and
//! a small raw HTTP/1 client that reads responses byte-exactly.
#![allow(dead_code, reason = "each test file uses a part")]

use bytes::Bytes;
use futures_core::Stream;
use rama_core::error::BoxError;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::body::Frame;
use rama_http::server::upgrade::OnUpgrade;
use rama_http::server::{Http1Config, HttpServer};
use rama_http::wire::{OriginalHeaderNames, ordered_headers};
use rama_http::{Body, Request, Response, StatusCode};
use rama_tcp::server::TcpListener;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};

/// Bounds every wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A running server; dropping it does not stop it, call [`TestServer::stop`].
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: Shutdown,
}

impl TestServer {
    pub(crate) async fn stop(self) {
        self.shutdown.trigger().trigger();
        tokio::time::timeout(WAIT, self.shutdown.shutdown())
            .await
            .expect("server stops in time");
    }
}

pub(crate) async fn start(server: HttpServer) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let service = server.service(service_fn(handle));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    TestServer { addr, shutdown }
}

pub(crate) async fn start_http1(config: Http1Config) -> TestServer {
    start(HttpServer::http1().with_http1_config(config)).await
}

/// A body of unknown size (so the response is chunked).
struct Unsized(Body);

impl Stream for Unsized {
    type Item = Result<Frame<Bytes>, BoxError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        http_body::Body::poll_frame(Pin::new(&mut self.0), cx)
    }
}

/// The test service, by path:
/// - `/headers`: the request's header lines in wire order and spelling, one per line
/// - `/echo`: the request body streamed back (same size hint)
/// - `/echo-chunked`: the request body streamed back with an unknown size
/// - `/sum`: the FNV-1a hash and length of the request body
/// - `/status/N`: an empty response with status N (a body "x" for 200)
/// - `/slow`: "slow" after 400 ms
/// - `/fail`: a service error
/// - `/panic`: a panic in the service
/// - `/upgrade`: 101 and an echo of the upgraded stream
/// - `/big/N`: N bytes of a fixed pattern, chunked
/// - anything else: "hello <path>"
pub(crate) async fn handle(mut req: Request<Body>) -> Result<Response<Body>, BoxError> {
    if req.method() == rama_http::Method::CONNECT {
        return Ok(tunnel(&mut req, StatusCode::OK));
    }
    let path = req.uri().path().to_owned();
    let res = match path.as_str() {
        "/spelled" => {
            // a response that keeps its own header spelling and order (as a proxy hop would)
            let mut res = Response::new(Body::from("s"));
            res.headers_mut().insert("x-lower", "1".parse().unwrap());
            res.headers_mut().insert("etag", "\"v\"".parse().unwrap());
            let mut record = OriginalHeaderNames::new();
            record.push("ETag").unwrap();
            record.push("x-LOWER").unwrap();
            res.extensions_mut().insert(record);
            res
        }
        "/headers" => {
            let record = req.extensions().get::<OriginalHeaderNames>();
            let mut out = String::new();
            for (name, value) in ordered_headers(req.headers(), record) {
                out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
            }
            Response::new(Body::from(out))
        }
        "/echo" => Response::new(req.into_body()),
        "/echo-chunked" => Response::new(Body::from_stream(Unsized(req.into_body()))),
        "/sum" => {
            let data = req.into_body().collect_bytes(64 * 1024 * 1024).await?;
            Response::new(Body::from(format!("{} {:016x}", data.len(), fnv(&data))))
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Response::new(Body::from("slow"))
        }
        "/fail" => return Err("handler failed on purpose".into()),
        "/panic" => panic!("handler panicked on purpose"),
        "/upgrade" => tunnel(&mut req, StatusCode::SWITCHING_PROTOCOLS),
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
            Response::new(Body::from_stream(Unsized(Body::from(pattern(n)))))
        }
        p => Response::new(Body::from(format!("hello {p}"))),
    };
    Ok(res)
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

/// One response as read off the wire.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) status_line: String,
    /// header lines in wire order, names as written
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response; `head_only` for responses to HEAD (no body whatever the headers say).
pub(crate) async fn read_response<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    head_only: bool,
) -> std::io::Result<RawResponse> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status_line = line.trim_end().to_owned();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').ok_or(std::io::ErrorKind::InvalidData)?;
        headers.push((n.to_owned(), v.trim().to_owned()));
    }
    let mut res = RawResponse {
        status,
        status_line,
        headers,
        body: Vec::new(),
    };
    if head_only || status < 200 || status == 204 || status == 304 {
        return Ok(res);
    }
    if let Some(n) = res.header("content-length") {
        let n: usize = n.parse().map_err(|_| std::io::ErrorKind::InvalidData)?;
        res.body = vec![0; n];
        r.read_exact(&mut res.body).await?;
    } else if res
        .header("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            line.clear();
            r.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim_end().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::ErrorKind::InvalidData)?;
            if size == 0 {
                // trailers until the empty line
                loop {
                    line.clear();
                    r.read_line(&mut line).await?;
                    if line.trim_end().is_empty() {
                        break;
                    }
                    if let Some((n, v)) = line.trim_end().split_once(':') {
                        res.headers.push((n.to_owned(), v.trim().to_owned()));
                    }
                }
                break;
            }
            let start = res.body.len();
            res.body.resize(start + size, 0);
            r.read_exact(&mut res.body[start..]).await?;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf).await?;
        }
    } else {
        r.read_to_end(&mut res.body).await?;
    }
    Ok(res)
}

/// Whether the server closed the connection: EOF (or a reset) within [`WAIT`].
pub(crate) async fn is_closed<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(WAIT, r.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

/// Connects, sends `raw`, reads one response.
pub(crate) async fn exchange(
    addr: SocketAddr,
    raw: &[u8],
) -> (RawResponse, BufReader<tokio::net::TcpStream>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut r = BufReader::new(stream);
    let res = tokio::time::timeout(WAIT, read_response(&mut r, false))
        .await
        .expect("response in time")
        .expect("a response");
    (res, r)
}

/// Whether a tool is on PATH; under `CI=true` a missing tool fails the test.
pub(crate) fn have_tool(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is required under CI=true"
        );
        eprintln!("skipping: {name} not installed");
    }
    found
}

/// Answers an upgrade (`101`) or CONNECT (`200`) and echoes the taken-over stream.
fn tunnel(req: &mut Request<Body>, status: StatusCode) -> Response<Body> {
    let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
        return Response::new(Body::from("no upgrade"));
    };
    tokio::spawn(async move {
        if let Ok(mut io) = on_upgrade.upgraded().await {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = io.read(&mut buf).await {
                if io.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        res.headers_mut().insert("upgrade", "echo".parse().unwrap());
        res.headers_mut()
            .insert("connection", "upgrade".parse().unwrap());
    }
    res
}
