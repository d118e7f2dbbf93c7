//! Back-pressure both ways, over an in-memory pipe with a small buffer: a service that does
//! not read its request body stops the client's upload, and a client that does not read the
//! response stops the service's body from being produced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use bytes::Bytes;
use futures_core::Stream;
use rama_core::error::BoxError;
use rama_core::service::service_fn;
use rama_http::body::Frame;
use rama_http::server::{Http1Config, serve_http1_connection};
use rama_http::{Body, Request, Response};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

const PIPE: usize = 16 * 1024;
const TOTAL: usize = 8 * 1024 * 1024;
const WAIT: Duration = Duration::from_secs(10);

async fn slow_sum(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = req.into_body().collect_bytes(TOTAL).await?;
    Ok(Response::new(Body::from(body.len().to_string())))
}

#[tokio::test]
async fn unread_request_body_stops_the_upload() {
    let (client, server) = tokio::io::duplex(PIPE);
    let service = service_fn(slow_sum);
    let conn = tokio::spawn(async move {
        serve_http1_connection(
            server,
            Http1Config::new(),
            &service,
            Default::default(),
            None,
        )
        .await;
    });
    let (mut rd, mut wr) = tokio::io::split(client);
    let sent = Arc::new(AtomicUsize::new(0));
    let progress = sent.clone();
    let upload = tokio::spawn(async move {
        wr.write_all(
            format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {TOTAL}\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let piece = vec![b'u'; 4096];
        for _ in 0..TOTAL / piece.len() {
            wr.write_all(&piece).await.unwrap();
            progress.fetch_add(piece.len(), Ordering::Relaxed);
        }
        wr
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let early = sent.load(Ordering::Relaxed);
    assert!(
        early < 256 * 1024,
        "{early} bytes accepted while the service was not reading"
    );
    let _wr = timeout(WAIT, upload).await.unwrap().unwrap();
    let mut answer = vec![0u8; 1024];
    let mut got = Vec::new();
    while !got.ends_with(TOTAL.to_string().as_bytes()) {
        let n = timeout(WAIT, rd.read(&mut answer)).await.unwrap().unwrap();
        assert!(n > 0);
        got.extend_from_slice(&answer[..n]);
    }
    drop((rd, _wr));
    timeout(WAIT, conn).await.unwrap().unwrap();
}

/// A body of `TOTAL` bytes made on demand, counting what was produced.
struct Producer {
    made: Arc<AtomicUsize>,
}

impl Stream for Producer {
    type Item = Result<Frame<Bytes>, BoxError>;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let made = self.made.load(Ordering::Relaxed);
        if made >= TOTAL {
            return Poll::Ready(None);
        }
        self.made.fetch_add(4096, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'd'; 4096])))))
    }
}

struct Producing {
    made: Arc<AtomicUsize>,
}

impl rama_core::Service<Request<Body>> for Producing {
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, _req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let made = self.made.clone();
        Ok(Response::new(Body::from_stream(Producer { made })))
    }
}

#[tokio::test]
async fn slow_reader_stops_the_response_body() {
    let (client, server) = tokio::io::duplex(PIPE);
    let made = Arc::new(AtomicUsize::new(0));
    let service = Producing { made: made.clone() };
    let conn = tokio::spawn(async move {
        serve_http1_connection(
            server,
            Http1Config::new(),
            &service,
            Default::default(),
            None,
        )
        .await;
    });
    let (mut rd, mut wr) = tokio::io::split(client);
    wr.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let early = made.load(Ordering::Relaxed);
    assert!(
        early < 256 * 1024,
        "{early} bytes produced while the client was not reading"
    );
    let mut all = Vec::new();
    timeout(WAIT, rd.read_to_end(&mut all))
        .await
        .unwrap()
        .unwrap();
    let body_start = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    // chunked: the data plus chunk framing
    assert!(all.len() - body_start > TOTAL);
    assert!(all.ends_with(b"0\r\n\r\n"));
    drop((rd, wr));
    timeout(WAIT, conn).await.unwrap().unwrap();
}
