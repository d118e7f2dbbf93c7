//! The request body of an h2 stream as an [`http_body::Body`]: data frames, then trailers,
//! with flow-control capacity released as the service reads.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use rama_core::error::BoxError;
use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

/// Adapts `h2::RecvStream` to `http_body::Body`.
#[derive(Debug)]
pub(super) struct RecvBody {
    recv: h2::RecvStream,
    data_done: bool,
    content_length: Option<u64>,
}

impl RecvBody {
    pub(super) const fn new(recv: h2::RecvStream, content_length: Option<u64>) -> Self {
        Self {
            recv,
            data_done: false,
            content_length,
        }
    }
}

impl http_body::Body for RecvBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        while !this.data_done {
            match ready!(this.recv.poll_data(cx)) {
                // an empty DATA frame (often the one carrying END_STREAM) is no body data
                Some(Ok(data)) if data.is_empty() => {}
                Some(Ok(data)) => {
                    // the service has the bytes now: let the client send as many again
                    let _ = this.recv.flow_control().release_capacity(data.len());
                    if let Some(left) = this.content_length.as_mut() {
                        *left = left.saturating_sub(data.len() as u64);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => this.data_done = true,
            }
        }
        match ready!(this.recv.poll_trailers(cx)) {
            Ok(Some(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e.into()))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        if self.recv.is_end_stream() {
            return SizeHint::with_exact(0);
        }
        match self.content_length {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
