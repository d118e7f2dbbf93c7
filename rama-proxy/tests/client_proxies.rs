//! The proxy client against real proxies on loopback: tinyproxy as an HTTP proxy
//! (absolute-form `http://`, `CONNECT` to an https origin, `407` without credentials and
//! success with them), haproxy terminating TLS in front of tinyproxy as an HTTPS proxy,
//! microsocks as a SOCKS5 proxy (`socks5h://`, `socks5://` with local resolution, with
//! username/password), the `NO_PROXY` bypass, and the errors of each failed hop.
//!
//! The client resolves no name itself (its resolver knows only `proxy.test` and
//! `origin.test`), so a request for `localhost` that succeeds was resolved by the proxy.
//! The origins are rama servers that echo what they saw (target form, `Via`,
//! `Proxy-Authorization`).
//!
//! tinyproxy, haproxy and microsocks are Debian packages (`.ci/run` installs them); a test
//! whose peer is missing is skipped with a message, unless `CI=true`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::error::{BoxError, find_in_chain};
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_core::{Layer, Service};
use rama_http::client::{EasyHttpWebClient, HttpClientExt, ResponseExt};
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response, StatusCode};
use rama_net::address::{Domain, ProxyAddress};
use rama_net::dns::InMemoryDns;
use rama_proxy::client::{
    NoProxy, ProxyConnectError, ProxyConnector, ProxySelectLayer, ProxySelector, ProxyStream,
};
use rama_tcp::TcpStream;
use rama_tcp::client::{TcpConnector, TcpRequest};
use rama_tcp::server::TcpListener;
use rama_test_support::{KillOnDrop, free_port, tool_available};
use rama_tls::cert::CertificateAuthority;
use rama_tls::config::{ClientConfig, ServerConfig, ServerVerification};
use rama_tls::rustls::TlsAcceptorLayer;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use std::time::Duration;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

type Client = EasyHttpWebClient<ProxyConnector<TcpConnector<InMemoryDns>>>;

/// The client's resolver: only `proxy.test` and `origin.test` (both 127.0.0.1).
fn dns() -> InMemoryDns {
    InMemoryDns::new()
        .with_ips(
            Domain::from_static("proxy.test"),
            [Ipv4Addr::LOCALHOST.into()],
        )
        .with_ips(
            Domain::from_static("origin.test"),
            [Ipv4Addr::LOCALHOST.into()],
        )
}

fn connector(ca: Option<&CertificateAuthority>) -> ProxyConnector<TcpConnector<InMemoryDns>> {
    let mut connector =
        ProxyConnector::new(TcpConnector::with_resolver(dns())).with_resolver(dns());
    if let Some(ca) = ca {
        let verify = ServerVerification::custom_pem(&ca.cert_pem()).unwrap();
        connector = connector
            .with_proxy_tls_config(ClientConfig::new().with_verification(verify))
            .unwrap();
    }
    connector
}

fn client(ca: &CertificateAuthority, proxy_ca: Option<&CertificateAuthority>) -> Client {
    EasyHttpWebClient::with_connector(connector(proxy_ca))
        .with_tls_config(
            ClientConfig::new()
                .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap()),
        )
        .unwrap()
}

fn proxy(url: &str) -> ProxyAddress {
    url.parse().unwrap()
}

/// GET `url` through `proxy` (if any): status and body, or the error.
async fn get(
    client: &Client,
    url: &str,
    proxy: Option<&ProxyAddress>,
) -> Result<(StatusCode, String), BoxError> {
    timeout(WAIT, async {
        let mut req = Request::get(url).body(Body::empty())?;
        if let Some(proxy) = proxy {
            req.extensions_mut().insert(proxy.clone());
        }
        let res = client.serve(req).await?;
        let status = res.status();
        Ok((status, res.text().await?))
    })
    .await
    .unwrap_or_else(|_| panic!("GET {url} answered in time"))
}

// ---- origins ----

/// What the origin saw: `METHOD TARGET via=VIA auth=yes|no`.
async fn echo(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let via = req
        .headers()
        .get("via")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let auth = if req.headers().contains_key("proxy-authorization") {
        "yes"
    } else {
        "no"
    };
    Ok(Response::new(Body::from(format!(
        "{} {} via={via} auth={auth}",
        req.method(),
        req.uri()
    ))))
}

struct Origin {
    port: u16,
    shutdown: Shutdown,
}

impl Origin {
    async fn stop(self) {
        self.shutdown.trigger().trigger();
        timeout(WAIT, self.shutdown.shutdown()).await.unwrap();
    }
}

async fn http_origin() -> Origin {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let shutdown = Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(
        shutdown.guard(),
        HttpServer::auto().service(service_fn(echo)),
    ));
    Origin { port, shutdown }
}

/// The echo behind TLS with a certificate for `localhost` and `origin.test` from `ca`.
async fn https_origin(ca: &CertificateAuthority) -> Origin {
    let leaf = ca.issue(&["localhost", "origin.test"]).unwrap();
    let config = ServerConfig::new(leaf.into());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let shutdown = Shutdown::manual();
    let service = TlsAcceptorLayer::new(&config)
        .unwrap()
        .into_layer(HttpServer::auto().service(service_fn(echo)));
    shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
    Origin { port, shutdown }
}

// ---- peers ----

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "rama-client-proxies-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A peer process listening on `port`; killed (then its directory removed) on drop.
struct Peer {
    port: u16,
    _process: KillOnDrop,
    _dir: TempDir,
}

/// Starts `program args` and waits until 127.0.0.1:`port` accepts connections.
fn spawn_listening(program: &str, args: &[&str], port: u16, dir: TempDir) -> Peer {
    Peer {
        port,
        _process: KillOnDrop::spawn_listening(program, args, port),
        _dir: dir,
    }
}

/// tinyproxy on a free loopback port, allowing CONNECT to `connect_ports`, with Basic
/// credentials when given.
fn tinyproxy(connect_ports: &[u16], auth: Option<(&str, &str)>) -> Option<Peer> {
    if !tool_available("tinyproxy") {
        return None;
    }
    let port = free_port();
    let dir = TempDir::new("tinyproxy");
    let mut config = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 32\nLogLevel Info\nLogFile \"{}\"\n",
        dir.0.join("tinyproxy.log").display()
    );
    for p in connect_ports {
        config.push_str(&format!("ConnectPort {p}\n"));
    }
    if let Some((user, pass)) = auth {
        config.push_str(&format!("BasicAuth {user} {pass}\n"));
    }
    let file = dir.write("tinyproxy.conf", &config);
    let file = file.to_str().unwrap().to_owned();
    Some(spawn_listening(
        "tinyproxy",
        &["-d", "-c", &file],
        port,
        dir,
    ))
}

/// haproxy terminating TLS (a certificate for `proxy.test` from `ca`) in front of
/// 127.0.0.1:`backend`, in tcp mode: an HTTPS proxy made of tinyproxy.
fn haproxy_tls(ca: &CertificateAuthority, backend: u16) -> Option<Peer> {
    if !tool_available("haproxy") {
        return None;
    }
    let port = free_port();
    let dir = TempDir::new("haproxy");
    let leaf = ca.issue(&["proxy.test"]).unwrap();
    let pem = dir.write(
        "proxy.pem",
        &format!("{}{}", leaf.chain_pem(), leaf.key_pem()),
    );
    let config = format!(
        "global\n  maxconn 64\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
         frontend tls\n  bind 127.0.0.1:{port} ssl crt {pem}\n  default_backend proxy\n\
         backend proxy\n  server tinyproxy 127.0.0.1:{backend}\n",
        pem = pem.display()
    );
    let file = dir.write("haproxy.cfg", &config);
    let file = file.to_str().unwrap().to_owned();
    Some(spawn_listening("haproxy", &["-db", "-f", &file], port, dir))
}

/// microsocks on a free loopback port, with credentials when given.
fn microsocks(auth: Option<(&str, &str)>) -> Option<Peer> {
    if !tool_available("microsocks") {
        return None;
    }
    let port = free_port();
    let port_arg = port.to_string();
    let mut args = vec!["-i", "127.0.0.1", "-p", &port_arg];
    if let Some((user, pass)) = auth {
        args.extend(["-u", user, "-P", pass]);
    }
    Some(spawn_listening(
        "microsocks",
        &args,
        port,
        TempDir::new("microsocks"),
    ))
}

/// The origin's echo says tinyproxy forwarded it (`Via: 1.1 HOSTNAME (tinyproxy/1.x)`).
fn assert_via_tinyproxy(body: &str, want_start: &str) {
    assert!(
        body.starts_with(&format!("{want_start} via=1.1 ")),
        "{body}"
    );
    assert!(body.contains("(tinyproxy/"), "{body}");
}

fn proxy_error(err: &BoxError) -> &ProxyConnectError {
    find_in_chain::<ProxyConnectError>(err.as_ref())
        .unwrap_or_else(|| panic!("a ProxyConnectError in {err:#}"))
}

// ---- tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tinyproxy_forwards_http_in_absolute_form_and_tunnels_https() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let plain = http_origin().await;
    let tls = https_origin(&ca).await;
    let Some(tiny) = tinyproxy(&[tls.port], None) else {
        return;
    };
    let client = client(&ca, None);
    let via_tiny = proxy(&format!("http://127.0.0.1:{}", tiny.port));

    // http: absolute form to the proxy, which resolves `localhost` and adds its Via
    let url = format!("http://localhost:{}/plain?q=1", plain.port);
    for _ in 0..3 {
        let (status, body) = get(&client, &url, Some(&via_tiny)).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_via_tinyproxy(&body, "GET /plain?q=1");
        assert!(body.ends_with("auth=no"), "{body}");
    }
    // tinyproxy closes after each forwarded request: no reuse to count here (see
    // `absolute_form_requests_reuse_the_proxy_connection` for the pool)
    let before = client.pool().counters().created();

    // https: CONNECT, then TLS to the origin (verified) through the tunnel
    let url = format!("https://localhost:{}/secure", tls.port);
    for _ in 0..3 {
        let (status, body) = get(&client, &url, Some(&via_tiny)).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        // the tunnel hides the request from the proxy: no Via
        assert_eq!(body, "GET /secure via=- auth=no");
    }
    // one tunnel served the three
    assert_eq!(client.pool().counters().created(), before + 1);

    // without the proxy the client cannot resolve `localhost` itself: the requests above
    // really went through the proxy
    let err = get(&client, &url, None).await.unwrap_err();
    assert!(format!("{err:#}").contains("localhost"), "{err:#}");

    // a port tinyproxy does not allow CONNECT to: refused with its status
    let err = get(
        &client,
        &format!("https://localhost:{}/", plain.port),
        Some(&via_tiny),
    )
    .await
    .unwrap_err();
    let proxy_err = proxy_error(&err);
    assert!(proxy_err.is_tunnel_refused(), "{err:#}");
    assert_eq!(proxy_err.status(), Some(StatusCode::FORBIDDEN), "{err:#}");
    assert!(
        format!("{err:#}").contains(&format!(
            "proxy http://127.0.0.1:{} answered CONNECT localhost:{} with 403",
            tiny.port, plain.port
        )),
        "{err:#}"
    );
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tinyproxy_with_basic_auth_wants_credentials() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let plain = http_origin().await;
    let tls = https_origin(&ca).await;
    let Some(tiny) = tinyproxy(&[tls.port], Some(("john", "s3cret"))) else {
        return;
    };
    let client = client(&ca, None);
    let anonymous = proxy(&format!("http://127.0.0.1:{}", tiny.port));
    let wrong = proxy(&format!("http://john:nope@127.0.0.1:{}", tiny.port));
    let john = proxy(&format!("http://john:s3cret@127.0.0.1:{}", tiny.port));
    let plain_url = format!("http://localhost:{}/p", plain.port);
    let tls_url = format!("https://localhost:{}/s", tls.port);

    // absolute form: the proxy's 407 is the response
    let (status, _) = get(&client, &plain_url, Some(&anonymous)).await.unwrap();
    assert_eq!(status, StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    // tinyproxy answers wrong credentials with 401 (curl -x sees the same)
    let (status, _) = get(&client, &plain_url, Some(&wrong)).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = get(&client, &plain_url, Some(&john)).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    // tinyproxy consumes the Proxy-Authorization: the origin never sees it
    assert_via_tinyproxy(&body, "GET /p");
    assert!(body.ends_with("auth=no"), "{body}");

    // CONNECT: a 407 is an error that says so
    let err = get(&client, &tls_url, Some(&anonymous)).await.unwrap_err();
    assert!(proxy_error(&err).is_auth_required(), "{err:#}");
    assert!(
        format!("{err:#}")
            .contains("407 Proxy Authentication Required (the proxy wants credentials)"),
        "{err:#}"
    );
    // tinyproxy answers a CONNECT with wrong credentials with 401
    let err = get(&client, &tls_url, Some(&wrong)).await.unwrap_err();
    assert!(proxy_error(&err).is_auth_required(), "{err:#}");
    assert_eq!(proxy_error(&err).status(), Some(StatusCode::UNAUTHORIZED));
    assert!(
        format!("{err:#}").contains("rejected the credentials"),
        "{err:#}"
    );
    // the password never shows
    assert!(!format!("{err:#} {err:?}").contains("nope"), "{err:#}");
    let (status, body) = get(&client, &tls_url, Some(&john)).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "GET /s via=- auth=no");
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_prior_knowledge_over_http_tunnels_instead_of_absolute_form() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let plain = http_origin().await;
    let Some(tiny) = tinyproxy(&[plain.port], None) else {
        return;
    };
    let client = client(&ca, None).with_version(rama_http::client::ClientVersion::H2PriorKnowledge);
    let via_tiny = proxy(&format!("http://127.0.0.1:{}", tiny.port));
    let url = format!("http://localhost:{}/h2", plain.port);
    for _ in 0..3 {
        let res = timeout(WAIT, async {
            let mut req = Request::get(&url).body(Body::empty()).unwrap();
            req.extensions_mut().insert(via_tiny.clone());
            client.serve(req).await.unwrap()
        })
        .await
        .unwrap();
        assert_eq!(res.version(), rama_http::Version::HTTP_2);
        let body = res.text().await.unwrap();
        // h2 requests carry the full URL; through a CONNECT tunnel, no Via
        assert_eq!(body, format!("GET {url} via=- auth=no"));
    }
    // one tunnel, one h2 connection for the three
    assert_eq!(client.pool().counters().created(), 1);
    plain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_haproxy_tls_in_front_of_tinyproxy() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let proxy_ca = CertificateAuthority::generate("client_proxies proxy CA").unwrap();
    let plain = http_origin().await;
    let tls = https_origin(&ca).await;
    let Some(tiny) = tinyproxy(&[tls.port], Some(("john", "s3cret"))) else {
        return;
    };
    let Some(front) = haproxy_tls(&proxy_ca, tiny.port) else {
        return;
    };
    let trusting = client(&ca, Some(&proxy_ca));
    let https_proxy = proxy(&format!("https://john:s3cret@proxy.test:{}", front.port));

    let (status, body) = get(
        &trusting,
        &format!("http://localhost:{}/a", plain.port),
        Some(&https_proxy),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_via_tinyproxy(&body, "GET /a");
    let (status, body) = get(
        &trusting,
        &format!("https://localhost:{}/b", tls.port),
        Some(&https_proxy),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "GET /b via=- auth=no");

    // the proxy's certificate is verified: a client that does not trust its CA refuses
    let untrusting = client(&ca, None);
    let err = get(
        &untrusting,
        &format!("https://localhost:{}/b", tls.port),
        Some(&https_proxy),
    )
    .await
    .unwrap_err();
    assert!(proxy_error(&err).is_proxy_tls(), "{err:#}");
    // ... unless told not to verify it (curl's --proxy-insecure)
    let insecure = EasyHttpWebClient::with_connector(
        ProxyConnector::new(TcpConnector::with_resolver(dns()))
            .with_proxy_tls_config(
                ClientConfig::new().with_verification(ServerVerification::Insecure),
            )
            .unwrap(),
    )
    .with_tls_config(
        ClientConfig::new()
            .with_verification(ServerVerification::custom_pem(&ca.cert_pem()).unwrap()),
    )
    .unwrap();
    let (status, _) = get(
        &insecure,
        &format!("https://localhost:{}/b", tls.port),
        Some(&https_proxy),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK);
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsocks_tunnels_socks5h_and_socks5_with_and_without_auth() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let plain = http_origin().await;
    let tls = https_origin(&ca).await;
    let client = client(&ca, None);
    let Some(open) = microsocks(None) else {
        return;
    };
    // socks5h: the proxy resolves `localhost`; socks5: the client resolves `origin.test`
    for (proxy_url, host) in [
        (format!("socks5h://127.0.0.1:{}", open.port), "localhost"),
        (format!("socks5://127.0.0.1:{}", open.port), "origin.test"),
    ] {
        let via = proxy(&proxy_url);
        let (status, body) = get(
            &client,
            &format!("http://{host}:{}/x", plain.port),
            Some(&via),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::OK, "{proxy_url}: {body}");
        // not absolute form: SOCKS5 is a tunnel
        assert_eq!(body, "GET /x via=- auth=no", "{proxy_url}");
        let (status, body) = get(
            &client,
            &format!("https://{host}:{}/y", tls.port),
            Some(&via),
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::OK, "{proxy_url}: {body}");
        assert_eq!(body, "GET /y via=- auth=no", "{proxy_url}");
    }
    // socks5 resolves on the client: a name it cannot resolve fails there
    let via = proxy(&format!("socks5://127.0.0.1:{}", open.port));
    let err = get(
        &client,
        &format!("http://localhost:{}/x", plain.port),
        Some(&via),
    )
    .await
    .unwrap_err();
    assert!(proxy_error(&err).is_target_resolve(), "{err:#}");

    let Some(locked) = microsocks(Some(("john", "s3cret"))) else {
        return;
    };
    let url = format!("http://localhost:{}/z", plain.port);
    let err = get(
        &client,
        &url,
        Some(&proxy(&format!("socks5h://127.0.0.1:{}", locked.port))),
    )
    .await
    .unwrap_err();
    assert!(proxy_error(&err).is_socks5(), "{err:#}");
    let err = get(
        &client,
        &url,
        Some(&proxy(&format!(
            "socks5h://john:nope@127.0.0.1:{}",
            locked.port
        ))),
    )
    .await
    .unwrap_err();
    assert!(proxy_error(&err).is_socks5(), "{err:#}");
    let (status, body) = get(
        &client,
        &url,
        Some(&proxy(&format!(
            "socks5h://john:s3cret@127.0.0.1:{}",
            locked.port
        ))),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "GET /z via=- auth=no");
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_goes_direct_through_the_select_layer() {
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let plain = http_origin().await;
    let Some(tiny) = tinyproxy(&[], None) else {
        return;
    };
    let env = [
        ("http_proxy", format!("http://127.0.0.1:{}", tiny.port)),
        ("no_proxy", "origin.test".to_owned()),
    ];
    let selector = ProxySelector::from_vars(|name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    });
    let client = ProxySelectLayer::new(selector).into_layer(client(&ca, None));
    let text = async |url: String| {
        let res = timeout(WAIT, client.get(url).send())
            .await
            .unwrap()
            .unwrap();
        res.text().await.unwrap()
    };
    // through the proxy (which resolves localhost)
    let body = text(format!("http://localhost:{}/p", plain.port)).await;
    assert_via_tinyproxy(&body, "GET /p");
    // listed in no_proxy: direct, the client resolves origin.test itself
    let body = text(format!("http://origin.test:{}/d", plain.port)).await;
    assert_eq!(body, "GET /d via=- auth=no");
    // a --noproxy style override: everything direct
    let client = ProxySelectLayer::new(
        ProxySelector::none()
            .with_proxy(proxy(&format!("http://127.0.0.1:{}", tiny.port)))
            .with_no_proxy(NoProxy::parse("*")),
    )
    .into_layer(EasyHttpWebClient::with_connector(connector(None)));
    let res = timeout(
        WAIT,
        client
            .get(format!("http://origin.test:{}/all", plain.port))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(res.text().await.unwrap(), "GET /all via=- auth=no");
    plain.stop().await;
}

/// A stand-in forward proxy (rama's HTTP server) that answers absolute-form requests
/// itself with the request line and `Proxy-Authorization` it saw, keeping connections
/// alive.
#[tokio::test]
async fn absolute_form_requests_reuse_the_proxy_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(
        shutdown.guard(),
        HttpServer::auto().service(service_fn(async |req: Request<Body>| {
            let auth = req
                .headers()
                .get("proxy-authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            Ok::<_, Infallible>(Response::new(Body::from(format!(
                "{} {} {auth}",
                req.method(),
                req.uri()
            ))))
        })),
    ));
    let ca = CertificateAuthority::generate("client_proxies CA").unwrap();
    let client = client(&ca, None);
    let john = proxy(&format!("http://john:s3cret@{addr}"));
    let other = proxy(&format!("http://jane:s3cret@{addr}"));
    for i in 0..3 {
        let (_, body) = get(
            &client,
            &format!("http://origin.test:81/{i}?q"),
            Some(&john),
        )
        .await
        .unwrap();
        assert_eq!(
            body,
            format!("GET http://origin.test:81/{i}?q Basic am9objpzM2NyZXQ=")
        );
    }
    assert_eq!(client.pool().counters().created(), 1);
    // another user of the same proxy: another connection
    let (_, body) = get(&client, "http://origin.test:81/", Some(&other))
        .await
        .unwrap();
    assert!(body.ends_with("Basic amFuZTpzM2NyZXQ="), "{body}");
    // direct, to the same authority as the proxy: never the proxied connection
    let (_, body) = get(&client, &format!("http://{addr}/direct"), None)
        .await
        .unwrap();
    assert_eq!(body, "GET /direct -");
    assert_eq!(client.pool().counters().created(), 3);
    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown()).await.unwrap();
}

#[tokio::test]
async fn failed_hops_say_which() {
    // a proxy nobody listens on
    let dead = free_port();
    let connector = connector(None);
    let mut req = TcpRequest::new("example.com:443".parse().unwrap());
    req.extensions
        .insert(proxy(&format!("http://u:pw@127.0.0.1:{dead}")));
    let err = timeout(WAIT, connector.serve(req))
        .await
        .unwrap()
        .unwrap_err();
    let proxy_err = proxy_error(&err);
    assert!(proxy_err.is_proxy_unreachable(), "{err:#}");
    assert!(!proxy_err.is_proxy_resolve(), "{err:#}");
    let text = format!("{:#}", rama_core::error::OpaqueError::from_boxed(err));
    assert!(
        text.starts_with(&format!("connect to proxy http://u:***@127.0.0.1:{dead}: ")),
        "{text}"
    );
    assert!(text.contains("connection refused"), "{text}");

    // a proxy name that does not resolve
    let mut req = TcpRequest::new("example.com:443".parse().unwrap());
    req.extensions.insert(proxy("http://nowhere.test:3128"));
    let err = timeout(WAIT, connector.serve(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(proxy_error(&err).is_proxy_resolve(), "{err:#}");

    // a proxy that accepts and never answers: the handshake timeout
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let (_stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let connector = connector.with_handshake_timeout(Some(Duration::from_millis(200)));
    let mut req = TcpRequest::new("example.com:443".parse().unwrap());
    req.extensions.insert(proxy(&format!("http://{silent}")));
    let err = timeout(WAIT, connector.serve(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(proxy_error(&err).is_timeout(), "{err:#}");
    hold.abort();

    // the plain TcpConnector refuses a request that asks for a proxy, in the client too
    let direct_only = EasyHttpWebClient::with_connector(TcpConnector::with_resolver(dns()));
    let mut req = Request::get("http://origin.test:1/")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(proxy("http://127.0.0.1:3128"));
    let err = timeout(WAIT, direct_only.serve(req))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("a TCP connector connects directly"),
        "{err:#}"
    );
}

#[tokio::test]
async fn direct_connections_carry_no_proxy_and_tunnels_name_theirs() {
    // a stand-in HTTP proxy that opens every tunnel to one echo
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let Ok(b) = stream.read_u8().await else {
                        return;
                    };
                    head.push(b);
                }
                if head.starts_with(b"CONNECT ") {
                    stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
                }
                let mut buf = [0u8; 64];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            });
        }
    });
    let connector = connector(None);
    let via: ProxyAddress = proxy(&format!("http://john:pw@{addr}"));
    let mut req = TcpRequest::new("example.com:443".parse().unwrap());
    req.extensions.insert(via.clone());
    let established = timeout(WAIT, connector.serve(req)).await.unwrap().unwrap();
    let mut conn: ProxyStream<TcpStream> = established.conn;
    assert!(conn.is_proxied());
    let used = rama_core::extensions::ExtensionsRef::extensions(&conn)
        .get::<ProxyAddress>()
        .unwrap()
        .to_string();
    assert_eq!(used, format!("http://john:***@{addr}"));
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        conn.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        timeout(WAIT, conn.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"ping");
    }
    // without a ProxyAddress: direct
    let req = TcpRequest::new(addr.into());
    let conn = timeout(WAIT, connector.serve(req))
        .await
        .unwrap()
        .unwrap()
        .conn;
    assert!(!conn.is_proxied());
    assert!(
        rama_core::extensions::ExtensionsRef::extensions(&conn)
            .get::<ProxyAddress>()
            .is_none()
    );
    server.abort();
}
