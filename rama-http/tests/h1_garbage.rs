//! Mutated requests thrown at the HTTP/1 engine over in-memory pipes: every connection must
//! end (no hang once the client is done) without a panic, and whatever the engine writes
//! must start like an HTTP/1.1 response.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::error::BoxError;
use rama_core::service::service_fn;
use rama_http::server::{Http1Config, serve_http1_connection};
use rama_http::{Body, Request, Response};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

const BASES: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"GET /u HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nbytes",
    b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
];
const INSERTS: &[u8] = b"\r\n :;\t\0,0fF-";

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng) -> Vec<u8> {
    let mut req = BASES[rng.below(BASES.len())].to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(req.len() + 1);
        match rng.below(4) {
            0 if at < req.len() => req[at] = rng.next() as u8,
            1 => req.insert(at, INSERTS[rng.below(INSERTS.len())]),
            2 if at < req.len() => {
                req.remove(at);
            }
            _ => req.truncate(at.max(1)),
        }
    }
    req
}

async fn echo(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let body = req.into_body().collect_bytes(1 << 20).await?;
    Ok(Response::new(Body::from(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_requests_never_panic_or_hang() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let config = Http1Config::new()
        .with_header_read_timeout(Duration::from_millis(300))
        .with_drain_timeout(Duration::from_millis(300));
    for case in 0..1500 {
        let input = mutate(&mut rng);
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let conn = tokio::spawn(async move {
            serve_http1_connection(server, config, &service_fn(echo), Default::default(), None)
                .await;
        });
        client.write_all(&input).await.unwrap();
        client.shutdown().await.unwrap();
        let mut out = Vec::new();
        let read = timeout(Duration::from_secs(5), client.read_to_end(&mut out)).await;
        let upgraded = input.windows(7).any(|w| w.eq_ignore_ascii_case(b"upgrade"))
            || input.starts_with(b"CONNECT");
        if !upgraded {
            assert!(
                read.is_ok(),
                "case {case}: connection did not end: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
        drop(client);
        let joined = timeout(Duration::from_secs(5), conn).await;
        let joined = joined.unwrap_or_else(|_| {
            panic!(
                "case {case}: engine hangs: {:?}",
                String::from_utf8_lossy(&input)
            )
        });
        assert!(
            joined.is_ok(),
            "case {case}: engine panicked on {:?}",
            String::from_utf8_lossy(&input)
        );
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 "),
            "case {case}: {:?} -> {:?}",
            String::from_utf8_lossy(&input),
            String::from_utf8_lossy(&out)
        );
    }
}
