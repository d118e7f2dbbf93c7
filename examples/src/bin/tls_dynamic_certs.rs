//! An HTTPS server that mints a certificate for whatever name the client asks for (SNI),
//! signed by its CA: what a MITM proxy does for every site it intercepts.
//!
//! Shows: `DynamicIssuer` (a leaf per SNI, cached, bounded, minted once per name even under
//! concurrent first requests) as the acceptor's asynchronous certificate source, and the
//! SNI read back from the negotiated parameters.
//!
//! ```text
//! cargo run -p rama-examples --bin tls_dynamic_certs [BIND] [DIR]
//! #   BIND defaults to 127.0.0.1:62053
//! #   DIR  defaults to ./dynamic-certs-demo: the CA (ca.pem, ca.key with mode 0600)
//! curl --cacert dynamic-certs-demo/ca.pem --resolve shop.test:62053:127.0.0.1 \
//!     https://shop.test:62053/        # hello shop.test (certificates minted: 1)
//! curl --cacert dynamic-certs-demo/ca.pem --resolve news.test:62053:127.0.0.1 \
//!     https://news.test:62053/        # hello news.test (certificates minted: 2)
//! curl --cacert dynamic-certs-demo/ca.pem https://127.0.0.1:62053/   # no SNI: hello -
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
        cert::{CertificateAuthority, DynamicIssuer},
        config::{ServerCertSource, ServerConfig},
        negotiated::NegotiatedTlsParameters,
        rustls::TlsAcceptorLayer,
        types::AlpnList,
    },
};
use std::{convert::Infallible, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62053";
const DEFAULT_DIR: &str = "dynamic-certs-demo";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62053")?;
    let dir = PathBuf::from(args.next().unwrap_or_else(|| DEFAULT_DIR.to_owned()));
    std::fs::create_dir_all(&dir).context("create the CA directory")?;

    let ca = CertificateAuthority::load_or_generate(
        dir.join("ca.pem"),
        dir.join("ca.key"),
        "rama tls_dynamic_certs demo CA",
    )?;
    // clients that connect to an IP address send no SNI: they get a leaf for 127.0.0.1
    let issuer = Arc::new(
        DynamicIssuer::new(Arc::new(ca))
            .with_max_entries(1000)
            .with_fallback_name("127.0.0.1"),
    );
    let config = ServerConfig::new(ServerCertSource::resolver(issuer.clone()))
        .with_alpn(AlpnList::h2_http11());
    let tls = TlsAcceptorLayer::new(&config)?;

    let hello = service_fn(move |req: Request<Body>| {
        let issuer = issuer.clone();
        async move {
            let sni = req
                .extensions()
                .get::<Extensions>()
                .and_then(|conn| conn.get::<NegotiatedTlsParameters>())
                .and_then(|tls| tls.server_name.clone())
                .unwrap_or_else(|| "-".to_owned());
            let text = format!("hello {sni} (certificates minted: {})\n", issuer.minted());
            Ok::<_, Infallible>(Response::new(Body::from(text)))
        }
    });
    let service = tls.into_layer(HttpServer::auto().service(hello));

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    tracing::info!(dir = %dir.display(), "minting a certificate per SNI");
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
