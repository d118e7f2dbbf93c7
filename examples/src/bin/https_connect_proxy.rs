//! An HTTPS forward proxy with authentication: TLS between the client and the proxy, then
//! the same forward proxy as `http_connect_proxy` (absolute-form requests and CONNECT
//! tunnels), behind `Proxy-Authorization: Basic` (`407` without it). Usernames may carry
//! labels (`john-country-us`): `john` is authenticated and the labels ride with the request.
//!
//! Shows: `TlsAcceptorLayer` in front of `HttpServer::auto` (ALPN offers h2 and http/1.1),
//! a self-signed certificate (or PEM files), `ProxyAuthLayer` in label mode.
//!
//! ```text
//! cargo run -p rama-examples --bin https_connect_proxy [BIND] [CERT KEY]
//! #   BIND      defaults to 127.0.0.1:62072
//! #   CERT KEY  PEM files; without them a self-signed certificate for localhost is made
//! cargo run -p rama-examples --bin http_echo &
//! curl -x https://127.0.0.1:62072 --proxy-insecure -U john:secret http://127.0.0.1:62022/
//! curl -p -x https://127.0.0.1:62072 --proxy-insecure -U john-country-us:secret http://127.0.0.1:62022/
//! curl -x https://127.0.0.1:62072 --proxy-insecure http://127.0.0.1:62022/   # 407
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{client::EasyHttpWebClient, server::HttpServer},
    layer::TraceErrLayer,
    net::{address::IpClass, dns::HickoryDns, user::Basic},
    proxy::{
        http::server::{HttpForwardProxy, ProxyAuthLayer},
        policy::{PolicyConnector, TargetPolicy},
        username::DEFAULT_SEPARATOR,
    },
    tcp::server::TcpListener,
    tls::{
        cert,
        config::{CertifiedKey, ServerConfig},
        rustls::TlsAcceptorLayer,
        types::AlpnList,
    },
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62072";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62072")?;
    let cert = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => CertifiedKey::from_pem_files(&cert, &key)
            .context("load the certificate and key (second and third arguments)")?,
        (Some(_), None) => return Err("a certificate file needs its key file too".into()),
        _ => cert::self_signed(&["localhost", "127.0.0.1", "::1"])?,
    };
    let tls =
        TlsAcceptorLayer::new(&ServerConfig::new(cert.into()).with_alpn(AlpnList::h2_http11()))?;

    let policy = TargetPolicy::public_only().allow(IpClass::Loopback);
    let connector = PolicyConnector::tcp(HickoryDns::default(), policy);
    let client = EasyHttpWebClient::with_connector(connector.clone());
    let proxy =
        HttpForwardProxy::new(connector, client).with_connect_timeout(Duration::from_secs(5));
    let auth = ProxyAuthLayer::new([Basic::new("john", "secret")?])
        .with_username_labels(DEFAULT_SEPARATOR);

    let shutdown = Shutdown::default();
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    let service =
        (TraceErrLayer::new(), tls).into_layer(HttpServer::auto().service(auth.into_layer(proxy)));
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
