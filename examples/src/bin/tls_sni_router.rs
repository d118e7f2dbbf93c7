//! An SNI router: TLS connections are forwarded, untouched and still encrypted, to a
//! backend chosen by the server name in their ClientHello. The router never terminates TLS
//! and holds no certificate.
//!
//! Shows: `rama::tls::sni::SniRouter` as the service of a `TcpListener`, with exact and
//! wildcard rules and an optional default route; the ClientHello is peeked and replayed to
//! the backend byte for byte. A name without a route gets a TLS `unrecognized_name` alert.
//!
//! ```text
//! cargo run -p rama-examples --bin tls_sni_router -- \
//!     [--bind ADDR] [--route PATTERN=HOST:PORT]... [--default HOST:PORT]
//! #   --bind     defaults to 127.0.0.1:62041
//! #   --route    e.g. a.test=127.0.0.1:62042 or '*.b.test=127.0.0.1:62043' (repeatable);
//! #              without any --route, those two are used
//! #   --default  where streams without SNI or without a matching rule go (none by default)
//! openssl s_server -accept 62042 -cert a.pem -key a.key -www &
//! cargo run -p rama-examples --bin tls_sni_router &
//! openssl s_client -connect 127.0.0.1:62041 -servername a.test   # reaches the s_server
//! ```

use rama::{
    error::{BoxError, ErrorContext, OpaqueError},
    graceful::Shutdown,
    net::address::Authority,
    tcp::{client::TcpConnector, server::TcpListener},
    tls::sni::SniRouter,
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62041";
const DEFAULT_ROUTES: [(&str, &str); 2] = [
    ("a.test", "127.0.0.1:62042"),
    ("*.b.test", "127.0.0.1:62043"),
];
const USAGE: &str =
    "usage: tls_sni_router [--bind ADDR] [--route PATTERN=HOST:PORT]... [--default HOST:PORT]";

struct Args {
    bind: SocketAddr,
    routes: Vec<(String, Authority)>,
    default: Option<Authority>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut bind = DEFAULT_BIND.to_owned();
    let mut routes = Vec::new();
    let mut default = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| OpaqueError::from_display(format!("{flag} needs a value; {USAGE}")))
        };
        match flag.as_str() {
            "--bind" => bind = value()?,
            "--route" => {
                let rule = value()?;
                let (pattern, backend) = rule.split_once('=').ok_or_else(|| {
                    OpaqueError::from_display(format!(
                        "--route {rule:?}: expected PATTERN=HOST:PORT"
                    ))
                })?;
                let backend: Authority = backend
                    .parse()
                    .with_context(|| format!("--route {rule:?}: parse the backend HOST:PORT"))?;
                routes.push((pattern.to_owned(), backend));
            }
            "--default" => {
                default = Some(value()?.parse().context("--default: parse HOST:PORT")?);
            }
            other => {
                return Err(OpaqueError::from_display(format!(
                    "unknown argument {other:?}; {USAGE}"
                ))
                .into());
            }
        }
    }
    if routes.is_empty() {
        for (pattern, backend) in DEFAULT_ROUTES {
            routes.push((
                pattern.to_owned(),
                backend.parse().context("parse a default route")?,
            ));
        }
    }
    Ok(Args {
        bind: bind
            .parse()
            .context("--bind: parse the address, e.g. 127.0.0.1:62041")?,
        routes,
        default,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let args = parse_args()?;

    let mut router = SniRouter::new(TcpConnector::new());
    for (pattern, backend) in &args.routes {
        tracing::info!(pattern = %pattern, %backend, "route");
        router = router
            .with_route(pattern, backend.clone())
            .with_context(|| format!("--route {pattern}={backend}"))?;
    }
    if let Some(backend) = args.default {
        tracing::info!(%backend, "default route");
        router = router.with_default_route(backend);
    }

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(args.bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, router).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
