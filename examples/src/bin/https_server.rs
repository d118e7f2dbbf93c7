//! An HTTPS server: TLS (rustls) in front of `HttpServer::auto`, which speaks h2 or
//! HTTP/1.1 as the TLS handshake's ALPN chose, without peeking at the stream.
//!
//! Shows: a CA loaded from (or generated into) a directory, a leaf for localhost, 127.0.0.1
//! and ::1 issued by it, ALPN `h2` + `http/1.1`, and a handler that reads the negotiated TLS
//! parameters from the request's extensions.
//!
//! ```text
//! cargo run -p rama-examples --bin https_server [BIND] [DIR]
//! #   BIND defaults to 127.0.0.1:62061
//! #   DIR  defaults to ./https-demo: the CA certificate is written to DIR/ca.pem
//! curl --cacert https-demo/ca.pem https://localhost:62061/            # h2
//! curl --cacert https-demo/ca.pem --http1.1 https://localhost:62061/  # HTTP/1.1
//! cargo run -p rama-examples --bin https_client https://127.0.0.1:62061/ https-demo/ca.pem
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
        cert::CertificateAuthority, config::ServerConfig, negotiated::NegotiatedTlsParameters,
        rustls::TlsAcceptorLayer, types::AlpnList,
    },
};
use std::{convert::Infallible, net::SocketAddr, path::PathBuf, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62061";
const DEFAULT_DIR: &str = "https-demo";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62061")?;
    let dir = PathBuf::from(args.next().unwrap_or_else(|| DEFAULT_DIR.to_owned()));
    std::fs::create_dir_all(&dir).context("create the certificate directory")?;

    // the CA's key is written with mode 0600; clients trust DIR/ca.pem
    let ca = CertificateAuthority::load_or_generate(
        dir.join("ca.pem"),
        dir.join("ca.key"),
        "rama https_server demo CA",
    )?;
    let config = ServerConfig::new(ca.issue(&["localhost", "127.0.0.1", "::1"])?.into())
        .with_alpn(AlpnList::h2_http11());
    let tls = TlsAcceptorLayer::new(&config)?;

    let hello = service_fn(async |req: Request<Body>| {
        let tls = req
            .extensions()
            .get::<Extensions>()
            .and_then(|conn| conn.get::<NegotiatedTlsParameters>());
        let text = match tls {
            Some(tls) => format!(
                "hello over {:?} (ALPN {}, {}, {})\n",
                req.version(),
                tls.alpn
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), ToString::to_string),
                tls.version,
                tls.cipher_suite,
            ),
            None => format!("hello over {:?} without TLS\n", req.version()),
        };
        Ok::<_, Infallible>(Response::new(Body::from(text)))
    });
    // the TLS stream carries NegotiatedTlsParameters: `auto` picks h2 or HTTP/1.1 by ALPN
    let service = tls.into_layer(HttpServer::auto().service(hello));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    tracing::info!(ca = %dir.join("ca.pem").display(), "serving https");
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
