//! An HTTP/2 client connection over any stream, through the `h2` crate.
//!
//! [`handshake`] sends the preface and SETTINGS and returns a [`SendRequest`] handle (clone
//! it per concurrent request: streams are multiplexed on the one connection) and the
//! [`Connection`] future, which the caller spawns. Bodies stream both ways under h2's flow
//! control: capacity is reserved before request data is sent, and released as the response
//! body is read (so an unread body stops the peer once the window is full). Trailers go both
//! ways. Dropping a response body before its end resets the stream (`RST_STREAM CANCEL`).
//!
//! The request body is sent from a spawned task (a tokio runtime is needed), so that the
//! response can arrive while the body is still being sent.
//!
//! ```no_run
//! use rama_http::client::h2::{handshake, H2ClientConfig};
//! use rama_http::{Body, Request};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let io = tokio::net::TcpStream::connect("127.0.0.1:8080").await?;
//! let (sender, conn) = handshake(io, H2ClientConfig::new()).await?;
//! tokio::spawn(conn);
//! let req = Request::get("http://127.0.0.1:8080/").body(Body::empty())?;
//! let res = sender.send_request(req).await?;
//! # let _ = res; Ok(()) }
//! ```

use super::error::{Error, Kind};
use crate::Body;
use bytes::Bytes;
use http::{Request, Response, Uri, Version, header};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The h2 SETTINGS and limits of a client connection; `None` keeps h2's default. And the
/// response-head timeout of each request (30 s by default, as for HTTP/1).
///
/// Server push is off by default (rama does not handle pushed streams).
#[derive(Debug, Clone)]
pub struct H2ClientConfig {
    initial_window_size: Option<u32>,
    initial_connection_window_size: Option<u32>,
    max_frame_size: Option<u32>,
    max_header_list_size: Option<u32>,
    header_table_size: Option<u32>,
    max_concurrent_streams: Option<u32>,
    initial_max_send_streams: Option<usize>,
    max_concurrent_reset_streams: Option<usize>,
    reset_stream_duration: Option<Duration>,
    max_pending_accept_reset_streams: Option<usize>,
    max_local_error_reset_streams: Option<Option<usize>>,
    max_send_buffer_size: Option<usize>,
    enable_push: bool,
    response_head_timeout: Option<Duration>,
}

impl Default for H2ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! setting {
    ($(#[$doc:meta])* $with:ident, $get:ident, $field:ident: $ty:ty) => {
        $(#[$doc])*
        #[must_use]
        pub const fn $with(mut self, value: $ty) -> Self {
            self.$field = Some(value);
            self
        }

        /// The value set with the matching `with_` method, if any.
        #[must_use]
        pub const fn $get(&self) -> Option<$ty> {
            self.$field
        }
    };
}

impl H2ClientConfig {
    /// h2's defaults, push disabled, a 30 s response-head timeout.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            initial_window_size: None,
            initial_connection_window_size: None,
            max_frame_size: None,
            max_header_list_size: None,
            header_table_size: None,
            max_concurrent_streams: None,
            initial_max_send_streams: None,
            max_concurrent_reset_streams: None,
            reset_stream_duration: None,
            max_pending_accept_reset_streams: None,
            max_local_error_reset_streams: None,
            max_send_buffer_size: None,
            enable_push: false,
            response_head_timeout: Some(Duration::from_secs(30)),
        }
    }

    setting!(
        /// `SETTINGS_INITIAL_WINDOW_SIZE`: the receive window of each stream.
        with_initial_window_size, initial_window_size, initial_window_size: u32
    );
    setting!(
        /// The connection-level receive window (sent as a WINDOW_UPDATE).
        with_initial_connection_window_size, initial_connection_window_size,
        initial_connection_window_size: u32
    );
    setting!(
        /// `SETTINGS_MAX_FRAME_SIZE`: the largest frame payload accepted.
        with_max_frame_size, max_frame_size, max_frame_size: u32
    );
    setting!(
        /// `SETTINGS_MAX_HEADER_LIST_SIZE`: the largest response header list accepted.
        with_max_header_list_size, max_header_list_size, max_header_list_size: u32
    );
    setting!(
        /// `SETTINGS_HEADER_TABLE_SIZE`: the HPACK table size for decoding.
        with_header_table_size, header_table_size, header_table_size: u32
    );
    setting!(
        /// `SETTINGS_MAX_CONCURRENT_STREAMS` advertised (streams the server may open).
        with_max_concurrent_streams, max_concurrent_streams, max_concurrent_streams: u32
    );
    setting!(
        /// Streams this side may open before the server's SETTINGS arrive.
        with_initial_max_send_streams, initial_max_send_streams, initial_max_send_streams: usize
    );
    setting!(
        /// Locally reset streams remembered at once (to accept their late frames).
        with_max_concurrent_reset_streams, max_concurrent_reset_streams,
        max_concurrent_reset_streams: usize
    );
    setting!(
        /// How long a locally reset stream is remembered.
        with_reset_stream_duration, reset_stream_duration, reset_stream_duration: Duration
    );
    setting!(
        /// Remotely reset streams not yet accepted that are allowed at once.
        with_max_pending_accept_reset_streams, max_pending_accept_reset_streams,
        max_pending_accept_reset_streams: usize
    );
    setting!(
        /// Streams this side may reset for protocol errors before closing the connection
        /// (`None`: unlimited).
        with_max_local_error_reset_streams, max_local_error_reset_streams,
        max_local_error_reset_streams: Option<usize>
    );
    setting!(
        /// The most data buffered per stream for sending.
        with_max_send_buffer_size, max_send_buffer_size, max_send_buffer_size: usize
    );

    /// `SETTINGS_ENABLE_PUSH` (off by default).
    #[must_use]
    pub const fn with_enable_push(mut self, enabled: bool) -> Self {
        self.enable_push = enabled;
        self
    }

    /// Whether server push is enabled.
    #[must_use]
    pub const fn enable_push(&self) -> bool {
        self.enable_push
    }

    /// How long a request waits for its response head once sent (`None`: no limit). When
    /// it passes, the request fails with a timeout error ([`Error::is_timeout`]) and its
    /// stream is reset; the connection and its other streams go on.
    #[must_use]
    pub const fn with_response_head_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.response_head_timeout = timeout;
        self
    }

    /// The response-head timeout.
    #[must_use]
    pub const fn response_head_timeout(&self) -> Option<Duration> {
        self.response_head_timeout
    }

    fn builder(&self) -> h2::client::Builder {
        let mut b = h2::client::Builder::new();
        b.enable_push(self.enable_push);
        if let Some(v) = self.initial_window_size {
            b.initial_window_size(v);
        }
        if let Some(v) = self.initial_connection_window_size {
            b.initial_connection_window_size(v);
        }
        if let Some(v) = self.max_frame_size {
            b.max_frame_size(v);
        }
        if let Some(v) = self.max_header_list_size {
            b.max_header_list_size(v);
        }
        if let Some(v) = self.header_table_size {
            b.header_table_size(v);
        }
        if let Some(v) = self.max_concurrent_streams {
            b.max_concurrent_streams(v);
        }
        if let Some(v) = self.initial_max_send_streams {
            b.initial_max_send_streams(v);
        }
        if let Some(v) = self.max_concurrent_reset_streams {
            b.max_concurrent_reset_streams(v);
        }
        if let Some(v) = self.reset_stream_duration {
            b.reset_stream_duration(v);
        }
        if let Some(v) = self.max_pending_accept_reset_streams {
            b.max_pending_accept_reset_streams(v);
        }
        if let Some(v) = self.max_local_error_reset_streams {
            b.max_local_error_reset_streams(v);
        }
        if let Some(v) = self.max_send_buffer_size {
            b.max_send_buffer_size(v);
        }
        b
    }
}

/// Sends the client preface and SETTINGS on `io`; spawn the returned [`Connection`], send
/// requests through (clones of) the [`SendRequest`].
pub async fn handshake<IO>(
    io: IO,
    config: H2ClientConfig,
) -> Result<(SendRequest, Connection), Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (inner, conn) = config
        .builder()
        .handshake::<Box<dyn Io>, Bytes>(Box::new(io))
        .await
        .map_err(Error::h2)?;
    Ok((
        SendRequest {
            inner,
            head_timeout: config.response_head_timeout,
        },
        Connection {
            fut: Box::pin(conn),
        },
    ))
}

/// The handle to send requests on an h2 connection; clone it to send concurrently.
#[derive(Clone)]
pub struct SendRequest {
    inner: h2::client::SendRequest<Bytes>,
    /// [`H2ClientConfig::with_response_head_timeout`]
    head_timeout: Option<Duration>,
}

impl fmt::Debug for SendRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendRequest").finish_non_exhaustive()
    }
}

impl SendRequest {
    /// Sends `req` on a new stream and returns the response once its head arrived.
    ///
    /// The URI needs an authority (or the request a `Host` header); the scheme defaults to
    /// `http`. Connection-specific headers (`Connection`, `Keep-Alive`, `Transfer-Encoding`,
    /// `Upgrade`, `Proxy-Connection`, `Host`) are removed, as RFC 9113 §8.2.2 requires.
    pub async fn send_request(&self, req: Request<Body>) -> Result<Response<Body>, Error> {
        self.clone().send_request_owned(req).await
    }

    /// [`send_request`](Self::send_request) on this handle itself, not a clone of it (each
    /// clone and drop of an h2 handle takes the connection's lock).
    pub(crate) async fn send_request_owned(
        self,
        req: Request<Body>,
    ) -> Result<Response<Body>, Error> {
        // a clone has no stream of its own pending, so `h2` needs no `ready()` first (one
        // lock less per request); a broken connection fails `send_request` itself
        let Self {
            inner: mut sender,
            head_timeout,
        } = self;
        let (mut parts, body) = req.into_parts();
        to_h2_target(&mut parts)?;
        let end = http_body::Body::is_end_stream(&body);
        let (response, stream) = sender
            .send_request(Request::from_parts(parts, ()), end)
            .map_err(Error::h2)?;
        if !end {
            tokio::spawn(send_body(stream, body));
        }
        // dropping the response future on a timeout resets the stream (once its body, if
        // any, is no longer being sent)
        let res = match head_timeout {
            Some(limit) => tokio::time::timeout(limit, response)
                .await
                .map_err(|_| Error::new(Kind::Timeout))?,
            None => response.await,
        }
        .map_err(Error::h2)?;
        let (parts, recv) = res.into_parts();
        let body = if recv.is_end_stream() {
            Body::empty()
        } else {
            Body::new(RecvBody {
                recv,
                data_done: false,
            })
        };
        Ok(Response::from_parts(parts, body))
    }

    /// Whether the connection accepts a new stream now (it is open and below the server's
    /// concurrency limit).
    #[must_use]
    pub fn is_ready(&self) -> bool {
        let mut probe = self.inner.clone();
        let waker = std::task::Waker::noop();
        matches!(
            probe.poll_ready(&mut Context::from_waker(waker)),
            Poll::Ready(Ok(()))
        )
    }

    /// [`is_closed`](Self::is_closed) without cloning the handle first (for the pool, which
    /// holds its handle mutably).
    pub(crate) fn poll_closed(&mut self) -> bool {
        let waker = std::task::Waker::noop();
        matches!(
            self.inner.poll_ready(&mut Context::from_waker(waker)),
            Poll::Ready(Err(_))
        )
    }

    /// Whether the connection failed or closed: no new stream can be opened.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        let mut probe = self.inner.clone();
        let waker = std::task::Waker::noop();
        matches!(
            probe.poll_ready(&mut Context::from_waker(waker)),
            Poll::Ready(Err(_))
        )
    }
}

/// Sets `:scheme`/`:authority` and strips connection-specific fields.
fn to_h2_target(parts: &mut http::request::Parts) -> Result<(), Error> {
    parts.version = Version::HTTP_2;
    if parts.uri.authority().is_none() || parts.uri.scheme().is_none() {
        let authority = match parts.uri.authority() {
            Some(a) => a.as_str().to_owned(),
            None => parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| Error::with(Kind::UserBody, "request without authority or Host"))?,
        };
        let scheme = parts.uri.scheme_str().unwrap_or("http");
        let pq = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        parts.uri = format!("{scheme}://{authority}{pq}")
            .parse::<Uri>()
            .map_err(|e| Error::with(Kind::UserBody, e))?;
    }
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::HOST,
    ] {
        parts.headers.remove(name);
    }
    parts.headers.remove("keep-alive");
    parts.headers.remove("proxy-connection");
    Ok(())
}

/// Streams a request body: reserve capacity, send what fits, trailers at the end. A body
/// error resets the stream.
async fn send_body(mut stream: h2::SendStream<Bytes>, mut body: Body) {
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(_) => {
                stream.send_reset(h2::Reason::INTERNAL_ERROR);
                return;
            }
        };
        match frame.into_data() {
            Ok(mut data) => {
                while !data.is_empty() {
                    stream.reserve_capacity(data.len());
                    let cap = match std::future::poll_fn(|cx| stream.poll_capacity(cx)).await {
                        Some(Ok(n)) if n > 0 => n,
                        Some(Ok(_)) => continue,
                        _ => return,
                    };
                    let chunk = data.split_to(cap.min(data.len()));
                    if stream.send_data(chunk, false).is_err() {
                        return;
                    }
                }
            }
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    let _ = stream.send_trailers(trailers);
                    return;
                }
            }
        }
    }
    let _ = stream.send_data(Bytes::new(), true);
}

/// A response body over an h2 stream: releases flow-control capacity as data is read;
/// dropping it early resets the stream.
struct RecvBody {
    recv: h2::RecvStream,
    data_done: bool,
}

impl http_body::Body for RecvBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        if !self.data_done {
            match ready!(self.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(Error::h2(e)))),
                None => self.data_done = true,
            }
        }
        match ready!(self.recv.poll_trailers(cx)) {
            Ok(Some(t)) => Poll::Ready(Some(Ok(http_body::Frame::trailers(t)))),
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(Error::h2(e)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }
}

/// The future that drives an h2 client connection; spawn it. It ends when the connection
/// closed (all handles dropped and streams done, GOAWAY, or an error).
pub struct Connection {
    fut: Pin<Box<h2::client::Connection<Box<dyn Io>, Bytes>>>,
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Future for Connection {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.fut.as_mut().poll(cx).map_err(Error::h2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_gets_authority_and_loses_connection_fields() {
        let req = Request::get("/p?q=1")
            .header("host", "example.com:8080")
            .header("connection", "keep-alive")
            .header("x-a", "1")
            .body(())
            .unwrap();
        let (mut parts, ()) = req.into_parts();
        to_h2_target(&mut parts).unwrap();
        assert_eq!(parts.uri, "http://example.com:8080/p?q=1");
        assert!(parts.headers.get("connection").is_none());
        assert!(parts.headers.get("host").is_none());
        assert_eq!(parts.headers.get("x-a").unwrap(), "1");
        let _: http::HeaderMap = parts.headers;
    }
}
