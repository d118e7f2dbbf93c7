//! Proxy chaining with the proxy database: `ProxyDBLayer` around the `ProxyConnector` picks
//! an upstream by username labels, and the connection to a loopback origin goes through it:
//! tinyproxy (HTTP CONNECT) for `country-us`, microsocks (SOCKS5 with username/password from
//! the database record) for `country-de`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::extensions::ExtensionsRef;
use rama_core::{Layer, Service};
use rama_net::address::ProxyAddress;
use rama_net::dns::InMemoryDns;
use rama_proxy::client::ProxyConnector;
use rama_proxy::proxydb::{MemoryProxyDB, ProxyDBError, ProxyDBLayer};
use rama_proxy::username::UsernameLabels;
use rama_tcp::client::{TcpConnector, TcpRequest};
use rama_test_support::{KillOnDrop, free_port, tool_available};
use std::net::SocketAddr;

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP origin that echoes what it reads; the task is aborted on drop.
struct Origin(SocketAddr, tokio::task::JoinHandle<()>);

impl Drop for Origin {
    fn drop(&mut self) {
        self.1.abort();
    }
}

async fn origin() -> Origin {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut rd, mut wr) = stream.split();
                let _ = tokio::io::copy(&mut rd, &mut wr).await;
            });
        }
    });
    Origin(addr, task)
}

/// tinyproxy on a free loopback port, its configuration in `dir`.
fn tinyproxy(dir: &TempDir) -> (u16, KillOnDrop) {
    let port = free_port();
    let conf = dir.0.join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!("Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 16\n"),
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    (
        port,
        KillOnDrop::spawn_listening("tinyproxy", &["-d", "-c", conf], port),
    )
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn labels_pick_http_or_socks5_upstream() {
    if !tool_available("tinyproxy") || !tool_available("microsocks") {
        return;
    }
    let dir =
        TempDir(std::env::temp_dir().join(format!("rama-proxydb-chain-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (tiny_port, _tiny) = tinyproxy(&dir);
    let socks_port = free_port();
    let socks_args = [
        "-i",
        "127.0.0.1",
        "-p",
        &socks_port.to_string(),
        "-u",
        "alice",
        "-P",
        "pw",
    ];
    let _socks = KillOnDrop::spawn_listening("microsocks", &socks_args, socks_port);

    let db = MemoryProxyDB::from_csv(&format!(
        "id,address,country,city,state,pool,datacenter,residential,mobile,asn,carrier\n\
         tiny,http://127.0.0.1:{tiny_port},us,,,,true,,,,\n\
         socks,socks5://alice:pw@127.0.0.1:{socks_port},de,Berlin,,,,true,,,\n"
    ))
    .unwrap();
    let connector = ProxyDBLayer::new(db).into_layer(ProxyConnector::new(
        TcpConnector::with_resolver(InMemoryDns::new()),
    ));
    let origin = origin().await;

    for (user, want_port) in [
        ("john-country-us", tiny_port),
        ("john-country-de-city-berlin", socks_port),
        ("john-residential-session-42", socks_port),
    ] {
        let mut req = TcpRequest::new(origin.0.to_string().parse().unwrap());
        req.extensions
            .insert(UsernameLabels::parse(user, '-').unwrap());
        let established = tokio::time::timeout(IO_TIMEOUT, connector.serve(req))
            .await
            .unwrap()
            .unwrap_or_else(|err| panic!("{user}: {err:#}"));
        let mut conn = established.conn;
        let used = conn.extensions().get::<ProxyAddress>().cloned().unwrap();
        assert_eq!(
            used.authority.port(),
            want_port,
            "{user} went through {used}"
        );

        conn.write_all(user.as_bytes()).await.unwrap();
        let mut back = vec![0; user.len()];
        tokio::time::timeout(IO_TIMEOUT, conn.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, user.as_bytes());
    }

    // no upstream in France: a clear error before any connection is made
    let mut req = TcpRequest::new(origin.0.to_string().parse().unwrap());
    req.extensions
        .insert(UsernameLabels::parse("john-country-fr", '-').unwrap());
    let err = connector.serve(req).await.unwrap_err();
    let db_err = err.downcast_ref::<ProxyDBError>().unwrap();
    assert!(db_err.is_no_match(), "{err}");
}

/// SOCKS5 front: the username labels of the SOCKS5 login pick the upstream. `country-us`
/// goes through tinyproxy and reaches the origin; `country-de` names a record whose proxy
/// port is closed, so the connection fails although the origin is reachable directly (the
/// picked upstream is really used); `country-fr` matches nothing.
#[tokio::test]
async fn socks5_server_chains_through_the_upstream_its_labels_pick() {
    if !tool_available("tinyproxy") || !tool_available("curl") {
        return;
    }
    use rama_net::user::Basic;
    use rama_proxy::socks5::server::{Socks5Acceptor, Socks5Auth};

    let dir =
        TempDir(std::env::temp_dir().join(format!("rama-proxydb-socks5-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (tiny_port, _tiny) = tinyproxy(&dir);
    let closed_port = free_port();

    let db = MemoryProxyDB::from_json(&format!(
        r#"[{{"id": "us", "address": "http://127.0.0.1:{tiny_port}", "country": "us"}},
            {{"id": "de", "address": "http://127.0.0.1:{closed_port}", "country": "de"}}]"#
    ))
    .unwrap();
    let connector = ProxyDBLayer::new(db).into_layer(ProxyConnector::new(
        TcpConnector::with_resolver(InMemoryDns::new()),
    ));
    let acceptor = Socks5Acceptor::new(connector).with_auth(
        Socks5Auth::users([Basic::new("john", "secret").unwrap()]).with_username_labels('-'),
    );
    let listener = rama_tcp::server::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let socks_addr = listener.local_addr().unwrap();
    let server = tokio::spawn(listener.serve(acceptor));

    // an HTTP origin answering a fixed body
    let origin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin_addr = origin.local_addr().unwrap();
    let origin_task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = origin.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\norigin",
                    )
                    .await;
            });
        }
    });

    let fetch = |user: &'static str| {
        let proxy = format!("socks5://{user}:secret@{socks_addr}");
        let url = format!("http://{origin_addr}/");
        async move {
            let out = tokio::time::timeout(
                IO_TIMEOUT,
                tokio::process::Command::new("curl")
                    .args(["-sS", "--max-time", "8", "-x", &proxy, &url])
                    .kill_on_drop(true)
                    .output(),
            )
            .await
            .unwrap()
            .unwrap();
            out.status
                .success()
                .then(|| String::from_utf8(out.stdout).unwrap())
        }
    };
    assert_eq!(fetch("john-country-us").await.as_deref(), Some("origin"));
    assert_eq!(
        fetch("john-country-de").await,
        None,
        "the dead upstream was not used?"
    );
    assert_eq!(fetch("john-country-fr").await, None);
    // no upstream for the filter: "not allowed by ruleset" (RFC 1928 reply 2)
    let mut s = tokio::net::TcpStream::connect(socks_addr).await.unwrap();
    let login = rama_net::user::Basic::new("john-country-fr", "secret").unwrap();
    let target: rama_net::address::Authority = origin_addr.to_string().parse().unwrap();
    let err = tokio::time::timeout(
        IO_TIMEOUT,
        rama_proxy::socks5::client::socks5_handshake(&mut s, &target, Some(&login)),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        err.reply_code(),
        Some(rama_proxy::socks5::proto::ReplyCode::NotAllowed),
        "{err}"
    );

    server.abort();
    origin_task.abort();
}
