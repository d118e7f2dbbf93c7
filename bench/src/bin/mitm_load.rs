//! A load generator for HTTPS through a proxy's CONNECT (`bench/mitm_proxy.sh`): each new
//! connection CONNECTs through `--proxy` to the URL's authority, then runs TLS (rama-tls's
//! rustls connector, trusting `--cacert`, the MITM's CA, ALPN `http/1.1` or `h2`) and
//! HTTP/1.1 or h2 over it; rama's `EasyHttpWebClient` pools the connections, so requests
//! reuse them (keep-alive through the tunnel). TLS sits in the connector (the client sees
//! an `http://` URL), so this needs no TLS feature of rama-http.
//!
//! `--concurrency` tasks send GETs for `--seconds`, reading each body whole; prints one line:
//! `requests N errors E seconds S rps R`. The first error is printed to stderr.

use clap::Parser;
use rama_core::{Layer, Service, error::BoxError};
use rama_http::client::{ClientVersion, EasyHttpWebClient};
use rama_http::{Body, Request};
use rama_net::client::EstablishedClientConnection;
use rama_tcp::{TcpStream, client::TcpRequest};
use rama_tls::config::{ClientConfig, ServerVerification};
use rama_tls::rustls::TlsConnectorLayer;
use rama_tls::types::{AlpnList, ApplicationProtocol};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Parser, Debug)]
#[command(about = "HTTPS requests per second through a proxy's CONNECT, with keep-alive")]
struct Args {
    /// The proxy (`127.0.0.1:PORT`), asked to CONNECT to the URL's host and port.
    #[arg(long)]
    proxy: SocketAddr,
    /// The URL to GET (https).
    #[arg(long)]
    url: String,
    /// The CA certificate (PEM) the client trusts: the MITM's.
    #[arg(long)]
    cacert: String,
    /// Concurrent tasks.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Speak h2 (one multiplexed connection) instead of HTTP/1.1.
    #[arg(long)]
    h2: bool,
}

/// Opens each connection through the proxy's CONNECT.
struct ConnectVia {
    proxy: SocketAddr,
}

impl Service<TcpRequest> for ConnectVia {
    type Output = EstablishedClientConnection<TcpStream, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, req: TcpRequest) -> Result<Self::Output, BoxError> {
        let mut stream = TcpStream::connect(self.proxy).await?;
        let target = req.authority.to_string();
        let head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        // read the response head byte by byte: nothing past it may be consumed
        let mut got = Vec::with_capacity(128);
        while !got.ends_with(b"\r\n\r\n") {
            if got.len() > 8192 {
                return Err("the proxy's CONNECT answer head is too long".into());
            }
            let byte = stream.read_u8().await?;
            got.push(byte);
        }
        let status_line = String::from_utf8_lossy(&got);
        let status_line = status_line.lines().next().unwrap_or_default();
        if status_line.split_whitespace().nth(1) != Some("200") {
            return Err(format!("CONNECT {target} refused: {status_line}").into());
        }
        Ok(EstablishedClientConnection::new(stream, req))
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let pem = std::fs::read_to_string(&args.cacert)?;
    let alpn: AlpnList = if args.h2 {
        vec![ApplicationProtocol::H2].into()
    } else {
        vec![ApplicationProtocol::HTTP_11].into()
    };
    let tls = ClientConfig::new()
        .with_verification(ServerVerification::custom_pem(&pem)?)
        .with_alpn(alpn);
    let connector = TlsConnectorLayer::new(&tls)?.into_layer(ConnectVia { proxy: args.proxy });
    let client = EasyHttpWebClient::with_connector(connector).with_version(if args.h2 {
        ClientVersion::H2PriorKnowledge
    } else {
        ClientVersion::Http1
    });
    let client = Arc::new(client);
    let url = match args.url.strip_prefix("https://") {
        Some(rest) => format!("http://{rest}"),
        None => return Err("--url must be https://".into()),
    };
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let reported = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (client, url) = (client.clone(), url.clone());
        let (requests, errors, reported) = (requests.clone(), errors.clone(), reported.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let result = async {
                    let req = Request::get(url.as_str()).body(Body::empty())?;
                    let res = client.serve(req).await?;
                    if !res.status().is_success() {
                        return Err(format!("status {}", res.status()).into());
                    }
                    res.into_body().collect_bytes(16 << 20).await?;
                    Ok::<_, BoxError>(())
                }
                .await;
                match result {
                    Ok(()) => requests.fetch_add(1, Ordering::Relaxed),
                    Err(err) => {
                        if !reported.swap(true, Ordering::Relaxed) {
                            eprintln!("mitm_load: first error: {err:#}");
                        }
                        errors.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let done = requests.load(Ordering::Relaxed);
    println!(
        "requests {done} errors {} seconds {elapsed:.2} rps {:.0}",
        errors.load(Ordering::Relaxed),
        done as f64 / elapsed
    );
    Ok(())
}
