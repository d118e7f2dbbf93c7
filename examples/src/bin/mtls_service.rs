//! An HTTPS service that requires client certificates (mutual TLS): a client without a
//! certificate signed by the demo CA is refused during the handshake.
//!
//! Shows: a CA loaded from (or generated into) a directory with its key written `0600`,
//! certificates issued by it for the server and for a client, `ClientAuth::Required`, and an
//! HTTP service (`HttpServer::auto`, h2 by ALPN or HTTP/1.1) reading the negotiated TLS
//! parameters (the client's certificate chain) from the request's extensions.
//!
//! ```text
//! cargo run -p rama-examples --bin mtls_service [BIND] [DIR]
//! #   BIND defaults to 127.0.0.1:62052
//! #   DIR  defaults to ./mtls-demo: ca.pem, ca.key, client.pem and client.key are there
//! curl --cacert mtls-demo/ca.pem --cert mtls-demo/client.pem --key mtls-demo/client.key \
//!     https://localhost:62052/                     # served
//! curl --cacert mtls-demo/ca.pem https://localhost:62052/    # refused: no client certificate
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    extensions::Extensions,
    graceful::Shutdown,
    http::{Body, Request, Response, server::HttpServer},
    service_fn,
    tcp::server::TcpListener,
    tls::{
        cert::CertificateAuthority,
        config::{ClientAuth, ServerConfig},
        negotiated::NegotiatedTlsParameters,
        rustls::TlsAcceptorLayer,
        types::AlpnList,
    },
};
use std::{convert::Infallible, net::SocketAddr, path::PathBuf, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62052";
const DEFAULT_DIR: &str = "mtls-demo";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62052")?;
    let dir = PathBuf::from(args.next().unwrap_or_else(|| DEFAULT_DIR.to_owned()));
    std::fs::create_dir_all(&dir).context("create the certificate directory")?;

    // one CA signs both sides here; a real deployment often has a separate client CA
    let ca = CertificateAuthority::load_or_generate(
        dir.join("ca.pem"),
        dir.join("ca.key"),
        "rama mtls_service demo CA",
    )?;
    let client = ca.issue(&["demo-client"])?;
    std::fs::write(dir.join("client.pem"), client.chain_pem()).context("write client.pem")?;
    write_private(&dir.join("client.key"), &client.key_pem())?;
    tracing::info!(dir = %dir.display(), "CA and client certificate ready");

    let config = ServerConfig::new(ca.issue(&["localhost", "127.0.0.1", "::1"])?.into())
        .with_alpn(AlpnList::h2_http11())
        .with_client_auth(ClientAuth::required_pem(&ca.cert_pem())?);
    let tls = TlsAcceptorLayer::new(&config)?;

    let hello = service_fn(async |req: Request<Body>| {
        let tls = req
            .extensions()
            .get::<Extensions>()
            .and_then(|conn| conn.get::<NegotiatedTlsParameters>());
        let text = match tls {
            Some(tls) => format!(
                "hello, mTLS client: {} certificate(s) presented, {} over {}\n",
                tls.peer_certificates.len(),
                tls.cipher_suite,
                tls.version,
            ),
            None => "no TLS parameters\n".to_owned(),
        };
        Ok::<_, Infallible>(Response::new(Body::from(text)))
    });
    let service = tls.into_layer(HttpServer::auto().service(hello));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}

/// Write a private key readable by its owner only.
fn write_private(path: &std::path::Path, pem: &str) -> Result<(), BoxError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).context("write client.key")?;
    std::io::Write::write_all(&mut file, pem.as_bytes()).context("write client.key")?;
    Ok(())
}
