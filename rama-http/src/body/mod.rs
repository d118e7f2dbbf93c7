//! [`Body`]: the one body type of rama-http, implementing [`http_body::Body`] 1.0.
//!
//! A body is a sequence of [`Frame`]s: data frames, then optionally one trailers frame. Build
//! one from bytes ([`Body::from`]), from a [`Stream`] of frames ([`Body::from_stream`]), from a
//! channel ([`Body::channel`]) or from any other `http_body::Body` ([`Body::new`]). Read it
//! whole with a size limit ([`Body::collect_bytes`], [`Body::collect_string`], [`collect`]).
//!
//! ```
//! use rama_http::Body;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let body = Body::from("hello");
//! assert_eq!(body.collect_bytes(1024).await.unwrap(), "hello");
//!
//! let (tx, body) = Body::channel();
//! tokio::spawn(async move {
//!     tx.send_data("hel").await.unwrap();
//!     tx.send_data("lo").await.unwrap();
//! });
//! assert_eq!(body.collect_string(1024).await.unwrap(), "hello");
//! # }
//! ```

mod channel;
mod collect;

pub use channel::{BodySender, SendError};
pub use collect::{BodyLimitExceeded, CollectError, Collected, collect};
pub use http_body::{Frame, SizeHint};

use bytes::Bytes;
use futures_core::Stream;
use rama_core::error::BoxError;
use std::{
    fmt,
    pin::Pin,
    task::{Context, Poll},
};

type BoxStream = Pin<Box<dyn Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + 'static>>;
type BoxBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send + 'static>>;

/// The body of a request or response: empty, full, streamed or boxed.
///
/// `Body` is `Send` (not `Sync`) and `'static`; its error type is [`BoxError`].
/// [`http_body::Body::size_hint`] is exact for empty and full bodies.
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Stream(BoxStream),
    Channel(channel::Receiver),
    Boxed(BoxBody),
}

impl Body {
    /// The data of an empty or full body, taken out whole (`Ok(None)`: empty); any other body
    /// is handed back. Lets a writer send such a body without polling it.
    pub(crate) fn into_whole(self) -> Result<Option<Bytes>, Self> {
        match self.kind {
            Kind::Empty => Ok(None),
            Kind::Full(data) => Ok(data),
            kind => Err(Self { kind }),
        }
    }

    /// The body [`into_whole`](Self::into_whole) took apart.
    pub(crate) fn from_whole(data: Option<Bytes>) -> Self {
        Self {
            kind: match data {
                Some(data) => Kind::Full(Some(data)),
                None => Kind::Empty,
            },
        }
    }

    /// A body without data, ending at once (size hint exactly 0).
    #[must_use]
    pub const fn empty() -> Self {
        Self { kind: Kind::Empty }
    }

    /// Wraps any [`http_body::Body`] whose data is [`Bytes`]-convertible.
    ///
    /// A `Body` given here is returned as is rather than boxed again.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body + Send + 'static,
        B::Data: Into<Bytes>,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        if let Some(same) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Self>>()
            && let Some(body) = same.take()
        {
            return body;
        }
        match slot {
            Some(body) => Self {
                kind: Kind::Boxed(Box::pin(MapBody { inner: body })),
            },
            None => Self::empty(),
        }
    }

    /// A streamed body from a [`Stream`] of frames; the size hint's lower bound is the stream's,
    /// the upper bound unknown.
    ///
    /// A stream error ends the body with that error.
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + 'static,
    {
        Self {
            kind: Kind::Stream(Box::pin(stream)),
        }
    }

    /// A streamed body fed through the returned [`BodySender`] (bounded: a send waits while
    /// one frame is still unread, which gives back-pressure).
    ///
    /// The body ends cleanly when the sender is dropped or after trailers were sent, and ends
    /// with an error after [`BodySender::abort`].
    #[must_use]
    pub fn channel() -> (BodySender, Self) {
        let (tx, rx) = channel::new();
        (
            tx,
            Self {
                kind: Kind::Channel(rx),
            },
        )
    }
}

impl Body {
    /// The next frame, or `None` once the body ended.
    ///
    /// # Cancel safety
    /// Cancel safe: a frame is taken from the body only when it is returned.
    pub async fn frame(&mut self) -> Option<Result<Frame<Bytes>, BoxError>> {
        std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut *self), cx)).await
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Stream(_) => "stream",
            Kind::Channel(_) => "channel",
            Kind::Boxed(_) => "boxed",
        };
        f.debug_struct("Body").field("kind", &kind).finish()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Self::empty()
        } else {
            Self {
                kind: Kind::Full(Some(bytes)),
            }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Self::from(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Self::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Self::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Self::from(Bytes::from_static(s))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match &mut self.get_mut().kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Stream(s) => s.as_mut().poll_next(cx),
            Kind::Channel(rx) => rx.poll_frame(cx),
            Kind::Boxed(b) => b.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(data) => data.is_none(),
            Kind::Stream(_) => false,
            Kind::Channel(rx) => rx.is_end_stream(),
            Kind::Boxed(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Stream(s) => {
                let (lower, _) = s.size_hint();
                let mut hint = SizeHint::new();
                hint.set_lower(lower as u64);
                hint
            }
            Kind::Channel(_) => SizeHint::new(),
            Kind::Boxed(b) => b.size_hint(),
        }
    }
}

pin_project_lite::pin_project! {
    /// Adapts a foreign body's data and error types to `Bytes` and `BoxError`.
    struct MapBody<B> {
        #[pin]
        inner: B,
    }
}

impl<B> http_body::Body for MapBody<B>
where
    B: http_body::Body,
    B::Data: Into<Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().inner.poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame.map_data(Into::into)))),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    const fn assert_send<T: Send + 'static>() {}
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send::<Body>();
        assert_send_sync::<BodySender>();
        assert_send_sync::<crate::proto::h1::RequestHeadParser>();
        assert_send_sync::<crate::proto::h1::ResponseHeadParser>();
        assert_send_sync::<crate::proto::h1::BodyDecoder>();
        assert_send_sync::<crate::wire::OriginalHeaderNames>();
        assert_send_sync::<crate::h1::ParseError>();
        assert_send_sync::<CollectError>();
    };
    use http_body::Body as _;

    async fn frames(mut body: Body) -> Vec<Result<Frame<Bytes>, String>> {
        let mut out = Vec::new();
        while let Some(f) = body.frame().await {
            out.push(f.map_err(|e| e.to_string()));
        }
        out
    }

    #[test]
    fn size_hints_are_exact_for_full_and_empty() {
        assert_eq!(Body::empty().size_hint().exact(), Some(0));
        assert!(Body::empty().is_end_stream());
        assert_eq!(Body::from("abc").size_hint().exact(), Some(3));
        assert_eq!(
            Body::from(String::from("abcd")).size_hint().exact(),
            Some(4)
        );
        assert_eq!(Body::from(vec![1u8; 5]).size_hint().exact(), Some(5));
        assert_eq!(Body::from(Bytes::new()).size_hint().exact(), Some(0));
        let (_tx, body) = Body::channel();
        assert_eq!(body.size_hint().exact(), None);
    }

    #[tokio::test]
    async fn full_body_yields_one_frame_then_ends() {
        let got = frames(Body::from("hi")).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap().data_ref().unwrap(), "hi");
    }

    struct VecStream(Vec<Result<Frame<Bytes>, BoxError>>);
    impl Stream for VecStream {
        type Item = Result<Frame<Bytes>, BoxError>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.0.is_empty() {
                Poll::Ready(None)
            } else {
                Poll::Ready(Some(self.0.remove(0)))
            }
        }
    }

    #[tokio::test]
    async fn stream_body_passes_frames_and_trailers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", "1".parse().unwrap());
        let body = Body::from_stream(VecStream(vec![
            Ok(Frame::data(Bytes::from_static(b"a"))),
            Ok(Frame::data(Bytes::from_static(b"b"))),
            Ok(Frame::trailers(trailers.clone())),
        ]));
        let c = collect(body, 10).await.unwrap();
        assert_eq!(c.data, "ab");
        assert_eq!(c.trailers, Some(trailers));
    }

    struct OneFrame(Option<Vec<u8>>);
    impl http_body::Body for OneFrame {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(self.0.take().map(|v| Ok(Frame::data(Bytes::from(v)))))
        }
        fn size_hint(&self) -> SizeHint {
            SizeHint::with_exact(self.0.as_ref().map_or(0, |v| v.len() as u64))
        }
    }

    #[tokio::test]
    async fn new_does_not_rebox_a_body_and_wraps_others() {
        let body = Body::new(Body::from("x"));
        assert!(matches!(body.kind, Kind::Full(_)));
        let boxed = Body::new(OneFrame(Some(vec![7u8])));
        assert!(matches!(boxed.kind, Kind::Boxed(_)));
        assert_eq!(boxed.size_hint().exact(), Some(1));
        assert_eq!(boxed.collect_bytes(1).await.unwrap(), &[7u8][..]);
    }
}
