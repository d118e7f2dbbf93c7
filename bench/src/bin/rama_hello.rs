//! rama_hello: the `http_hello` example's server (`HttpServer::auto`, HTTP/1.1 + h2c, every
//! request gets `200 hello`) on a choice of runtime layouts, for `bench/http_hello.sh`.
//!
//! ```text
//! rama_hello --bind 127.0.0.1:29104                 # one single-threaded runtime per core
//! rama_hello --bind 127.0.0.1:29104 --multi-thread  # one work-stealing runtime (as http_hello)
//! ```
//!
//! By default it serves one listening socket from one single-threaded runtime per core
//! (`rama_tcp::server::serve_graceful_on_threads`, the layout `rama serve` uses); with
//! `--multi-thread` one work-stealing runtime with one listener, like the example and like
//! hyper's baseline. Prints `listening on ADDR`; runs until SIGINT or SIGTERM.

use clap::Parser;
use rama_core::{graceful::Shutdown, service::service_fn};
use rama_http::{Body, Request, Response, header, server::HttpServer};
use rama_tcp::server::{TcpListener, ThreadListeners, serve_graceful_on_threads};
use std::{convert::Infallible, io::Write, net::SocketAddr, num::NonZeroUsize, time::Duration};

#[derive(Debug, Parser)]
#[command(about = "rama's HTTP hello server (HTTP/1.1 + h2c) for benchmarks")]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:29104")]
    bind: SocketAddr,
    /// Threads (default: one per core).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// One work-stealing runtime and one listener, instead of a single-threaded runtime per
    /// thread.
    #[arg(long)]
    multi_thread: bool,
}

fn announce(addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cli = Cli::parse();
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(NonZeroUsize::MIN);
    let hello = service_fn(async |_req: Request<Body>| {
        let mut res = Response::new(Body::from("hello"));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        Ok::<_, Infallible>(res)
    });
    let server = HttpServer::auto().service(hello);

    let mut runtime = if cli.multi_thread {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads.get());
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    runtime.enable_all().build()?.block_on(async move {
        let shutdown = Shutdown::default();
        if cli.multi_thread {
            let listener = TcpListener::bind(cli.bind).await?;
            announce(listener.local_addr()?)?;
            shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, server).await);
        } else {
            let addr = serve_graceful_on_threads(
                TcpListener::builder(),
                cli.bind,
                threads,
                ThreadListeners::PerThread,
                shutdown.guard(),
                server,
            )
            .await?;
            announce(addr)?;
        }
        shutdown.shutdown_with_limit(Duration::from_secs(5)).await?;
        Ok(())
    })
}
