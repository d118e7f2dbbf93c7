//! A MITM proxy: an HTTP proxy that decrypts the HTTPS (`CONNECT`) traffic of clients that
//! trust its CA, logs every request it sees (method, URI, status) and forwards it to the
//! real site over TLS, verifying the site's certificate.
//!
//! Shows: `MitmProxy` (CONNECT → peek ClientHello → a leaf per SNI from the
//! `DynamicIssuer` → HTTP/1.1 or h2 on the decrypted stream → client), an `Inspector`
//! behind an `InspectLayer`, the CA loaded or generated with `CaFiles` (key mode 0600), the
//! fallback byte tunnel for what is not TLS, and `HttpForwardProxy` as the inner service
//! for plain `http://` (absolute-form) requests, logged by the same inspector.
//!
//! ```text
//! cargo run -p rama-examples --bin http_mitm_proxy [BIND] [CA_DIR] [--upstream-ca FILE] [--insecure]
//! #   BIND        defaults to 127.0.0.1:62077
//! #   CA_DIR      defaults to $RAMA_MITM_CA_DIR, else a directory under the system temp dir
//! #               (printed at start): CA_DIR/ca.pem is the certificate clients trust
//! #   --upstream-ca FILE  trust this CA for sites (instead of the webpki roots)
//! #   --insecure          do not verify sites at all (tests only)
//! curl -x http://127.0.0.1:62077 --cacert CA_DIR/ca.pem https://example.com/
//! curl -x http://127.0.0.1:62077 http://example.com/      # forwarded (and logged)
//! curl -p -x http://127.0.0.1:62077 http://example.com/   # not TLS: tunneled as is
//! ```
//!
//! Never run a MITM proxy where others can reach it, and trust its CA only on your own
//! machine: its key can impersonate every site to whoever trusts it.

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::{Executor, Shutdown},
    http::{Body, Method, Response, Uri, client::EasyHttpWebClient, server::HttpServer},
    proxy::{
        http::server::HttpForwardProxy,
        mitm::{CaFiles, InspectLayer, Inspector, MitmConfig, MitmProxy},
    },
    tcp::{client::TcpConnector, server::TcpListener},
    tls::{
        cert::DynamicIssuer,
        config::{ClientConfig, ServerVerification},
    },
};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62077";

/// Logs each intercepted exchange.
#[derive(Debug, Clone, Copy)]
struct LogRequests;

impl Inspector for LogRequests {
    async fn on_response(&self, method: &Method, uri: &Uri, res: &mut Response<Body>) {
        tracing::info!("intercepted {method} {uri} -> {}", res.status().as_u16());
    }
}

struct Args {
    bind: SocketAddr,
    ca_dir: PathBuf,
    upstream_ca: Option<PathBuf>,
    insecure: bool,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut positional = Vec::new();
    let mut upstream_ca = None;
    let mut insecure = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--insecure" | "-k" => insecure = true,
            "--upstream-ca" => {
                let file = args.next().context("--upstream-ca needs a file")?;
                upstream_ca = Some(PathBuf::from(file));
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag}").into());
            }
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let bind = positional
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62077")?;
    let ca_dir = positional
        .next()
        .or_else(|| std::env::var("RAMA_MITM_CA_DIR").ok())
        .map_or_else(
            || std::env::temp_dir().join("rama-mitm-example-ca"),
            PathBuf::from,
        );
    Ok(Args {
        bind,
        ca_dir,
        upstream_ca,
        insecure,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let args = parse_args()?;

    let ca_files = CaFiles::in_dir(&args.ca_dir);
    let ca = ca_files.load_or_generate("rama http_mitm_proxy example CA")?;
    tracing::info!(
        "clients must trust {} (the key next to it is mode 0600)",
        ca_files.cert_path().display()
    );
    let issuer = Arc::new(DynamicIssuer::new(Arc::new(ca)).with_max_entries(1000));

    let verification = if args.insecure {
        tracing::warn!("--insecure: site certificates are NOT verified");
        ServerVerification::Insecure
    } else if let Some(file) = &args.upstream_ca {
        let pem = std::fs::read_to_string(file)
            .with_context(|| format!("read the upstream CA {}", file.display()))?;
        ServerVerification::custom_pem(&pem)?
    } else {
        ServerVerification::WebPkiRoots
    };
    let connector = TcpConnector::new();
    let tls = ClientConfig::new().with_verification(verification);
    let client =
        EasyHttpWebClient::with_connector(connector.clone()).with_tls_config(tls.clone())?;
    let client = InspectLayer::new(LogRequests).into_layer(client);

    let shutdown = Shutdown::default();
    // tunnels are tracked: shutdown waits for them (up to its limit)
    let executor = Executor::graceful(shutdown.guard());
    // plain http:// requests (absolute form) go to a forward proxy through the same client
    let forward =
        HttpForwardProxy::new(connector.clone(), client.clone()).with_executor(executor.clone());
    let config = MitmConfig::new()
        .with_upstream_tls(tls)
        .with_executor(executor);
    let mitm = MitmProxy::with_config(forward, issuer, client, connector, config)?;

    let listener = TcpListener::bind(args.bind).await?;
    println!("listening on {}", listener.local_addr()?);
    let service = HttpServer::auto().service(mitm);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
