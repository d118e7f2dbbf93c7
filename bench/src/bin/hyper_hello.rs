//! hyper_hello: the baseline of `bench/http_hello.sh`, a plain hyper 1.x "hello" server.
//!
//! ```text
//! hyper_hello --bind 127.0.0.1:29100 [--per-core]
//! ```
//!
//! hyper-util's auto builder serves HTTP/1.1 and h2 with prior knowledge (h2c) on one port, on
//! tokio's multi-thread runtime (one worker per core), with default settings: what a hyper
//! user gets without tuning. `--per-core` runs one single-threaded runtime per core instead,
//! all accepting from one shared listening socket (the layout of `rama_hello`'s default).
//! Every request gets `200 hello`. Prints `listening on ADDR` and runs until killed.

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
    /// One single-threaded runtime per core sharing the listening socket, instead of one
    /// multi-thread runtime.
    #[arg(long)]
    per_core: bool,
}

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

/// Accept and serve connections from `listener` forever.
async fn serve(listener: tokio::net::TcpListener) {
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

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let std_listener = std::net::TcpListener::bind(cli.bind)?;
    std_listener.set_nonblocking(true)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", std_listener.local_addr()?)?;
        out.flush()?;
    }
    if !cli.per_core {
        return tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(async {
                serve(tokio::net::TcpListener::from_std(std_listener)?).await;
                Ok(())
            });
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut handles = Vec::new();
    for _ in 0..threads {
        let socket = std_listener.try_clone()?;
        handles.push(std::thread::spawn(move || -> std::io::Result<()> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(async {
                    serve(tokio::net::TcpListener::from_std(socket)?).await;
                    Ok(())
                })
        }));
    }
    for handle in handles {
        handle
            .join()
            .map_err(|_| std::io::Error::other("a worker thread panicked"))??;
    }
    Ok(())
}
