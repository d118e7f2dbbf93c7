//! Writing a response body as framed, with back-pressure.
//!
//! Small frames are gathered in the write buffer behind the head and written together; the
//! buffer is written out whenever the body has nothing ready (so a slowly streamed body is
//! not held back), when it passes [`FLUSH_AT`], and at the end. Large data frames are
//! written without copying. Each write waits for the socket: a slow client slows the body.
//!
//! Trailers are sent whenever the body yields them and the response is chunked (they belong
//! to the chunked framing, so every HTTP/1.1 client parses them; RFC 9112 §7.1.2 lets one
//! discard them); other framings drop them.

use crate::Body;
use crate::proto::h1::{BodyFraming, encode_chunk_header, encode_last_chunk};
use bytes::{BufMut, Bytes, BytesMut};
use http_body::Frame;
use rama_core::error::BoxError;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Buffered bytes above this are written out before more is gathered.
const FLUSH_AT: usize = 16 * 1024;
/// Data frames at least this big are written directly instead of copied into the buffer.
const DIRECT_AT: usize = 8 * 1024;

/// How writing a response ended.
#[derive(Debug)]
pub(super) enum WriteEnd {
    /// The response is complete on the wire; the connection may continue (framing allowing).
    Complete,
    /// The body failed or did not match its declared length: the message on the wire is
    /// truncated and the connection must close.
    Truncated(BoxError),
    /// Writing to the client failed.
    Io(io::Error),
}

/// Writes `wbuf` (holding the encoded head) and then `body` as `framing` says.
pub(super) async fn write_response<W: AsyncWrite + Unpin>(
    wr: &mut W,
    wbuf: &mut BytesMut,
    framing: BodyFraming,
    mut body: Body,
) -> WriteEnd {
    let result = write_body(wr, wbuf, framing, &mut body).await;
    let end = match result {
        Ok(()) => match flush(wr, wbuf).await {
            Ok(()) => WriteEnd::Complete,
            Err(e) => WriteEnd::Io(e),
        },
        Err(Failure::Io(e)) => WriteEnd::Io(e),
        Err(Failure::Body(e)) => {
            // what was gathered is valid as far as it goes; the close marks the truncation
            let _ = flush(wr, wbuf).await;
            WriteEnd::Truncated(e)
        }
    };
    wbuf.clear();
    end
}

/// Whether [`write_whole`] can send this whole body (`None`: empty) as `framing` says: always
/// when no body is sent, for a length when the data has exactly that length.
pub(super) fn whole_body_fits(framing: BodyFraming, data: Option<&Bytes>) -> bool {
    match framing {
        BodyFraming::Empty | BodyFraming::Tunnel => true,
        BodyFraming::Length(n) => data.is_some_and(|d| d.len() as u64 == n),
        BodyFraming::Chunked | BodyFraming::CloseDelimited => false,
    }
}

/// Writes `wbuf` (holding the encoded head) and the whole body `data`, for a framing that
/// [`whole_body_fits`]: small data goes out with the head in one write.
pub(super) async fn write_whole<W: AsyncWrite + Unpin>(
    wr: &mut W,
    wbuf: &mut BytesMut,
    framing: BodyFraming,
    data: Option<Bytes>,
) -> WriteEnd {
    let result = async {
        if let (BodyFraming::Length(_), Some(data)) = (framing, data) {
            if data.len() < DIRECT_AT {
                wbuf.put_slice(&data);
            } else {
                wr.write_all(wbuf).await?;
                wbuf.clear();
                wr.write_all(&data).await?;
            }
        }
        flush(wr, wbuf).await
    }
    .await;
    wbuf.clear();
    match result {
        Ok(()) => WriteEnd::Complete,
        Err(e) => WriteEnd::Io(e),
    }
}

pin_project_lite::pin_project! {
    /// The response writer of one request: [`write_whole`] inline, or [`write_response`] for
    /// a streamed body in its own allocation (its state is larger, and only streamed bodies
    /// need it).
    #[project = WriterProj]
    pub(super) enum Writer<A, B> {
        /// A whole body.
        Whole { #[pin] fut: A },
        /// A streamed body.
        Streamed { fut: Pin<Box<B>> },
    }
}

impl<A, B> Future for Writer<A, B>
where
    A: Future<Output = WriteEnd>,
    B: Future<Output = WriteEnd>,
{
    type Output = WriteEnd;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<WriteEnd> {
        match self.project() {
            WriterProj::Whole { fut } => fut.poll(cx),
            WriterProj::Streamed { fut } => fut.as_mut().poll(cx),
        }
    }
}

enum Failure {
    Io(io::Error),
    Body(BoxError),
}

async fn flush<W: AsyncWrite + Unpin>(wr: &mut W, wbuf: &mut BytesMut) -> io::Result<()> {
    if !wbuf.is_empty() {
        wr.write_all(wbuf).await?;
        wbuf.clear();
    }
    wr.flush().await
}

/// The next frame; the buffer is written out first when the body has none ready.
async fn next_frame<W: AsyncWrite + Unpin>(
    wr: &mut W,
    wbuf: &mut BytesMut,
    body: &mut Body,
) -> Result<Option<Frame<Bytes>>, Failure> {
    let ready =
        poll_fn(|cx| Poll::Ready(http_body::Body::poll_frame(Pin::new(&mut *body), cx))).await;
    let frame = match ready {
        Poll::Ready(frame) => frame,
        Poll::Pending => {
            flush(wr, wbuf).await.map_err(Failure::Io)?;
            body.frame().await
        }
    };
    frame.transpose().map_err(Failure::Body)
}

async fn put_data<W: AsyncWrite + Unpin>(
    wr: &mut W,
    wbuf: &mut BytesMut,
    data: &[u8],
) -> Result<(), Failure> {
    if data.len() >= DIRECT_AT {
        if !wbuf.is_empty() {
            wr.write_all(wbuf).await.map_err(Failure::Io)?;
            wbuf.clear();
        }
        wr.write_all(data).await.map_err(Failure::Io)?;
    } else {
        wbuf.put_slice(data);
        if wbuf.len() >= FLUSH_AT {
            wr.write_all(wbuf).await.map_err(Failure::Io)?;
            wbuf.clear();
        }
    }
    Ok(())
}

async fn write_body<W: AsyncWrite + Unpin>(
    wr: &mut W,
    wbuf: &mut BytesMut,
    framing: BodyFraming,
    body: &mut Body,
) -> Result<(), Failure> {
    match framing {
        BodyFraming::Empty | BodyFraming::Tunnel => Ok(()),
        BodyFraming::Length(declared) => {
            let mut written: u64 = 0;
            while let Some(frame) = next_frame(wr, wbuf, body).await? {
                let Ok(data) = frame.into_data() else {
                    continue; // trailers cannot be sent with a fixed length
                };
                written += data.len() as u64;
                if written > declared {
                    return Err(Failure::Body(
                        "response body longer than its Content-Length".into(),
                    ));
                }
                put_data(wr, wbuf, &data).await?;
            }
            if written < declared {
                return Err(Failure::Body(
                    "response body shorter than its Content-Length".into(),
                ));
            }
            Ok(())
        }
        BodyFraming::Chunked => {
            while let Some(frame) = next_frame(wr, wbuf, body).await? {
                match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(data) => {
                        encode_chunk_header(data.len(), wbuf);
                        put_data(wr, wbuf, &data).await?;
                        wbuf.put_slice(b"\r\n");
                    }
                    Err(frame) => {
                        encode_last_chunk(frame.trailers_ref(), wbuf);
                        return Ok(());
                    }
                }
            }
            encode_last_chunk(None, wbuf);
            Ok(())
        }
        BodyFraming::CloseDelimited => {
            while let Some(frame) = next_frame(wr, wbuf, body).await? {
                if let Ok(data) = frame.into_data() {
                    put_data(wr, wbuf, &data).await?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use futures_core::Stream;
    use http::HeaderMap;
    use std::task::Context;

    struct Frames(Vec<Result<Frame<Bytes>, BoxError>>);

    impl Stream for Frames {
        type Item = Result<Frame<Bytes>, BoxError>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready((!self.0.is_empty()).then(|| self.0.remove(0)))
        }
    }

    fn body(frames: Vec<Result<Frame<Bytes>, BoxError>>) -> Body {
        Body::from_stream(Frames(frames))
    }

    async fn written(framing: BodyFraming, body: Body) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut wbuf = BytesMut::from(&b"HEAD\r\n"[..]);
        let end = write_response(&mut out, &mut wbuf, framing, body).await;
        (out, matches!(end, WriteEnd::Complete))
    }

    fn data(s: &'static str) -> Result<Frame<Bytes>, BoxError> {
        Ok(Frame::data(Bytes::from_static(s.as_bytes())))
    }

    #[tokio::test]
    async fn framings_table() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", "7".parse().unwrap());
        let big = "y".repeat(DIRECT_AT);
        let big: &'static str = Box::leak(big.into_boxed_str());
        type Row = (
            BodyFraming,
            Vec<Result<Frame<Bytes>, BoxError>>,
            String,
            bool,
        );
        let rows: Vec<Row> = vec![
            (
                BodyFraming::Empty,
                vec![data("ignored")],
                "HEAD\r\n".into(),
                true,
            ),
            (
                BodyFraming::Length(5),
                vec![data("ab"), data("cde")],
                "HEAD\r\nabcde".into(),
                true,
            ),
            (
                BodyFraming::Length(5),
                vec![data("ab")],
                "HEAD\r\nab".into(),
                false,
            ),
            (
                BodyFraming::Length(1),
                vec![data("ab")],
                "HEAD\r\n".into(),
                false,
            ),
            (
                BodyFraming::Chunked,
                vec![data("abc"), data(""), data("de")],
                "HEAD\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".into(),
                true,
            ),
            (
                BodyFraming::Chunked,
                vec![data("abc"), Ok(Frame::trailers(trailers))],
                "HEAD\r\n3\r\nabc\r\n0\r\nX-Sum: 7\r\n\r\n".into(),
                true,
            ),
            (
                BodyFraming::Chunked,
                vec![data("abc"), Err("boom".into())],
                "HEAD\r\n3\r\nabc\r\n".into(),
                false,
            ),
            (
                BodyFraming::Chunked,
                vec![data(big)],
                format!("HEAD\r\n{:X}\r\n{big}\r\n0\r\n\r\n", big.len()),
                true,
            ),
            (
                BodyFraming::CloseDelimited,
                vec![data("a"), data("b")],
                "HEAD\r\nab".into(),
                true,
            ),
        ];
        for (framing, frames, want, complete) in rows {
            let (out, ok) = written(framing, body(frames)).await;
            assert_eq!(String::from_utf8(out).unwrap(), want, "{framing:?}");
            assert_eq!(ok, complete, "{framing:?}");
        }
    }
}
