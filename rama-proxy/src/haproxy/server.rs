//! [`HaProxyLayer`]: read the PROXY protocol header an accepted stream starts with, and make
//! the client address it carries the stream's peer address.
//!
//! The header is read with a timeout and nothing after it is consumed: the inner service
//! gets a [`RewindStream`] that replays any application bytes read together with the
//! header. The stream's [`SocketInfo`] then holds the header's source address as its peer
//! (the local address stays the real one), and a [`ProxyProtocolInfo`] keeps the whole
//! header (TLVs included) and the address of the proxy that sent it.
//!
//! | header | [`required`](HaProxyLayer::required) | [`optional`](HaProxyLayer::optional) |
//! |---|---|---|
//! | `PROXY` with addresses | peer address replaced | peer address replaced |
//! | `LOCAL` (v2 health check) or `UNKNOWN` (v1) | real addresses kept | real addresses kept |
//! | none | refused ([`HeaderError::is_missing`]) | passed on, bytes replayed |
//! | malformed, too large, bad CRC32c | refused | refused |
//! | not complete within the timeout | refused ([`HeaderError::is_timeout`]) | refused |
//!
//! A refused connection is closed: the service returns the [`HeaderError`], which the
//! listener logs. Accept the header only from proxies you trust: anyone who can reach the
//! port can claim any client address. Optional mode waits for the client's first bytes, so
//! it does not suit protocols where the server speaks first.
//!
//! ```
//! use rama_core::{Layer, service_fn};
//! use rama_core::extensions::ExtensionsRef;
//! use rama_net::stream::SocketInfo;
//! use rama_proxy::haproxy::HaProxyLayer;
//! use rama_tcp::server::TcpListener;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = HaProxyLayer::required().into_layer(service_fn(async |mut stream: rama_net::stream::RewindStream<rama_tcp::TcpStream>| {
//!     let peer = stream.extensions().get::<SocketInfo>().map(|info| info.peer_addr());
//!     stream.write_all(format!("{peer:?}").as_bytes()).await?;
//!     Ok::<_, std::io::Error>(())
//! }));
//! tokio::spawn(listener.serve(server));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! client.write_all(b"PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\n").await?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer).await?;
//! assert_eq!(answer, "Some(192.0.2.1:5000)");
//! # Ok(())
//! # }
//! ```

use super::proto::{
    DEFAULT_MAX_V2_PAYLOAD, Decoded, Header, HeaderError, MAX_V1_LEN, decode_with_limit,
};
use rama_core::error::BoxError;
use rama_core::extensions::ExtensionsMut;
use rama_core::{Layer, Service};
use rama_net::stream::{PeekOutcome, RewindStream, SocketInfo, Stream, peek_until};
use std::time::Duration;

/// How long a client may take to send the whole header, by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// What a stream that proxied through the PROXY protocol carries in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyProtocolInfo {
    header: Header,
    proxy: Option<SocketInfo>,
}

impl ProxyProtocolInfo {
    /// The header as it was read.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The socket's own addresses: the peer is the proxy that sent the header.
    #[must_use]
    pub const fn proxy(&self) -> Option<&SocketInfo> {
        self.proxy.as_ref()
    }
}

/// Reads a PROXY protocol header from each stream; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct HaProxyLayer {
    config: Config,
}

#[derive(Debug, Clone, Copy)]
struct Config {
    required: bool,
    timeout: Duration,
    max_v2_payload: u16,
}

impl HaProxyLayer {
    /// Every stream must start with a header; others are refused.
    #[must_use]
    pub const fn required() -> Self {
        Self {
            config: Config {
                required: true,
                timeout: DEFAULT_HEADER_TIMEOUT,
                max_v2_payload: DEFAULT_MAX_V2_PAYLOAD,
            },
        }
    }

    /// Streams without a header pass through untouched.
    #[must_use]
    pub const fn optional() -> Self {
        let mut layer = Self::required();
        layer.config.required = false;
        layer
    }

    /// How long the whole header may take to arrive (default [`DEFAULT_HEADER_TIMEOUT`]).
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The largest v2 length field accepted (default [`DEFAULT_MAX_V2_PAYLOAD`]).
    #[must_use]
    pub const fn with_max_v2_payload(mut self, max: u16) -> Self {
        self.config.max_v2_payload = max;
        self
    }
}

impl<S> Layer<S> for HaProxyLayer {
    type Service = HaProxyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HaProxyService {
            inner,
            config: self.config,
        }
    }
}

/// The service made by [`HaProxyLayer`].
#[derive(Debug, Clone)]
pub struct HaProxyService<S> {
    inner: S,
    config: Config,
}

impl<S> HaProxyService<S> {
    /// The wrapped service.
    #[must_use]
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, IO> Service<IO> for HaProxyService<S>
where
    IO: Stream + Unpin + ExtensionsMut,
    S: Service<RewindStream<IO>, Error: Into<BoxError>>,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, stream: IO) -> Result<Self::Output, Self::Error> {
        let stream = match read_header(stream, self.config).await {
            Ok(stream) => stream,
            Err(err) => {
                tracing::debug!("refused connection: {err}");
                return Err(err.into());
            }
        };
        self.inner.serve(stream).await.map_err(Into::into)
    }
}

/// Read the header (if any) and return the stream positioned right after it.
async fn read_header<IO>(stream: IO, config: Config) -> Result<RewindStream<IO>, HeaderError>
where
    IO: Stream + Unpin + ExtensionsMut,
{
    let max = MAX_V1_LEN.max(16 + usize::from(config.max_v2_payload));
    let limit = config.max_v2_payload;
    let peeked = peek_until(stream, max, config.timeout, |seen| {
        !matches!(decode_with_limit(seen, limit), Ok(Decoded::Incomplete))
    })
    .await
    .map_err(|err| HeaderError::io("read the PROXY protocol header", err))?;

    match decode_with_limit(&peeked.bytes, limit)? {
        Decoded::Header { header, len } => {
            let (prefix, inner) = peeked.stream.into_parts();
            let mut stream = RewindStream::new(inner, prefix.slice(len..));
            record(&mut stream, header);
            Ok(stream)
        }
        Decoded::NotProxyProtocol if config.required => Err(HeaderError::missing(
            "the connection does not start with a PROXY protocol header",
        )),
        Decoded::NotProxyProtocol => Ok(peeked.stream),
        Decoded::Incomplete => Err(match peeked.outcome {
            PeekOutcome::TimedOut => HeaderError::timeout(format!(
                "no complete header within {:?} ({} bytes arrived)",
                config.timeout,
                peeked.bytes.len()
            )),
            // optional: a stream that ended before a header could be complete is short
            // application data; hand it on whole
            PeekOutcome::Eof if !config.required => return Ok(peeked.stream),
            PeekOutcome::Eof if peeked.bytes.is_empty() => {
                HeaderError::missing("the connection closed before sending a header")
            }
            PeekOutcome::Eof => HeaderError::truncated(format!(
                "the connection closed after {} bytes of the header",
                peeked.bytes.len()
            )),
            PeekOutcome::Enough | PeekOutcome::LimitReached => HeaderError::too_large(format!(
                "no complete header within {} bytes",
                peeked.bytes.len()
            )),
        }),
    }
}

/// Put the header's facts into the stream's extensions.
fn record<IO: ExtensionsMut>(stream: &mut IO, header: Header) {
    let ext = stream.extensions_mut();
    let proxy = ext.get::<SocketInfo>().copied();
    if let Some(source) = header.source() {
        ext.insert(SocketInfo::new(
            proxy.and_then(|info| info.local_addr()),
            source,
        ));
    }
    ext.insert(ProxyProtocolInfo { header, proxy });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::proto::{Command, Version};
    use rama_core::extensions::{Extensions, ExtensionsRef};
    use rama_core::service_fn;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

    /// An in-memory stream with extensions, as a listener would hand out.
    struct TestStream {
        io: DuplexStream,
        ext: Extensions,
    }

    impl AsyncRead for TestStream {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for TestStream {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.io).poll_write(cx, buf)
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_shutdown(cx)
        }
    }

    impl ExtensionsRef for TestStream {
        fn extensions(&self) -> &Extensions {
            &self.ext
        }
    }

    impl ExtensionsMut for TestStream {
        fn extensions_mut(&mut self) -> &mut Extensions {
            &mut self.ext
        }
    }

    const REAL_PEER: &str = "127.0.0.1:40000";
    const REAL_LOCAL: &str = "127.0.0.1:8080";

    fn stream() -> (DuplexStream, TestStream) {
        let (client, server) = tokio::io::duplex(1 << 16);
        let mut ext = Extensions::new();
        ext.insert(SocketInfo::new(
            Some(REAL_LOCAL.parse().unwrap()),
            REAL_PEER.parse().unwrap(),
        ));
        (client, TestStream { io: server, ext })
    }

    /// What the inner service saw: peer address, header info and the first bytes.
    type Seen = (SocketAddr, Option<ProxyProtocolInfo>, Vec<u8>);

    async fn run(layer: HaProxyLayer, input: &[u8], close: bool) -> Result<Seen, BoxError> {
        let svc = layer.into_layer(service_fn(async |mut s: RewindStream<TestStream>| {
            let mut body = Vec::new();
            s.read_to_end(&mut body).await?;
            let peer = s.extensions().get::<SocketInfo>().unwrap().peer_addr();
            let info = s.extensions().get::<ProxyProtocolInfo>().cloned();
            Ok::<_, std::io::Error>((peer, info, body))
        }));
        let (mut client, server) = stream();
        client.write_all(input).await.unwrap();
        if close {
            drop(client);
        } else {
            // keep the client open but silent; the server's timeout must end the wait
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(client);
            });
        }
        tokio::time::timeout(Duration::from_secs(10), svc.serve(server))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn v1_replaces_peer_and_keeps_payload() {
        let (peer, info, body) = run(
            HaProxyLayer::required(),
            b"PROXY TCP4 192.0.2.1 198.51.100.7 5000 443\r\nhello",
            true,
        )
        .await
        .unwrap();
        assert_eq!(peer, "192.0.2.1:5000".parse().unwrap());
        assert_eq!(body, b"hello");
        let info = info.unwrap();
        assert_eq!(info.header().version, Version::V1);
        assert_eq!(
            info.proxy().unwrap().peer_addr(),
            REAL_PEER.parse().unwrap()
        );
    }

    #[tokio::test]
    async fn v2_with_tlvs_and_local() {
        let header = Header::proxy(
            "[2001:db8::1]:1".parse().unwrap(),
            "[::1]:443".parse().unwrap(),
        )
        .with_authority("example.com")
        .with_crc32c();
        let input = [header.encode(Version::V2).unwrap(), b"data".to_vec()].concat();
        let (peer, info, body) = run(HaProxyLayer::required(), &input, true).await.unwrap();
        assert_eq!(peer, "[2001:db8::1]:1".parse().unwrap());
        assert_eq!(info.unwrap().header().authority(), Some("example.com"));
        assert_eq!(body, b"data");

        let local = [Header::local().encode(Version::V2).unwrap(), b"x".to_vec()].concat();
        let (peer, info, body) = run(HaProxyLayer::required(), &local, true).await.unwrap();
        assert_eq!(peer, REAL_PEER.parse().unwrap());
        assert_eq!(info.unwrap().header().command, Command::Local);
        assert_eq!(body, b"x");
    }

    #[tokio::test]
    async fn optional_passes_other_bytes_through() {
        for input in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"", b"P"] {
            let (peer, info, body) = run(HaProxyLayer::optional(), input, true).await.unwrap();
            assert_eq!(peer, REAL_PEER.parse().unwrap());
            assert!(info.is_none());
            assert_eq!(body, input, "{input:?}");
        }
    }

    #[tokio::test]
    async fn refusals() {
        type Check = fn(&HeaderError) -> bool;
        let rows: &[(&str, HaProxyLayer, &[u8], Check)] = &[
            (
                "missing",
                HaProxyLayer::required(),
                b"GET / HTTP/1.1\r\n\r\n",
                HeaderError::is_missing,
            ),
            (
                "empty",
                HaProxyLayer::required(),
                b"",
                HeaderError::is_missing,
            ),
            (
                "malformed",
                HaProxyLayer::optional(),
                b"PROXY TCP4 x y 1 2\r\n",
                HeaderError::is_malformed,
            ),
            (
                "truncated",
                HaProxyLayer::required(),
                b"PROXY TCP4 1.2",
                HeaderError::is_truncated,
            ),
            (
                "v2 over limit",
                HaProxyLayer::required().with_max_v2_payload(8),
                &{
                    let mut v = crate::haproxy::proto::SIGNATURE.to_vec();
                    v.extend_from_slice(&[0x21, 0x11, 0, 12]);
                    v
                },
                HeaderError::is_too_large,
            ),
        ];
        for (name, layer, input, check) in rows {
            let err = run(*layer, input, true).await.unwrap_err();
            let err = err.downcast_ref::<HeaderError>().unwrap();
            assert!(check(err), "{name}: {err}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slow_header_times_out() {
        let layer = HaProxyLayer::required().with_timeout(Duration::from_secs(2));
        let err = run(layer, b"PROXY TCP4 1.2.3.4", false).await.unwrap_err();
        assert!(
            err.downcast_ref::<HeaderError>().unwrap().is_timeout(),
            "{err}"
        );
    }
}
