//! One port for SOCKS5 and an HTTP proxy: [`Socks5OrHttp`] peeks at the first byte of an
//! accepted stream; `0x05` (the SOCKS5 version) goes to the SOCKS5 service, anything else
//! to the other service (the HTTP forward proxy, or a TLS acceptor in front of it for an
//! HTTPS proxy). The peeked byte is replayed, so each service sees the stream from its
//! first byte.
//!
//! ```text
//! TcpListener ──▶ Socks5OrHttp ──first byte 0x05──▶ Socks5Acceptor
//!                      └────────anything else─────▶ HTTP proxy (or TLS → HTTP proxy)
//! ```
//!
//! ```
//! use rama_core::{Service, service_fn};
//! use rama_net::stream::RewindStream;
//! use rama_proxy::peek::Socks5OrHttp;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let socks5 = service_fn(async |_s: RewindStream<DuplexStream>| Ok::<_, std::io::Error>("socks5"));
//! let http = service_fn(async |mut s: RewindStream<DuplexStream>| {
//!     let mut first = [0u8; 3];
//!     s.read_exact(&mut first).await?;
//!     assert_eq!(&first, b"GET"); // the peeked byte is replayed
//!     Ok::<_, std::io::Error>("http")
//! });
//! let router = Socks5OrHttp::new(socks5, http);
//!
//! let (mut client, server) = tokio::io::duplex(64);
//! client.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
//! assert_eq!(router.serve(server).await?, Some("http"));
//!
//! let (mut client, server) = tokio::io::duplex(64);
//! client.write_all(&[5, 1, 0]).await?;
//! assert_eq!(router.serve(server).await?, Some("socks5"));
//! # Ok(())
//! # }
//! ```

use crate::socks5::proto::SOCKS5_VERSION;
use rama_core::{Service, error::BoxError};
use rama_net::stream::{PeekOutcome, RewindStream, Stream, peek};
use std::{fmt, time::Duration};

/// How long [`Socks5OrHttp`] waits for the first byte, by default.
pub const DEFAULT_PEEK_TIMEOUT: Duration = Duration::from_secs(10);

/// Routes a stream by its first byte; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Socks5OrHttp<Socks5, Other> {
    socks5: Socks5,
    other: Other,
    timeout: Duration,
}

impl<Socks5, Other> Socks5OrHttp<Socks5, Other> {
    /// Route `0x05` to `socks5`, anything else to `other`.
    #[must_use]
    pub const fn new(socks5: Socks5, other: Other) -> Self {
        Self {
            socks5,
            other,
            timeout: DEFAULT_PEEK_TIMEOUT,
        }
    }

    /// Give up on a client that sends nothing for this long (the stream is closed).
    #[must_use]
    pub const fn with_peek_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// The client sent nothing within the peek timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeekTimeout(Duration);

impl fmt::Display for PeekTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the client sent nothing within {:?}", self.0)
    }
}

impl std::error::Error for PeekTimeout {}

impl<S, Socks5, Other, O> Service<S> for Socks5OrHttp<Socks5, Other>
where
    S: Stream + Unpin,
    Socks5: Service<RewindStream<S>, Output = O, Error: Into<BoxError>>,
    Other: Service<RewindStream<S>, Output = O, Error: Into<BoxError>>,
    O: Send + 'static,
{
    /// The chosen service's output; `None` when the client closed without a byte.
    type Output = Option<O>;
    type Error = BoxError;

    async fn serve(&self, stream: S) -> Result<Option<O>, BoxError> {
        let peeked = peek(stream, 1, self.timeout).await?;
        match (peeked.bytes.first(), peeked.outcome) {
            (Some(&SOCKS5_VERSION), _) => self
                .socks5
                .serve(peeked.stream)
                .await
                .map(Some)
                .map_err(Into::into),
            (Some(_), _) => self
                .other
                .serve(peeked.stream)
                .await
                .map(Some)
                .map_err(Into::into),
            (None, PeekOutcome::TimedOut) => Err(PeekTimeout(self.timeout).into()),
            (None, _) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    fn router()
    -> impl Service<DuplexStream, Output = Option<(&'static str, Vec<u8>)>, Error = BoxError> {
        async fn read_all(mut s: RewindStream<DuplexStream>) -> Vec<u8> {
            let mut all = Vec::new();
            let _ = s.read_to_end(&mut all).await;
            all
        }
        Socks5OrHttp::new(
            service_fn(async |s| Ok::<_, BoxError>(("socks5", read_all(s).await))),
            service_fn(async |s| Ok::<_, BoxError>(("other", read_all(s).await))),
        )
        .with_peek_timeout(Duration::from_secs(5))
    }

    #[tokio::test]
    async fn routes_by_first_byte_table() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (&[5, 1, 0], Some("socks5")),
            (&[5], Some("socks5")),
            (b"CONNECT example.com:443 HTTP/1.1\r\n\r\n", Some("other")),
            (&[0x16, 3, 1], Some("other")), // a TLS ClientHello: HTTPS proxy
            (&[], None),
        ];
        let router = router();
        for (input, want) in cases {
            let (mut client, server) = tokio::io::duplex(256);
            client.write_all(input).await.unwrap();
            drop(client);
            let got = tokio::time::timeout(Duration::from_secs(5), router.serve(server))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got.as_ref().map(|(name, _)| *name), want, "{input:?}");
            if let Some((_, seen)) = got {
                assert_eq!(seen, input, "every byte replayed");
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn silent_client_times_out() {
        let router = Socks5OrHttp::new(
            service_fn(async |_s: RewindStream<DuplexStream>| Ok::<_, BoxError>(())),
            service_fn(async |_s: RewindStream<DuplexStream>| Ok::<_, BoxError>(())),
        )
        .with_peek_timeout(Duration::from_secs(3));
        let (_client, server) = tokio::io::duplex(64);
        let err = router.serve(server).await.unwrap_err();
        assert!(err.to_string().contains("sent nothing within 3s"), "{err}");
    }
}
