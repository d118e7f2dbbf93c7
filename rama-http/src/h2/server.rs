//! [`serve_connection`]: serves one h2 connection with a rama [`Service`].

use super::{
    config::H2ServerConfig,
    early_frames::EarlyFrameParser,
    recv_body::RecvBody,
    tap::{EarlyFrameTap, EarlyFramesHandle},
};
use crate::Body;
use bytes::Bytes;
use h2::{Reason, RecvStream, server::SendResponse};
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body::Body as _;
use rama_core::{Service, error::BoxError, extensions::Extensions, graceful::ShutdownSignal};
use std::{
    fmt,
    future::poll_fn,
    pin::pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    task::Poll,
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    time::Instant,
};

/// Why an h2 connection ended with an error.
///
/// Opaque: ask with the `is_*` methods; the `Display` text is not API.
#[derive(Debug)]
pub struct H2ConnectionError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    HandshakeTimeout,
    KeepAliveTimeout,
    Protocol(h2::Error),
}

impl H2ConnectionError {
    /// The client did not complete the preface and SETTINGS within the handshake timeout.
    #[must_use]
    pub const fn is_handshake_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::HandshakeTimeout)
    }

    /// The client did not acknowledge a keep-alive PING in time
    /// ([`H2ServerConfig::with_keep_alive`]); the connection was closed.
    #[must_use]
    pub const fn is_keep_alive_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::KeepAliveTimeout)
    }

    /// The transport failed (reset, broken pipe, unexpected end).
    #[must_use]
    pub fn is_io(&self) -> bool {
        matches!(&self.kind, ErrorKind::Protocol(e) if e.is_io())
    }

    /// The HTTP/2 error code, when the connection ended with one (sent or received in a
    /// GOAWAY).
    #[must_use]
    pub fn reason(&self) -> Option<Reason> {
        match &self.kind {
            ErrorKind::Protocol(e) => e.reason(),
            ErrorKind::HandshakeTimeout | ErrorKind::KeepAliveTimeout => None,
        }
    }
}

impl fmt::Display for H2ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::HandshakeTimeout => f.write_str("h2: handshake timed out"),
            ErrorKind::KeepAliveTimeout => {
                f.write_str("h2: keep-alive PING not acknowledged in time")
            }
            ErrorKind::Protocol(e) => write!(f, "h2: {e}"),
        }
    }
}

impl std::error::Error for H2ConnectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Protocol(e) => Some(e),
            ErrorKind::HandshakeTimeout | ErrorKind::KeepAliveTimeout => None,
        }
    }
}

impl From<h2::Error> for H2ConnectionError {
    fn from(e: h2::Error) -> Self {
        Self {
            kind: ErrorKind::Protocol(e),
        }
    }
}

/// Serves one h2 connection (prior knowledge, or after ALPN `h2`) until it ends.
///
/// - Each stream runs `service` in its own task, so streams are served concurrently. The
///   request body streams from the client with flow control (capacity is released as the
///   service reads); the response body streams back with back-pressure, then its trailers.
/// - Every request's (`http`) extensions hold (unless it is empty) a clone of `extensions`,
///   the connection's facts such as its `SocketInfo`, as one value (read them with
///   [`ConnectionExtensions`](crate::connection::ConnectionExtensions)); the connection's
///   [`EarlyFrames`](super::EarlyFrames) (unless disabled in `config`) are added to those facts as soon as the
///   first request's head completes them.
/// - A response body of known exact size gets a `content-length` if it has none. Responses to
///   HEAD and `204`/`304` responses are sent without their body. Connection-specific headers
///   (`connection`, `transfer-encoding`, ...; RFC 9113 §8.2.2) are removed.
/// - A service error becomes a `500` response (logged); a response body error resets the
///   stream with `INTERNAL_ERROR`. A stream the client resets drops the service's future (or
///   its response body).
/// - When `shutdown` fires the server sends GOAWAY, accepts no new streams and returns once the
///   streams in flight are done.
///
/// Dropping the returned future closes the connection abruptly (no GOAWAY); streams still
/// being served then see their streams fail.
///
/// Returns `Ok` when the connection closed cleanly, or when `shutdown` fired before the
/// client finished its handshake (the connection is then closed at once: it has no streams).
///
/// ```no_run
/// use rama_core::{extensions::Extensions, service::service_fn};
/// use rama_http::{Body, Request, Response, h2::{H2ServerConfig, serve_connection}};
/// use std::convert::Infallible;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stream, _) = listener.accept().await?;
/// let service = service_fn(async |_req: Request<Body>| {
///     Ok::<_, Infallible>(Response::new(Body::from("hello")))
/// });
/// serve_connection(stream, &H2ServerConfig::new(), service, Extensions::new(), None).await?;
/// # Ok(())
/// # }
/// ```
pub async fn serve_connection<IO, S>(
    io: IO,
    config: &H2ServerConfig,
    service: S,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
) -> Result<(), H2ConnectionError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    if config.record_early_frames() {
        let (max_bytes, max_frames) = config.early_frames_limits();
        // until the client has our SETTINGS it may use HPACK's default table of 4096
        let table = (config.header_table_size() as usize).max(4096);
        let parser = EarlyFrameParser::new(max_bytes, max_frames, table)
            .with_max_header_list_size(config.max_header_list_size() as usize);
        let (tap, handle) = EarlyFrameTap::new(io, parser);
        serve(tap, config, service, extensions, shutdown, Some(handle)).await
    } else {
        serve(io, config, service, extensions, shutdown, None).await
    }
}

async fn serve<IO, S>(
    io: IO,
    config: &H2ServerConfig,
    service: S,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
    early: Option<EarlyFramesHandle>,
) -> Result<(), H2ConnectionError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let shutdown_fut = async {
        match &shutdown {
            Some(s) => s.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let mut shutdown_fut = pin!(shutdown_fut);
    let handshake = async {
        let handshake = config.builder().handshake::<_, Bytes>(io);
        match config.handshake_timeout() {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| H2ConnectionError {
                    kind: ErrorKind::HandshakeTimeout,
                })?
                .map_err(H2ConnectionError::from),
            None => handshake.await.map_err(H2ConnectionError::from),
        }
    };
    // a connection that has not finished its handshake has no streams to finish: on shutdown
    // it is simply closed
    let mut conn = tokio::select! {
        conn = handshake => conn?,
        () = &mut shutdown_fut => {
            tracing::debug!("h2: shutdown during the handshake: closing");
            return Ok(());
        }
    };
    let service = Arc::new(service);
    let mut extensions = extensions;
    let mut early_in_extensions = false;
    // cloned onto every stream's request: O(1), the map is shared copy-on-write
    let mut shutting_down = false;
    let activity = Arc::new(Activity::new());
    let idle_timeout = config.idle_timeout();
    let mut idle_check = pin!(tokio::time::sleep(
        idle_timeout.unwrap_or(Duration::MAX / 4)
    ));
    // keep-alive pings, driven next to the connection (the acknowledgement arrives through
    // `accept`'s polling of the connection)
    let mut keep_alive = pin!(keep_alive_pings(conn.ping_pong(), config.keep_alive()));
    loop {
        tokio::select! {
            () = &mut keep_alive => {
                tracing::debug!("h2: keep-alive PING not acknowledged: closing");
                return Err(H2ConnectionError { kind: ErrorKind::KeepAliveTimeout });
            }
            next = conn.accept() => match next {
                Some(Ok((request, respond))) => {
                    let open = StreamOpen::new(&activity);
                    // the early frames are complete once the first request's head is: from
                    // then on they are one more fact of the connection
                    if !early_in_extensions
                        && let Some(frames) = early.as_ref().and_then(|h| h.get())
                    {
                        extensions.insert(frames.clone());
                        early_in_extensions = true;
                    }
                    let (request, is_head) = stream_request(request, &extensions);
                    let task = serve_stream(request, is_head, respond, service.clone());
                    // boxed: the task then holds a pointer, and spawning moves 8 bytes
                    // instead of the whole stream future several times
                    tokio::spawn(Box::pin(async move {
                        task.await;
                        drop(open);
                    }));
                }
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            () = &mut shutdown_fut, if !shutting_down => {
                tracing::debug!("h2: shutdown: sending GOAWAY");
                shutting_down = true;
                conn.graceful_shutdown();
            }
            () = &mut idle_check, if idle_timeout.is_some() && !shutting_down => {
                let idle = idle_timeout.unwrap_or_default();
                match activity.idle_since() {
                    Some(since) if since.elapsed() >= idle => {
                        tracing::debug!(?idle, "h2: idle: sending GOAWAY");
                        shutting_down = true;
                        conn.graceful_shutdown();
                    }
                    Some(since) => idle_check.as_mut().reset(since + idle),
                    None => idle_check.as_mut().reset(Instant::now() + idle),
                }
            }
        }
    }
}

/// Sends a PING every interval and ends when one is not acknowledged within the timeout;
/// pending forever when keep-alive is off (or h2 gave no ping handle).
async fn keep_alive_pings(ping_pong: Option<h2::PingPong>, config: Option<(Duration, Duration)>) {
    let (Some(mut ping_pong), Some((interval, timeout))) = (ping_pong, config) else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(interval).await;
        match tokio::time::timeout(timeout, ping_pong.ping(h2::Ping::opaque())).await {
            Ok(Ok(_pong)) => {}
            // the connection failed: `accept` reports it
            Ok(Err(_)) => return std::future::pending().await,
            Err(_elapsed) => return,
        }
    }
}

/// How many streams of a connection are in flight, and since when none is: the idle clock.
///
/// Stream tasks update it when they start and end; the connection loop reads it only when
/// its idle timer fires, so the per-stream cost is two atomic operations and, for the last
/// stream to end, one lock of an uncontended mutex.
struct Activity {
    open: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            open: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        }
    }

    /// When the connection became idle, or `None` while a stream is in flight.
    fn idle_since(&self) -> Option<Instant> {
        if self.open.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(
            *self
                .idle_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

/// Counts one stream as in flight until dropped.
struct StreamOpen(Arc<Activity>);

impl StreamOpen {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.open.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(activity))
    }
}

impl Drop for StreamOpen {
    fn drop(&mut self) {
        let mut since = self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            *since = Instant::now();
        }
    }
}

/// Whether a response header is connection-specific, so forbidden in HTTP/2 (RFC 9113
/// §8.2.2): `connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`.
fn is_connection_specific(name: &http::HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// The request of a new stream, as the service gets it, and whether it is a HEAD request.
/// Built before the stream's task is spawned, so that its future holds only the request.
fn stream_request(request: Request<RecvStream>, conn_ext: &Extensions) -> (Request<Body>, bool) {
    let (mut parts, recv) = request.into_parts();
    let is_head = parts.method == http::Method::HEAD;
    let content_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if !conn_ext.is_empty() {
        parts.extensions.insert(conn_ext.clone());
    }
    // a request that ended with its head (most GETs) gets an empty body, not a stream reader
    let body = if recv.is_end_stream() {
        Body::empty()
    } else {
        Body::new(RecvBody::new(recv, content_length))
    };
    (Request::from_parts(parts, body), is_head)
}

async fn serve_stream<S>(
    request: Request<Body>,
    is_head: bool,
    mut respond: SendResponse<Bytes>,
    service: Arc<S>,
) where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let stream_id = respond.stream_id().as_u32();
    // run the service, unless the client resets the stream first
    let served = {
        let mut fut = pin!(service.serve(request));
        poll_fn(|cx| {
            // the service first: a ready answer needs no look at the stream state
            if let Poll::Ready(output) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            respond.poll_reset(cx).map(Err)
        })
        .await
    };
    let response = match served {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => {
            let e: BoxError = e.into();
            tracing::error!(stream_id, "h2: service error, answering 500: {e:#}");
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
        Err(reset) => {
            tracing::debug!(
                stream_id,
                ?reset,
                "h2: stream reset by the client while served"
            );
            return;
        }
    };
    let (mut parts, body) = response.into_parts();
    strip_connection_headers(&mut parts.headers);
    // HEAD, 204 and 304 responses have no content (RFC 9110 §9.3.2, §15.3.5, §15.4.5): the
    // body is dropped unsent; a HEAD response keeps its headers (content-length included)
    let bodiless_status =
        parts.status == StatusCode::NO_CONTENT || parts.status == StatusCode::NOT_MODIFIED;
    let no_content = is_head || bodiless_status;
    if !bodiless_status
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(len) = body.size_hint().exact()
    {
        parts.headers.insert(header::CONTENT_LENGTH, len.into());
    }
    let end_stream = no_content || body.is_end_stream();
    let head = Response::from_parts(parts, ());
    let mut send = match respond.send_response(head, end_stream) {
        Ok(send) => send,
        Err(e) => {
            tracing::debug!(stream_id, "h2: could not send the response head: {e}");
            respond.send_reset(Reason::INTERNAL_ERROR);
            return;
        }
    };
    if !end_stream {
        // a small whole body goes to h2 at once; a streamed one through `send_body`, in its
        // own allocation (its state would otherwise grow every stream's task)
        match body.into_whole() {
            Ok(Some(data)) if data.len() <= DIRECT_SEND_MAX => {
                if let Err(e) = send.send_data(data, true) {
                    tracing::debug!(stream_id, "h2: response body not sent: {e}");
                }
            }
            Ok(data) => Box::pin(send_body(Body::from_whole(data), &mut send, stream_id)).await,
            Err(body) => Box::pin(send_body(body, &mut send, stream_id)).await,
        }
    }
}

fn strip_connection_headers(headers: &mut HeaderMap) {
    // one pass over the names; the map is only changed when needed (rarely)
    let forbidden: Vec<http::HeaderName> = headers
        .keys()
        .filter(|name| {
            is_connection_specific(name)
                || (*name == header::TE
                    && headers
                        .get_all(header::TE)
                        .iter()
                        .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"trailers")))
        })
        .cloned()
        .collect();
    for name in forbidden {
        tracing::debug!("h2: removed connection-specific response header {name}");
        headers.remove(name);
    }
}

/// Why sending the body stopped early.
enum Stop {
    Reset(Reason),
    Error(h2::Error),
}

/// Streams `body` into `send` with back-pressure: a data frame is only polled from the body
/// once the previous one fit in the flow-control window (and h2's send buffer).
async fn send_body(body: Body, send: &mut h2::SendStream<Bytes>, stream_id: u32) {
    let mut body = pin!(body);
    loop {
        // the next frame, unless the client resets the stream meanwhile
        let next = poll_fn(|cx| {
            if let Poll::Ready(frame) = body.as_mut().poll_frame(cx) {
                return Poll::Ready(Ok(frame));
            }
            send.poll_reset(cx).map(|r| Err(reset_stop(r)))
        })
        .await;
        let frame = match next {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => {
                if let Err(e) = send.send_data(Bytes::new(), true) {
                    tracing::debug!(stream_id, "h2: end of stream not sent: {e}");
                }
                return;
            }
            Ok(Some(Err(e))) => {
                tracing::warn!(
                    stream_id,
                    "h2: response body error, resetting stream: {e:#}"
                );
                send.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
            Err(stop) => return log_stop(stop, stream_id),
        };
        let frame = match frame.into_data() {
            Ok(data) => {
                let end = body.is_end_stream();
                if data.is_empty() && !end {
                    continue;
                }
                if let Err(stop) = send_data(send, data, end).await {
                    return log_stop(stop, stream_id);
                }
                if end {
                    return;
                }
                continue;
            }
            Err(frame) => frame,
        };
        if let Ok(trailers) = frame.into_trailers() {
            if let Err(e) = send.send_trailers(trailers) {
                tracing::debug!(stream_id, "h2: trailers not sent: {e}");
            }
            return;
        }
    }
}

fn reset_stop(r: Result<Reason, h2::Error>) -> Stop {
    match r {
        Ok(reason) => Stop::Reset(reason),
        Err(e) => Stop::Error(e),
    }
}

fn log_stop(stop: Stop, stream_id: u32) {
    match stop {
        Stop::Reset(reason) => {
            tracing::debug!(stream_id, ?reason, "h2: stream reset by the client");
        }
        Stop::Error(e) => tracing::debug!(stream_id, "h2: stream ended: {e}"),
    }
}

/// Largest final chunk sent without waiting for flow-control capacity (one frame's worth).
const DIRECT_SEND_MAX: usize = 16 * 1024;

/// Sends one data chunk as flow control allows, waiting for capacity.
async fn send_data(
    send: &mut h2::SendStream<Bytes>,
    mut data: Bytes,
    end: bool,
) -> Result<(), Stop> {
    // An empty frame needs no capacity. The last chunk of a body, when small, is handed to h2
    // at once: h2 sends it as the window allows, usually in the same write as the response
    // head, and the stream task ends without a round through `poll_capacity`. The buffering
    // this allows is bounded by `DIRECT_SEND_MAX` per stream.
    if data.is_empty() || (end && data.len() <= DIRECT_SEND_MAX) {
        return send.send_data(data, end).map_err(Stop::Error);
    }
    while !data.is_empty() {
        send.reserve_capacity(data.len());
        let granted = poll_fn(|cx| match send.poll_capacity(cx) {
            Poll::Ready(Some(Ok(n))) => Poll::Ready(Ok(n)),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(Stop::Error(e))),
            Poll::Ready(None) => Poll::Ready(Err(match send.poll_reset(cx) {
                Poll::Ready(r) => reset_stop(r),
                Poll::Pending => Stop::Reset(Reason::CANCEL),
            })),
            Poll::Pending => match send.poll_reset(cx) {
                Poll::Ready(r) => Poll::Ready(Err(reset_stop(r))),
                Poll::Pending => Poll::Pending,
            },
        })
        .await?;
        if granted == 0 {
            continue;
        }
        let chunk = data.split_to(granted.min(data.len()));
        send.send_data(chunk, end && data.is_empty())
            .map_err(Stop::Error)?;
    }
    Ok(())
}
