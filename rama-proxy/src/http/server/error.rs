//! [`UpstreamError`]: how a forward proxy answers when it cannot reach the target.

use crate::policy::find_policy_error;
use rama_core::error::{BoxError, find_in_chain};
use rama_http::{Body, HeaderValue, Response, StatusCode, header};
use rama_tcp::client::TcpConnectError;
use std::fmt;
use std::time::Duration;

/// Why a proxied request or tunnel could not reach its target, with the status the proxy
/// answers. Opaque: ask with [`status`](Self::status); the `Display` text is the reason sent
/// to the client: a short plain-text reason naming the target and the cause, never
/// credentials.
///
/// | failure | status |
/// |---|---|
/// | the target is refused by the [`TargetPolicy`](crate::policy::TargetPolicy) | `403 Forbidden` |
/// | the name does not resolve | `502 Bad Gateway` |
/// | connection refused, unreachable, reset, TLS or protocol failure upstream | `502 Bad Gateway` |
/// | the connect (or the upstream response) timed out | `504 Gateway Timeout` |
/// | the request is not a proxy request, or its target is malformed | `400 Bad Request` |
#[derive(Debug)]
pub struct UpstreamError {
    status: StatusCode,
    reason: String,
}

impl UpstreamError {
    /// Classifies a connector's or client's error for `target` (shown in the reason).
    #[must_use]
    pub fn classify(target: &dyn fmt::Display, err: &BoxError) -> Self {
        let err: &(dyn std::error::Error + 'static) = &**err;
        if let Some(refused) = find_policy_error(err) {
            return Self::new(StatusCode::FORBIDDEN, refused.to_string());
        }
        if let Some(tcp) = find_in_chain::<TcpConnectError>(err) {
            if tcp.is_timeout() {
                return Self::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!("connect to {target}: timed out"),
                );
            }
            if tcp.is_resolve() {
                return Self::new(
                    StatusCode::BAD_GATEWAY,
                    format!("connect to {target}: the name could not be resolved"),
                );
            }
            // the connect error's text names the target and the OS cause, nothing secret
            return Self::new(StatusCode::BAD_GATEWAY, tcp.to_string());
        }
        if let Some(io) = find_in_chain::<std::io::Error>(err)
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return Self::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!("upstream {target}: timed out"),
            );
        }
        Self::new(
            StatusCode::BAD_GATEWAY,
            format!("upstream {target}: request failed"),
        )
    }

    /// The proxy's own connect timeout passed.
    #[must_use]
    pub fn timeout(target: &dyn fmt::Display, after: Duration) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("connect to {target}: timed out after {after:?}"),
        )
    }

    const fn new(status: StatusCode, reason: String) -> Self {
        Self { status, reason }
    }

    /// The status the proxy answers.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.status
    }

    /// The response: the status, and the reason as a plain-text body.
    #[must_use]
    pub fn into_response(self) -> Response<Body> {
        text_response(self.status, self.reason)
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for UpstreamError {}

/// A response with `status` and `reason` (plus a newline) as its `text/plain` body.
pub(crate) fn text_response(status: StatusCode, reason: impl Into<String>) -> Response<Body> {
    let mut body = reason.into();
    body.push('\n');
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyConnector, TargetPolicy};
    use rama_core::Service;
    use rama_net::dns::InMemoryDns;
    use rama_tcp::client::{TcpConnector, TcpRequest};

    async fn connect_err<C>(connector: &C, target: &str) -> BoxError
    where
        C: Service<TcpRequest>,
        C::Error: Into<BoxError>,
    {
        match connector
            .serve(TcpRequest::new(target.parse().unwrap()))
            .await
        {
            Ok(_) => panic!("{target} connected"),
            Err(e) => e.into(),
        }
    }

    #[tokio::test]
    async fn classify_table() {
        let port = rama_test_support::free_port();
        let open = TcpConnector::with_resolver(InMemoryDns::new());
        let strict = PolicyConnector::tcp(InMemoryDns::new(), TargetPolicy::public_only());
        let refused = format!("127.0.0.1:{port}");

        let cases: Vec<(BoxError, StatusCode, &str)> = vec![
            (
                connect_err(&open, &refused).await,
                StatusCode::BAD_GATEWAY,
                "connection refused",
            ),
            (
                connect_err(&open, "nowhere.test:80").await,
                StatusCode::BAD_GATEWAY,
                "could not be resolved",
            ),
            (
                connect_err(&strict, &refused).await,
                StatusCode::FORBIDDEN,
                "loopback address; refused by policy",
            ),
            (
                Box::new(std::io::Error::new(std::io::ErrorKind::TimedOut, "slow")),
                StatusCode::GATEWAY_TIMEOUT,
                "timed out",
            ),
            ("opaque".into(), StatusCode::BAD_GATEWAY, "request failed"),
        ];
        for (err, status, text) in cases {
            let got = UpstreamError::classify(&"t", &err);
            assert_eq!(got.status(), status, "{err}");
            assert!(got.to_string().contains(text), "{got} vs {text}");
        }
    }

    #[test]
    fn response_has_reason_body() {
        let res = UpstreamError::timeout(&"a:1", Duration::from_secs(2)).into_response();
        assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
