//! hyper_hello: the baseline of `bench/http_hello.sh`, a plain hyper 1.x "hello" server.
//!
//! ```text
//! hyper_hello --bind 127.0.0.1:29100
//! ```
//!
//! hyper-util's auto builder serves HTTP/1.1 and h2 with prior knowledge (h2c) on one port, on
//! tokio's multi-thread runtime (one worker per core), with default settings: what a hyper
//! user gets without tuning. Every request gets `200 hello`. Prints `listening on ADDR` and
//! runs until killed.

use bytes::Bytes;
use clap::Parser;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
};
use std::{convert::Infallible, io::Write, net::SocketAddr};

#[derive(Debug, Parser)]
#[command(about = "a plain hyper 1.x hello server (HTTP/1.1 + h2c), the bench baseline")]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:29100")]
    bind: SocketAddr,
}

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let listener = tokio::net::TcpListener::bind(cli.bind).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", listener.local_addr()?)?;
        out.flush()?;
    }
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // out of file descriptors and the like: keep serving the open connections
            Err(err) => {
                eprintln!("accept: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let builder = Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
