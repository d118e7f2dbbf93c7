//! Reading a whole body into memory, bounded by a size limit.
//!
//! Written here rather than taken from `http-body-util`: the loop is a few lines, and the
//! limit check belongs inside it (a typed [`BodyLimitExceeded`] error, and a body whose size
//! hint already exceeds the limit fails before a byte is read).

use super::Body;
use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use rama_core::error::BoxError;
use std::{fmt, future::poll_fn, pin::pin};

/// A body read whole: its data and its trailers, if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collected {
    /// All data frames, concatenated.
    pub data: Bytes,
    /// The trailers frame, if the body had one (several are merged).
    pub trailers: Option<HeaderMap>,
}

/// The body is larger than the limit given to [`collect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimitExceeded {
    limit: usize,
}

impl BodyLimitExceeded {
    /// The limit, in bytes, that was exceeded.
    #[must_use]
    pub const fn limit(&self) -> usize {
        self.limit
    }
}

impl fmt::Display for BodyLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "body larger than the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for BodyLimitExceeded {}

/// Why a body could not be collected.
#[derive(Debug)]
#[non_exhaustive]
pub enum CollectError {
    /// The body is larger than the limit.
    LimitExceeded(BodyLimitExceeded),
    /// The body itself failed (a reset connection, an aborted channel, ...).
    Body(BoxError),
    /// The body is not UTF-8 ([`Body::collect_string`] only).
    InvalidUtf8(std::str::Utf8Error),
}

impl CollectError {
    /// Whether the error is a [`BodyLimitExceeded`] (a server answers 413).
    #[must_use]
    pub const fn is_limit_exceeded(&self) -> bool {
        matches!(self, Self::LimitExceeded(_))
    }
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LimitExceeded(e) => e.fmt(f),
            Self::Body(_) => f.write_str("failed to read body"),
            Self::InvalidUtf8(_) => f.write_str("body is not valid UTF-8"),
        }
    }
}

impl std::error::Error for CollectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::LimitExceeded(e) => Some(e),
            Self::Body(e) => Some(&**e),
            Self::InvalidUtf8(e) => Some(e),
        }
    }
}

/// Reads `body` whole, failing with [`CollectError::LimitExceeded`] as soon as more than
/// `limit` data bytes arrive (or at once when the size hint says so).
///
/// ```
/// use rama_http::{Body, body::collect};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = collect(Body::from("too long"), 3).await.unwrap_err();
/// assert!(err.is_limit_exceeded());
/// # }
/// ```
pub async fn collect<B>(body: B, limit: usize) -> Result<Collected, CollectError>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    let exceeded = CollectError::LimitExceeded(BodyLimitExceeded { limit });
    if body.size_hint().lower() > limit as u64 {
        return Err(exceeded);
    }
    let mut body = pin!(body);
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut len = 0usize;
    let mut trailers: Option<HeaderMap> = None;
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| CollectError::Body(e.into()))?;
        match frame.into_data() {
            Ok(mut data) => {
                let chunk = data.copy_to_bytes_all();
                len = len.saturating_add(chunk.len());
                if len > limit {
                    return Err(exceeded);
                }
                // one frame: keep it as is (no copy); more: concatenate
                match first.take() {
                    None if buf.is_empty() => first = Some(chunk),
                    None => buf.extend_from_slice(&chunk),
                    Some(prev) => {
                        buf.extend_from_slice(&prev);
                        buf.extend_from_slice(&chunk);
                    }
                }
            }
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    match &mut trailers {
                        Some(all) => all.extend(t),
                        None => trailers = Some(t),
                    }
                }
            }
        }
    }
    let data = first.unwrap_or_else(|| buf.freeze());
    Ok(Collected { data, trailers })
}

trait CopyAll {
    fn copy_to_bytes_all(&mut self) -> Bytes;
}

impl<T: bytes::Buf> CopyAll for T {
    fn copy_to_bytes_all(&mut self) -> Bytes {
        let n = self.remaining();
        self.copy_to_bytes(n)
    }
}

impl Body {
    /// Reads the whole body into [`Bytes`], failing beyond `limit` bytes; trailers are
    /// dropped (use [`collect`] to keep them).
    pub async fn collect_bytes(self, limit: usize) -> Result<Bytes, CollectError> {
        collect(self, limit).await.map(|c| c.data)
    }

    /// Reads the whole body into a UTF-8 [`String`], failing beyond `limit` bytes.
    pub async fn collect_string(self, limit: usize) -> Result<String, CollectError> {
        let data = self.collect_bytes(limit).await?;
        match std::str::from_utf8(&data) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(CollectError::InvalidUtf8(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exactly_at_limit_passes_one_over_fails() {
        assert_eq!(Body::from("abc").collect_bytes(3).await.unwrap(), "abc");
        let err = Body::from("abcd").collect_bytes(3).await.unwrap_err();
        match err {
            CollectError::LimitExceeded(e) => assert_eq!(e.limit(), 3),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn streamed_limit_is_checked_while_reading() {
        let (tx, body) = Body::channel();
        let task = tokio::spawn(async move {
            for _ in 0..10 {
                if tx.send_data("12345").await.is_err() {
                    return;
                }
            }
        });
        assert_eq!(body.collect_string(50).await.unwrap().len(), 50);
        task.await.unwrap();
        let (tx, body) = Body::channel();
        let task = tokio::spawn(async move {
            for _ in 0..11 {
                if tx.send_data("12345").await.is_err() {
                    return;
                }
            }
        });
        assert!(
            body.collect_string(50)
                .await
                .unwrap_err()
                .is_limit_exceeded()
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn invalid_utf8_is_typed() {
        let err = Body::from(vec![0xff, 0xfe])
            .collect_string(10)
            .await
            .unwrap_err();
        assert!(matches!(err, CollectError::InvalidUtf8(_)));
    }
}
