//! An HTTP/1.x client connection over any stream, one request at a time.
//!
//! [`handshake`] splits a connection into a [`SendRequest`] handle and a [`Connection`]
//! future. The caller spawns the future and sends requests through the handle; a response
//! is returned once its head was read, and its [`Body`] streams the rest. The split keeps
//! the IO driven while the caller holds a response body, lets the connection notice an idle
//! close by the server ([`SendRequest::is_closed`]), and lets a pool keep only the cheap
//! handle. A request without a body is written, and its response read, by the caller's own
//! task when the connection is idle; the rest goes through the connection's task (see
//! `link.rs` for why and how).
//!
//! What the connection does:
//! - writes the head with the codec: header names in the order and spelling of the
//!   request's [`OriginalHeaderNames`] if it has one, else
//!   Title-Case; adds `Host` from the URI's authority when missing (first without a record,
//!   after the recorded names with one: list `Host` in the record to place it); writes the
//!   target in origin form (`/path?q`), or absolute form with
//!   [`Http1ClientConfig::with_absolute_form`] (for forward proxies); `CONNECT` in authority
//!   form;
//! - frames the request body with `Content-Length` (known size) or chunked (unknown size,
//!   trailers sent), writing each frame before it polls the next (back-pressure);
//! - reads the response head within [`Http1ClientConfig::with_response_head_timeout`] and the
//!   codec's [`Http1Limits`], skips `100 Continue` and other 1xx, streams `Content-Length`,
//!   chunked (with trailers) and close-delimited bodies; HEAD, 204 and 304 responses have an
//!   empty body;
//! - a `101 Switching Protocols` (or 2xx to `CONNECT`) ends HTTP on the connection: the
//!   response carries an [`OnClientUpgrade`] that gives the raw IO;
//! - keeps the connection for the next request when both sides allow it; else the
//!   [`Connection`] future ends after the response.
//!
//! Requests are sent one at a time, no pipelining: a request sent while another is in flight
//! waits for it. The request body is written while the response is read, so an echo can
//! stream both ways and an early answer (say a `413` before the upload ended) is returned at
//! once; a response that ends before its request body was sent whole closes the connection.
//!
//! ```no_run
//! use rama_http::client::http1::{handshake, Http1ClientConfig};
//! use rama_http::{Body, Request};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let io = tokio::net::TcpStream::connect("127.0.0.1:8080").await?;
//! let (sender, conn) = handshake(io, Http1ClientConfig::new()).await?;
//! tokio::spawn(conn);
//! let req = Request::get("http://127.0.0.1:8080/").body(Body::empty())?;
//! let res = sender.send_request(req).await?;
//! let body = res.into_body().collect_bytes(1 << 20).await?;
//! # let _ = body; Ok(()) }
//! ```

mod link;

use self::link::{Link, Pump, Shared, exchange_inline, watch};
use super::error::{Error, Kind};
pub use super::on_upgrade::OnClientUpgrade;
use super::on_upgrade::UpgradeFiller;
use crate::Body;
use crate::proto::h1::{
    BodyDecoder, BodyFraming, Decoded, Http1Limits, OutgoingFields, ResponseHeadParser,
    encode_chunk, encode_last_chunk, put_field_line, settle_request_framing,
};
use crate::server::upgrade::UpgradeIo;
use crate::timer::LazyTimer;
use crate::wire::{OriginalHeaderNames, ordered_headers};
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header};
use rama_core::service::Either;
use std::fmt;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::thread::ThreadId;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// Settings of an HTTP/1 client connection.
#[derive(Debug, Clone, Copy)]
pub struct Http1ClientConfig {
    limits: Http1Limits,
    response_head_timeout: Option<Duration>,
    absolute_form: bool,
}

impl Default for Http1ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl Http1ClientConfig {
    /// Default limits, a 30 s response head timeout, origin-form targets.
    #[must_use]
    pub fn new() -> Self {
        Self {
            limits: Http1Limits::new(),
            response_head_timeout: Some(Duration::from_secs(30)),
            absolute_form: false,
        }
    }

    /// Sets the limits the response parser enforces.
    #[must_use]
    pub const fn with_limits(mut self, limits: Http1Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets how long to wait for the response head once the request is written (`None`:
    /// forever).
    #[must_use]
    pub const fn with_response_head_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.response_head_timeout = timeout;
        self
    }

    /// Writes request targets in absolute form (`http://host/path`), as a forward proxy
    /// expects, instead of origin form.
    #[must_use]
    pub const fn with_absolute_form(mut self, absolute: bool) -> Self {
        self.absolute_form = absolute;
        self
    }

    /// The limits the response parser enforces.
    #[must_use]
    pub const fn limits(&self) -> Http1Limits {
        self.limits
    }

    /// The response head timeout.
    #[must_use]
    pub const fn response_head_timeout(&self) -> Option<Duration> {
        self.response_head_timeout
    }

    /// Whether targets are written in absolute form.
    #[must_use]
    pub const fn absolute_form(&self) -> bool {
        self.absolute_form
    }
}

/// The IO a client connection can run on: the same streams an [`Upgraded`] can hold, so a
/// connection that switched protocols hands its IO over as it was connected (a tunnel can
/// then take a TCP socket back out with [`Upgraded::downcast`] and splice it).
///
/// [`Upgraded`]: crate::server::upgrade::Upgraded
/// [`Upgraded::downcast`]: crate::server::upgrade::Upgraded::downcast
pub trait ClientIo: UpgradeIo {}

impl<T: UpgradeIo> ClientIo for T {}

type Job = (
    Request<Body>,
    oneshot::Sender<Result<Response<Body>, Error>>,
);

/// Starts an HTTP/1 client connection on `io`: spawn the returned [`Connection`], send
/// requests with the [`SendRequest`]. Async (and fallible) for symmetry with
/// [`h2::handshake`](super::h2::handshake); HTTP/1 has no handshake to wait for.
pub async fn handshake<IO: ClientIo>(
    io: IO,
    config: Http1ClientConfig,
) -> Result<(SendRequest, Connection), Error> {
    let (tx, rx) = mpsc::channel(1);
    let link = Box::new(Link {
        io: Box::new(io),
        buf: BytesMut::with_capacity(8 * 1024),
        parser: ResponseHeadParser::new(config.limits),
        deadline: LazyTimer::new(
            tokio::time::Instant::now() + Duration::from_secs(60 * 60 * 24 * 365),
        ),
        out: BytesMut::new(),
    });
    let shared = Arc::new(Shared::new(link));
    let sender = SendRequest {
        tx,
        shared: shared.clone(),
        config,
        home: single_threaded_home(),
    };
    let fut = run(rx, shared, config);
    Ok((sender, Connection { fut: Box::pin(fut) }))
}

/// The handle to send requests on an HTTP/1 connection; cheap to clone (clones share the
/// connection, and their requests queue up one at a time).
#[derive(Clone)]
pub struct SendRequest {
    tx: mpsc::Sender<Job>,
    shared: Arc<Shared>,
    config: Http1ClientConfig,
    /// The thread of the single-threaded runtime the handshake ran on (where its connection
    /// task is expected to run), `None` on a work-stealing runtime.
    home: Option<ThreadId>,
}

/// The current thread when it runs a single-threaded (current-thread) runtime: a task
/// spawned there stays on this thread.
fn single_threaded_home() -> Option<ThreadId> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    (handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
        .then(current_thread_id)
}

thread_local! {
    static THREAD_ID: ThreadId = std::thread::current().id();
}

/// The current thread's id, without cloning the thread handle.
pub(crate) fn current_thread_id() -> ThreadId {
    THREAD_ID.with(|id| *id)
}

impl fmt::Debug for SendRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendRequest")
            .field("ready", &self.is_ready())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl SendRequest {
    /// Sends `req` and returns its response once the head arrived; the body streams.
    ///
    /// Fails with [`Error::is_closed`] when the connection is closed (or closes before any of
    /// the response arrived); when sending the request again is safe, the error hands it back
    /// ([`Error::take_request`]).
    pub fn send_request(
        &self,
        req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, Error>> + Send + '_ {
        // not an `async fn`: its future would hold the request twice (as the argument and
        // as a local) next to the exchange; the queued path, rare, is boxed
        if http_body::Body::is_end_stream(req.body()) {
            let (parts, _empty) = req.into_parts();
            Either::A(exchange_inline(self, parts))
        } else {
            Either::B(Box::pin(self.send_queued(req)))
        }
    }

    /// Sends `req` through the connection task (see [`send_request`](Self::send_request)).
    async fn send_queued(&self, req: Request<Body>) -> Result<Response<Body>, Error> {
        let (tx, rx) = oneshot::channel();
        // a ready connection has room for the request at once; the wait for room is for
        // clones that send while a request is in flight
        let queued = match self.tx.try_send((req, tx)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(job)) => self.tx.send(job).await,
            Err(mpsc::error::TrySendError::Closed(job)) => Err(mpsc::error::SendError(job)),
        };
        if let Err(mpsc::error::SendError((req, _))) = queued {
            // never written: safe to send again whatever the method
            return Err(Error::with(Kind::Closed, "connection task ended").with_request(req));
        }
        rx.await
            .unwrap_or_else(|_| Err(Error::with(Kind::Closed, "connection task ended")))
    }

    /// Whether a request sent now would be written at once: the connection is open and no
    /// request or response body is in flight. A pool reuses only ready connections.
    ///
    /// A connection is ready again as soon as the previous response was read off the wire
    /// to its end, before its caller sees the end of the body: a caller that read a body to
    /// its end finds the connection ready (unless it closes). A body with trailers is the
    /// exception: the connection is ready only once the trailers were handed over, so it
    /// may lag the caller's end of the body by a moment.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        !self.is_closed() && !self.shared.busy.load(Ordering::Acquire)
    }

    /// Whether a request or response body is in flight (closed or not).
    pub(crate) fn is_busy(&self) -> bool {
        self.shared.busy.load(Ordering::Acquire)
    }

    /// The thread whose single-threaded runtime runs the connection's task, `None` when a
    /// work-stealing runtime does (any thread may): a pool on a single-threaded runtime
    /// reuses only connections of its own thread (or of no thread in particular), so that an
    /// exchange does not wake a task on another thread (an eventfd write and a context
    /// switch each way).
    pub(crate) const fn home(&self) -> Option<ThreadId> {
        self.home
    }

    /// Whether the connection is closed (or will close after the response in flight, known
    /// once its head arrived): no further request can be sent on it.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire) || self.tx.is_closed()
    }
}

/// The future that drives an HTTP/1 client connection; spawn it. It ends with `Ok` when the
/// connection closed cleanly (all [`SendRequest`]s dropped, the peer closed while idle, or
/// the last response said so) and with the error of a failed exchange otherwise (that error
/// also went to the request's caller).
pub struct Connection {
    fut: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Future for Connection {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.fut.as_mut().poll(cx)
    }
}

/// What wakes the idle connection task.
enum Idle {
    /// a request to exchange here (it has a body, or came while the link was busy), with
    /// the link, taken under the same lock that found it parked (an inline caller on
    /// another thread could take it in between otherwise)
    Job(Job, Box<Link>),
    /// a response body an inline exchange handed over
    Pump(Pump),
    /// the connection is over
    End(Result<(), Error>),
}

/// Waits, while no exchange runs in the task, for the next thing to do; `queued` holds a
/// request that waits for the link to come back from an inline exchange.
fn poll_idle(
    shared: &Shared,
    rx: &mut mpsc::Receiver<Job>,
    queued: &mut Option<Job>,
    cx: &mut Context<'_>,
) -> Poll<Idle> {
    let mut slot = shared.slot();
    if !slot.task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        slot.task = Some(cx.waker().clone());
    }
    if let Some(pump) = slot.pump.take() {
        return Poll::Ready(Idle::Pump(pump));
    }
    if shared.closed.load(Ordering::Acquire) {
        return Poll::Ready(Idle::End(slot.error.take().map_or(Ok(()), Err)));
    }
    if queued.is_none() {
        match rx.poll_recv(cx) {
            Poll::Ready(Some(job)) => *queued = Some(job),
            // every handle is gone: so is any inline exchange
            Poll::Ready(None) => return Poll::Ready(Idle::End(Ok(()))),
            Poll::Pending => {}
        }
    }
    if slot.link.is_none() {
        // an inline exchange holds the link: it wakes the task when it parks it
        slot.task_wants_link = queued.is_some();
        return Poll::Pending;
    }
    if let Some(job) = queued.take()
        && let Some(link) = slot.link.take()
    {
        slot.task_wants_link = false;
        shared.busy.store(true, Ordering::Release);
        return Poll::Ready(Idle::Job(job, link));
    }
    let Some(link) = slot.link.as_mut() else {
        return Poll::Pending;
    };
    // idle: notice the peer closing (or sending unasked bytes)
    watch(link, cx).map(|end| {
        shared.closed.store(true, Ordering::Release);
        Idle::End(end)
    })
}

/// The connection task: the exchanges that do not run inline, the bodies handed over, and
/// the watch for a peer close while idle.
async fn run(
    mut rx: mpsc::Receiver<Job>,
    shared: Arc<Shared>,
    config: Http1ClientConfig,
) -> Result<(), Error> {
    let mut queued = None;
    let result = loop {
        let idle = std::future::poll_fn(|cx| poll_idle(&shared, &mut rx, &mut queued, cx)).await;
        match idle {
            Idle::Job((req, reply), mut link) => {
                let Link {
                    io,
                    buf,
                    parser,
                    deadline,
                    ..
                } = &mut *link;
                // split so that the response can be read while the request body is written
                let (mut rd, mut wr) = tokio::io::split(io);
                let (keep, outcome) = exchange(
                    (&mut rd, &mut wr),
                    buf,
                    parser,
                    (&config, &shared),
                    deadline,
                    req,
                    reply,
                )
                .await;
                drop((rd, wr));
                match outcome {
                    Ok(Next::KeepAlive) if keep => {
                        shared.slot().link = Some(link);
                        shared.busy.store(false, Ordering::Release);
                    }
                    Ok(Next::Upgraded(filler)) => {
                        shared.closed.store(true, Ordering::Release);
                        filler.fill(link.into_upgraded());
                        return Ok(());
                    }
                    other => {
                        shared.closed.store(true, Ordering::Release);
                        shared.slot().link = Some(link);
                        break other.map(|_| ());
                    }
                }
            }
            Idle::Pump(mut pump) => {
                let early = std::mem::take(&mut pump.early);
                let (next, tx) = pump_body(
                    &mut pump.link.io,
                    &mut pump.link.buf,
                    &mut pump.decoder,
                    pump.tx,
                    early,
                )
                .await;
                let keep = pump.keep && matches!(next, Ok(Next::KeepAlive));
                shared.slot().link = Some(pump.link);
                if keep {
                    shared.busy.store(false, Ordering::Release);
                } else {
                    shared.closed.store(true, Ordering::Release);
                }
                // the caller sees the end of the body only now
                drop(tx);
                if !keep {
                    break next.map(|_| ());
                }
            }
            Idle::End(result) => break result,
        }
    };
    shared.closed.store(true, Ordering::Release);
    rx.close();
    // answer queued requests: the connection is gone
    let drained = queued
        .into_iter()
        .chain(std::iter::from_fn(|| rx.try_recv().ok()));
    for (req, reply) in drained {
        // never written: safe to send again whatever the method
        let _ = reply.send(Err(
            Error::with(Kind::Closed, "connection closed").with_request(req)
        ));
    }
    let link = shared.slot().link.take();
    if let Some(mut link) = link {
        let _ = link.io.shutdown().await;
    }
    result
}

enum Next {
    KeepAlive,
    Close,
    Upgraded(UpgradeFiller),
}

/// Reports a failure to the caller (if it still waits) and returns it for the connection;
/// `again` is the request, handed back when sending it again is safe.
fn fail(
    reply: Option<oneshot::Sender<Result<Response<Body>, Error>>>,
    err: Error,
    again: Option<Request<Body>>,
) -> Result<Next, Error> {
    match reply {
        Some(reply) => {
            let copy = Error::with(err.kind(), format!("{err:#}"));
            let err = match again {
                Some(req) if err.is_closed() => err.with_request(req),
                _ => err,
            };
            let _ = reply.send(Err(err));
            Err(copy)
        }
        None => Err(err),
    }
}

/// Whether a request that was written but got no byte of a response may be sent again: it is
/// idempotent and has no body (RFC 9110 §9.2.2).
fn retry_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// One request and its response; returns whether the connection may be kept, and what
/// it does next.
///
/// The request body is written while the response is read: a response may start (and even
/// end) before the request body was sent, as an echo or an early error does. The body keeps
/// being written while the response body streams; if the response ends first, the rest of
/// the request body is not sent and the connection closes.
///
/// The connection marks itself ready (`shared.busy` cleared) as soon as the response was read
/// to its end and the connection is kept, before the caller can see the end of the body; it
/// marks itself closed as soon as it knows it will not be kept.
async fn exchange<R, W>(
    (rd, wr): (&mut R, &mut W),
    buf: &mut BytesMut,
    parser: &mut ResponseHeadParser,
    (config, shared): (&Http1ClientConfig, &Shared),
    deadline: &mut LazyTimer,
    req: Request<Body>,
    reply: oneshot::Sender<Result<Response<Body>, Error>>,
) -> (bool, Result<Next, Error>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mut parts, body) = req.into_parts();
    if parts.version != Version::HTTP_10 {
        parts.version = Version::HTTP_11;
    }
    // the questions the head's fields answer, read in one walk over the map
    let fields = OutgoingFields::of(&parts.headers);
    let keep = fields.keep_alive(parts.version);
    let size = http_body::Body::size_hint(&body).exact();
    let framing = settle_request_framing(&parts.method, &mut parts.headers, size, &fields);
    let mut out = BytesMut::new();
    encode_head(&mut parts, config.absolute_form, fields.host, &mut out);
    // an empty body is not consumed by the write: the request stays whole, to be handed back
    let empty_body = http_body::Body::is_end_stream(&body);
    let again = |parts: http::request::Parts, written: bool| {
        (empty_body && (!written || retry_safe(&parts.method)))
            .then(|| Request::from_parts(parts, Body::empty()))
    };

    let mut write = pin!(write_request(wr, out, body, framing));
    // `written`: the write future completed (never poll it again); `write_failed`: with an
    // error, so the connection cannot be reused
    let mut written = false;
    let write_failed;
    let method = parts.method.clone();
    let head = {
        let mut read = pin!(read_head(rd, buf, parser, &method));
        let mut write_err: Option<Error> = None;
        loop {
            tokio::select! {
                r = &mut write, if !written => {
                    written = true;
                    match r {
                        Ok(()) => {}
                        Err(e) if e.is_user_body() => return (false, fail(Some(reply), e, None)),
                        Err(e) => write_err = Some(e),
                    }
                    if let Some(t) = config.response_head_timeout {
                        deadline.set(tokio::time::Instant::now() + t);
                    }
                }
                h = &mut read => match h {
                    Ok(head) => {
                        // a failed write: the request did not go out whole; answer, then close
                        write_failed = write_err.is_some();
                        break head;
                    }
                    Err(e) => {
                        // the peer closing on a failed write: report the write's error
                        let e = match write_err {
                            Some(w) if e.is_closed() => w,
                            _ => e,
                        };
                        return (false, fail(Some(reply), e, again(parts, true)));
                    }
                },
                () = deadline.expired(), if written && config.response_head_timeout.is_some() => {
                    return (false, fail(Some(reply), Error::new(Kind::Timeout), None));
                }
            }
        }
    };
    // the request head is written and answered: its map is the next response's (see
    // `ResponseHeadParser::recycle`)
    parser.recycle(std::mem::take(&mut parts.headers));
    let keep = keep && !write_failed && head.keeps_alive();
    if !keep {
        // known now: a pool must not park this connection
        shared.closed.store(true, Ordering::Release);
    }

    if head.framing == BodyFraming::Tunnel {
        shared.closed.store(true, Ordering::Release);
        let (on_upgrade, filler) = OnClientUpgrade::pending();
        let mut res = Response::from_parts(head.parts, Body::empty());
        res.extensions_mut().insert(on_upgrade);
        let _ = reply.send(Ok(res));
        if !written || write_failed {
            // a tunnel with request bytes still unsent: the stream is not clean (the filler
            // dropped unfilled tells the waiters so)
            return (false, Ok(Next::Close));
        }
        return (false, Ok(Next::Upgraded(filler)));
    }
    let mut decoder = BodyDecoder::new(head.framing, &config.limits);
    let (mut early, complete) = match decode_early(&mut decoder, buf) {
        Ok(decoded) => decoded,
        Err(e) => {
            shared.closed.store(true, Ordering::Release);
            return (false, fail(Some(reply), e, None));
        }
    };
    if complete && early.trailers.is_none() && written {
        // the whole response is here: no body channel, and the connection is free before
        // the caller sees the response
        if keep {
            shared.busy.store(false, Ordering::Release);
        }
        let body = Body::from(early.data());
        let _ = reply.send(Ok(Response::from_parts(head.parts, body)));
        return (keep, Ok(Next::KeepAlive));
    }
    let (tx, body) = Body::channel();
    if reply
        .send(Ok(Response::from_parts(head.parts, body)))
        .is_err()
    {
        // nobody wants the response: its body cannot be skipped cheaply, so close
        shared.closed.store(true, Ordering::Release);
        return (false, Ok(Next::Close));
    }
    let mut pump = pin!(pump_body(rd, buf, &mut decoder, tx, early));
    loop {
        tokio::select! {
            r = &mut write, if !written => {
                written = true;
                if r.is_err() {
                    // the request went out incomplete: finish reading, then close
                    shared.closed.store(true, Ordering::Release);
                    return (false, pump.await.0);
                }
            }
            (next, tx) = &mut pump => {
                let keep = keep && written && matches!(next, Ok(Next::KeepAlive));
                if keep {
                    shared.busy.store(false, Ordering::Release);
                } else {
                    shared.closed.store(true, Ordering::Release);
                }
                // the caller sees the end of the body only now
                drop(tx);
                return (keep, next);
            }
        }
    }
}

/// Decodes what of the body the buffer holds already, straight after the head (usually all
/// of a small one); `true` with it when that is the whole body.
fn decode_early(decoder: &mut BodyDecoder, buf: &mut BytesMut) -> Result<(EarlyBody, bool), Error> {
    let mut early = EarlyBody::default();
    loop {
        match decoder.decode(buf) {
            Ok(Some(Decoded::Data(data))) => early.push(data),
            Ok(Some(Decoded::Trailers(t))) => early.trailers = Some(t),
            Ok(Some(Decoded::End)) => return Ok((early, true)),
            Ok(None) => return Ok((early, false)),
            Err(e) => return Err(Error::with(Kind::Parse, e)),
        }
    }
}

/// The part of a response body decoded straight after its head, from what the buffer held.
#[derive(Default)]
struct EarlyBody {
    first: Option<Bytes>,
    more: Option<BytesMut>,
    trailers: Option<http::HeaderMap>,
}

impl EarlyBody {
    fn push(&mut self, data: Bytes) {
        match (&mut self.first, &mut self.more) {
            (None, _) => self.first = Some(data),
            (Some(_), Some(more)) => more.extend_from_slice(&data),
            (Some(first), None) => {
                let mut more = BytesMut::with_capacity(first.len() + data.len());
                more.extend_from_slice(first);
                more.extend_from_slice(&data);
                self.more = Some(more);
            }
        }
    }

    /// The data decoded so far (empty when none).
    fn data(&mut self) -> Bytes {
        match (self.more.take(), self.first.take()) {
            (Some(more), _) => more.freeze(),
            (None, Some(first)) => first,
            (None, None) => Bytes::new(),
        }
    }
}

/// Writes the request head into `out`: request line (target form, version), `Host` from
/// the URI's authority when missing (`has_host`: the map has one), the fields in the
/// record's order or Title-Case.
///
/// Without an [`OriginalHeaderNames`] record `Host` is written first (as browsers and curl
/// do) without touching the header map; with one it is added to the map, where the record
/// places it (after the recorded names unless the record lists it).
fn encode_head(
    parts: &mut http::request::Parts,
    absolute_form: bool,
    has_host: bool,
    out: &mut BytesMut,
) {
    let record = parts.extensions.get::<OriginalHeaderNames>();
    let host = if has_host {
        None
    } else {
        parts.uri.authority().map(|authority| {
            // after the user info, if any (a byte search: `rsplit` sets up a char searcher)
            let authority = authority.as_str();
            let host = authority
                .bytes()
                .rposition(|b| b == b'@')
                .map_or(authority, |at| &authority[at + 1..]);
            strip_default_port(host, parts.uri.scheme_str())
        })
    };
    let mut size = 64 + parts.uri.path_and_query().map_or(1, |pq| pq.as_str().len());
    size += host.map_or(0, |h| h.len() + 8);
    for (name, value) in &parts.headers {
        size += name.as_str().len() + value.len() + 4;
    }
    out.reserve(size);
    out.put_slice(parts.method.as_str().as_bytes());
    out.put_u8(b' ');
    write_target(&parts.method, &parts.uri, absolute_form, out);
    out.put_slice(if parts.version == Version::HTTP_10 {
        b" HTTP/1.0\r\n"
    } else {
        b" HTTP/1.1\r\n"
    });
    match (host, record) {
        (Some(host), None) => {
            // an authority's text is visible ASCII: a valid field value as is
            out.put_slice(b"Host: ");
            out.put_slice(host.as_bytes());
            out.put_slice(b"\r\n");
            encode_fields(&parts.headers, None, out);
        }
        (Some(host), Some(_)) => {
            if let Ok(v) = HeaderValue::from_str(host) {
                parts.headers.insert(header::HOST, v);
            }
            encode_fields(&parts.headers, parts.extensions.get(), out);
        }
        (None, record) => encode_fields(&parts.headers, record, out),
    }
}

fn encode_fields(
    headers: &http::HeaderMap,
    record: Option<&OriginalHeaderNames>,
    out: &mut BytesMut,
) {
    for (name, value) in ordered_headers(headers, record) {
        put_field_line(name, value, out);
    }
    out.put_slice(b"\r\n");
}

/// The request target: authority form for `CONNECT`, absolute form when asked (and the URI
/// has a scheme), else origin form (`/path?query`, `/` when empty).
fn write_target(method: &Method, uri: &Uri, absolute_form: bool, out: &mut BytesMut) {
    if *method == Method::CONNECT
        && let Some(authority) = uri.authority()
    {
        out.put_slice(authority.as_str().as_bytes());
    } else if absolute_form && uri.scheme().is_some() {
        // BytesMut's fmt::Write never fails
        let _ = write!(out, "{uri}");
    } else {
        let pq = uri.path_and_query().map_or("", |pq| pq.as_str());
        if !pq.starts_with('/') && pq != "*" {
            out.put_u8(b'/');
        }
        out.put_slice(pq.as_bytes());
    }
}

fn strip_default_port<'a>(host: &'a str, scheme: Option<&str>) -> &'a str {
    let default = match scheme {
        Some("https") => ":443",
        _ => ":80",
    };
    host.strip_suffix(default).unwrap_or(host)
}

async fn write_request<W: AsyncWrite + Unpin>(
    io: &mut W,
    mut out: BytesMut,
    mut body: Body,
    framing: BodyFraming,
) -> Result<(), Error> {
    match framing {
        BodyFraming::Length(n) => {
            let mut left = n;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Error::with(Kind::UserBody, e))?;
                if let Ok(data) = frame.into_data() {
                    if data.len() as u64 > left {
                        return Err(Error::with(
                            Kind::UserBody,
                            "body longer than its Content-Length",
                        ));
                    }
                    left -= data.len() as u64;
                    out.extend_from_slice(&data);
                    write_out(io, &mut out).await?;
                }
            }
            if left != 0 {
                return Err(Error::with(
                    Kind::UserBody,
                    "body shorter than its Content-Length",
                ));
            }
        }
        BodyFraming::Chunked => {
            let mut trailers = None;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Error::with(Kind::UserBody, e))?;
                match frame.into_data() {
                    Ok(data) => {
                        encode_chunk(&data, &mut out);
                        write_out(io, &mut out).await?;
                    }
                    Err(frame) => {
                        if let Ok(t) = frame.into_trailers() {
                            trailers = Some(t);
                        }
                    }
                }
            }
            encode_last_chunk(trailers.as_ref(), &mut out);
        }
        BodyFraming::Empty | BodyFraming::CloseDelimited | BodyFraming::Tunnel => {}
    }
    write_out(io, &mut out).await?;
    io.flush().await.map_err(Error::io)
}

async fn write_out<W: AsyncWrite + Unpin>(io: &mut W, out: &mut BytesMut) -> Result<(), Error> {
    if !out.is_empty() {
        io.write_all(out).await.map_err(Error::io)?;
        out.clear();
    }
    Ok(())
}

async fn read_head<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    parser: &mut ResponseHeadParser,
    method: &Method,
) -> Result<crate::proto::h1::ResponseHead, Error> {
    let mut got_any = !buf.is_empty();
    loop {
        // an empty buffer (the usual start) has nothing to parse yet
        let parsed = if buf.is_empty() {
            Ok(None)
        } else {
            parser.parse(buf, method)
        };
        match parsed {
            Ok(Some(head)) if head.parts.status == StatusCode::SWITCHING_PROTOCOLS => {
                return Ok(head);
            }
            Ok(Some(head)) if head.parts.status.is_informational() => continue,
            Ok(Some(head)) => return Ok(head),
            Ok(None) => {}
            Err(e) => return Err(Error::with(Kind::Parse, e)),
        }
        match io.read_buf(buf).await {
            Ok(0) if got_any => {
                return Err(Error::with(
                    Kind::IncompleteMessage,
                    "EOF in the response head",
                ));
            }
            Ok(0) => return Err(Error::with(Kind::Closed, "EOF before the response")),
            Ok(_) => got_any = true,
            Err(e) if got_any => return Err(Error::with(Kind::IncompleteMessage, e)),
            Err(e) => return Err(Error::io(e)),
        }
    }
}

/// Moves the response body from the IO into the caller's [`Body`], starting with what was
/// decoded already (`early`). At the end of the body it returns the sender still open: the
/// caller marks the connection ready first, then drops it (which ends the body).
async fn pump_body<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    decoder: &mut BodyDecoder,
    tx: crate::body::BodySender,
    mut early: EarlyBody,
) -> (Result<Next, Error>, Option<crate::body::BodySender>) {
    let mut tx = Some(tx);
    let data = early.data();
    if !data.is_empty()
        && let Some(sender) = &tx
        && sender.send_data(data).await.is_err()
    {
        return (Ok(Next::Close), None);
    }
    if let Some(t) = early.trailers.take()
        && let Some(sender) = tx.take()
    {
        let _ = sender.send_trailers(t).await;
    }
    loop {
        let item = match decoder.decode(buf) {
            Ok(Some(item)) => item,
            Ok(None) => match io.read_buf(buf).await {
                Ok(0) => match decoder.decode_eof(buf) {
                    Ok(item) => item,
                    Err(e) => {
                        return (abort(tx, Error::with(Kind::IncompleteMessage, e)), None);
                    }
                },
                Ok(_) => continue,
                Err(e) => return (abort(tx, Error::with(Kind::IncompleteMessage, e)), None),
            },
            Err(e) => return (abort(tx, Error::with(Kind::Parse, e)), None),
        };
        match item {
            Decoded::Data(data) => {
                let Some(sender) = &tx else { continue };
                if sender.send_data(data).await.is_err() {
                    // the body was dropped unread: the rest cannot be skipped cheaply
                    return (Ok(Next::Close), None);
                }
            }
            Decoded::Trailers(t) => {
                if let Some(sender) = tx.take() {
                    let _ = sender.send_trailers(t).await;
                }
            }
            Decoded::End => return (Ok(Next::KeepAlive), tx),
        }
    }
}

fn abort(tx: Option<crate::body::BodySender>, err: Error) -> Result<Next, Error> {
    if let Some(tx) = tx {
        tx.abort(Error::with(err.kind(), format!("{err:#}")));
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::type_complexity, reason = "test table")]
    fn head_target_and_host_table() {
        // (method, uri, absolute form, host header given, want target, want host)
        let cases: &[(Method, &str, bool, Option<&str>, &str, Option<&str>)] = &[
            (
                Method::GET,
                "http://a.test/p?q=1",
                false,
                None,
                "/p?q=1",
                Some("a.test"),
            ),
            (
                Method::GET,
                "http://a.test:80/",
                false,
                None,
                "/",
                Some("a.test"),
            ),
            (
                Method::GET,
                "http://a.test:8080",
                false,
                None,
                "/",
                Some("a.test:8080"),
            ),
            (
                Method::GET,
                "https://u:p@a.test:443/x",
                false,
                None,
                "/x",
                Some("a.test"),
            ),
            (
                Method::GET,
                "http://a.test/p",
                true,
                None,
                "http://a.test/p",
                Some("a.test"),
            ),
            (
                Method::GET,
                "http://a.test/p",
                false,
                Some("b.test"),
                "/p",
                Some("b.test"),
            ),
            (Method::GET, "/only/path", false, None, "/only/path", None),
            // user info is no part of `Host`; the scheme's default port is left out
            (
                Method::GET,
                "http://u:p@a.test:80/p",
                false,
                None,
                "/p",
                Some("a.test"),
            ),
            (
                Method::GET,
                "https://u@a.test:8443/p",
                false,
                None,
                "/p",
                Some("a.test:8443"),
            ),
            (
                Method::CONNECT,
                "a.test:443",
                false,
                None,
                "a.test:443",
                Some("a.test:443"),
            ),
        ];
        for (method, uri, absolute, host, want_target, want_host) in cases {
            let mut b = Request::builder().method(method.clone()).uri(*uri);
            if let Some(h) = host {
                b = b.header("host", *h);
            }
            let (mut parts, ()) = b.body(()).unwrap().into_parts();
            let mut out = BytesMut::new();
            let has_host = parts.headers.contains_key(header::HOST);
            encode_head(&mut parts, *absolute, has_host, &mut out);
            let text = std::str::from_utf8(&out).unwrap();
            let mut lines = text.split("\r\n");
            let line = lines.next().unwrap();
            assert_eq!(line, format!("{method} {want_target} HTTP/1.1"), "{uri}");
            let host_line = lines.find(|l| l.starts_with("Host: "));
            assert_eq!(host_line.map(|l| &l[6..]), *want_host, "{uri}");
            assert!(text.ends_with("\r\n\r\n"), "{uri}");
        }
    }

    #[test]
    fn host_goes_first_without_a_record_and_where_the_record_says_with_one() {
        let req = Request::get("http://a.test/p")
            .header("x-b", "1")
            .header("accept", "*/*")
            .body(())
            .unwrap();
        let (mut parts, ()) = req.into_parts();
        let mut out = BytesMut::new();
        let has_host = parts.headers.contains_key(header::HOST);
        encode_head(&mut parts, false, has_host, &mut out);
        assert_eq!(
            &out[..],
            b"GET /p HTTP/1.1\r\nHost: a.test\r\nX-B: 1\r\nAccept: */*\r\n\r\n"
        );
        assert!(parts.headers.get(header::HOST).is_none(), "map untouched");

        let mut record = OriginalHeaderNames::new();
        record.push(b"accept".to_vec()).unwrap();
        record.push(b"HOST".to_vec()).unwrap();
        record.push(b"x-B".to_vec()).unwrap();
        let mut req = Request::get("http://a.test:8080/p")
            .header("x-b", "1")
            .header("accept", "*/*")
            .body(())
            .unwrap();
        req.extensions_mut().insert(record);
        let (mut parts, ()) = req.into_parts();
        let mut out = BytesMut::new();
        let has_host = parts.headers.contains_key(header::HOST);
        encode_head(&mut parts, false, has_host, &mut out);
        assert_eq!(
            &out[..],
            b"GET /p HTTP/1.1\r\naccept: */*\r\nHOST: a.test:8080\r\nx-B: 1\r\n\r\n"
        );
    }

    #[test]
    fn retry_safe_methods() {
        for (method, safe) in [
            (Method::GET, true),
            (Method::DELETE, true),
            (Method::PUT, true),
            (Method::POST, false),
            (Method::PATCH, false),
        ] {
            assert_eq!(retry_safe(&method), safe, "{method}");
        }
    }

    #[test]
    fn early_body_joins_chunks() {
        let mut e = EarlyBody::default();
        assert!(e.data().is_empty());
        e.push(Bytes::from_static(b"ab"));
        assert_eq!(e.data(), "ab");
        e.push(Bytes::from_static(b"ab"));
        e.push(Bytes::from_static(b"cd"));
        e.push(Bytes::from_static(b"e"));
        assert_eq!(e.data(), "abcde");
    }
}
