//! A TLS termination proxy: TLS in front of a plain TCP backend. Each accepted connection's
//! TLS handshake is done here; the decrypted bytes are forwarded to the backend and back.
//!
//! Shows: `TlsAcceptorLayer` (rustls) as a layer over any service of streams, the
//! certificate from PEM files or self-signed, and the negotiated parameters read from the
//! TLS stream's extensions (logged per connection).
//!
//! ```text
//! cargo run -p rama-examples --bin tls_termination_proxy [BIND] [BACKEND] [CERT KEY]
//! #   BIND    defaults to 127.0.0.1:62051
//! #   BACKEND defaults to 127.0.0.1:62022, where the http_echo example listens
//! #   CERT KEY PEM files; without them a self-signed certificate for localhost is made
//! cargo run -p rama-examples --bin http_echo &
//! cargo run -p rama-examples --bin tls_termination_proxy &
//! curl -k https://localhost:62051/                    # TLS here, plain HTTP to http_echo
//! openssl s_client -connect 127.0.0.1:62051 -quiet    # any TCP protocol works the same
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    net::stream::{ForwardConfig, RewindStream, forward_bidirectional},
    service_fn,
    tcp::{TcpStream, server::TcpListener},
    tls::{
        cert,
        config::{CertifiedKey, ServerConfig},
        rustls::{TlsAcceptorLayer, TlsStream},
    },
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62051";
const DEFAULT_BACKEND: &str = "127.0.0.1:62022";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62051")?;
    let backend: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BACKEND.to_owned())
        .parse()
        .context("parse the backend address (second argument), IP:PORT")?;
    let cert = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => CertifiedKey::from_pem_files(&cert, &key)
            .context("load the certificate and key (third and fourth arguments)")?,
        (Some(_), None) => return Err("a certificate file needs its key file too".into()),
        _ => {
            tracing::info!("no certificate given: serving a self-signed one for localhost");
            cert::self_signed(&["localhost", "127.0.0.1", "::1"])?
        }
    };

    let tls = TlsAcceptorLayer::new(&ServerConfig::new(cert.into()))?;
    let forward = service_fn(
        move |mut client: TlsStream<RewindStream<TcpStream>>| async move {
            if let Some(tls) = client.negotiated() {
                tracing::info!(
                    version = %tls.version,
                    cipher = %tls.cipher_suite,
                    sni = tls.server_name.as_deref().unwrap_or("-"),
                    "TLS terminated"
                );
            }
            let mut upstream = TcpStream::connect(backend)
                .await
                .context("connect to the backend")?;
            let stats = forward_bidirectional(&mut client, &mut upstream, &ForwardConfig::new())
                .await
                .context("forward between client and backend")?;
            tracing::debug!(?stats, "connection done");
            Ok::<_, BoxError>(())
        },
    );

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    tracing::info!(%backend, "terminating TLS and forwarding to the backend");
    let service = tls.into_layer(forward);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
