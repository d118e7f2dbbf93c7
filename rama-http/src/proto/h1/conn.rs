//! The HTTP/1.x server connection engine: drives the codec over any async IO.
//!
//! One task per connection, one request at a time (pipelined requests are read ahead into
//! the buffer and answered strictly in order):
//!
//! 1. **Head.** Read until [`RequestHeadParser`] has a head. The whole head must arrive
//!    within the header-read timeout, counted from its first byte (from the connection's
//!    start for the first request); between requests the keep-alive timeout applies. A
//!    malformed head is answered with the codec's status (400, 414, 431, 505) and
//!    `Connection: close`; a late one with 408; then the connection closes.
//! 2. **Service.** The request carries, in its `http` extensions, the
//!    [`OriginalHeaderNames`](crate::wire::OriginalHeaderNames) record, a clone of the
//!    connection's [`Extensions`] (its facts, `SocketInfo` among them); for an upgrade or
//!    CONNECT request also an [`OnUpgrade`]. The body streams in through a one-frame channel
//!    fed by this task next to the service future (see `recv_body`): back-pressure, and the
//!    next request is only read once this one's body is consumed or drained.
//! 3. **`Expect: 100-continue`.** `100 Continue` is written when the service first polls the
//!    body, never before; if the response comes first, the body is not read and the
//!    connection closes after the response.
//! 4. **Response.** `Date` is added when missing; framing follows
//!    [`prepare_response_framing`]: `Content-Length` when the body's size hint is exact,
//!    else chunked (HTTP/1.1) or close-delimited (HTTP/1.0); no body for HEAD, 1xx, 204 and
//!    304. The head is written with the response's own header-name record when it has one.
//!    A service error becomes a `500`; a panic in the service too, and the connection then
//!    closes. A body that fails midway truncates the message and
//!    closes the connection.
//! 5. **Next.** Keep-alive when the request asked for it (HTTP/1.0 only with
//!    `Connection: keep-alive`), the response did not refuse it, the request limit is not
//!    reached and no shutdown began; a body the service left unread is drained up to a limit.
//!    A `101` (upgrade) or `2xx` to CONNECT hands the IO plus the bytes read past the head to
//!    the [`OnUpgrade`] and ends the engine.
//!
//! Shutdown: when the [`ShutdownSignal`] fires, a connection without a request in flight
//! closes at once; one in flight finishes its response with `Connection: close`.
//!
//! Memory: while waiting for a request on a kept-alive connection the read buffer holds no
//! allocation (the next read goes through a stack buffer first, see `io`) and the write
//! buffer at most a small one (`KEPT_WRITE_BUFFER`); what
//! remains is the task with its (small) idle future, the IO and its split halves, and the
//! connection's extensions. The per-request work is boxed so its size does not count while
//! idle.

mod io;
mod recv_body;
mod write;

use self::io::read_some;
use self::recv_body::{FeedEnd, RecvBody, feed};
use self::write::{WriteEnd, Writer, whole_body_fits, write_response, write_whole};
use super::encode::{AddedField, encode_response_head_open, settle_response_framing};
use super::fields::SeenFields;
use super::outgoing::OutgoingFields;
use super::{
    BodyDecoder, BodyFraming, ParseError, RequestHead, RequestHeadParser, expects_continue,
    is_upgrade_request,
};
use crate::Body;
use crate::server::Http1Config;
use crate::server::upgrade::{OnUpgrade, Upgraded};
use crate::timer::LazyTimer;
use crate::wire::OriginalHeaderNames;
use bytes::Bytes;
use bytes::{BufMut, BytesMut};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version, header};
use http_body::Frame;
use rama_core::Service;
use rama_core::error::BoxError;
use rama_core::extensions::Extensions;
use rama_core::graceful::ShutdownSignal;
use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Serves HTTP/1.x on `io` with `service` until the connection ends; see the module docs.
/// The first head must be complete within the header-read timeout from `accepted` (time
/// spent peeking at the connection before counts).
pub(crate) async fn serve_connection<IO, S>(
    io: IO,
    config: &Http1Config,
    service: &S,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
    accepted: Instant,
) where
    IO: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let (rd, wr) = tokio::io::split(io);
    // one wait for the whole connection, not one per request: registering with the shared
    // shutdown signal takes its lock
    let shutdown_wait: ShutdownWait = match &shutdown {
        Some(signal) => Box::pin(signal.cancelled()),
        None => Box::pin(std::future::pending()),
    };
    let mut conn = Conn {
        rd,
        wr,
        buf: BytesMut::new(),
        wbuf: BytesMut::new(),
        config,
        extensions,
        shutdown,
        served: 0,
        accepted,
        shutdown_wait,
        timer: LazyTimer::new(Instant::now()),
    };
    let mut parser = RequestHeadParser::new(config.limits());
    loop {
        let head = match conn.read_head(&mut parser).await {
            HeadRead::Head(head) => head,
            HeadRead::Closed => break,
            HeadRead::Invalid(err) => {
                tracing::debug!("h1: bad request head: {err}");
                Box::pin(conn.refuse(err.status())).await;
                return;
            }
            HeadRead::TimedOut => {
                tracing::debug!("h1: request head not complete within the header-read timeout");
                Box::pin(conn.refuse(StatusCode::REQUEST_TIMEOUT)).await;
                return;
            }
        };
        conn.served += 1;
        match box_in_place(|| conn.serve_request(service, head, &mut parser)).await {
            Next::KeepAlive => {
                // an idle connection holds no read buffer, and a write buffer only when it
                // is small (one allocation less per request, bounded memory while idle)
                if conn.buf.is_empty() {
                    conn.buf = BytesMut::new();
                }
                if conn.wbuf.capacity() > KEPT_WRITE_BUFFER {
                    conn.wbuf = BytesMut::new();
                }
            }
            Next::Close => {
                Box::pin(conn.linger_close()).await;
                return;
            }
            Next::Refuse(status) => {
                Box::pin(conn.refuse(status)).await;
                return;
            }
            Next::Upgrade(tx) => {
                let Conn {
                    rd,
                    wr,
                    buf,
                    extensions,
                    ..
                } = conn;
                let io = rd.unsplit(wr);
                let _ = tx.send(Upgraded::new(Box::new(io), buf.freeze(), extensions));
                return;
            }
        }
    }
    let _ = conn.wr.shutdown().await;
}

/// Boxes the future `make` returns, allocating first: the future can then be written
/// straight into the allocation. `Box::pin(make())` allocates after `make` returned, so the
/// per-request future (about 4 KiB for a proxy) was built on the stack and copied into the
/// box, about 400 instructions per request.
fn box_in_place<F: Future>(make: impl FnOnce() -> F) -> Pin<Box<F>> {
    Box::into_pin(Box::write(Box::new_uninit(), make()))
}

type ShutdownWait = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Conn<'c, IO> {
    rd: ReadHalf<IO>,
    wr: WriteHalf<IO>,
    buf: BytesMut,
    wbuf: BytesMut,
    config: &'c Http1Config,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
    served: usize,
    accepted: Instant,
    shutdown_wait: ShutdownWait,
    /// One timer for the connection's head and idle deadlines, moved rather than re-created,
    /// and moved later only when it fires (see [`LazyTimer`]).
    timer: LazyTimer,
}

#[expect(
    clippy::large_enum_variant,
    reason = "returned once per request and moved out at once; boxing would cost an allocation"
)]
enum HeadRead {
    Head(RequestHead),
    Closed,
    Invalid(ParseError),
    TimedOut,
}

enum Next {
    KeepAlive,
    Close,
    Refuse(StatusCode),
    Upgrade(oneshot::Sender<Upgraded>),
}

/// The write buffer is kept between requests up to this capacity (the head of a typical
/// response and a small body fit); a larger one is released.
const KEPT_WRITE_BUFFER: usize = 512;

/// How long a refused connection keeps reading (and discarding) after its error response,
/// so that unread request bytes do not turn the close into a reset that loses the response.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 64 * 1024;

impl<IO> Conn<'_, IO>
where
    IO: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
{
    async fn read_head(&mut self, parser: &mut RequestHeadParser) -> HeadRead {
        let header_timeout = self.config.header_read_timeout();
        let mut deadline = if self.served == 0 {
            Some(self.accepted + header_timeout)
        } else {
            (!self.buf.is_empty()).then(|| Instant::now() + header_timeout)
        };
        loop {
            if !self.buf.is_empty() {
                match parser.parse(&mut self.buf) {
                    Ok(Some(head)) => return HeadRead::Head(head),
                    Ok(None) => {}
                    Err(err) => return HeadRead::Invalid(err),
                }
                deadline.get_or_insert_with(|| Instant::now() + header_timeout);
            }
            let limit =
                deadline.unwrap_or_else(|| Instant::now() + self.config.keep_alive_timeout());
            self.timer.set(limit);
            // the read first: woken by a readable socket, the shutdown signal (whose poll
            // takes a lock) is then not polled at all
            tokio::select! {
                biased;
                read = read_some(&mut self.rd, &mut self.buf) => match read {
                    Ok(0) | Err(_) => return HeadRead::Closed,
                    Ok(_) => {}
                },
                () = &mut self.shutdown_wait, if self.shutdown.is_some() => {
                    return HeadRead::Closed;
                }
                // an idle keep-alive connection just closes; a started head is late
                () = self.timer.expired() => {
                    return if self.buf.is_empty() {
                        HeadRead::Closed
                    } else {
                        HeadRead::TimedOut
                    };
                }
            }
        }
    }

    /// Answers `status` with `Connection: close`, then closes, reading a little first.
    async fn refuse(&mut self, status: StatusCode) {
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: 0\r\nConnection: close\r\nDate: {}\r\n\r\n",
            status.as_str(),
            status.canonical_reason().unwrap_or(""),
            crate::date::now().to_str().unwrap_or("")
        );
        if self.wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let _ = self.wr.flush().await;
        self.linger_close().await;
    }

    /// Closes after a response: sends FIN, then reads and discards what the client still
    /// sends (bounded in time and bytes), so that unread request bytes do not turn the close
    /// into a reset that could destroy the response before the client read it.
    async fn linger_close(&mut self) {
        let _ = self.wr.shutdown().await;
        let drain = async {
            let mut scratch = [0u8; 4096];
            let mut total = 0;
            while total < LINGER_BYTES {
                match self.rd.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER, drain).await;
    }

    /// Serves one request: prepares it here, synchronously, then returns the future that
    /// calls the service and drives it (see [`respond`]). Split so that the head is not kept
    /// in the per-request future's state: that future is boxed per request, and a small one
    /// is cheap to allocate. The service's future is made inside that state (see [`Call`]),
    /// not here: moved out of here it would be copied on every move.
    fn serve_request<'a, S>(
        &'a mut self,
        service: &'a S,
        head: RequestHead,
        parser: &'a mut RequestHeadParser,
    ) -> impl Future<Output = Next> + Send + 'a
    where
        S: Service<Request<Body>, Output = Response<Body>>,
        S::Error: Into<BoxError>,
    {
        let RequestHead {
            mut parts,
            framing,
            seen,
        } = head;
        let method = parts.method.clone();
        let version = parts.version;
        // the field checks run only for heads that have the fields (most have none)
        let client_keep_alive = seen.keep_alive(version);
        let keep_alive = self.config.keep_alive()
            && client_keep_alive
            && self
                .config
                .max_requests()
                .is_none_or(|max| self.served < max);
        let has_body = !matches!(framing, BodyFraming::Empty | BodyFraming::Tunnel);
        let expect =
            has_body && seen.any(SeenFields::EXPECT) && expects_continue(version, &parts.headers);

        let upgrade = (method == Method::CONNECT || seen.any(SeenFields::UPGRADE))
            && is_upgrade_request(&method, version, &parts.headers);
        let upgrade = upgrade.then(|| {
            let (tx, on_upgrade) = OnUpgrade::new();
            parts.extensions.insert(on_upgrade);
            tx
        });
        if !self.extensions.is_empty() {
            parts.extensions.insert(self.extensions.clone());
        }

        let (started_tx, started_rx) = if expect {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let decoder = BodyDecoder::new(framing, &self.config.limits());
        let max_drain = self.config.max_drain_bytes();
        let Conn {
            rd,
            buf,
            wr,
            wbuf,
            config,
            shutdown,
            ..
        } = self;
        // the feeder lives in its own allocation, made only for requests with a body: most
        // have none, and their per-request future stays small
        let (body, feeder) = if has_body {
            let length = match framing {
                BodyFraming::Length(n) => Some(n),
                _ => None,
            };
            let (tx, body) = RecvBody::channel(length, started_tx);
            let feeder = Box::pin(feed(rd, buf, decoder, tx, max_drain));
            (Body::new(body), Some(feeder))
        } else {
            (Body::empty(), None)
        };
        let request = Request::from_parts(parts, body);
        respond(
            Responder {
                wr,
                wbuf,
                drain_timeout: config.drain_timeout(),
                shutdown: shutdown.as_ref(),
                parser,
            },
            RequestState {
                method,
                version,
                keep_alive,
                has_body,
                expect,
                started_rx,
                upgrade,
            },
            Call { service, request },
            feeder,
        )
    }
}

/// The service call of a request, made inside [`respond`]'s state: a service's future can be
/// large (a proxy's holds its client's), and made here it would be moved into `respond`'s
/// arguments, then with them into the per-request box, each move a copy.
struct Call<'a, S> {
    service: &'a S,
    request: Request<Body>,
}

/// What [`respond`] writes with.
struct Responder<'a, W> {
    wr: &'a mut W,
    wbuf: &'a mut BytesMut,
    drain_timeout: Duration,
    shutdown: Option<&'a ShutdownSignal>,
    /// the connection's head parser, handed the response's header map once it is written
    /// (see [`RequestHeadParser::recycle`])
    parser: &'a mut RequestHeadParser,
}

/// What [`respond`] needs to know of the request being served.
struct RequestState {
    method: Method,
    version: Version,
    keep_alive: bool,
    has_body: bool,
    expect: bool,
    started_rx: Option<oneshot::Receiver<()>>,
    upgrade: Option<oneshot::Sender<Upgraded>>,
}

/// Drives a request's service future `call` with the body `feeder` (when the request has a
/// body) next to it, then writes the response; see the module docs.
async fn respond<W, S, F>(
    out: Responder<'_, W>,
    state: RequestState,
    call: Call<'_, S>,
    feeder: Option<Pin<Box<F>>>,
) -> Next
where
    W: AsyncWrite + Unpin,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    F: Future<Output = FeedEnd>,
{
    let Call { service, request } = call;
    let Responder {
        wr,
        wbuf,
        drain_timeout,
        shutdown,
        parser,
    } = out;
    let RequestState {
        method,
        version,
        mut keep_alive,
        has_body,
        expect,
        mut started_rx,
        upgrade,
    } = state;
    let mut feeder = feeder;
    let feeder = poll_fn(move |cx| match feeder.as_mut() {
        Some(feeder) => feeder.as_mut().poll(cx),
        None => Poll::Ready(FeedEnd::Complete),
    });
    let mut fed: Option<FeedEnd> = (!has_body).then_some(FeedEnd::Complete);
    let mut feeder = pin!(feeder);
    let mut sent_continue = false;

    // the service runs; the body is fed next to it
    let served = {
        let mut call = pin!(CatchUnwind {
            inner: service.serve(request),
        });
        loop {
            tokio::select! {
                biased;
                result = &mut call => break result,
                end = &mut feeder, if fed.is_none() => match end {
                    FeedEnd::Invalid(err) => {
                        tracing::debug!("h1: bad request body: {err}");
                        return Next::Refuse(StatusCode::BAD_REQUEST);
                    }
                    FeedEnd::Broken => return Next::Close,
                    end => {
                        if matches!(end, FeedEnd::DrainLimit) {
                            keep_alive = false;
                        }
                        fed = Some(end);
                    }
                },
                started = async {
                    match &mut started_rx {
                        Some(rx) => rx.await,
                        None => std::future::pending().await,
                    }
                }, if started_rx.is_some() => {
                    started_rx = None;
                    if started.is_ok() && fed.is_none() {
                        sent_continue = true;
                        if Box::pin(write_continue(wr)).await.is_err() {
                            return Next::Close;
                        }
                    }
                }
            }
        }
    };
    let response = match served {
        Some(Ok(response)) => response,
        failed => {
            match failed {
                Some(Err(err)) => {
                    let err: BoxError = err.into();
                    tracing::warn!("h1: service error, answering 500: {err:#}");
                }
                _ => {
                    tracing::error!("h1: service panicked, answering 500 and closing");
                    keep_alive = false;
                }
            }
            let mut res = Response::new(Body::from("Internal Server Error\n"));
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    };

    // the response head
    let (mut rparts, mut body) = response.into_parts();
    let is_upgrade = upgrade.is_some()
        && (rparts.status == StatusCode::SWITCHING_PROTOCOLS
            || (method == Method::CONNECT && rparts.status.is_success()));
    let size = http_body::Body::size_hint(&body).exact();
    if expect && !sent_continue && fed.is_none() {
        // A response body that streams the request body (an echo, a proxy) reads it
        // only once polled: poll it once, and if that started the request body, the
        // client gets its 100 before the final head.
        let first =
            poll_fn(|cx| Poll::Ready(http_body::Body::poll_frame(Pin::new(&mut body), cx))).await;
        if let Some(started) = &mut started_rx
            && started.try_recv().is_ok()
        {
            sent_continue = true;
            if Box::pin(write_continue(wr)).await.is_err() {
                return Next::Close;
            }
        }
        if let Poll::Ready(Some(first)) = first {
            body = Body::new(Prepend {
                first: Some(first),
                rest: body,
            });
        }
        if !sent_continue {
            keep_alive = false; // the client may or may not send the body now
        }
    }
    // the questions the head's fields answer, read in one walk over the map
    let fields = OutgoingFields::of(&rparts.headers);
    if shutdown.is_some_and(ShutdownSignal::is_cancelled) || fields.says_close() {
        keep_alive = false;
    }
    let (framing, added) = settle_response_framing(
        &method,
        version,
        rparts.status,
        &mut rparts.headers,
        size,
        &fields,
    );
    if framing == BodyFraming::CloseDelimited || (framing == BodyFraming::Tunnel && !is_upgrade) {
        keep_alive = false;
    }
    if !is_upgrade {
        set_connection(
            &mut rparts.headers,
            keep_alive,
            version,
            fields.says_close(),
        );
    }
    // `Date` when missing, and the framing field settled above: written straight after
    // the other fields (where inserting them into the map would have put them), without
    // touching the map, unless the response carries a header-name record (then the
    // record's writer places them)
    let date = (!fields.date).then(crate::date::now);
    let (date, added) = if rparts.extensions.get::<OriginalHeaderNames>().is_some() {
        added.insert_into(&mut rparts.headers);
        if let Some(date) = date {
            rparts.headers.insert(header::DATE, date);
        }
        (None, AddedField::None)
    } else {
        (date, added)
    };
    wbuf.reserve(KEPT_WRITE_BUFFER / 2);
    encode_response_head_open(&rparts, wbuf);
    added.encode(wbuf);
    if let Some(date) = date {
        wbuf.put_slice(b"Date: ");
        wbuf.put_slice(date.as_bytes());
        wbuf.put_slice(b"\r\n");
    }
    wbuf.put_slice(b"\r\n");
    parser.recycle(std::mem::take(&mut rparts.headers));
    drop(rparts);

    // the response body, while the request body may still be fed; a whole body (empty
    // or full, the common case) through a small writer, a streamed one through the
    // general writer in its own allocation
    let writer = match body.into_whole() {
        Ok(data) if whole_body_fits(framing, data.as_ref()) => Writer::Whole {
            fut: write_whole(wr, wbuf, framing, data),
        },
        Ok(data) => Writer::Streamed {
            fut: Box::pin(write_response(wr, wbuf, framing, Body::from_whole(data))),
        },
        Err(body) => Writer::Streamed {
            fut: Box::pin(write_response(wr, wbuf, framing, body)),
        },
    };
    let written = {
        let mut writer = pin!(writer);
        loop {
            tokio::select! {
                biased;
                end = &mut writer => break end,
                end = &mut feeder, if fed.is_none() => {
                    if !matches!(end, FeedEnd::Complete) {
                        keep_alive = false;
                    }
                    fed = Some(end);
                },
            }
        }
    };
    match written {
        WriteEnd::Complete => {}
        WriteEnd::Truncated(err) => {
            tracing::debug!("h1: response body ended early, closing: {err:#}");
            return Next::Close;
        }
        WriteEnd::Io(err) => {
            tracing::debug!("h1: writing the response failed: {err}");
            return Next::Close;
        }
    }
    if is_upgrade {
        return upgrade.map_or(Next::Close, Next::Upgrade);
    }
    if !keep_alive {
        return Next::Close;
    }
    if fed.is_none() {
        // the service left (part of) its body unread: drain it, bounded
        // boxed: a timer is large, and this path is rare
        match Box::pin(tokio::time::timeout(drain_timeout, &mut feeder)).await {
            Ok(FeedEnd::Complete) => {}
            _ => return Next::Close,
        }
    }
    Next::KeepAlive
}

/// Writes and flushes `100 Continue` (rare: its own allocation, off the per-request state).
async fn write_continue<W: AsyncWrite + Unpin>(wr: &mut W) -> std::io::Result<()> {
    wr.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    wr.flush().await
}

/// Sets the `Connection` header of a response for the keep-alive decision (`says_close`:
/// the response's `Connection` lists `close` already).
fn set_connection(
    headers: &mut http::HeaderMap,
    keep_alive: bool,
    version: Version,
    says_close: bool,
) {
    if !keep_alive {
        if !says_close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    } else if version == Version::HTTP_10 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    }
}

/// A body with its first frame (already taken off it) put back in front.
struct Prepend {
    first: Option<Result<Frame<Bytes>, BoxError>>,
    rest: Body,
}

impl http_body::Body for Prepend {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.first.take() {
            Some(first) => Poll::Ready(Some(first)),
            None => http_body::Body::poll_frame(Pin::new(&mut self.rest), cx),
        }
    }
}

pin_project_lite::pin_project! {
    /// Runs a service future, turning a panic in it into `None` (a `500` for the client,
    /// instead of a dropped connection).
    struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Some(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::h1::Http1Limits;
    use rama_core::service::service_fn;

    async fn hello(_req: Request<Body>) -> Result<Response<Body>, BoxError> {
        Ok(Response::new(Body::from("hi")))
    }

    #[tokio::test]
    async fn per_request_future_size() {
        let (io, _peer) = tokio::io::duplex(64);
        let (rd, wr) = tokio::io::split(io);
        let mut conn = Conn {
            rd,
            wr,
            buf: BytesMut::new(),
            wbuf: BytesMut::new(),
            config: &Http1Config::new(),
            extensions: Extensions::new(),
            shutdown: None,
            served: 0,
            accepted: Instant::now(),
            shutdown_wait: Box::pin(std::future::pending()),
            timer: LazyTimer::new(Instant::now()),
        };
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..]);
        let mut parser = RequestHeadParser::new(Http1Limits::new());
        let head = parser.parse(&mut buf).unwrap().unwrap();
        let svc = service_fn(hello);
        let fut = conn.serve_request(&svc, head, &mut parser);
        let size = std::mem::size_of_val(&fut);
        println!("per-request future: {size} bytes");
        assert!(size < 16 * 1024);
    }
}
