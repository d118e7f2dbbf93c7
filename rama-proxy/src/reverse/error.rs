//! [`ReverseProxyError`]: why the proxy answered a request itself, which side failed, and
//! the status the client got.

use http::{HeaderValue, Response, StatusCode, header};
use rama_core::error::{BoxError, find_in_chain};
use rama_http::Body;
use rama_http::client::Error as ClientError;
use rama_tcp::client::TcpConnectError;
use std::fmt;
use std::sync::Arc;

/// What went wrong; decides the status (see [`ReverseProxyError::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No upstream is available (all unhealthy, ejected or already tried): `503`.
    NoHealthyUpstream,
    /// The connection to the upstream could not be made (refused, unreachable, DNS): `502`.
    Connect,
    /// Connecting to the upstream took too long: `504`.
    ConnectTimeout,
    /// The upstream's response head did not arrive within the response-head timeout: `504`.
    Timeout,
    /// The upstream closed the connection before any of the response: `502`.
    Closed,
    /// Another upstream failure (invalid response, TLS, protocol error): `502`.
    Upstream,
    /// The client's request body failed (it went away, or broke its framing): `400`.
    ClientBody,
    /// The request could not be sent upstream as it is (for example a target that is
    /// not a valid URI on the upstream): `500`.
    Internal,
}

impl ErrorKind {
    /// The status the client gets.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::NoHealthyUpstream => StatusCode::SERVICE_UNAVAILABLE,
            Self::Connect | Self::Closed | Self::Upstream => StatusCode::BAD_GATEWAY,
            Self::ConnectTimeout | Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::ClientBody => StatusCode::BAD_REQUEST,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether the request never reached the upstream or got no byte of an answer, so an
    /// idempotent request may go to another upstream.
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        matches!(self, Self::Connect | Self::ConnectTimeout | Self::Closed)
    }

    /// Whether the failure is the upstream's, to count against its health.
    #[must_use]
    pub const fn is_upstream_failure(self) -> bool {
        matches!(
            self,
            Self::Connect | Self::ConnectTimeout | Self::Timeout | Self::Closed | Self::Upstream
        )
    }

    const fn describe(self) -> &'static str {
        match self {
            Self::NoHealthyUpstream => "no healthy upstream",
            Self::Connect => "could not connect to the upstream",
            Self::ConnectTimeout => "connecting to the upstream timed out",
            Self::Timeout => "the upstream did not answer in time",
            Self::Closed => "the upstream closed the connection before answering",
            Self::Upstream => "the upstream's answer failed",
            Self::ClientBody => "the request body failed",
            Self::Internal => "the request could not be forwarded",
        }
    }

    /// Sorts an error of the upstream client.
    fn classify(err: &(dyn std::error::Error + 'static)) -> Self {
        if let Some(tcp) = find_in_chain::<TcpConnectError>(err) {
            return if tcp.is_timeout() {
                Self::ConnectTimeout
            } else {
                Self::Connect
            };
        }
        if let Some(client) = find_in_chain::<ClientError>(err) {
            return if client.is_timeout() {
                Self::Timeout
            } else if client.is_closed() {
                Self::Closed
            } else if client.is_user_body() {
                Self::ClientBody
            } else {
                Self::Upstream
            };
        }
        if find_in_chain::<std::io::Error>(err).is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::TimedOut
            )
        }) {
            return Self::Connect;
        }
        Self::Upstream
    }
}

/// Why the proxy answered a request itself. The answer the client got carries a clone in
/// its extensions, so an outer layer can log or count it:
///
/// ```
/// use rama_proxy::reverse::{ErrorKind, ReverseProxyError};
///
/// let err = ReverseProxyError::new(ErrorKind::Connect, Some("10.0.0.7:8080"));
/// assert_eq!(err.status().as_u16(), 502);
/// assert!(err.is_retryable());
/// let res = err.to_response();
/// assert_eq!(res.status().as_u16(), 502);
/// assert!(res.extensions().get::<ReverseProxyError>().is_some());
/// ```
#[derive(Clone)]
pub struct ReverseProxyError {
    kind: ErrorKind,
    upstream: Option<Arc<str>>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ReverseProxyError {
    /// An error of `kind`, at `upstream` (its authority) if one was involved.
    #[must_use]
    pub fn new(kind: ErrorKind, upstream: Option<&str>) -> Self {
        Self {
            kind,
            upstream: upstream.map(Arc::from),
            source: None,
        }
    }

    /// An error of the upstream client at `upstream`, sorted by kind.
    #[must_use]
    pub fn from_client(err: BoxError, upstream: &str) -> Self {
        let kind = ErrorKind::classify(&*err);
        Self {
            kind,
            upstream: Some(Arc::from(upstream)),
            source: Some(Arc::from(err)),
        }
    }

    /// Sets the cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The upstream involved (`host:port`), if any.
    #[must_use]
    pub fn upstream(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    /// The status the client gets.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// See [`ErrorKind::is_retryable`].
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The answer for the client: the status and a one-line text body. It names neither
    /// the upstream nor the cause (those are for the log), and carries this error in its
    /// extensions.
    #[must_use]
    pub fn to_response(&self) -> Response<Body> {
        let status = self.status();
        let text = format!(
            "{} {}: {}\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            self.kind.describe()
        );
        let mut res = Response::new(Body::from(text));
        *res.status_mut() = status;
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.kind == ErrorKind::ClientBody {
            // the request body is in an unknown state: the connection cannot go on
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl fmt::Debug for ReverseProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReverseProxyError")
            .field("kind", &self.kind)
            .field("upstream", &self.upstream)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for ReverseProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(upstream) = &self.upstream {
            write!(f, " ({upstream})")?;
        }
        if f.alternate()
            && let Some(source) = &self.source
        {
            write!(f, ": {source:#}")?;
            let mut next = source.source();
            while let Some(e) = next {
                write!(f, ": {e}")?;
                next = e.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for ReverseProxyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::error::ErrorContext;

    #[test]
    fn status_table() {
        let cases = [
            (ErrorKind::NoHealthyUpstream, 503, false),
            (ErrorKind::Connect, 502, true),
            (ErrorKind::ConnectTimeout, 504, true),
            (ErrorKind::Timeout, 504, false),
            (ErrorKind::Closed, 502, true),
            (ErrorKind::Upstream, 502, false),
            (ErrorKind::ClientBody, 400, false),
            (ErrorKind::Internal, 500, false),
        ];
        for (kind, status, retry) in cases {
            assert_eq!(kind.status().as_u16(), status, "{kind:?}");
            assert_eq!(kind.is_retryable(), retry, "{kind:?}");
        }
    }

    #[test]
    fn classifies_through_context() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err: Result<(), _> = Err(io);
        let err: BoxError = err.context("connect to 127.0.0.1:1").unwrap_err().into();
        let e = ReverseProxyError::from_client(err, "127.0.0.1:1");
        assert_eq!(e.kind(), ErrorKind::Connect);
        assert_eq!(e.upstream(), Some("127.0.0.1:1"));
        let full = format!("{e:#}");
        assert!(
            full.contains("127.0.0.1:1") && full.contains("refused"),
            "{full}"
        );

        let other: BoxError = "garbage".into();
        let e = ReverseProxyError::from_client(other, "u:1");
        assert_eq!(e.kind(), ErrorKind::Upstream);
    }

    #[tokio::test]
    async fn response_names_no_upstream() {
        let e = ReverseProxyError::new(ErrorKind::Timeout, Some("10.9.9.9:1234"));
        let res = e.to_response();
        assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
        let body = res.into_body().collect_string(1024).await.unwrap();
        assert_eq!(
            body,
            "504 Gateway Timeout: the upstream did not answer in time\n"
        );
    }
}
