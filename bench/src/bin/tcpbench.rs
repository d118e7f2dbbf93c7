//! tcpbench: the peers and load generators of the TCP benchmarks.
//!
//! ```text
//! tcpbench sink --bind 127.0.0.1:9000          # accept, read and discard
//! tcpbench echo --bind 127.0.0.1:9001          # accept, echo every byte back
//! tcpbench bulk --to 127.0.0.1:9000 --conns 4 --seconds 5 --size 65536
//! tcpbench connrate --to 127.0.0.1:9001 --conns 32 --seconds 5
//! ```
//!
//! `bulk` and `connrate` print a human line and, last, a `result=<number>` line (bytes per
//! second, connections per second) for scripts.

use clap::{Parser, Subcommand};
use rama_bench::{format_byte_rate, rate};
use std::{
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

#[derive(Debug, Parser)]
#[command(about = "peers and load generators for the rama TCP benchmarks")]
struct Cli {
    /// Worker threads of the tokio runtime.
    #[arg(long, default_value_t = 1, global = true)]
    threads: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Accept connections, read and discard everything.
    Sink {
        /// Address to listen on.
        #[arg(long)]
        bind: SocketAddr,
    },
    /// Accept connections, write back every byte read.
    Echo {
        /// Address to listen on.
        #[arg(long)]
        bind: SocketAddr,
    },
    /// Send as fast as possible over N connections; print bytes per second.
    Bulk {
        /// Address of a sink (or a forwarder in front of one).
        #[arg(long)]
        to: SocketAddr,
        /// Concurrent connections.
        #[arg(long, default_value_t = 4)]
        conns: usize,
        /// Length of the measurement, after a short warm-up.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Bytes per write.
        #[arg(long, default_value_t = 65536)]
        size: usize,
    },
    /// Connect, write one byte, read it back, close, in N loops; print connections per second.
    Connrate {
        /// Address of an echo server (or a forwarder in front of one).
        #[arg(long)]
        to: SocketAddr,
        /// Concurrent connection loops.
        #[arg(long, default_value_t = 32)]
        conns: usize,
        /// Length of the measurement, after a short warm-up.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
}

fn main() -> io::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.cmd {
            Cmd::Sink { bind } => serve(bind, sink).await,
            Cmd::Echo { bind } => serve(bind, echo).await,
            Cmd::Bulk {
                to,
                conns,
                seconds,
                size,
            } => bulk(to, conns, measure_window(seconds), size.max(1)).await,
            Cmd::Connrate { to, conns, seconds } => {
                connrate(to, conns, measure_window(seconds)).await
            }
        }
    })
}

/// Warm-up and measured duration.
fn measure_window(seconds: f64) -> (Duration, Duration) {
    let measured = Duration::from_secs_f64(seconds.max(0.1));
    let warmup = (measured / 5).min(Duration::from_secs(1));
    (warmup, measured)
}

async fn serve<F, Fut>(bind: SocketAddr, handle: F) -> io::Result<()>
where
    F: Fn(TcpStream) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind(bind).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(async move { drop(handle(stream).await) });
                }
                Err(err) => {
                    eprintln!("accept: {err}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

async fn sink(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    while stream.read(&mut buf).await? != 0 {}
    Ok(())
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

async fn bulk(
    to: SocketAddr,
    conns: usize,
    (warmup, measured): (Duration, Duration),
    size: usize,
) -> io::Result<()> {
    let total = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let mut stream = TcpStream::connect(to).await?;
        let (total, stop) = (total.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let buf = vec![0x5a_u8; size];
            while !stop.load(Ordering::Relaxed) {
                stream.write_all(&buf).await?;
                total.fetch_add(buf.len() as u64, Ordering::Relaxed);
            }
            stream.shutdown().await
        }));
    }
    tokio::time::sleep(warmup).await;
    let (start, from) = (Instant::now(), total.load(Ordering::Relaxed));
    tokio::time::sleep(measured).await;
    let (elapsed, bytes) = (start.elapsed(), total.load(Ordering::Relaxed) - from);
    stop.store(true, Ordering::Relaxed);
    let mut failed = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    println!(
        "bulk {to}: {} over {conns} connections, {} failed",
        format_byte_rate(bytes, elapsed),
        failed
    );
    println!("result={:.0}", rate(bytes, elapsed));
    Ok(())
}

async fn connrate(
    to: SocketAddr,
    conns: usize,
    (warmup, measured): (Duration, Duration),
) -> io::Result<()> {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (done, errors, stop) = (done.clone(), errors.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match one_exchange(to).await {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(warmup).await;
    let (start, from) = (Instant::now(), done.load(Ordering::Relaxed));
    tokio::time::sleep(measured).await;
    let (elapsed, count) = (start.elapsed(), done.load(Ordering::Relaxed) - from);
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        drop(task.await);
    }
    println!(
        "connrate {to}: {:.0} connections/s over {conns} loops, {} errors",
        rate(count, elapsed),
        errors.load(Ordering::Relaxed)
    );
    println!("result={:.0}", rate(count, elapsed));
    Ok(())
}

async fn one_exchange(to: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(to).await?;
    stream.set_nodelay(true)?;
    stream.write_all(b"x").await?;
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte).await?;
    Ok(())
}
