//! HTTP client throughput on loopback: rama's `EasyHttpWebClient` against hyper-util's legacy
//! pooled client, to the same server (`bench/http_client.sh` starts `hyper_hello`).
//!
//! For each mode (HTTP/1.1 and h2 prior knowledge, sequential and `--concurrency` tasks)
//! both clients run `--seconds` each, in alternating order over `--rounds`; the best round
//! counts. Each request is a GET whose whole body is read. Prints one line per mode:
//! requests/s of both and the ratio rama/hyper.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use rama_core::Service;
use rama_core::error::BoxError;
use rama_http::client::{ClientVersion, EasyHttpWebClient};
use rama_http::{Body, Request};
use rama_tcp::client::TcpConnector;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "HTTP client throughput: rama EasyHttpWebClient vs hyper-util legacy client")]
struct Args {
    /// The server URL (a hello server answering every GET).
    #[arg(long, default_value = "http://127.0.0.1:29110/")]
    url: String,
    /// Seconds per client and mode.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Concurrent tasks of the concurrent modes.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Rounds (the best counts).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

#[derive(Clone)]
enum Client {
    Rama(EasyHttpWebClient<TcpConnector>),
    Hyper(
        Box<
            hyper_util::client::legacy::Client<
                hyper_util::client::legacy::connect::HttpConnector,
                Empty<Bytes>,
            >,
        >,
    ),
}

impl Client {
    fn new(rama: bool, h2: bool) -> Self {
        if rama {
            let version = if h2 {
                ClientVersion::H2PriorKnowledge
            } else {
                ClientVersion::Http1
            };
            Self::Rama(EasyHttpWebClient::with_connector(TcpConnector::new()).with_version(version))
        } else {
            let mut b =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
            b.http2_only(h2);
            Self::Hyper(Box::new(b.build_http()))
        }
    }

    async fn get(&self, url: &str) -> Result<usize, BoxError> {
        match self {
            Self::Rama(c) => {
                let res = c.serve(Request::get(url).body(Body::empty())?).await?;
                Ok(res.into_body().collect_bytes(1 << 20).await?.len())
            }
            Self::Hyper(c) => {
                let res = c
                    .request(hyper::Request::get(url).body(Empty::new())?)
                    .await?;
                Ok(res.into_body().collect().await?.to_bytes().len())
            }
        }
    }
}

/// Requests per second of `client` with `tasks` concurrent loops for `secs`.
async fn run(client: Client, url: &str, tasks: usize, secs: u64) -> Result<f64, BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, url, stop, done) =
            (client.clone(), url.to_owned(), stop.clone(), done.clone());
        handles.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                client.get(&url).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, BoxError>(())
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.await??;
    }
    let n = done.load(Ordering::Relaxed);
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    println!("| mode | rama req/s | hyper-util req/s | rama/hyper |");
    println!("|---|---:|---:|---:|");
    for (name, h2, tasks) in [
        ("HTTP/1.1 sequential", false, 1),
        ("HTTP/1.1 concurrent", false, args.concurrency),
        ("h2 sequential", true, 1),
        ("h2 concurrent", true, args.concurrency),
    ] {
        let (mut best_rama, mut best_hyper) = (0f64, 0f64);
        for round in 0..args.rounds {
            for rama_first in [round % 2 == 0, round % 2 != 0] {
                let rps = run(Client::new(rama_first, h2), &args.url, tasks, args.seconds).await?;
                if rama_first {
                    best_rama = best_rama.max(rps);
                } else {
                    best_hyper = best_hyper.max(rps);
                }
            }
        }
        let name = if tasks > 1 {
            format!("{name} ({tasks} tasks)")
        } else {
            name.to_owned()
        };
        println!(
            "| {name} | {best_rama:.0} | {best_hyper:.0} | {:.2} |",
            best_rama / best_hyper
        );
    }
    Ok(())
}
