//! tls_term: TLS termination on rama (`TcpListener` → rustls or BoringSSL `TlsAcceptorLayer`)
//! in front of an HTTP hello server or a raw echo / sink, for `bench/tls_termination.sh`.
//!
//! ```text
//! tls_term --bind 127.0.0.1:29200                       # HTTP, self-signed ECDSA P-256 cert
//! tls_term --bind 127.0.0.1:29200 --cert c.pem --key k.pem --write-cert-dir /tmp/x
//! tls_term --bind 127.0.0.1:29200 --mode echo           # raw TLS echo (or --mode sink)
//! tls_term --bind 127.0.0.1:29200 --multi-thread        # one work-stealing runtime
//! tls_term --bind 127.0.0.1:29200 --backend boring      # BoringSSL (feature `boring`)
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
//! `--backend boring` (built with the `boring` feature) terminates with
//! `rama_tls::boring::TlsAcceptorLayer` instead, with the same settings on an `SslAcceptor`
//! built here (`TlsAcceptorLayer::from_boring`), because the neutral `ServerConfig` cannot
//! turn BoringSSL's session cache and tickets off: TLS 1.3 only, `--group`, the ALPN list,
//! `SSL_SESS_CACHE_OFF` and `SSL_OP_NO_TICKET`. BoringSSL does not let a server choose its
//! TLS 1.3 suites: it takes AES-128-GCM first when the CPU has AES instructions (ChaCha20
//! first otherwise); tls_term counts every handshake that negotiated a suite other than
//! `--cipher` and prints the count on exit.
//!
//! By default one single-threaded runtime per core shares the listening socket
//! (`rama_tcp::server::serve_graceful_on_threads`, the layout `rama serve` uses). Prints
//! `listening on ADDR`; on SIGINT or SIGTERM prints how many handshakes were full, resumed
//! or needed a HelloRetryRequest (rustls only) or negotiated another suite than `--cipher`
//! (BoringSSL only), and exits.

use bytes::Bytes;
use clap::{Parser, ValueEnum};
use rama_core::extensions::ExtensionsMut;
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
    server::{TcpListener, ThreadListeners, serve_graceful_on_threads},
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
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// rustls (`rama_tls::rustls`).
    Rustls,
    /// BoringSSL (`rama_tls::boring`; needs the `boring` feature of rama-bench).
    Boring,
}

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
#[command(
    about = "rama TLS termination (rustls or BoringSSL) in front of HTTP hello or a raw echo/sink"
)]
struct Cli {
    /// The TLS library.
    #[arg(long, value_enum, default_value_t = Backend::Rustls)]
    backend: Backend,
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

/// Handshakes seen, by kind (rustls' `HandshakeKind`; BoringSSL's `session_reused` and
/// negotiated suite).
#[derive(Debug, Default)]
struct HandshakeCounts {
    full: AtomicU64,
    resumed: AtomicU64,
    retry: AtomicU64,
    other_suite: AtomicU64,
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

    #[cfg_attr(
        not(feature = "boring"),
        expect(dead_code, reason = "only the boring backend records this way")
    )]
    fn record_boring(&self, resumed: bool, expected_suite: bool) {
        let counter = if resumed { &self.resumed } else { &self.full };
        counter.fetch_add(1, Ordering::Relaxed);
        if !expected_suite {
            self.other_suite.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn summary(&self, backend: Backend) -> String {
        let full = self.full.load(Ordering::Relaxed);
        let resumed = self.resumed.load(Ordering::Relaxed);
        match backend {
            Backend::Rustls => format!(
                "handshakes: full {full}, resumed {resumed}, with HelloRetryRequest {}",
                self.retry.load(Ordering::Relaxed),
            ),
            Backend::Boring => format!(
                "handshakes: full {full}, resumed {resumed}, with another suite than --cipher {}",
                self.other_suite.load(Ordering::Relaxed),
            ),
        }
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

/// The ALPN list the server offers for `mode`.
fn alpn(mode: Mode) -> AlpnList {
    match mode {
        Mode::Http => AlpnList::h2_http11(),
        Mode::Echo | Mode::Sink => AlpnList::new(),
    }
}

/// The rustls acceptor: TLS 1.3, one suite, one group, no resumption.
fn rustls_acceptor(cli: &Cli, cert: CertifiedKey) -> Result<TlsAcceptorLayer, BoxError> {
    let suite = CipherSuite::from_name(&cli.cipher)
        .with_context(|| format!("unknown cipher suite {}", cli.cipher))?;
    let group = SupportedGroup::from_name(&cli.group)
        .with_context(|| format!("unknown key exchange group {}", cli.group))?;
    let config = ServerConfig::new(ServerCertSource::Static(Arc::new(cert)))
        .with_min_version(ProtocolVersion::TLS_V1_3)
        .with_cipher_suites(vec![suite])
        .with_groups(vec![group])
        .with_alpn(alpn(cli.mode));
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

async fn echo<T: AsyncRead + AsyncWrite + Unpin>(mut tls: T) -> Result<(), BoxError> {
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

async fn sink<T: AsyncRead + Unpin>(mut tls: T) -> Result<(), BoxError> {
    let mut buf = vec![0u8; 64 * 1024];
    while tls.read(&mut buf).await? != 0 {}
    Ok(())
}

/// Everything behind TLS for `mode`, after `on_handshake` looked at the stream.
fn behind_tls<T, F>(
    mode: Mode,
    bulk: Bytes,
    on_handshake: F,
) -> impl Service<T, Output = (), Error = BoxError> + Clone
where
    T: AsyncRead + AsyncWrite + ExtensionsMut + Send + Sync + Unpin + 'static,
    F: Fn(&T) + Clone + Send + Sync + 'static,
{
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
    service_fn(move |tls: T| {
        on_handshake(&tls);
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

#[cfg(feature = "boring")]
mod boring_backend {
    //! `--backend boring`: the BoringSSL acceptor with the rustls side's settings.

    use super::{Cli, HandshakeCounts, alpn};
    use boring::{
        pkey::PKey,
        ssl::{AlpnError, SslAcceptor, SslMethod, SslOptions, SslSessionCacheMode, SslVersion},
        x509::X509,
    };
    use rama_core::error::{BoxError, ErrorContext};
    use rama_net::stream::RewindStream;
    use rama_tcp::TcpStream;
    use rama_tls::{
        boring::{TlsAcceptorLayer, TlsStream},
        config::{CertifiedKey, DEFAULT_HANDSHAKE_TIMEOUT},
        types::{AlpnList, CipherSuite, SupportedGroup},
    };

    /// The stream the BoringSSL acceptor hands on.
    pub(super) type Tls = TlsStream<RewindStream<TcpStream>>;

    /// BoringSSL's name for a key exchange group.
    fn group_name(group: SupportedGroup) -> Result<&'static str, BoxError> {
        Ok(match group.value() {
            0x0017 => "P-256",
            0x0018 => "P-384",
            0x0019 => "P-521",
            0x001d => "X25519",
            other => return Err(format!("group {other:#06x} is not mapped for BoringSSL").into()),
        })
    }

    /// TLS 1.3 only, `--group`, ALPN, the certificate, and no session cache or tickets (as
    /// nginx with `ssl_session_cache off; ssl_session_tickets off;`). The TLS 1.3 suite is
    /// BoringSSL's choice (see the module docs of the binary).
    pub(super) fn acceptor(cli: &Cli, cert: &CertifiedKey) -> Result<TlsAcceptorLayer, BoxError> {
        let group = SupportedGroup::from_name(&cli.group)
            .with_context(|| format!("unknown key exchange group {}", cli.group))?;
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())
            .context("create a BoringSSL server context")?;
        builder
            .set_min_proto_version(Some(SslVersion::TLS1_3))
            .context("set the minimum version")?;
        builder
            .set_max_proto_version(Some(SslVersion::TLS1_3))
            .context("set the maximum version")?;
        builder
            .set_curves_list(group_name(group)?)
            .context("set the key exchange group")?;
        let mut chain = X509::stack_from_pem(cert.chain_pem().as_bytes())
            .context("parse the certificate chain")?
            .into_iter();
        let leaf = chain.next().context("the certificate chain is empty")?;
        builder
            .set_certificate(&leaf)
            .context("set the certificate")?;
        for extra in chain {
            builder
                .add_extra_chain_cert(extra)
                .context("add a chain certificate")?;
        }
        let key = PKey::private_key_from_pem(cert.key_pem().as_bytes()).context("parse the key")?;
        builder.set_private_key(&key).context("set the key")?;
        builder
            .check_private_key()
            .context("the key does not match the certificate")?;
        let ours = alpn(cli.mode);
        if !ours.is_empty() {
            builder.set_alpn_select_callback(move |_ssl, offered| {
                select_alpn(&ours, offered).ok_or(AlpnError::NOACK)
            });
        }
        builder.set_session_cache_mode(SslSessionCacheMode::OFF);
        builder.set_options(SslOptions::NO_TICKET);
        Ok(TlsAcceptorLayer::from_boring(
            builder.build(),
            Some(DEFAULT_HANDSHAKE_TIMEOUT),
            false,
        ))
    }

    /// Our first protocol (server preference) that the client offered, as the slice of the
    /// client's wire list (one-byte length prefixes).
    fn select_alpn<'a>(ours: &AlpnList, offered: &'a [u8]) -> Option<&'a [u8]> {
        let mut entries = Vec::new();
        let mut rest = offered;
        while let Some((&len, tail)) = rest.split_first() {
            let (id, tail) = tail.split_at_checked(usize::from(len))?;
            entries.push(id);
            rest = tail;
        }
        ours.iter()
            .find_map(|p| entries.iter().copied().find(|id| *id == p.as_bytes()))
    }

    /// Counts `tls`'s handshake: resumed or not, and whether its suite is `expected`.
    pub(super) fn record(counts: &HandshakeCounts, expected: CipherSuite, tls: &Tls) {
        let ssl = tls.ssl();
        let suite = ssl
            .current_cipher()
            .and_then(|c| c.standard_name())
            .and_then(CipherSuite::from_name);
        counts.record_boring(ssl.session_reused(), suite == Some(expected));
    }
}

/// Runs `server` on `cli.bind` until SIGINT/SIGTERM, then prints the handshake counts.
fn run<S>(cli: &Cli, server: S, counts: &HandshakeCounts) -> Result<(), BoxError>
where
    S: Service<TcpStream, Error: Into<BoxError>> + Clone,
{
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .unwrap_or(NonZeroUsize::MIN);
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
        let result = shutdown.shutdown_with_limit(Duration::from_secs(5)).await;
        eprintln!("{}", counts.summary(cli.backend));
        result?;
        Ok(())
    })
}

fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let cert = load_cert(&cli)?;
    let counts = Arc::new(HandshakeCounts::default());
    let bulk = Bytes::from(vec![b'x'; cli.bulk_bytes]);
    match cli.backend {
        Backend::Rustls => {
            let seen = counts.clone();
            let record = move |tls: &Tls| seen.record(tls.rustls_state().handshake_kind());
            let server =
                rustls_acceptor(&cli, cert)?.into_layer(behind_tls(cli.mode, bulk, record));
            run(&cli, server, &counts)
        }
        #[cfg(feature = "boring")]
        Backend::Boring => {
            let expected = CipherSuite::from_name(&cli.cipher)
                .with_context(|| format!("unknown cipher suite {}", cli.cipher))?;
            let seen = counts.clone();
            let record =
                move |tls: &boring_backend::Tls| boring_backend::record(&seen, expected, tls);
            let server = boring_backend::acceptor(&cli, &cert)?
                .into_layer(behind_tls(cli.mode, bulk, record));
            run(&cli, server, &counts)
        }
        #[cfg(not(feature = "boring"))]
        Backend::Boring => Err(
            "--backend boring needs tls_term built with the `boring` feature \
             (cargo build --release -p rama-bench --features boring --bin tls_term)"
                .into(),
        ),
    }
}
