//! tls_term: TLS termination on rama (`TcpListener` → rustls `TlsAcceptorLayer`) in front of
//! an HTTP hello server or a raw echo / sink, for `bench/tls_termination.sh`.
//!
//! ```text
//! tls_term --bind 127.0.0.1:29200                       # HTTP, self-signed ECDSA P-256 cert
//! tls_term --bind 127.0.0.1:29200 --cert c.pem --key k.pem --write-cert-dir /tmp/x
//! tls_term --bind 127.0.0.1:29200 --mode echo           # raw TLS echo (or --mode sink)
//! tls_term --bind 127.0.0.1:29200 --multi-thread        # one work-stealing runtime
//! ```
//!
//! HTTP mode (`HttpServer::auto`, HTTP/1.1 and h2 by ALPN) answers `200 hello` on every
//! path, and a body of `--bulk-bytes` (1 MiB) on paths starting with `/bulk`. TLS 1.3 only,
//! one cipher suite (`--cipher`, TLS_AES_128_GCM_SHA256) and one key exchange group
//! (`--group`, x25519), and no session resumption (no session cache, no tickets), so every
//! connection costs a full handshake, as nginx with `ssl_session_cache off` and
//! `ssl_session_tickets off`. Without `--cert`/`--key` it serves a fresh self-signed ECDSA
//! P-256 certificate for `localhost` and `127.0.0.1`; `--write-cert-dir` writes the served
//! certificate and key as `cert.pem` and `key.pem` (so a peer server can serve the same).
//!
//! By default one single-threaded runtime per core shares the listening socket
//! (`rama_tcp::server::serve_graceful_on_threads`, the layout `rama serve` uses). Prints
//! `listening on ADDR`; on SIGINT or SIGTERM prints how many handshakes were full, resumed
//! or needed a HelloRetryRequest, and exits.

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use rama_core::{
    Layer, Service,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    service::service_fn,
};
use rama_http::{Body, Request, Response, header, server::HttpServer};
use rama_net::stream::RewindStream;
use rama_tcp::{
    TcpStream,
    server::{TcpListener, serve_graceful_on_threads},
};
use rama_tls::{
    config::{CertifiedKey, ServerCertSource, ServerConfig},
    rustls::{TlsAcceptorLayer, TlsStream},
    types::{AlpnList, CipherSuite, ProtocolVersion, SupportedGroup},
};
use std::{
    convert::Infallible,
    io::Write,
    net::SocketAddr,
    num::NonZeroUsize,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// HTTP/1.1 + h2 (ALPN): `200 hello`, or `--bulk-bytes` on `/bulk*`.
    Http,
    /// Raw TLS echo: every byte read is written back.
    Echo,
    /// Raw TLS sink: read and drop until the client closes.
    Sink,
}

#[derive(Debug, Parser)]
#[command(about = "rama TLS termination (rustls) in front of HTTP hello or a raw echo/sink")]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:29200")]
    bind: SocketAddr,
    /// What runs behind TLS.
    #[arg(long, value_enum, default_value_t = Mode::Http)]
    mode: Mode,
    /// Certificate chain (PEM, leaf first); with --key. Default: a self-signed ECDSA P-256.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Write the served certificate and key to DIR/cert.pem and DIR/key.pem.
    #[arg(long, value_name = "DIR")]
    write_cert_dir: Option<PathBuf>,
    /// The one TLS 1.3 cipher suite allowed (IANA name).
    #[arg(long, default_value = "TLS_AES_128_GCM_SHA256")]
    cipher: String,
    /// The one key exchange group allowed.
    #[arg(long, default_value = "x25519")]
    group: String,
    /// Body size of `/bulk*` responses in HTTP mode.
    #[arg(long, default_value_t = 1 << 20)]
    bulk_bytes: usize,
    /// Threads (default: one per core).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// One work-stealing runtime and one listener, instead of a single-threaded runtime per
    /// thread.
    #[arg(long)]
    multi_thread: bool,
}

/// Handshakes seen, by kind (rustls' `HandshakeKind`).
#[derive(Debug, Default)]
struct HandshakeCounts {
    full: AtomicU64,
    resumed: AtomicU64,
    retry: AtomicU64,
}

impl HandshakeCounts {
    fn record(&self, kind: Option<rustls::HandshakeKind>) {
        let counter = match kind {
            Some(rustls::HandshakeKind::Resumed) => &self.resumed,
            Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => &self.retry,
            _ => &self.full,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn summary(&self) -> String {
        format!(
            "handshakes: full {}, resumed {}, with HelloRetryRequest {}",
            self.full.load(Ordering::Relaxed),
            self.resumed.load(Ordering::Relaxed),
            self.retry.load(Ordering::Relaxed),
        )
    }
}

fn announce(addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

/// The certificate to serve: from PEM files, or a fresh self-signed one.
fn load_cert(cli: &Cli) -> Result<CertifiedKey, BoxError> {
    let cert = match (&cli.cert, &cli.key) {
        (Some(cert), Some(key)) => CertifiedKey::from_pem_files(cert, key)
            .context("read the certificate and key PEM files")?,
        _ => rama_tls::cert::self_signed(&["localhost", "127.0.0.1"])
            .context("make a self-signed certificate")?,
    };
    if let Some(dir) = &cli.write_cert_dir {
        std::fs::create_dir_all(dir).context("create the --write-cert-dir directory")?;
        std::fs::write(dir.join("cert.pem"), cert.chain_pem()).context("write cert.pem")?;
        std::fs::write(dir.join("key.pem"), cert.key_pem()).context("write key.pem")?;
    }
    Ok(cert)
}

/// The acceptor: TLS 1.3, one suite, one group, no resumption.
fn acceptor(cli: &Cli, cert: CertifiedKey) -> Result<TlsAcceptorLayer, BoxError> {
    let suite = CipherSuite::from_name(&cli.cipher)
        .with_context(|| format!("unknown cipher suite {}", cli.cipher))?;
    let group = SupportedGroup::from_name(&cli.group)
        .with_context(|| format!("unknown key exchange group {}", cli.group))?;
    let alpn = match cli.mode {
        Mode::Http => AlpnList::h2_http11(),
        Mode::Echo | Mode::Sink => AlpnList::new(),
    };
    let config = ServerConfig::new(ServerCertSource::Static(Arc::new(cert)))
        .with_min_version(ProtocolVersion::TLS_V1_3)
        .with_cipher_suites(vec![suite])
        .with_groups(vec![group])
        .with_alpn(alpn);
    let built = TlsAcceptorLayer::new(&config).context("build the TLS acceptor")?;
    // as nginx with `ssl_session_cache off; ssl_session_tickets off;`: no session is kept,
    // so no connection can resume and every one is a full handshake
    let mut rustls_config = (**built.rustls_config()).clone();
    rustls_config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    rustls_config.send_tls13_tickets = 0;
    Ok(TlsAcceptorLayer::from_rustls(
        Arc::new(rustls_config),
        config.handshake_timeout,
        false,
    ))
}

type Tls = TlsStream<RewindStream<TcpStream>>;

async fn echo(mut tls: Tls) -> Result<(), BoxError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tls.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        tls.write_all(&buf[..n]).await?;
    }
    tls.shutdown().await?;
    Ok(())
}

async fn sink(mut tls: Tls) -> Result<(), BoxError> {
    let mut buf = vec![0u8; 64 * 1024];
    while tls.read(&mut buf).await? != 0 {}
    Ok(())
}

/// Everything behind TLS for `mode`, after counting the handshake kind.
fn behind_tls(
    mode: Mode,
    bulk: Bytes,
    counts: Arc<HandshakeCounts>,
) -> impl Service<Tls, Output = (), Error = BoxError> + Clone {
    let http = HttpServer::auto().service(service_fn(move |req: Request<Body>| {
        let body = if req.uri().path().starts_with("/bulk") {
            Body::from(bulk.clone())
        } else {
            Body::from("hello")
        };
        async move {
            let mut res = Response::new(body);
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain"),
            );
            Ok::<_, Infallible>(res)
        }
    }));
    service_fn(move |tls: Tls| {
        counts.record(tls.rustls_state().handshake_kind());
        let http = http.clone();
        async move {
            match mode {
                Mode::Http => http.serve(tls).await,
                Mode::Echo => echo(tls).await,
                Mode::Sink => sink(tls).await,
            }
        }
    })
}

fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(NonZeroUsize::MIN);
    let cert = load_cert(&cli)?;
    let counts = Arc::new(HandshakeCounts::default());
    let bulk = Bytes::from(vec![b'x'; cli.bulk_bytes]);
    let server = acceptor(&cli, cert)?.into_layer(behind_tls(cli.mode, bulk, counts.clone()));

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
                shutdown.guard(),
                server,
            )
            .await?;
            announce(addr)?;
        }
        let result = shutdown.shutdown_with_limit(Duration::from_secs(5)).await;
        eprintln!("{}", counts.summary());
        result?;
        Ok(())
    })
}
