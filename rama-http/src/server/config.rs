//! [`Http1Config`]: limits and timeouts of the HTTP/1.x connection engine.

use crate::h1::Http1Limits;
use std::time::Duration;

/// Limits and timeouts of an HTTP/1.x server connection, with safe defaults.
///
/// | setting | default | what it bounds |
/// |---|---|---|
/// | [`limits`](Self::with_limits) | [`Http1Limits::new`] | head size, header count, line lengths, chunk lines, trailers (→ 431/414/400) |
/// | [`header_read_timeout`](Self::with_header_read_timeout) | 10 s | the whole request head must arrive within it, counted from its first byte (from the connection's start for the first request): the slowloris defence. A late head gets `408` and the connection closes |
/// | [`keep_alive_timeout`](Self::with_keep_alive_timeout) | 60 s | how long an idle keep-alive connection waits for the next request's first byte |
/// | [`keep_alive`](Self::with_keep_alive) | on | whether connections are kept open after a response |
/// | [`max_requests`](Self::with_max_requests) | none | requests per connection; the last one gets `Connection: close` |
/// | [`max_drain_bytes`](Self::with_max_drain_bytes) | 64 KiB | request body bytes read and thrown away after the response, when the service did not read its body, to keep the connection; more than this closes it |
/// | [`drain_timeout`](Self::with_drain_timeout) | 5 s | how long that draining may take |
///
/// ```
/// use rama_http::server::Http1Config;
/// use std::time::Duration;
///
/// let config = Http1Config::new()
///     .with_header_read_timeout(Duration::from_secs(5))
///     .with_max_requests(Some(1000));
/// assert_eq!(config.header_read_timeout(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http1Config {
    limits: Http1Limits,
    header_read_timeout: Duration,
    keep_alive_timeout: Duration,
    keep_alive: bool,
    max_requests: Option<usize>,
    max_drain_bytes: u64,
    drain_timeout: Duration,
}

impl Default for Http1Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Http1Config {
    /// The defaults listed in the type's docs.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            limits: Http1Limits::new(),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            keep_alive: true,
            max_requests: None,
            max_drain_bytes: 64 * 1024,
            drain_timeout: Duration::from_secs(5),
        }
    }

    /// Parser limits (head size, header count, line lengths, chunk and trailer bounds).
    #[must_use]
    pub const fn with_limits(mut self, limits: Http1Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The time within which a whole request head must arrive.
    #[must_use]
    pub const fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long an idle keep-alive connection waits for the next request.
    #[must_use]
    pub const fn with_keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = timeout;
        self
    }

    /// Whether connections may stay open for further requests (`false`: one request each).
    #[must_use]
    pub const fn with_keep_alive(mut self, keep_alive: bool) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// At most this many requests per connection (`None`: no limit).
    #[must_use]
    pub const fn with_max_requests(mut self, max: Option<usize>) -> Self {
        self.max_requests = max;
        self
    }

    /// How many unread request body bytes are drained to keep a connection open.
    #[must_use]
    pub const fn with_max_drain_bytes(mut self, max: u64) -> Self {
        self.max_drain_bytes = max;
        self
    }

    /// How long draining an unread request body may take.
    #[must_use]
    pub const fn with_drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// See [`with_limits`](Self::with_limits).
    #[must_use]
    pub const fn limits(&self) -> Http1Limits {
        self.limits
    }

    /// See [`with_header_read_timeout`](Self::with_header_read_timeout).
    #[must_use]
    pub const fn header_read_timeout(&self) -> Duration {
        self.header_read_timeout
    }

    /// See [`with_keep_alive_timeout`](Self::with_keep_alive_timeout).
    #[must_use]
    pub const fn keep_alive_timeout(&self) -> Duration {
        self.keep_alive_timeout
    }

    /// See [`with_keep_alive`](Self::with_keep_alive).
    #[must_use]
    pub const fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// See [`with_max_requests`](Self::with_max_requests).
    #[must_use]
    pub const fn max_requests(&self) -> Option<usize> {
        self.max_requests
    }

    /// See [`with_max_drain_bytes`](Self::with_max_drain_bytes).
    #[must_use]
    pub const fn max_drain_bytes(&self) -> u64 {
        self.max_drain_bytes
    }

    /// See [`with_drain_timeout`](Self::with_drain_timeout).
    #[must_use]
    pub const fn drain_timeout(&self) -> Duration {
        self.drain_timeout
    }
}
