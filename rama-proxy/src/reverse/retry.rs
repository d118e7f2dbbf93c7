//! Retries: an idempotent request whose upstream could not be reached (connection refused or
//! timed out, or closed before any byte of an answer) goes to the next upstream, a bounded
//! number of times.
//!
//! A request can be sent again only if its body can: an empty body always, a small one
//! (`Content-Length` up to [`RetryPolicy::with_max_buffered_body`]) by reading it whole
//! first. Larger or streamed bodies are sent once, streaming. Methods: `GET`, `HEAD`,
//! `OPTIONS`, `TRACE`, `PUT`, `DELETE` (RFC 9110 §9.2.2).

use bytes::Bytes;
use http::Method;
use rama_core::error::BoxError;
use rama_http::Body;

/// How many upstreams a request may try; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_buffered_body: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// Up to 3 attempts (the first and two retries), bodies up to 64 KiB buffered.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_attempts: 3,
            max_buffered_body: 64 * 1024,
        }
    }

    /// One attempt: no retries.
    #[must_use]
    pub const fn disabled() -> Self {
        Self {
            max_attempts: 1,
            max_buffered_body: 0,
        }
    }

    /// Sets the number of attempts, the first included (0 counts as 1).
    #[must_use]
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// Sets the largest request body read whole so that the request can be retried.
    #[must_use]
    pub const fn with_max_buffered_body(mut self, bytes: usize) -> Self {
        self.max_buffered_body = bytes;
        self
    }

    /// The number of attempts, the first included.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The largest request body buffered for retries.
    #[must_use]
    pub const fn max_buffered_body(&self) -> usize {
        self.max_buffered_body
    }
}

/// Whether sending `method` twice means the same as sending it once.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// A request body that can be sent again.
#[derive(Debug, Clone)]
pub(crate) enum Replay {
    /// An empty body.
    Empty,
    /// A small body read whole.
    Buffered(Bytes),
}

impl Replay {
    pub(crate) fn body(&self) -> Body {
        match self {
            Self::Empty => Body::empty(),
            Self::Buffered(data) => Body::from(data.clone()),
        }
    }
}

/// The body to send first and, when the request may be retried, how to send it again.
/// A small body is read whole here.
///
/// # Errors
///
/// The client's body failed while it was read.
pub(crate) async fn replayable(
    policy: &RetryPolicy,
    method: &Method,
    body: Body,
) -> Result<(Body, Option<Replay>), BoxError> {
    if policy.max_attempts <= 1 || !is_idempotent(method) {
        return Ok((body, None));
    }
    if http_body::Body::is_end_stream(&body) {
        return Ok((body, Some(Replay::Empty)));
    }
    let fits = http_body::Body::size_hint(&body)
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .is_some_and(|n| n <= policy.max_buffered_body);
    if !fits {
        return Ok((body, None));
    }
    let data = body.collect_bytes(policy.max_buffered_body).await?;
    let replay = Replay::Buffered(data);
    Ok((replay.body(), Some(replay)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replayable_table() {
        let policy = RetryPolicy::new().with_max_buffered_body(8);
        // (method, body, replayable, data sent)
        let cases: Vec<(Method, Body, bool, &[u8])> = vec![
            (Method::GET, Body::empty(), true, b""),
            (Method::PUT, Body::from("small"), true, b"small"),
            (
                Method::PUT,
                Body::from("far too large"),
                false,
                b"far too large",
            ),
            (Method::POST, Body::empty(), false, b""),
            (Method::DELETE, Body::from("x"), true, b"x"),
        ];
        for (method, body, want, data) in cases {
            let (first, replay) = replayable(&policy, &method, body).await.unwrap();
            assert_eq!(replay.is_some(), want, "{method}");
            assert_eq!(
                &first.collect_bytes(64).await.unwrap()[..],
                data,
                "{method}"
            );
            if let Some(replay) = replay {
                let again = replay.body().collect_bytes(64).await.unwrap();
                assert_eq!(&again[..], data, "{method} replayed");
            }
        }
        // a streamed body of unknown size is never buffered
        let (tx, body) = Body::channel();
        drop(tx);
        let (_, replay) = replayable(&policy, &Method::PUT, body).await.unwrap();
        assert!(replay.is_none());
        // no retries: nothing is buffered
        let (_, replay) = replayable(&RetryPolicy::disabled(), &Method::GET, Body::empty())
            .await
            .unwrap();
        assert!(replay.is_none());
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
    }
}
