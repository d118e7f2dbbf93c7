//! The request body handed to the service, and the feeder that fills it from the
//! connection.
//!
//! Design: the connection task owns the read half and the read buffer. For a request with a
//! body it runs a *feeder* future next to the service's future (and later next to the
//! response writer), in the same task: the feeder decodes body bytes off the buffer, reads
//! more when needed, and sends each frame into a channel of one frame whose receiving end is
//! the request's [`Body`](crate::Body). A full channel stops the feeder, and so stops reading
//! from the socket: back-pressure reaches the client through TCP. When the service drops the
//! body unread, the feeder switches to discarding, bounded by the drain limit.

use super::io::read_some;
use crate::proto::h1::{BodyDecoder, DecodeError, Decoded};
use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use rama_core::error::BoxError;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::AsyncRead;
use tokio::sync::{mpsc, oneshot};

type Item = Result<Frame<Bytes>, BoxError>;

/// The receiving side: an `http_body::Body` with an exact size hint for `Content-Length`
/// bodies, which signals its first poll (for `Expect: 100-continue`).
pub(super) struct RecvBody {
    rx: mpsc::Receiver<Item>,
    remaining: Option<u64>,
    started: Option<oneshot::Sender<()>>,
}

impl RecvBody {
    /// A body channel; `length` is the exact size when known; `started` fires at the first
    /// poll.
    pub(super) fn channel(
        length: Option<u64>,
        started: Option<oneshot::Sender<()>>,
    ) -> (mpsc::Sender<Item>, Self) {
        let (tx, rx) = mpsc::channel(1);
        (
            tx,
            Self {
                rx,
                remaining: length,
                started,
            },
        )
    }
}

impl http_body::Body for RecvBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(started) = self.started.take() {
            let _ = started.send(());
        }
        let item = std::task::ready!(self.rx.poll_recv(cx));
        if let (Some(Ok(frame)), Some(remaining)) = (&item, &mut self.remaining)
            && let Some(data) = frame.data_ref()
        {
            *remaining = remaining.saturating_sub(data.len() as u64);
        }
        Poll::Ready(item)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == Some(0)
    }

    fn size_hint(&self) -> SizeHint {
        self.remaining.map(SizeHint::with_exact).unwrap_or_default()
    }
}

/// How feeding a body ended.
#[derive(Debug)]
pub(super) enum FeedEnd {
    /// The body was read to its end (sent to the service or discarded within the limit).
    Complete,
    /// The body is malformed (bad chunk size, ...): the connection cannot continue.
    Invalid(DecodeError),
    /// The client closed or the read failed before the body ended.
    Broken,
    /// More than the drain limit had to be discarded.
    DrainLimit,
}

/// Decodes the body off `buf` (reading more from `rd` when needed) into `tx`.
pub(super) async fn feed<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut BytesMut,
    mut decoder: BodyDecoder,
    tx: mpsc::Sender<Item>,
    max_drain: u64,
) -> FeedEnd {
    let mut discarded: u64 = 0;
    let mut receiver_gone = false;
    loop {
        let frame = match decoder.decode(buf) {
            Ok(Some(Decoded::Data(data))) => Frame::data(data),
            Ok(Some(Decoded::Trailers(trailers))) => Frame::trailers(trailers),
            Ok(Some(Decoded::End)) => return FeedEnd::Complete,
            Err(err) => {
                let _ = tx.send(Err(err.clone().into())).await;
                return FeedEnd::Invalid(err);
            }
            Ok(None) => {
                match read_some(rd, buf).await {
                    Ok(0) => {
                        let _ = tx.send(Err(DecodeError::IncompleteBody.into())).await;
                        return FeedEnd::Broken;
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let _ = tx.send(Err(err.into())).await;
                        return FeedEnd::Broken;
                    }
                }
                continue;
            }
        };
        if !receiver_gone {
            match tx.send(Ok(frame)).await {
                Ok(()) => continue,
                Err(mpsc::error::SendError(item)) => {
                    receiver_gone = true;
                    if let Ok(frame) = item
                        && let Some(data) = frame.data_ref()
                    {
                        discarded += data.len() as u64;
                    }
                }
            }
        } else if let Some(data) = frame.data_ref() {
            discarded += data.len() as u64;
        }
        if discarded > max_drain {
            return FeedEnd::DrainLimit;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::proto::h1::{BodyFraming, Http1Limits};
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn chunked_body_with_trailers_streams_through() {
        let (mut peer, mut io) = tokio::io::duplex(1024);
        let mut buf = BytesMut::from(&b"3\r\nabc\r\n"[..]);
        let decoder = BodyDecoder::new(BodyFraming::Chunked, &Http1Limits::new());
        let (tx, body) = RecvBody::channel(None, None);
        let writer = async {
            peer.write_all(b"2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\nNEXT")
                .await
                .unwrap();
        };
        let reader = async {
            let mut body = Body::new(body);
            let mut data = Vec::new();
            let mut trailers = None;
            while let Some(frame) = body.frame().await {
                let frame = frame.unwrap();
                match frame.into_data() {
                    Ok(d) => data.extend_from_slice(&d),
                    Err(f) => trailers = f.into_trailers().ok(),
                }
            }
            (data, trailers)
        };
        let (end, (), (data, trailers)) =
            tokio::join!(feed(&mut io, &mut buf, decoder, tx, 0), writer, reader);
        assert!(matches!(end, FeedEnd::Complete));
        assert_eq!(data, b"abcde");
        assert_eq!(trailers.unwrap()["x-sum"], "5");
        assert_eq!(&buf[..], b"NEXT");
    }

    #[tokio::test]
    async fn dropped_body_is_drained_within_the_limit_only() {
        for (len, limit, complete) in [(100u64, 1000u64, true), (5000, 1000, false)] {
            let (_peer, mut io) = tokio::io::duplex(16);
            let mut buf = BytesMut::from(&vec![b'x'; len as usize][..]);
            let decoder = BodyDecoder::new(BodyFraming::Length(len), &Http1Limits::new());
            let (tx, body) = RecvBody::channel(Some(len), None);
            assert_eq!(http_body::Body::size_hint(&body).exact(), Some(len));
            drop(body);
            let end = feed(&mut io, &mut buf, decoder, tx, limit).await;
            assert_eq!(matches!(end, FeedEnd::Complete), complete, "{len}: {end:?}");
        }
    }

    #[tokio::test]
    async fn bad_chunk_size_is_invalid_and_reaches_the_body() {
        let (_peer, mut io) = tokio::io::duplex(16);
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        let decoder = BodyDecoder::new(BodyFraming::Chunked, &Http1Limits::new());
        let (tx, body) = RecvBody::channel(None, None);
        let (end, got) = tokio::join!(feed(&mut io, &mut buf, decoder, tx, 0), async {
            Body::new(body).frame().await
        });
        assert!(matches!(end, FeedEnd::Invalid(_)));
        assert!(got.unwrap().is_err());
    }

    #[tokio::test]
    async fn client_closing_mid_body_is_broken() {
        let (peer, mut io) = tokio::io::duplex(16);
        drop(peer);
        let mut buf = BytesMut::from(&b"ab"[..]);
        let decoder = BodyDecoder::new(BodyFraming::Length(10), &Http1Limits::new());
        let (tx, body) = RecvBody::channel(Some(10), None);
        let (end, data) = tokio::join!(feed(&mut io, &mut buf, decoder, tx, 0), async {
            Body::new(body).collect_bytes(100).await
        });
        assert!(matches!(end, FeedEnd::Broken));
        assert!(data.is_err());
    }
}
