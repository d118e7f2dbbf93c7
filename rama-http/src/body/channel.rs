//! The channel behind [`Body::channel`](super::Body::channel): a bounded mpsc queue of frames
//! plus a one-shot abort slot, read once the queue is drained: frames sent before an abort
//! reach the reader, then the error.
//!
//! Written here rather than taken from a crate: it is a few dozen lines over tokio's mpsc.

use super::Frame;
use bytes::Bytes;
use http::HeaderMap;
use rama_core::error::BoxError;
use std::{
    fmt,
    task::{Context, Poll},
};
use tokio::sync::{mpsc, oneshot};

/// How many frames may wait unread in the channel before a send waits.
const CAPACITY: usize = 1;

pub(super) fn new() -> (BodySender, Receiver) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    let (abort_tx, abort_rx) = oneshot::channel();
    (
        BodySender {
            tx,
            abort: abort_tx,
        },
        Receiver {
            rx,
            abort: Some(abort_rx),
            done: false,
        },
    )
}

/// The sending half of [`Body::channel`](super::Body::channel).
///
/// Dropping it ends the body cleanly; [`abort`](Self::abort) ends it with an error, which an
/// HTTP/1 writer turns into a truncated message (never a falsely complete one).
pub struct BodySender {
    tx: mpsc::Sender<Frame<Bytes>>,
    abort: oneshot::Sender<BoxError>,
}

/// The body was dropped: nobody reads what is sent any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError;

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("body receiver dropped")
    }
}

impl std::error::Error for SendError {}

impl BodySender {
    /// Sends one data frame, waiting while the previous frame is still unread.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before completion, the data was not sent.
    pub async fn send_data(&self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.tx
            .send(Frame::data(data.into()))
            .await
            .map_err(|_| SendError)
    }

    /// Sends the trailers and ends the body.
    pub async fn send_trailers(self, trailers: HeaderMap) -> Result<(), SendError> {
        self.tx
            .send(Frame::trailers(trailers))
            .await
            .map_err(|_| SendError)
    }

    /// Ends the body with an error: the reader sees `reason` as the body's error.
    pub fn abort(self, reason: impl Into<BoxError>) {
        // The receiver may be gone already; then there is nobody to tell.
        let _ = self.abort.send(reason.into());
    }

    /// Whether the body was dropped.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl fmt::Debug for BodySender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodySender").finish_non_exhaustive()
    }
}

pub(super) struct Receiver {
    rx: mpsc::Receiver<Frame<Bytes>>,
    abort: Option<oneshot::Receiver<BoxError>>,
    done: bool,
}

impl Receiver {
    pub(super) fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        // Frames sent before an abort are delivered first: `abort` consumes the sender, so
        // the queue then closes, and the abort is looked at once it is drained. Data already
        // handed over is never lost to a later error.
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(frame)) => {
                if frame.is_trailers() {
                    self.done = true;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                self.done = true;
                // the abort reason is sent before the sender (and with it the queue) is
                // dropped, so it is there now if there was an abort
                match self.abort.take().map(|mut abort| abort.try_recv()) {
                    Some(Ok(err)) => Poll::Ready(Some(Err(err))),
                    _ => Poll::Ready(None),
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }

    pub(super) fn is_end_stream(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Body, CollectError};

    #[tokio::test]
    async fn trailers_end_the_body() {
        let (tx, body) = Body::channel();
        let task = tokio::spawn(async move {
            tx.send_data("a").await.unwrap();
            let mut t = http::HeaderMap::new();
            t.insert("x-sum", "9".parse().unwrap());
            tx.send_trailers(t).await.unwrap();
        });
        let c = super::super::collect(body, 100).await.unwrap();
        task.await.unwrap();
        assert_eq!(c.data, "a");
        assert_eq!(c.trailers.unwrap()["x-sum"], "9");
    }

    #[tokio::test]
    async fn abort_is_an_error_even_when_queue_is_full() {
        let (tx, body) = Body::channel();
        tx.send_data("queued").await.unwrap();
        tx.abort("upstream reset");
        match body.collect_bytes(100).await {
            Err(CollectError::Body(e)) => assert_eq!(e.to_string(), "upstream reset"),
            other => panic!("expected body error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn data_sent_before_an_abort_is_delivered_first() {
        use http_body::Body as _;
        let (tx, mut body) = Body::channel();
        tx.send_data("last bytes").await.unwrap();
        tx.abort("connection closed early");
        let first = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.into_data().unwrap(), "last bytes");
        let second = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx))
            .await
            .unwrap();
        assert_eq!(second.unwrap_err().to_string(), "connection closed early");
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn dropped_receiver_fails_send() {
        let (tx, body) = Body::channel();
        drop(body);
        assert!(tx.is_closed());
        assert!(tx.send_data("x").await.is_err());
    }
}
