//! The composition `rama serve proxy --mitm` uses: `ProxyAuthLayer → MitmProxy(inner =
//! HttpForwardProxy)`, with the target policy applied to the MITM's own connections too.
//! An in-process HTTPS origin (rama-tls + HttpServer) and curl, all on loopback.
//!
//! curl is a Debian package (`.ci/run` installs it); without it the test is skipped with a
//! message, unless `CI=true`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Layer, error::BoxError, service_fn};
use rama_http::{Body, Request, Response, client::EasyHttpWebClient, server::HttpServer};
use rama_net::{
    address::Domain,
    dns::InMemoryDns,
    user::{Basic, UserId},
};
use rama_proxy::{
    http::server::{HttpForwardProxy, ProxyAuthLayer},
    mitm::{InspectLayer, Inspector, MitmConfig, MitmProxy},
    policy::{PolicyConnector, TargetPolicy},
};
use rama_tcp::server::TcpListener;
use rama_test_support::{free_port, tool_available};
use rama_tls::{
    cert::{CertificateAuthority, DynamicIssuer},
    config::{ClientConfig, ServerConfig, ServerVerification},
    rustls::TlsAcceptorLayer,
};
use std::{
    convert::Infallible,
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

const WAIT: Duration = Duration::from_secs(10);

/// Records the proxy user of each decrypted request.
#[derive(Default)]
struct Users(Mutex<Vec<String>>);

impl Inspector for Users {
    async fn on_request(&self, req: &mut Request<Body>) -> Option<Response<Body>> {
        let user = req.extensions().get::<UserId>().cloned();
        self.0
            .lock()
            .unwrap()
            .push(format!("{user:?} {}", req.uri().path()));
        None
    }
}

/// An origin answering "origin METHOD PATH over VERSION", over TLS (cert for localhost
/// from `ca`) or plain HTTP.
async fn start_origin(ca: Option<&CertificateAuthority>) -> (u16, tokio::task::JoinHandle<()>) {
    let hello = service_fn(async |req: Request<Body>| {
        Ok::<_, Infallible>(Response::new(Body::from(format!(
            "origin {} {} over {:?}",
            req.method(),
            req.uri().path(),
            req.version()
        ))))
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let http = HttpServer::auto().service(hello);
    let task = match ca {
        Some(ca) => {
            let config = ServerConfig::new(ca.issue(&["localhost"]).unwrap().into())
                .with_alpn(rama_tls::types::AlpnList::h2_http11());
            let tls = TlsAcceptorLayer::new(&config).unwrap();
            tokio::spawn(listener.serve(tls.into_layer(http)))
        }
        None => tokio::spawn(listener.serve(http)),
    };
    (port, task)
}

/// `ProxyAuthLayer(john:secret) → MitmProxy(inner = HttpForwardProxy)`, every connection
/// (forward proxy, MITM client, MITM tunnels) through one policy connector.
async fn start_proxy(
    ca: Arc<CertificateAuthority>,
    origin_ca_pem: &str,
    policy: TargetPolicy,
    users: Arc<Users>,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let dns = InMemoryDns::new().with_ips(
        Domain::from_static("localhost"),
        [Ipv4Addr::LOCALHOST.into()],
    );
    let connector = PolicyConnector::tcp(dns, policy);
    let tls = ClientConfig::new()
        .with_verification(ServerVerification::custom_pem(origin_ca_pem).unwrap());
    let client = EasyHttpWebClient::with_connector(connector.clone())
        .with_tls_config(tls.clone())
        .unwrap();
    let forward = HttpForwardProxy::new(connector.clone(), client.clone());
    let mitm = MitmProxy::with_config(
        forward,
        Arc::new(DynamicIssuer::new(ca)),
        InspectLayer::from_arc(users).into_layer(client),
        connector,
        MitmConfig::new().with_upstream_tls(tls),
    )
    .unwrap();
    let svc = ProxyAuthLayer::new([Basic::new("john", "secret").unwrap()]).into_layer(mitm);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (
        addr,
        tokio::spawn(listener.serve(HttpServer::auto().service(svc))),
    )
}

async fn curl(args: &[&str]) -> (i32, String) {
    let child = tokio::process::Command::new("curl")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("curl {args:?} did not finish within {WAIT:?}"))
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_then_mitm_then_forward_proxy() -> Result<(), BoxError> {
    if !tool_available("curl") {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!(
        "rama-mitm-compose-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir)?;
    let origin_ca = CertificateAuthority::generate("origin CA")?;
    let (tls_port, tls_origin) = start_origin(Some(&origin_ca)).await;
    let (plain_port, plain_origin) = start_origin(None).await;
    let mitm_ca = Arc::new(CertificateAuthority::generate("compose MITM CA")?);
    let ca_file: PathBuf = dir.join("mitm-ca.pem");
    std::fs::write(&ca_file, mitm_ca.cert_pem())?;
    let ca_file = ca_file.display().to_string();

    let users = Arc::new(Users::default());
    let (proxy, task) = start_proxy(
        mitm_ca.clone(),
        &origin_ca.cert_pem(),
        TargetPolicy::allow_all(),
        users.clone(),
    )
    .await;
    let with_creds = format!("http://john:secret@{proxy}");
    let https = format!("https://localhost:{tls_port}/secret-page");

    // intercepted, with the user the auth layer found on the CONNECT
    let (code, out) = curl(&["-sS", "-x", &with_creds, "--cacert", &ca_file, &https]).await;
    assert_eq!(code, 0);
    assert_eq!(out, "origin GET /secret-page over HTTP/2.0");
    assert_eq!(
        *users.0.lock().unwrap(),
        [r#"Some(Username("john")) /secret-page"#]
    );

    // no credentials: 407 on the CONNECT, nothing decrypted
    let (_, out) = curl(&[
        "-s",
        "-x",
        &format!("http://{proxy}"),
        "--cacert",
        &ca_file,
        "-o",
        "/dev/null",
        "-w",
        "%{http_connect}",
        &https,
    ])
    .await;
    assert_eq!(out, "407");
    assert_eq!(users.0.lock().unwrap().len(), 1);

    // absolute-form http:// goes to the forward proxy
    let (code, out) = curl(&[
        "-sS",
        "-x",
        &with_creds,
        &format!("http://127.0.0.1:{plain_port}/plain"),
    ])
    .await;
    assert_eq!(code, 0);
    assert_eq!(out, "origin GET /plain over HTTP/1.1");
    task.abort();

    // a public-only policy covers the MITM's own connections: the intercepted request to
    // a loopback origin gets 502, the plain-HTTP tunnel (not TLS) is closed
    let (proxy, task) = start_proxy(
        mitm_ca,
        &origin_ca.cert_pem(),
        TargetPolicy::public_only(),
        users.clone(),
    )
    .await;
    let with_creds = format!("http://john:secret@{proxy}");
    let (_, out) = curl(&[
        "-s",
        "-x",
        &with_creds,
        "--cacert",
        &ca_file,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &https,
    ])
    .await;
    assert_eq!(out, "502");
    let (code, _) = curl(&[
        "-sS",
        "-p",
        "-x",
        &with_creds,
        &format!("http://127.0.0.1:{plain_port}/plain"),
    ])
    .await;
    assert_ne!(code, 0, "a refused byte tunnel must not deliver anything");

    task.abort();
    tls_origin.abort();
    plain_origin.abort();
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
