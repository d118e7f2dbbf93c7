//! idle_conns: opens N keep-alive HTTP connections to a server, makes one request on each
//! (so the server has parsed a request and holds the connection idle, as after a real
//! exchange), then keeps them all open and idle, to measure the server's memory per idle
//! connection.
//!
//! ```text
//! idle_conns --to 127.0.0.1:29100 --conns 10000 [--h2] [--hold 3600]
//! ```
//!
//! Prints `ready N` once every connection got its response, then holds them for `--hold`
//! seconds (or until killed). `--h2` sends an h2 prior-knowledge request instead (preface,
//! SETTINGS, one HEADERS frame) and waits for the response HEADERS. Exits with an error if
//! any connection fails.

use clap::Parser;
use std::{io::Write, net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Semaphore,
};

#[derive(Debug, Parser)]
#[command(about = "hold N idle keep-alive HTTP connections open")]
struct Cli {
    /// The server.
    #[arg(long)]
    to: SocketAddr,
    /// How many connections.
    #[arg(long, default_value_t = 10_000)]
    conns: usize,
    /// How many connections are being set up at once.
    #[arg(long, default_value_t = 200)]
    parallel: usize,
    /// Speak h2 with prior knowledge instead of HTTP/1.1.
    #[arg(long)]
    h2: bool,
    /// Seconds to hold the connections after `ready`.
    #[arg(long, default_value_t = 3600)]
    hold: u64,
}

const H1_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: idle_conns\r\n\r\n";

/// Preface, an empty SETTINGS frame, and HEADERS on stream 1 (END_STREAM | END_HEADERS) with
/// `:method GET`, `:scheme http`, `:path /` and `:authority bench` (HPACK literal without
/// indexing, name from the static table).
fn h2_request() -> Vec<u8> {
    let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    wire.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let mut block = vec![0x82, 0x86, 0x84, 0x01, 5];
    block.extend_from_slice(b"bench");
    let len = u8::try_from(block.len()).unwrap_or(u8::MAX);
    wire.extend_from_slice(&[0, 0, len, 1, 5, 0, 0, 0, 1]);
    wire.extend_from_slice(&block);
    wire
}

async fn open(to: SocketAddr, h2: bool) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(to).await?;
    let mut buf = vec![0u8; 4096];
    let mut seen = Vec::new();
    if h2 {
        stream.write_all(&h2_request()).await?;
    } else {
        stream.write_all(H1_REQUEST).await?;
    }
    // read until the whole (small) response is in: for HTTP/1 the body "hello" after the
    // head; for h2 a HEADERS frame or DATA frame with END_STREAM on stream 1
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("server closed the connection"));
        }
        seen.extend_from_slice(&buf[..n]);
        let done = if h2 {
            h2_stream_ended(&seen)
        } else {
            seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"hello")
        };
        if done {
            return Ok(stream);
        }
    }
}

/// Whether the server frames (after its own preface-free start) contain a frame on stream 1
/// with END_STREAM.
fn h2_stream_ended(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while rest.len() >= 9 {
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        let (kind, flags) = (rest[3], rest[4]);
        let stream = u32::from_be_bytes([rest[5] & 0x7f, rest[6], rest[7], rest[8]]);
        if stream == 1 && (kind == 0 || kind == 1) && flags & 1 == 1 {
            return true;
        }
        if rest.len() < 9 + len {
            return false;
        }
        rest = &rest[9 + len..];
    }
    false
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let gate = std::sync::Arc::new(Semaphore::new(cli.parallel.max(1)));
    let mut tasks = Vec::with_capacity(cli.conns);
    for _ in 0..cli.conns {
        let gate = gate.clone();
        let (to, h2) = (cli.to, cli.h2);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(std::io::Error::other)?;
            tokio::time::timeout(Duration::from_secs(30), open(to, h2))
                .await
                .map_err(|_| std::io::Error::other("timed out"))?
        }));
    }
    let mut conns = Vec::with_capacity(cli.conns);
    for task in tasks {
        conns.push(task.await.map_err(std::io::Error::other)??);
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready {}", conns.len())?;
        out.flush()?;
    }
    tokio::time::sleep(Duration::from_secs(cli.hold)).await;
    drop(conns);
    Ok(())
}
