//! Peek the ClientHello of a stream without consuming it: [`peek_client_hello`] and the
//! [`PeekClientHelloLayer`] service.

use super::{ClientHello, ClientHelloParseError, ClientHelloParser, ParseStatus};
use bytes::{BufMut as _, BytesMut};
use rama_core::error::BoxError;
use rama_core::extensions::ExtensionsMut;
use rama_core::{Layer, Service};
use rama_net::stream::RewindStream;
use std::fmt;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How long [`peek_client_hello`] waits for a complete ClientHello by default (10 s).
pub const DEFAULT_PEEK_TIMEOUT: Duration = Duration::from_secs(10);

/// What to do with a stream whose first byte is not a TLS handshake record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NonTlsPolicy {
    /// Refuse the stream with an error (the default).
    #[default]
    Reject,
    /// Hand the stream on unchanged, without a [`ClientHello`] in its extensions.
    PassThrough,
}

/// Settings of [`peek_client_hello`] and [`PeekClientHelloLayer`]: size limit, timeout and
/// what to do with non-TLS streams.
///
/// ```
/// use rama_tls::client_hello::{NonTlsPolicy, PeekClientHelloConfig};
/// use std::time::Duration;
///
/// let config = PeekClientHelloConfig::new()
///     .with_max_size(16 * 1024)
///     .with_timeout(Duration::from_secs(2))
///     .with_non_tls(NonTlsPolicy::PassThrough);
/// assert_eq!(config.max_size(), 16 * 1024);
/// assert_eq!(config.timeout(), Duration::from_secs(2));
/// assert_eq!(config.non_tls(), NonTlsPolicy::PassThrough);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeekClientHelloConfig {
    parser: ClientHelloParser,
    timeout: Duration,
    non_tls: NonTlsPolicy,
}

impl Default for PeekClientHelloConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PeekClientHelloConfig {
    /// 64 KiB size limit, a 10 s timeout, non-TLS streams refused.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            parser: ClientHelloParser::new(),
            timeout: DEFAULT_PEEK_TIMEOUT,
            non_tls: NonTlsPolicy::Reject,
        }
    }

    /// Sets the most bytes the ClientHello's records may take.
    #[must_use]
    pub const fn with_max_size(mut self, bytes: usize) -> Self {
        self.parser = self.parser.with_max_size(bytes);
        self
    }

    /// Sets how long to wait for the complete ClientHello.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets what to do with a stream that does not start with a TLS handshake record.
    #[must_use]
    pub const fn with_non_tls(mut self, policy: NonTlsPolicy) -> Self {
        self.non_tls = policy;
        self
    }

    /// The size limit in bytes.
    #[must_use]
    pub const fn max_size(&self) -> usize {
        self.parser.max_size()
    }

    /// The timeout.
    #[must_use]
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The non-TLS policy.
    #[must_use]
    pub const fn non_tls(&self) -> NonTlsPolicy {
        self.non_tls
    }
}

/// What [`peek_client_hello`] returns: the stream, rewound to its first byte, and the
/// ClientHello or why there is none.
#[derive(Debug)]
pub struct PeekedClientHello<S> {
    /// The stream; its next reads replay every byte that was peeked.
    pub stream: RewindStream<S>,
    /// The parsed ClientHello, or why peeking failed.
    pub client_hello: Result<ClientHello, PeekClientHelloError>,
}

/// Reads from `stream` until a complete ClientHello is in (or it is invalid, too large, the
/// stream ends, fails, or `config.timeout()` passes) and returns it with the stream rewound.
///
/// The stream is returned in every case, with all the bytes read so far put back, so a
/// caller can still hand a non-TLS stream on or write an alert.
///
/// # Cancel safety
///
/// Not cancel safe: the stream is moved in, so dropping the future drops it. Use the
/// timeout of the config instead of wrapping the call in `tokio::time::timeout`.
///
/// ```
/// use rama_tls::client_hello::{PeekClientHelloConfig, peek_client_hello};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (mut client, server) = tokio::io::duplex(1024);
/// client.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await.unwrap();
///
/// let peeked = peek_client_hello(server, &PeekClientHelloConfig::new()).await;
/// assert!(peeked.client_hello.unwrap_err().is_not_tls());
/// // nothing was lost: the next reader sees the stream from its first byte
/// let mut stream = peeked.stream;
/// let mut first = [0u8; 7];
/// stream.read_exact(&mut first).await.unwrap();
/// assert_eq!(&first, b"SSH-2.0");
/// # }
/// ```
pub async fn peek_client_hello<S>(
    mut stream: S,
    config: &PeekClientHelloConfig,
) -> PeekedClientHello<S>
where
    S: AsyncRead + Unpin,
{
    let deadline = tokio::time::Instant::now() + config.timeout;
    let mut buf = BytesMut::new();
    let result = loop {
        let need = match config.parser.parse(&buf) {
            Ok(ParseStatus::Complete { client_hello, .. }) => break Ok(client_hello),
            Ok(ParseStatus::NeedMore(n)) => n,
            Err(err) => break Err(PeekClientHelloError::parse(err)),
        };
        // read at least what is missing, never past the size limit
        let room = config.max_size().saturating_sub(buf.len()).max(need);
        buf.reserve(need.min(room));
        let mut limited = (&mut buf).limit(room);
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut limited)).await {
            Err(_elapsed) => {
                break Err(PeekClientHelloError::timed_out(config.timeout, buf.len()));
            }
            Ok(Ok(0)) => break Err(PeekClientHelloError::eof(buf.len())),
            Ok(Ok(_)) => {}
            Ok(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
            Ok(Err(err)) => break Err(PeekClientHelloError::io(err, buf.len())),
        }
    };
    PeekedClientHello {
        stream: RewindStream::new(stream, buf.freeze()),
        client_hello: result,
    }
}

/// Why [`peek_client_hello`] has no ClientHello.
#[derive(Debug)]
pub struct PeekClientHelloError {
    kind: ErrorKind,
    bytes_read: usize,
}

#[derive(Debug)]
enum ErrorKind {
    Parse(ClientHelloParseError),
    TimedOut(Duration),
    Eof,
    Io(io::Error),
}

impl PeekClientHelloError {
    const fn parse(err: ClientHelloParseError) -> Self {
        Self {
            kind: ErrorKind::Parse(err),
            bytes_read: 0,
        }
    }

    const fn timed_out(after: Duration, bytes_read: usize) -> Self {
        Self {
            kind: ErrorKind::TimedOut(after),
            bytes_read,
        }
    }

    const fn eof(bytes_read: usize) -> Self {
        Self {
            kind: ErrorKind::Eof,
            bytes_read,
        }
    }

    const fn io(err: io::Error, bytes_read: usize) -> Self {
        Self {
            kind: ErrorKind::Io(err),
            bytes_read,
        }
    }

    /// The bytes were not a valid ClientHello; see [`Self::parse_error`].
    #[must_use]
    pub const fn is_parse(&self) -> bool {
        matches!(self.kind, ErrorKind::Parse(_))
    }

    /// The stream does not start with a TLS handshake record.
    #[must_use]
    pub fn is_not_tls(&self) -> bool {
        self.parse_error()
            .is_some_and(ClientHelloParseError::is_not_tls)
    }

    /// The ClientHello was not complete within the timeout.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::TimedOut(_))
    }

    /// The peer closed (or half-closed) the stream before the ClientHello was complete.
    #[must_use]
    pub const fn is_eof(&self) -> bool {
        matches!(self.kind, ErrorKind::Eof)
    }

    /// Reading from the stream failed.
    #[must_use]
    pub const fn is_io(&self) -> bool {
        matches!(self.kind, ErrorKind::Io(_))
    }

    /// The parse error, when the bytes were not a valid ClientHello.
    #[must_use]
    pub const fn parse_error(&self) -> Option<&ClientHelloParseError> {
        match &self.kind {
            ErrorKind::Parse(err) => Some(err),
            _ => None,
        }
    }
}

impl fmt::Display for PeekClientHelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Parse(err) => write!(f, "peek ClientHello: {err}"),
            ErrorKind::TimedOut(after) => write!(
                f,
                "peek ClientHello: incomplete after {after:?} ({} bytes read)",
                self.bytes_read
            ),
            ErrorKind::Eof => write!(
                f,
                "peek ClientHello: the peer closed the stream after {} bytes, before the ClientHello was complete",
                self.bytes_read
            ),
            ErrorKind::Io(err) => write!(
                f,
                "peek ClientHello: read failed after {} bytes: {err}",
                self.bytes_read
            ),
        }
    }
}

impl std::error::Error for PeekClientHelloError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Parse(err) => Some(err),
            ErrorKind::Io(err) => Some(err),
            ErrorKind::TimedOut(_) | ErrorKind::Eof => None,
        }
    }
}

/// A [`Layer`] that produces [`PeekClientHello`] services.
///
/// ```no_run
/// use rama_core::{Layer, Service, service_fn};
/// use rama_core::extensions::ExtensionsRef;
/// use rama_net::stream::RewindStream;
/// use rama_tcp::TcpStream;
/// use rama_tls::client_hello::{ClientHello, PeekClientHelloLayer};
/// use std::convert::Infallible;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let svc = PeekClientHelloLayer::new().into_layer(service_fn(
///     async |stream: RewindStream<TcpStream>| {
///         let sni = stream.extensions().get::<ClientHello>().and_then(|h| h.server_name().map(str::to_owned));
///         // hand `stream` to a TLS acceptor here: it replays the ClientHello
///         Ok::<_, Infallible>(sni)
///     },
/// ));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
/// let (socket, _) = listener.accept().await?;
/// let sni = svc.serve(TcpStream::new(socket)).await?;
/// println!("SNI: {sni:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct PeekClientHelloLayer {
    config: PeekClientHelloConfig,
}

impl PeekClientHelloLayer {
    /// A layer with the default [`PeekClientHelloConfig`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            config: PeekClientHelloConfig::new(),
        }
    }

    /// A layer with the given settings.
    #[must_use]
    pub const fn with_config(config: PeekClientHelloConfig) -> Self {
        Self { config }
    }
}

impl<S> Layer<S> for PeekClientHelloLayer {
    type Service = PeekClientHello<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PeekClientHello::new(inner, self.config)
    }
}

/// A stream service that peeks the ClientHello, inserts it into the stream's extensions and
/// calls the inner service with the stream rewound to its first byte.
///
/// A stream that is not TLS is refused or passed on without a [`ClientHello`], as
/// [`PeekClientHelloConfig::non_tls`] says; any other failure (invalid, too large, timeout,
/// closed) is a [`PeekClientHelloError`] and the inner service is not called.
#[derive(Debug, Clone)]
pub struct PeekClientHello<S> {
    inner: S,
    config: PeekClientHelloConfig,
}

impl<S> PeekClientHello<S> {
    /// Wraps `inner`.
    #[must_use]
    pub const fn new(inner: S, config: PeekClientHelloConfig) -> Self {
        Self { inner, config }
    }

    /// The settings.
    #[must_use]
    pub const fn config(&self) -> &PeekClientHelloConfig {
        &self.config
    }

    /// The wrapped service.
    #[must_use]
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, IO> Service<IO> for PeekClientHello<S>
where
    IO: AsyncRead + ExtensionsMut + Unpin + Send + 'static,
    S: Service<RewindStream<IO>, Error: Into<BoxError>>,
{
    type Output = S::Output;
    type Error = BoxError;

    async fn serve(&self, stream: IO) -> Result<Self::Output, Self::Error> {
        let PeekedClientHello {
            mut stream,
            client_hello,
        } = peek_client_hello(stream, &self.config).await;
        match client_hello {
            Ok(hello) => {
                tracing::trace!(sni = ?hello.server_name(), "peeked ClientHello");
                stream.extensions_mut().insert(hello);
            }
            Err(err) if err.is_not_tls() && self.config.non_tls == NonTlsPolicy::PassThrough => {
                tracing::debug!("not TLS, passed on: {err}");
            }
            Err(err) => return Err(err.into()),
        }
        self.inner.serve(stream).await.map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::extensions::{Extensions, ExtensionsRef};
    use rama_core::service_fn;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncWriteExt, DuplexStream, ReadBuf};

    fn curl_hello() -> Vec<u8> {
        let path = format!(
            "{}/src/client_hello/fixtures/curl_default.bin",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    async fn read_all<S: AsyncRead + Unpin>(mut s: S) -> Vec<u8> {
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        out
    }

    #[tokio::test]
    async fn hello_in_small_writes_is_parsed_and_replayed() {
        let hello = curl_hello();
        let (mut client, server) = tokio::io::duplex(64);
        let sent = hello.clone();
        let writer = tokio::spawn(async move {
            for chunk in sent.chunks(7) {
                client.write_all(chunk).await.unwrap();
                tokio::task::yield_now().await;
            }
            client.write_all(b"after").await.unwrap();
        });
        let peeked = peek_client_hello(server, &PeekClientHelloConfig::new()).await;
        let parsed = peeked.client_hello.unwrap();
        assert_eq!(parsed.server_name(), Some("localhost"));
        writer.await.unwrap();
        let mut expected = hello;
        expected.extend(b"after");
        assert_eq!(read_all(peeked.stream).await, expected);
    }

    #[tokio::test]
    async fn failures_keep_the_bytes() {
        let hello = curl_hello();
        // (name, bytes sent, close after sending, config, check)
        type Check = fn(&PeekClientHelloError) -> bool;
        let short = PeekClientHelloConfig::new().with_timeout(Duration::from_millis(100));
        let cases: [(&str, Vec<u8>, bool, PeekClientHelloConfig, Check); 4] = [
            (
                "eof",
                hello[..100].to_vec(),
                true,
                PeekClientHelloConfig::new(),
                PeekClientHelloError::is_eof,
            ),
            (
                "timeout",
                hello[..100].to_vec(),
                false,
                short,
                PeekClientHelloError::is_timeout,
            ),
            (
                "not tls",
                b"GET / HTTP/1.1\r\n".to_vec(),
                false,
                PeekClientHelloConfig::new(),
                PeekClientHelloError::is_not_tls,
            ),
            (
                "too large",
                hello.clone(),
                false,
                PeekClientHelloConfig::new().with_max_size(300),
                |e| {
                    e.parse_error()
                        .is_some_and(ClientHelloParseError::is_too_large)
                },
            ),
        ];
        for (name, bytes, close, config, check) in cases {
            let (mut client, server) = tokio::io::duplex(4096);
            client.write_all(&bytes).await.unwrap();
            let client = if close {
                drop(client);
                None
            } else {
                Some(client)
            };
            let peeked = peek_client_hello(server, &config).await;
            let err = peeked.client_hello.unwrap_err();
            assert!(check(&err), "{name}: {err}");
            assert!(err.to_string().starts_with("peek ClientHello: "), "{err}");
            drop(client);
            let replayed = read_all(peeked.stream).await;
            assert_eq!(replayed, bytes, "{name}");
        }
    }

    /// A duplex stream with extensions, like a `TcpStream`.
    struct ExtStream {
        inner: DuplexStream,
        extensions: Extensions,
    }

    impl ExtensionsRef for ExtStream {
        fn extensions(&self) -> &Extensions {
            &self.extensions
        }
    }

    impl ExtensionsMut for ExtStream {
        fn extensions_mut(&mut self) -> &mut Extensions {
            &mut self.extensions
        }
    }

    impl AsyncRead for ExtStream {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    #[tokio::test]
    async fn service_inserts_the_hello_and_applies_the_non_tls_policy() {
        let inner = service_fn(async |stream: RewindStream<ExtStream>| {
            let sni = stream
                .extensions()
                .get::<ClientHello>()
                .map(|h| h.server_name().unwrap_or_default().to_owned());
            let bytes = read_all(stream).await;
            Ok::<_, std::convert::Infallible>((sni, bytes.len()))
        });
        let hello = curl_hello();
        // (input, policy, expected: Ok((sni, replayed length)) or Err(not tls))
        type Expected = Option<(Option<String>, usize)>;
        let cases: [(Vec<u8>, NonTlsPolicy, Expected); 4] = [
            (
                hello.clone(),
                NonTlsPolicy::Reject,
                Some((Some("localhost".into()), hello.len())),
            ),
            (
                hello.clone(),
                NonTlsPolicy::PassThrough,
                Some((Some("localhost".into()), hello.len())),
            ),
            (
                b"SSH-2.0-x\r\n".to_vec(),
                NonTlsPolicy::PassThrough,
                Some((None, 11)),
            ),
            (b"SSH-2.0-x\r\n".to_vec(), NonTlsPolicy::Reject, None),
        ];
        for (input, policy, expected) in cases {
            let svc = PeekClientHelloLayer::with_config(
                PeekClientHelloConfig::new().with_non_tls(policy),
            )
            .into_layer(inner);
            let (mut client, server) = tokio::io::duplex(4096);
            client.write_all(&input).await.unwrap();
            drop(client);
            let stream = ExtStream {
                inner: server,
                extensions: Extensions::new(),
            };
            let got = svc.serve(stream).await;
            match expected {
                Some(want) => assert_eq!(got.unwrap(), want, "{policy:?}"),
                None => {
                    let err = got.unwrap_err();
                    assert!(err.to_string().contains("not TLS"), "{err}");
                }
            }
        }
    }
}
