//! The SOCKS5 server over loopback: curl (`--socks5`, `--socks5-hostname`, with and
//! without a login) fetches an origin's body through it byte for byte; a raw client checks
//! the reply code of each failure; BIND and UDP ASSOCIATE are driven end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{Service, error::BoxError};
use rama_net::{
    address::{Authority, Domain},
    client::EstablishedClientConnection,
    dns::InMemoryDns,
    user::Basic,
};
use rama_proxy::policy::TargetPolicy;
use rama_proxy::socks5::{
    client::{socks5_handshake, socks5_request},
    proto::{Command, Reply, ReplyCode, Request, UdpHeader},
    server::{Socks5Acceptor, Socks5Auth},
};
use rama_proxy::username::UsernameLabels;
use rama_tcp::{
    TcpStream,
    client::{TcpConnector, TcpRequest},
    server::TcpListener,
};
use std::{
    net::{Ipv4Addr, SocketAddr},
    process::Command as Process,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::UdpSocket,
    task::JoinHandle,
};

const T: Duration = Duration::from_secs(10);
const BODY_LEN: usize = 300_000;

/// Aborts the task on drop.
struct Task(JoinHandle<()>);
impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn dns() -> InMemoryDns {
    InMemoryDns::new().with_ips(
        Domain::from_static("origin.test"),
        [Ipv4Addr::LOCALHOST.into()],
    )
}

fn connector() -> TcpConnector<InMemoryDns> {
    TcpConnector::with_resolver(dns())
}

/// Serves `acceptor` on 127.0.0.1:0.
async fn start<C>(acceptor: Socks5Acceptor<C>) -> (SocketAddr, Task)
where
    Socks5Acceptor<C>: Service<TcpStream, Error: Into<BoxError>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, Task(tokio::spawn(listener.serve(acceptor))))
}

/// A minimal HTTP origin: answers every request with `body`, then closes.
async fn origin(body: Vec<u8>) -> (SocketAddr, Task) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = Arc::new(body);
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let h = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(h.as_bytes()).await;
                let _ = s.write_all(&body).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (addr, Task(task))
}

/// Runs curl with `args` (bounded); returns (success, stdout).
async fn curl(args: Vec<String>) -> (bool, Vec<u8>) {
    tokio::task::spawn_blocking(move || {
        let out = Process::new("curl")
            .args(["-sS", "--max-time", "10"])
            .args(&args)
            .output()
            .unwrap();
        if !out.status.success() {
            eprintln!("curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        (out.status.success(), out.stdout)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn curl_socks5_and_socks5h_fetch_the_body_byte_for_byte() {
    if !rama_test_support::tool_available("curl") {
        return;
    }
    let body = rama_test_support::pattern(BODY_LEN);
    let (origin, _o) = origin(body.clone()).await;
    let (proxy, _p) = start(Socks5Acceptor::new(connector())).await;
    let cases = [
        // local resolution: curl sends an IP
        vec![
            "--socks5".into(),
            proxy.to_string(),
            format!("http://127.0.0.1:{}/", origin.port()),
        ],
        // remote resolution: curl sends the name, our connector resolves it
        vec![
            "--socks5-hostname".into(),
            proxy.to_string(),
            format!("http://origin.test:{}/", origin.port()),
        ],
        vec![
            "-x".into(),
            format!("socks5h://{proxy}"),
            format!("http://origin.test:{}/x", origin.port()),
        ],
    ];
    for args in cases {
        let (ok, out) = curl(args.clone()).await;
        assert!(ok, "{args:?}");
        assert!(out == body, "{args:?}: body differs ({} bytes)", out.len());
    }
}

#[tokio::test]
async fn curl_with_username_password() {
    if !rama_test_support::tool_available("curl") {
        return;
    }
    let body = rama_test_support::pattern(10_000);
    let (origin, _o) = origin(body.clone()).await;
    let auth = Socks5Auth::users([Basic::new("john", "secret").unwrap()]);
    let (proxy, _p) = start(Socks5Acceptor::new(connector()).with_auth(auth)).await;
    let url = format!("http://origin.test:{}/", origin.port());
    let (ok, out) = curl(vec![
        "-x".into(),
        format!("socks5h://john:secret@{proxy}"),
        url.clone(),
    ])
    .await;
    assert!(ok && out == body);
    let (ok, out) = curl(vec![
        "--socks5-hostname".into(),
        proxy.to_string(),
        "--proxy-user".into(),
        "john:secret".into(),
        url.clone(),
    ])
    .await;
    assert!(ok && out == body);
    for bad in [
        format!("socks5h://john:wrong@{proxy}"),
        format!("socks5h://{proxy}"),
    ] {
        let (ok, out) = curl(vec!["-x".into(), bad.clone(), url.clone()]).await;
        assert!(!ok && out.is_empty(), "{bad}");
    }

    // on the wire: a wrong password gets status 1
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(&[5, 1, 2]).await.unwrap();
    s.write_all(b"\x01\x04john\x05wrong").await.unwrap();
    let mut answer = [0u8; 4];
    tokio::time::timeout(T, s.read_exact(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, [5, 2, 1, 1]);
    let mut rest = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert!(rest.is_empty(), "closed after a failed login");
}

/// Sends raw request bytes after a no-auth greeting; returns everything the server sent
/// after the method reply, until it closed.
async fn raw_exchange(proxy: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(&[5, 1, 0]).await.unwrap();
    let mut method = [0u8; 2];
    tokio::time::timeout(T, s.read_exact(&mut method))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(method, [5, 0]);
    s.write_all(request).await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    rest
}

#[tokio::test]
async fn bad_requests_get_their_reply_code() {
    let (proxy, _p) = start(Socks5Acceptor::new(connector())).await;
    let cases: [(&str, &[u8], u8); 3] = [
        ("unknown command 9", &[5, 9, 0, 1, 127, 0, 0, 1, 0, 80], 7),
        (
            "unknown address type 7",
            &[5, 1, 0, 7, 127, 0, 0, 1, 0, 80],
            8,
        ),
        ("empty domain", &[5, 1, 0, 3, 0, 0, 80], 4),
    ];
    for (what, request, code) in cases {
        let answer = raw_exchange(proxy, request).await;
        assert_eq!(answer.get(..2), Some(&[5, code][..]), "{what}: {answer:?}");
        let (reply, used) = Reply::decode(&answer).unwrap();
        assert_eq!((reply.code.to_byte(), used), (code, answer.len()), "{what}");
    }

    // not SOCKS5 at all: closed without a byte (a reset, as the request was left unread)
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut rest = Vec::new();
    match tokio::time::timeout(T, s.read_to_end(&mut rest))
        .await
        .unwrap()
    {
        Ok(_) => assert!(rest.is_empty(), "{rest:?}"),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset),
    }
}

#[tokio::test]
async fn connect_failures_map_to_reply_codes() {
    let (proxy, _p) = start(Socks5Acceptor::new(connector())).await;
    // nothing listens there, and no concurrent test is handed it
    let refused_port = rama_test_support::free_port();
    let cases = [
        (
            format!("127.0.0.1:{refused_port}"),
            ReplyCode::ConnectionRefused,
        ),
        ("nope.test:80".to_owned(), ReplyCode::HostUnreachable),
    ];
    for (target, code) in cases {
        let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
        let target: Authority = target.parse().unwrap();
        let err = tokio::time::timeout(T, socks5_handshake(&mut s, &target, None))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err.reply_code(), Some(code), "{target}: {err}");
        assert!(
            err.to_string()
                .contains(&format!("(reply {})", code.to_byte())),
            "{err}"
        );
    }
}

#[tokio::test]
async fn handshake_timeout_closes_a_silent_client() {
    let acceptor =
        Socks5Acceptor::new(connector()).with_handshake_timeout(Duration::from_millis(200));
    let (proxy, _p) = start(acceptor).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(&[5, 1]).await.unwrap(); // a greeting that never completes
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection")
        .unwrap();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn disabled_commands_get_reply_7() {
    let acceptor = Socks5Acceptor::new(connector())
        .with_bind(false)
        .with_udp_associate(false);
    let (proxy, _p) = start(acceptor).await;
    for cmd in [2u8, 3] {
        let answer = raw_exchange(proxy, &[5, cmd, 0, 1, 127, 0, 0, 1, 0, 0]).await;
        assert_eq!(answer.get(..2), Some(&[5, 7][..]), "command {cmd}");
    }
}

/// A connector that records the labels each request carries, then connects.
#[derive(Clone)]
struct Recording {
    seen: Arc<Mutex<Vec<Option<UsernameLabels>>>>,
    inner: TcpConnector<InMemoryDns>,
}

impl Service<TcpRequest> for Recording {
    type Output = EstablishedClientConnection<TcpStream, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, req: TcpRequest) -> Result<Self::Output, BoxError> {
        self.seen
            .lock()
            .unwrap()
            .push(req.extensions.get::<UsernameLabels>().cloned());
        Ok(self.inner.serve(req).await?)
    }
}

#[tokio::test]
async fn label_mode_carries_username_labels_to_the_connector() {
    let (origin, _o) = origin(b"hi".to_vec()).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recording = Recording {
        seen: seen.clone(),
        inner: connector(),
    };
    let auth = Socks5Auth::users([Basic::new("john", "secret").unwrap()]).with_username_labels('-');
    let (proxy, _p) = start(Socks5Acceptor::new(recording).with_auth(auth)).await;

    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let creds = Basic::new("john-country-us", "secret").unwrap();
    let target: Authority = format!("origin.test:{}", origin.port()).parse().unwrap();
    let bound = tokio::time::timeout(T, socks5_handshake(&mut s, &target, Some(&creds)))
        .await
        .unwrap()
        .unwrap();
    assert!(bound.host().is_loopback());
    s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(response.ends_with(b"\r\n\r\nhi"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let labels = seen[0].clone().expect("labels in the request");
    assert_eq!(
        (labels.base(), labels.labels()),
        ("john", &["country".to_owned(), "us".to_owned()][..])
    );
}

#[tokio::test]
async fn bind_replies_twice_and_tunnels() {
    let (proxy, _p) = start(Socks5Acceptor::new(connector())).await;
    let mut control = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let request = Request {
        command: Command::Bind,
        destination: "127.0.0.1:0".parse().unwrap(),
    };
    let first = tokio::time::timeout(T, socks5_request(&mut control, &request, None))
        .await
        .unwrap()
        .unwrap();
    let listening = first.bound.as_socket_address().unwrap().to_socket_addr();
    assert!(listening.ip().is_loopback() && listening.port() != 0);

    let mut peer = tokio::net::TcpStream::connect(listening).await.unwrap();
    let second = tokio::time::timeout(T, Reply::read_from(&mut control))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.code, ReplyCode::Succeeded);
    assert_eq!(second.bound, Authority::from(peer.local_addr().unwrap()));

    peer.write_all(b"from peer").await.unwrap();
    let mut buf = [0u8; 9];
    tokio::time::timeout(T, control.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"from peer");
    control.write_all(b"from client").await.unwrap();
    let mut buf = [0u8; 11];
    tokio::time::timeout(T, peer.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"from client");
}

#[tokio::test]
async fn bind_times_out_with_reply_6() {
    let acceptor = Socks5Acceptor::new(connector()).with_bind_timeout(Duration::from_millis(200));
    let (proxy, _p) = start(acceptor).await;
    let mut control = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let request = Request {
        command: Command::Bind,
        destination: "127.0.0.1:0".parse().unwrap(),
    };
    socks5_request(&mut control, &request, None).await.unwrap();
    let second = tokio::time::timeout(T, Reply::read_from(&mut control))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.code, ReplyCode::TtlExpired);
}

fn datagram(frag: u8, to: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    UdpHeader {
        frag,
        destination: to.into(),
    }
    .encode(&mut out);
    out.extend_from_slice(payload);
    out
}

#[tokio::test]
async fn udp_associate_relays_both_ways_until_the_tcp_connection_closes() {
    // a UDP echo server on loopback
    let echo = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = echo.local_addr().unwrap();
    let _echo = Task(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            let _ = echo.send_to(&buf[..n], from).await;
        }
    }));
    let (proxy, _p) = start(Socks5Acceptor::new(connector())).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut control = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let request = Request {
        command: Command::UdpAssociate,
        destination: client.local_addr().unwrap().into(),
    };
    let reply = tokio::time::timeout(T, socks5_request(&mut control, &request, None))
        .await
        .unwrap()
        .unwrap();
    let relay = reply.bound.as_socket_address().unwrap().to_socket_addr();

    // a fragment is dropped: nothing comes back
    client
        .send_to(&datagram(1, echo_addr, b"fragment"), relay)
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buf))
            .await
            .is_err()
    );

    for payload in [&b"ping"[..], &b""[..], &[7u8; 1400][..]] {
        client
            .send_to(&datagram(0, echo_addr, payload), relay)
            .await
            .unwrap();
        let (n, from) = tokio::time::timeout(T, client.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(from, relay);
        let (header, len) = UdpHeader::decode(&buf[..n]).unwrap();
        assert_eq!((header.frag, header.destination), (0, echo_addr.into()));
        assert_eq!(&buf[len..n], payload);
    }

    // a stranger's datagram to the relay is not forwarded
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    stranger
        .send_to(&datagram(0, echo_addr, b"sneaky"), relay)
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stranger.recv_from(&mut buf))
            .await
            .is_err()
    );

    // closing the control connection ends the association
    drop(control);
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .send_to(&datagram(0, echo_addr, b"late"), relay)
        .await
        .unwrap();
    let late = tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buf)).await;
    assert!(
        !matches!(late, Ok(Ok(_))),
        "no answer after the association ended"
    );
}

#[tokio::test]
async fn udp_policy_drops_datagrams_to_refused_targets() {
    let echo = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = echo.local_addr().unwrap();
    let _echo = Task(tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            let _ = echo.send_to(&buf[..n], from).await;
        }
    }));
    // loopback refused for UDP
    let acceptor = Socks5Acceptor::new(connector()).with_udp_policy(TargetPolicy::public_only());
    let (proxy, _p) = start(acceptor).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut control = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let request = Request {
        command: Command::UdpAssociate,
        destination: client.local_addr().unwrap().into(),
    };
    let reply = socks5_request(&mut control, &request, None).await.unwrap();
    let relay = reply.bound.as_socket_address().unwrap().to_socket_addr();
    client
        .send_to(&datagram(0, echo_addr, b"ping"), relay)
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    let answer = tokio::time::timeout(Duration::from_millis(300), client.recv_from(&mut buf)).await;
    assert!(answer.is_err(), "a refused destination gets nothing");
}

/// The public services and futures can move between threads (checked at compile time).
#[test]
fn services_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Socks5Acceptor<TcpConnector<InMemoryDns>>>();
    send_sync::<Socks5Auth>();
    send_sync::<
        rama_proxy::peek::Socks5OrHttp<
            Socks5Acceptor<TcpConnector<InMemoryDns>>,
            Socks5Acceptor<TcpConnector<InMemoryDns>>,
        >,
    >();
    send_sync::<rama_proxy::socks5::Socks5ClientError>();
    send_sync::<rama_proxy::socks5::server::Socks5ServerError>();
}
