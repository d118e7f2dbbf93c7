//! [`http_connect`]: the client side of an HTTP `CONNECT` tunnel over any stream.
//!
//! Writes `CONNECT host:port HTTP/1.1` with `Host` and, given credentials,
//! `Proxy-Authorization: Basic ...`, reads the answer's head with rama-http's HTTP/1 client
//! (its limits and response head timeout), and on a `2xx` hands back the raw stream: an
//! [`Upgraded`] whose first reads return any bytes the proxy sent right after its head, so
//! nothing of the tunnel is lost. A `407` becomes an error saying the proxy wants
//! credentials (or rejected them), any other status an error with that status.
//!
//! ```
//! use rama_net::address::Authority;
//! use rama_proxy::client::http_connect;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let (client, mut proxy) = tokio::io::duplex(4096);
//! // a stand-in proxy: reads the CONNECT head, opens the tunnel, greets through it
//! tokio::spawn(async move {
//!     let mut head = Vec::new();
//!     while !head.ends_with(b"\r\n\r\n") {
//!         head.push(proxy.read_u8().await?);
//!     }
//!     assert!(head.starts_with(b"CONNECT example.com:443 HTTP/1.1\r\n"));
//!     proxy.write_all(b"HTTP/1.1 200 Connection established\r\n\r\nhello").await?;
//!     Ok::<_, std::io::Error>(())
//! });
//!
//! let target: Authority = "example.com:443".parse()?;
//! let mut tunnel = http_connect(client, &target, None).await?;
//! let mut greeting = [0u8; 5];
//! tunnel.read_exact(&mut greeting).await?;
//! assert_eq!(&greeting, b"hello");
//! # Ok(())
//! # }
//! ```

use super::error::ProxyConnectError;
use rama_http::client::http1::{self, ClientIo, Http1ClientConfig, OnClientUpgrade};
use rama_http::server::upgrade::Upgraded;
use rama_http::{Body, Method, Request, header};
use rama_net::address::Authority;
use rama_net::user::Basic;

/// Opens an HTTP `CONNECT` tunnel to `target` over `stream` (a connection to an HTTP proxy,
/// or the TLS stream to an HTTPS proxy), sending `credentials` as `Proxy-Authorization`.
///
/// The answer's head is read within rama-http's default HTTP/1 limits and its 30 s response
/// head timeout; bound the whole call with your own timeout if the proxy may stall
/// elsewhere ([`ProxyConnector`](super::ProxyConnector) does).
///
/// # Errors
///
/// A [`ProxyConnectError`]: [`is_tunnel_refused`](ProxyConnectError::is_tunnel_refused) (with
/// the [`status`](ProxyConnectError::status); a `407` is also
/// [`is_auth_required`](ProxyConnectError::is_auth_required)) when the proxy answered with
/// a non-2xx status, otherwise the failed exchange (closed, malformed answer, IO) as its
/// source.
///
/// # Cancel safety
///
/// Dropping the future drops the stream: the tunnel is not half-opened.
pub async fn http_connect<S: ClientIo>(
    stream: S,
    target: &Authority,
    credentials: Option<&Basic>,
) -> Result<Upgraded, ProxyConnectError> {
    let req = connect_request(target, credentials)?;
    let (send, conn) = http1::handshake(stream, Http1ClientConfig::new())
        .await
        .map_err(|e| ProxyConnectError::http(target, e))?;
    let exchange = async move {
        let res = send.send_request(req).await;
        // the last handle: once the answer is in, the connection may end
        drop(send);
        // the head is all that matters: an unread body makes the connection close
        res.map(|res| res.into_parts().0)
    };
    // drive the connection on this task while the answer is awaited: on a 2xx it ends by
    // handing over the IO, otherwise once its last handle is dropped
    let (answer, _conn) = tokio::join!(exchange, conn);
    let head = answer.map_err(|e| ProxyConnectError::http(target, e))?;
    if !head.status.is_success() {
        return Err(ProxyConnectError::refused(
            target,
            head.status,
            credentials.is_some(),
        ));
    }
    head.extensions
        .get::<OnClientUpgrade>()
        .and_then(OnClientUpgrade::take)
        .ok_or_else(|| {
            ProxyConnectError::http(
                target,
                "the proxy's 2xx answer did not leave the connection as a tunnel",
            )
        })
}

/// `CONNECT target HTTP/1.1` with `Host` (added by the codec from the authority) and the
/// optional `Proxy-Authorization`.
fn connect_request(
    target: &Authority,
    credentials: Option<&Basic>,
) -> Result<Request<Body>, ProxyConnectError> {
    let mut builder = Request::builder()
        .method(Method::CONNECT)
        .uri(target.to_string())
        .header(header::HOST, target.to_string());
    if let Some(credentials) = credentials {
        builder = builder.header(header::PROXY_AUTHORIZATION, credentials.to_header_value());
    }
    builder
        .body(Body::empty())
        .map_err(|e| ProxyConnectError::http(target, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Runs `http_connect` against a scripted proxy that answers `answer` to the head it
    /// reads; returns the head the proxy saw and the result.
    async fn against(
        answer: &'static [u8],
        credentials: Option<&Basic>,
    ) -> (String, Result<Upgraded, ProxyConnectError>) {
        let (client, mut proxy) = tokio::io::duplex(1 << 16);
        let proxy_side = tokio::spawn(async move {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(proxy.read_u8().await.unwrap());
            }
            proxy.write_all(answer).await.unwrap();
            // the proxy is done: an answer that is not a tunnel's ends here
            proxy.shutdown().await.unwrap();
            String::from_utf8(head).unwrap()
        });
        let target: Authority = "example.com:443".parse().unwrap();
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            http_connect(client, &target, credentials),
        )
        .await
        .unwrap();
        (proxy_side.await.unwrap(), result)
    }

    #[tokio::test]
    async fn answers_table() {
        // (answer, credentials, Ok(bytes the tunnel reads first) or Err((status, message part)))
        let basic = Basic::new("john", "secret").unwrap();
        type Case = (
            &'static [u8],
            bool,
            Result<&'static [u8], (Option<u16>, &'static str)>,
        );
        let cases: &[Case] = &[
            (b"HTTP/1.1 200 Connection established\r\n\r\n", false, Ok(b"")),
            (b"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\nearly", false, Ok(b"early")),
            (b"HTTP/1.1 204 No Content\r\n\r\n", false, Ok(b"")),
            (
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 5\r\n\r\nnope!",
                false,
                Err((Some(407), "with 407 Proxy Authentication Required (the proxy wants credentials)")),
            ),
            (
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
                true,
                Err((Some(407), "(the proxy rejected the credentials)")),
            ),
            (
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!",
                false,
                Err((Some(403), "answered CONNECT example.com:443 with 403 Forbidden")),
            ),
            (
                b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                false,
                Err((Some(502), "with 502 Bad Gateway")),
            ),
            (b"SSH-2.0-OpenSSH\r\n\r\n", false, Err((None, "CONNECT example.com:443"))),
            (b"", false, Err((None, "CONNECT example.com:443"))),
        ];
        for (answer, with_credentials, want) in cases {
            let credentials = with_credentials.then_some(&basic);
            let (head, result) = against(answer, credentials).await;
            let label = String::from_utf8_lossy(answer);
            assert!(
                head.starts_with("CONNECT example.com:443 HTTP/1.1\r\n"),
                "{label}: {head}"
            );
            assert!(
                head.contains("\r\nHost: example.com:443\r\n"),
                "{label}: {head}"
            );
            assert_eq!(
                head.contains("Proxy-Authorization: Basic am9objpzZWNyZXQ=\r\n"),
                *with_credentials,
                "{label}: {head}"
            );
            match (result, want) {
                (Ok(mut tunnel), Ok(first)) => {
                    assert_eq!(tunnel.read_ahead(), *first, "{label}");
                    let mut rest = Vec::new();
                    tunnel.read_to_end(&mut rest).await.unwrap();
                    assert_eq!(rest, *first, "{label}");
                }
                (Err(err), Err((status, part))) => {
                    assert_eq!(err.status().map(|s| s.as_u16()), *status, "{label}: {err}");
                    assert_eq!(
                        err.is_auth_required(),
                        *status == Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED.as_u16()),
                        "{label}"
                    );
                    assert!(err.to_string().contains(part), "{label}: {err}");
                }
                (Ok(_), Err(_)) => panic!("{label}: tunnel opened, expected an error"),
                (Err(err), Ok(_)) => panic!("{label}: {err:?}"),
            }
        }
    }

    #[tokio::test]
    async fn tunnel_carries_bytes_both_ways() {
        let (client, mut proxy) = tokio::io::duplex(1 << 16);
        let echo = tokio::spawn(async move {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(proxy.read_u8().await.unwrap());
            }
            proxy.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
            let mut buf = [0u8; 4];
            proxy.read_exact(&mut buf).await.unwrap();
            proxy.write_all(&buf).await.unwrap();
        });
        let target: Authority = "[::1]:8443".parse().unwrap();
        let mut tunnel = http_connect(client, &target, None).await.unwrap();
        tunnel.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), tunnel.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"ping");
        echo.await.unwrap();
    }
}
