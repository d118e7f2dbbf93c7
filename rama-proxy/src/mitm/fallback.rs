//! The fallback for tunnels the MITM does not decrypt: connect to the CONNECT target and
//! relay the bytes both ways, the peeked ones first (spliced when both ends are plain TCP
//! sockets, see [`relay`](crate::relay)).

use crate::relay::{Relayed, relay};
use rama_core::{
    Service,
    error::{BoxError, ErrorContext},
};
use rama_net::{
    client::EstablishedClientConnection,
    stream::{ForwardConfig, Stream},
};
use rama_tcp::client::TcpRequest;

/// Connect to `request`'s target with `connector` (its extensions, such as an upstream
/// `ProxyAddress`, go along) and relay bytes between it and `client` until both directions
/// end. `client` replays whatever was peeked from it, so the target sees the stream from
/// its first byte.
pub(crate) async fn tunnel<S, C, IO>(
    client: S,
    request: TcpRequest,
    connector: &C,
    config: &ForwardConfig,
) -> Result<Relayed, BoxError>
where
    S: Stream,
    C: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    C::Error: Into<BoxError>,
    IO: Stream,
{
    let target = request.authority.clone();
    let EstablishedClientConnection { conn, .. } = connector
        .serve(request)
        .await
        .with_context(|| format!("connect to the tunnel target {target}"))?;
    let moved = relay(client, conn, config)
        .await
        .with_context(|| format!("relay the tunnel to {target}"))?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rama_net::{address::Authority, stream::RewindStream};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A fact a caller puts on the request, as a proxy-DB layer puts a `ProxyAddress`.
    #[derive(Debug, Clone)]
    struct Marker(&'static str);

    /// Dials the request's authority (an IP and port) over loopback.
    struct Dial;

    impl Service<TcpRequest> for Dial {
        type Output = EstablishedClientConnection<tokio::net::TcpStream, TcpRequest>;
        type Error = BoxError;

        async fn serve(&self, req: TcpRequest) -> Result<Self::Output, BoxError> {
            let marker = req.extensions.get::<Marker>().map(|m| m.0);
            let conn = tokio::net::TcpStream::connect(req.authority.to_string())
                .await
                .map_err(|e| format!("{e} (marker: {})", marker.unwrap_or("none")))?;
            Ok(EstablishedClientConnection::new(conn, req))
        }
    }

    #[tokio::test]
    async fn replays_the_peeked_bytes_then_relays_both_ways() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let origin = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = vec![0u8; 11];
            s.read_exact(&mut got).await.unwrap();
            s.write_all(b"pong").await.unwrap();
            got
        });
        let connector = Dial;
        let (mut peer, near) = tokio::io::duplex(1024);
        let near = RewindStream::new(near, Bytes::from_static(b"peeked "));
        let target: Authority = addr.to_string().parse().unwrap();
        let relay = tokio::spawn(async move {
            tunnel(
                near,
                TcpRequest::new(target),
                &connector,
                &ForwardConfig::new(),
            )
            .await
        });
        peer.write_all(b"ping").await.unwrap();
        let mut pong = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), peer.read_exact(&mut pong))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&pong, b"pong");
        assert_eq!(origin.await.unwrap(), b"peeked ping");
        drop(peer);
        let moved = tokio::time::timeout(Duration::from_secs(5), relay)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(moved.client_to_upstream, 11);
    }

    #[tokio::test]
    async fn a_refused_target_is_an_error_naming_it() {
        let port = rama_test_support::free_port();
        let connector = Dial;
        let (_peer, near) = tokio::io::duplex(64);
        let target: Authority = format!("127.0.0.1:{port}").parse().unwrap();
        let mut request = TcpRequest::new(target);
        request.extensions.insert(Marker("through the upstream"));
        let err = tunnel(near, request, &connector, &ForwardConfig::new())
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        // the request's extensions reached the connector
        assert!(text.contains("marker: through the upstream"), "{text}");
    }
}
