//! HTTP client throughput on loopback: rama's `EasyHttpWebClient` against hyper-util's legacy
//! pooled client, to the same server (`bench/http_client.sh` starts `hyper_hello`).
//!
//! For each mode (HTTP/1.1 and h2 prior knowledge, sequential and `--concurrency` tasks)
//! both clients run `--seconds` each, back to back in alternating order, over `--rounds`.
//! Each request is a GET whose whole body is read. Prints one line per mode: the median over
//! the rounds of each client's requests/s and of the ratio rama/hyper within a round (the
//! two runs of a round see about the same machine load), and the same for the client
//! process's CPU time per request (user + system, from `/proc/self/stat`; the server runs in
//! another process). On a shared machine the CPU time per request is the steadier figure.
//!
//! `--client rama` or `--client hyper` runs one client only (for a profiler), `--mode` one
//! mode only (`h1-seq`, `h1-conc`, `h2-seq`, `h2-conc`).

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
    /// Rounds (medians are reported).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Which clients run: `both`, `rama` or `hyper`.
    #[arg(long, default_value = "both")]
    client: String,
    /// Run one mode only: `h1-seq`, `h1-conc`, `h2-seq` or `h2-conc`.
    #[arg(long)]
    mode: Option<String>,
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat`; zero where
/// that file is missing.
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // fields after the `(comm)`: state is field 3, utime 14, stime 15 (1-based)
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15: indices 11 and 12 after the state (field 3)
    let total = ticks(11) + ticks(12);
    // USER_HZ is 100 on Linux
    Duration::from_millis(total * 10)
}

/// The median of `values` (the mean of the middle two for an even count; NaN when empty).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One measured run: requests per second and CPU microseconds per request.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    rps: f64,
    cpu_us: f64,
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

/// Requests per second and CPU time per request of `client` with `tasks` concurrent loops
/// for `secs`.
async fn run(client: Client, url: &str, tasks: usize, secs: u64) -> Result<Figures, BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let cpu_start = process_cpu();
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
    let elapsed = start.elapsed().as_secs_f64();
    if let Client::Rama(c) = &client {
        let counters = c.pool().counters();
        eprintln!(
            "rama pool ({tasks} tasks): {} connections created, {} reused, {} evicted",
            counters.created(),
            counters.reused(),
            counters.evicted()
        );
    }
    let cpu = process_cpu().saturating_sub(cpu_start);
    Ok(Figures {
        rps: n as f64 / elapsed,
        cpu_us: cpu.as_secs_f64() * 1e6 / n.max(1) as f64,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let clients: &[bool] = match args.client.as_str() {
        "rama" => &[true],
        "hyper" => &[false],
        "both" => &[true, false],
        other => return Err(format!("--client {other}: expected both, rama or hyper").into()),
    };
    println!(
        "| mode | rama req/s | hyper-util req/s | rama/hyper | rama CPU µs/req | hyper-util CPU µs/req | CPU rama/hyper |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (id, name, h2, tasks) in [
        ("h1-seq", "HTTP/1.1 sequential", false, 1),
        ("h1-conc", "HTTP/1.1 concurrent", false, args.concurrency),
        ("h2-seq", "h2 sequential", true, 1),
        ("h2-conc", "h2 concurrent", true, args.concurrency),
    ] {
        if args.mode.as_deref().is_some_and(|m| m != id) {
            continue;
        }
        // per round: (rama, hyper)
        let mut rounds: Vec<[Figures; 2]> = Vec::new();
        for round in 0..args.rounds {
            let order: Vec<bool> = if round % 2 == 0 {
                clients.to_vec()
            } else {
                clients.iter().rev().copied().collect()
            };
            let mut pair = [Figures::default(), Figures::default()];
            for rama in order {
                pair[usize::from(!rama)] =
                    run(Client::new(rama, h2), &args.url, tasks, args.seconds).await?;
            }
            rounds.push(pair);
        }
        let med = |f: &dyn Fn(&[Figures; 2]) -> f64| median(rounds.iter().map(f).collect());
        let name = if tasks > 1 {
            format!("{name} ({tasks} tasks)")
        } else {
            name.to_owned()
        };
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.2} |",
            med(&|r| r[0].rps),
            med(&|r| r[1].rps),
            med(&|r| r[0].rps / r[1].rps),
            med(&|r| r[0].cpu_us),
            med(&|r| r[1].cpu_us),
            med(&|r| r[0].cpu_us / r[1].cpu_us),
        );
    }
    Ok(())
}
