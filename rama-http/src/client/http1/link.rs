//! Who drives the connection's IO for an exchange, and the inline exchange.
//!
//! The IO and its buffers (a [`Link`]) rest in a slot shared by the [`SendRequest`]s and the
//! connection task. A request with an empty body (most requests a proxy forwards) is
//! exchanged **inline**: the caller takes the link, writes the head and reads the response
//! head in its own task, and parks the link again once the response was read whole. There
//! is no hand-off to the connection task and back (a channel message, a task wake and poll,
//! a one-shot reply): under load that hop cost about as much as the exchange itself.
//!
//! The connection task does the rest:
//! - while the link is parked it watches the IO for the peer closing (a caller that parks
//!   the link re-registers the task's waker on the IO, so the watch holds without waking
//!   the task for every request);
//! - it moves a response body the inline exchange could not read whole (a [`Pump`]);
//! - it runs the requests with a body, which are written while the response is read
//!   (`exchange` in the parent module), and those queued while the link was busy.
//!
//! [`SendRequest`]: super::SendRequest

use super::{EarlyBody, decode_early, encode_head, read_head, retry_safe};
use crate::Body;
use crate::body::BodySender;
use crate::client::error::{Error, Kind};
use crate::client::on_upgrade::OnClientUpgrade;
use crate::proto::h1::{
    BodyDecoder, BodyFraming, OutgoingFields, ResponseHeadParser, encode_last_chunk,
    settle_request_framing,
};
use crate::server::upgrade::Upgraded;
use crate::timer::LazyTimer;
use bytes::BytesMut;
use http::{Request, Response, Version};
use rama_core::extensions::Extensions;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use super::{ClientIo, SendRequest};

/// The connection's IO and what goes with it between exchanges.
///
/// Kept boxed (`Box<Link>`) for the connection's life: it moves at every exchange (out of
/// the slot, into the exchange's state, back), and a box moves as a pointer where the
/// link itself (some 400 bytes: two buffers, the parser, the timer) was copied each time.
pub(super) struct Link {
    pub(super) io: Box<dyn ClientIo>,
    /// read buffer: bytes read past a response stay here for the next
    pub(super) buf: BytesMut,
    pub(super) parser: ResponseHeadParser,
    /// the response head timer, one for the connection and moved later only when it fires
    /// (see [`LazyTimer`]): a new timer per request would cost a timer-wheel insertion
    pub(super) deadline: LazyTimer,
    /// request heads are encoded here (kept, so no allocation per request)
    pub(super) out: BytesMut,
}

impl Link {
    /// The raw IO once HTTP ended on it (`101`, or `2xx` to `CONNECT`), with what was read
    /// past the response head replayed first.
    pub(super) fn into_upgraded(self: Box<Self>) -> Upgraded {
        let Self { io, buf, .. } = *self;
        // the connected IO itself, not a box of the box: `Upgraded::downcast` finds its type
        Upgraded::new(io, buf.freeze(), Extensions::new())
    }
}

/// A response body the inline exchange hands to the connection task to move.
pub(super) struct Pump {
    pub(super) link: Box<Link>,
    pub(super) decoder: BodyDecoder,
    pub(super) early: EarlyBody,
    pub(super) tx: BodySender,
    /// whether the connection is kept once the body was read
    pub(super) keep: bool,
}

/// What the [`SendRequest`](super::SendRequest)s and the connection task share.
#[derive(Default)]
pub(super) struct Shared {
    /// an exchange holds the link (or a body is in flight)
    pub(super) busy: AtomicBool,
    /// no further request can be sent
    pub(super) closed: AtomicBool,
    slot: Mutex<Slot>,
}

#[derive(Default)]
pub(super) struct Slot {
    /// the link, while nobody drives an exchange on it
    pub(super) link: Option<Box<Link>>,
    /// the connection task's waker, as of its last poll
    pub(super) task: Option<Waker>,
    /// the task has a queued request and waits for the link
    pub(super) task_wants_link: bool,
    /// a response body for the task to move
    pub(super) pump: Option<Pump>,
    /// why an inline exchange closed the connection: the task ends with it
    pub(super) error: Option<Error>,
}

impl Shared {
    pub(super) fn new(link: Box<Link>) -> Self {
        let shared = Self::default();
        shared.slot().link = Some(link);
        shared
    }

    pub(super) fn slot(&self) -> MutexGuard<'_, Slot> {
        // a panic while the lock was held leaves plain data: go on with it
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The link for an inline exchange: parked, and no queued request or body before it.
    pub(super) fn take_link(&self) -> Option<Box<Link>> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        let mut slot = self.slot();
        if slot.task_wants_link || slot.pump.is_some() {
            return None;
        }
        let link = slot.link.take()?;
        self.busy.store(true, Ordering::Release);
        Some(link)
    }

    /// Parks the link after an inline exchange that keeps the connection.
    fn park(&self, mut link: Box<Link>) {
        let mut slot = self.slot();
        // the caller's reads replaced the task's waker on the IO: register it again, so
        // that the task notices the peer closing
        let closed_meanwhile = slot
            .task
            .as_ref()
            .is_some_and(|task| watch(&mut link, &mut Context::from_waker(task)).is_ready());
        slot.link = Some(link);
        if closed_meanwhile {
            self.closed.store(true, Ordering::Release);
        } else {
            self.busy.store(false, Ordering::Release);
        }
        let wake = closed_meanwhile || slot.task_wants_link;
        let task = if wake { slot.task.clone() } else { None };
        drop(slot);
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Closes the connection after an inline exchange: the task shuts the link down (when
    /// given) and ends, with `error` if any.
    pub(super) fn close(&self, link: Option<Box<Link>>, error: Option<&Error>) {
        self.closed.store(true, Ordering::Release);
        let mut slot = self.slot();
        if link.is_some() {
            slot.link = link;
        }
        if let Some(e) = error {
            slot.error = Some(Error::with(e.kind(), format!("{e:#}")));
        }
        let task = slot.task.clone();
        drop(slot);
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Hands a response body to the task.
    fn hand_over(&self, pump: Pump) {
        let mut slot = self.slot();
        slot.pump = Some(pump);
        let task = slot.task.clone();
        drop(slot);
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// Polls the parked link's IO for a read: `Ready` when the peer closed (`Ok`), failed or
/// sent bytes nobody asked for (each ends the connection), `Pending` (waker registered)
/// while it stays quiet.
pub(super) fn watch(link: &mut Link, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
    let mut byte = [0u8; 1];
    let mut rb = ReadBuf::new(&mut byte);
    Pin::new(&mut link.io)
        .poll_read(cx, &mut rb)
        .map(|read| match read {
            Ok(()) if rb.filled().is_empty() => Ok(()),
            Ok(()) => Err(Error::with(
                Kind::Parse,
                "bytes received while no request was in flight",
            )),
            Err(e) => Err(Error::io(e)),
        })
}

/// Armed while an inline exchange holds the link: if the exchange is dropped before it ends
/// (the caller gave up), the link goes with it and the connection, its state unknown,
/// closes.
struct CloseOnDrop<'a>(Option<&'a Shared>);

impl CloseOnDrop<'_> {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(shared) = self.0 {
            shared.close(None, None);
        }
    }
}

/// Exchanges a request with an empty body (`parts`) on the parked link, in the caller's
/// task; see the [module docs](self). Without a parked link (busy, or requests queued before
/// this one) the request goes through the task. The same rules as the task's exchange: the
/// request is handed back in the error when sending it again is safe.
pub(super) async fn exchange_inline(
    sender: &SendRequest,
    mut parts: http::request::Parts,
) -> Result<Response<Body>, Error> {
    let shared = &*sender.shared;
    let config = &sender.config;
    let Some(mut link) = shared.take_link() else {
        return Box::pin(sender.send_queued(Request::from_parts(parts, Body::empty()))).await;
    };
    let mut guard = CloseOnDrop(Some(shared));
    if parts.version != Version::HTTP_10 {
        parts.version = Version::HTTP_11;
    }
    // the questions the head's fields answer, read in one walk over the map
    let fields = OutgoingFields::of(&parts.headers);
    let keep = fields.keep_alive(parts.version);
    let framing = settle_request_framing(&parts.method, &mut parts.headers, Some(0), &fields);
    let Link {
        io,
        buf,
        parser,
        deadline,
        out,
    } = &mut *link;
    out.clear();
    encode_head(&mut parts, config.absolute_form, fields.host, out);
    match framing {
        BodyFraming::Length(n) if n > 0 => {
            // nothing was written: the connection is as it was
            guard.disarm();
            shared.park(link);
            return Err(Error::with(
                Kind::UserBody,
                "body shorter than its Content-Length",
            ));
        }
        BodyFraming::Chunked => encode_last_chunk(None, out),
        _ => {}
    }
    // the request was (maybe partly) written once a write was tried: hand it back only when
    // it is safe to send again
    let again = |parts: http::request::Parts, e: Error| {
        if e.is_closed() && retry_safe(&parts.method) {
            e.with_request(Request::from_parts(parts, Body::empty()))
        } else {
            e
        }
    };
    let written = async {
        io.write_all(out).await?;
        io.flush().await
    };
    if let Err(e) = written.await {
        let e = Error::io(e);
        guard.disarm();
        shared.close(Some(link), Some(&e));
        return Err(again(parts, e));
    }
    let read = read_head(io, buf, parser, &parts.method);
    let head = match config.response_head_timeout {
        Some(t) => {
            deadline.set(tokio::time::Instant::now() + t);
            tokio::select! {
                biased;
                head = read => head,
                () = deadline.expired() => Err(Error::new(Kind::Timeout)),
            }
        }
        None => read.await,
    };
    let head = match head {
        Ok(head) => head,
        Err(e) => {
            guard.disarm();
            shared.close(Some(link), Some(&e));
            return Err(again(parts, e));
        }
    };
    // the request head is written and answered: its map is the next response's (see
    // `ResponseHeadParser::recycle`)
    parser.recycle(std::mem::take(&mut parts.headers));
    let keep = keep && head.keeps_alive();
    if !keep {
        // known now: a pool must not park this connection
        shared.closed.store(true, Ordering::Release);
    }

    if head.framing == BodyFraming::Tunnel {
        // HTTP ends here: the IO (and what was read past the head) goes to the caller
        let (on_upgrade, filler) = OnClientUpgrade::pending();
        let mut res = Response::from_parts(head.parts, Body::empty());
        res.extensions_mut().insert(on_upgrade);
        guard.disarm();
        shared.close(None, None);
        filler.fill(link.into_upgraded());
        return Ok(res);
    }
    let mut decoder = BodyDecoder::new(head.framing, &config.limits);
    let (mut early, complete) = match decode_early(&mut decoder, buf) {
        Ok(decoded) => decoded,
        Err(e) => {
            guard.disarm();
            shared.close(Some(link), Some(&e));
            return Err(e);
        }
    };
    if complete && early.trailers.is_none() {
        // the whole response is here: the connection is free before the caller sees it
        guard.disarm();
        if keep {
            shared.park(link);
        } else {
            shared.close(Some(link), None);
        }
        return Ok(Response::from_parts(head.parts, Body::from(early.data())));
    }
    let (tx, body) = Body::channel();
    guard.disarm();
    shared.hand_over(Pump {
        link,
        decoder,
        early,
        tx,
        keep,
    });
    Ok(Response::from_parts(head.parts, body))
}
