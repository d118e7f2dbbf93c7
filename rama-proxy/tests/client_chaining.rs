//! Proxy chaining: rama's forward proxy whose upstream is picked per request (here a
//! `ProxySelectLayer` with one fixed upstream, the place a proxy-DB layer takes) and whose
//! connector and HTTP client are the proxy client (`ProxyConnector`, `proxy_web_client`),
//! in front of tinyproxy:
//!
//! ```text
//! client ──► rama forward proxy ──► tinyproxy ──► origin
//! ```
//!
//! Neither the client nor the rama proxy can resolve `localhost` (their resolvers know
//! only `proxy.test`), so a request for it that succeeds went through tinyproxy; plain
//! http also shows tinyproxy's `Via`.
//!
//! tinyproxy is a Debian package (`.ci/run` installs it); without it the test is skipped
//! with a message, unless `CI=true`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::Layer;
use rama_core::Service;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_http::client::{EasyHttpWebClient, ResponseExt};
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response, StatusCode};
use rama_net::address::{Domain, ProxyAddress};
use rama_net::dns::InMemoryDns;
use rama_proxy::client::{ProxyConnector, ProxySelectLayer, ProxySelector, proxy_web_client};
use rama_proxy::http::server::HttpForwardProxy;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, tool_available};
use rama_tls::cert::CertificateAuthority;
use rama_tls::config::{ClientConfig, ServerConfig, ServerVerification};
use rama_tls::rustls::TlsAcceptorLayer;
use std::convert::Infallible;
use std::net::Ipv4Addr;

use std::time::Duration;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

fn dns() -> InMemoryDns {
    InMemoryDns::new().with_ips(
        Domain::from_static("proxy.test"),
        [Ipv4Addr::LOCALHOST.into()],
    )
}

/// `METHOD TARGET via=VIA`.
async fn echo(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let via = req
        .headers()
        .get("via")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    Ok(Response::new(Body::from(format!(
        "{} {} via={via}",
        req.method(),
        req.uri()
    ))))
}

/// The temp directory of a tinyproxy config, removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tinyproxy() -> Option<(u16, KillOnDrop, TempDir)> {
    if !tool_available("tinyproxy") {
        return None;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!(
        "rama-client-chaining-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let file = dir.0.join("tinyproxy.conf");
    std::fs::write(
        &file,
        format!("Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 32\n"),
    )
    .unwrap();
    let process =
        KillOnDrop::spawn_listening("tinyproxy", &["-d", "-c", file.to_str().unwrap()], port);
    Some((port, process, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_proxy_chains_through_an_upstream_http_proxy() {
    let Some((tiny_port, _tiny, _dir)) = tinyproxy() else {
        return;
    };
    let ca = CertificateAuthority::generate("client_chaining CA").unwrap();
    let shutdown = Shutdown::manual();

    // origins: plain and TLS (certificate for localhost)
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    shutdown.spawn_task(plain.serve_graceful(
        shutdown.guard(),
        HttpServer::auto().service(service_fn(echo)),
    ));
    let tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_port = tls.local_addr().unwrap().port();
    let leaf = ca.issue(&["localhost"]).unwrap();
    shutdown.spawn_task(
        tls.serve_graceful(
            shutdown.guard(),
            TlsAcceptorLayer::new(&ServerConfig::new(leaf.into()))
                .unwrap()
                .into_layer(HttpServer::auto().service(service_fn(echo))),
        ),
    );

    // rama's forward proxy, every request chained through tinyproxy
    let upstream: ProxyAddress = format!("http://127.0.0.1:{tiny_port}").parse().unwrap();
    let forward = ProxySelectLayer::new(ProxySelector::none().with_proxy(upstream)).into_layer(
        HttpForwardProxy::new(
            ProxyConnector::new(TcpConnector::with_resolver(dns())),
            proxy_web_client(dns()),
        ),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let forward_port = listener.local_addr().unwrap().port();
    shutdown
        .spawn_task(listener.serve_graceful(shutdown.guard(), HttpServer::auto().service(forward)));

    // the client, through rama's proxy
    let client =
        EasyHttpWebClient::with_connector(ProxyConnector::new(TcpConnector::with_resolver(dns())))
            .with_tls_config(
                ClientConfig::new()
                    .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap()),
            )
            .unwrap();
    let first_hop: ProxyAddress = format!("http://proxy.test:{forward_port}").parse().unwrap();
    let get = async |url: String| {
        let mut req = Request::get(&url).body(Body::empty()).unwrap();
        req.extensions_mut().insert(first_hop.clone());
        let res = timeout(WAIT, client.serve(req))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("GET {url}: {e:#}"));
        let status = res.status();
        (status, res.text().await.unwrap())
    };

    let (status, body) = get(format!("http://localhost:{plain_port}/chained")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("GET /chained via=1.1 "), "{body}");
    assert!(body.contains("(tinyproxy/"), "{body}");

    let (status, body) = get(format!("https://localhost:{tls_port}/tunnel")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "GET /tunnel via=-");

    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
}
