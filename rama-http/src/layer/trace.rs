//! [`TraceLayer`]: one [`tracing`] span per request, with the field names of the
//! OpenTelemetry HTTP semantic conventions, and one event when the response (or error) is
//! produced, with its latency.
//!
//! Span `http request` (level INFO) fields:
//!
//! | field | from |
//! |---|---|
//! | `http.request.method` | the method |
//! | `url.path`, `url.query` | the request target |
//! | `url.scheme` | the URI's scheme, else `http` |
//! | `network.protocol.version` | `1.0`, `1.1`, `2`, ... |
//! | `server.address` | the URI's host, else the `Host` header (without port) |
//! | `client.address` | the peer IP of the [`SocketInfo`] in the request's extensions |
//! | `user_agent.original` | the `User-Agent` header |
//! | `http.response.status_code` | recorded on response |
//! | `error.type` | recorded for a `5xx` status (the code) or a service error (`_OTHER`) |
//!
//! Headers listed in the layer's [`SensitiveHeaders`] (or whose value is marked sensitive)
//! are never recorded: the DEBUG event with the request headers shows `[redacted]` for
//! them, and `user_agent.original` is left out if `User-Agent` is in the set.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::trace::TraceLayer;
//! use rama_http::{Body, Request, Response};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let svc = TraceLayer::new().into_layer(service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::from("traced")))
//! }));
//! let res = svc.serve(Request::new(Body::empty())).await.unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```

use super::sensitive_headers::SensitiveHeaders;
use crate::connection::ConnectionExtensions;
use crate::{Body, Request, Response, Version, header};
use rama_core::{Layer, Service};
use rama_net::stream::SocketInfo;
use std::fmt;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

/// A [`Layer`] producing [`Trace`] services.
#[derive(Debug, Clone, Default)]
pub struct TraceLayer {
    sensitive: SensitiveHeaders,
}

impl TraceLayer {
    /// Trace requests, never recording the default [`SensitiveHeaders`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Never record the headers in `sensitive` (in addition to values marked sensitive).
    #[must_use]
    pub fn with_sensitive_headers(mut self, sensitive: SensitiveHeaders) -> Self {
        self.sensitive = sensitive;
        self
    }

    /// The headers never recorded.
    #[must_use]
    pub const fn sensitive_headers(&self) -> &SensitiveHeaders {
        &self.sensitive
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Trace {
            inner,
            sensitive: self.sensitive.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        Trace {
            inner,
            sensitive: self.sensitive,
        }
    }
}

/// A service tracing each request; see [`TraceLayer`].
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    sensitive: SensitiveHeaders,
}

impl<S> Trace<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The headers never recorded.
    pub const fn sensitive_headers(&self) -> &SensitiveHeaders {
        &self.sensitive
    }
}

fn protocol_version(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "_OTHER",
    }
}

fn server_address(req: &Request<Body>) -> Option<String> {
    if let Some(host) = req.uri().host() {
        return Some(host.to_owned());
    }
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let host = match host.rsplit_once(':') {
        // keep IPv6 literals whole: "[::1]:80" → "[::1]"
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    Some(host.to_owned())
}

fn client_address(req: &Request<Body>) -> Option<String> {
    let info = req.connection_get::<SocketInfo>()?;
    Some(info.peer_addr().ip().to_string())
}

/// The request headers with sensitive values replaced, for the DEBUG event.
struct RedactedHeaders<'a> {
    headers: &'a http::HeaderMap,
    sensitive: &'a SensitiveHeaders,
}

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.headers {
            if self.sensitive.is_redacted(name, value) {
                map.entry(&name.as_str(), &"[redacted]");
            } else {
                map.entry(&name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
            }
        }
        map.finish()
    }
}

impl<S> Service<Request<Body>> for Trace<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: fmt::Display,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, S::Error> {
        let user_agent = if self.sensitive.contains(&header::USER_AGENT) {
            None
        } else {
            req.headers()
                .get(header::USER_AGENT)
                .filter(|v| !v.is_sensitive())
                .and_then(|v| v.to_str().ok())
        };
        let span = tracing::info_span!(
            "http request",
            http.request.method = %req.method(),
            url.path = req.uri().path(),
            url.query = req.uri().query(),
            url.scheme = req.uri().scheme_str().unwrap_or("http"),
            network.protocol.version = protocol_version(req.version()),
            server.address = server_address(&req),
            client.address = client_address(&req),
            user_agent.original = user_agent,
            http.response.status_code = Empty,
            error.type = Empty,
        );
        span.in_scope(|| {
            tracing::debug!(
                headers = ?RedactedHeaders { headers: req.headers(), sensitive: &self.sensitive },
                "request headers"
            );
        });
        let start = Instant::now();
        let result = self.inner.serve(req).instrument(span.clone()).await;
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        let _entered = span.enter();
        match &result {
            Ok(res) => {
                let status = res.status().as_u16();
                span.record("http.response.status_code", status);
                if res.status().is_server_error() {
                    span.record("error.type", status);
                    tracing::warn!(status, latency_ms, "response");
                } else {
                    tracing::info!(status, latency_ms, "response");
                }
            }
            Err(err) => {
                span.record("error.type", "_OTHER");
                tracing::error!(error = %err, latency_ms, "service failed");
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service::service_fn;
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<TraceLayer>();
        assert_send_sync::<Trace<()>>();
    };

    /// Records every field of every span and event as text, keyed by name.
    #[derive(Clone, Default)]
    struct Recorder {
        fields: Arc<Mutex<BTreeMap<String, String>>>,
        events: Arc<Mutex<Vec<String>>>,
    }

    struct Collect<'a>(&'a mut BTreeMap<String, String>);
    impl Visit for Collect<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    impl Subscriber for Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            span.record(&mut Collect(&mut self.fields.lock().unwrap()));
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut Collect(&mut self.fields.lock().unwrap()));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = BTreeMap::new();
            event.record(&mut Collect(&mut fields));
            self.events.lock().unwrap().push(format!("{fields:?}"));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    async fn traced(req: Request<Body>, status: u16, sensitive: SensitiveHeaders) -> Recorder {
        let recorder = Recorder::default();
        let svc = TraceLayer::new()
            .with_sensitive_headers(sensitive)
            .into_layer(service_fn(move |_req: Request<Body>| async move {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
                Ok::<_, std::convert::Infallible>(res)
            }));
        let _guard = tracing::subscriber::set_default(recorder.clone());
        svc.serve(req).await.unwrap();
        recorder
    }

    #[tokio::test]
    async fn span_has_semantic_convention_fields() {
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let mut req = Request::builder()
            .method("POST")
            .uri("/items?id=3")
            .header("host", "example.test:8080")
            .header("user-agent", "curl/8")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(SocketInfo::new(None, peer));
        let rec = traced(req, 503, SensitiveHeaders::default()).await;
        let f = rec.fields.lock().unwrap().clone();
        let want = [
            ("http.request.method", "POST"),
            ("url.path", "/items"),
            ("url.query", "id=3"),
            ("url.scheme", "http"),
            ("network.protocol.version", "1.1"),
            ("server.address", "example.test"),
            ("client.address", "127.0.0.1"),
            ("user_agent.original", "curl/8"),
            ("http.response.status_code", "503"),
            ("error.type", "503"),
        ];
        for (name, value) in want {
            assert_eq!(
                f.get(name).map(String::as_str),
                Some(value),
                "{name}: {f:?}"
            );
        }
        let events = rec.events.lock().unwrap().join("\n");
        assert!(events.contains("latency_ms"), "{events}");
    }

    #[tokio::test]
    async fn sensitive_headers_are_never_recorded() {
        let req = Request::builder()
            .uri("/")
            .header("authorization", "Bearer top-secret")
            .header("cookie", "session=hidden-cookie")
            .header("user-agent", "agent-secret")
            .header("x-plain", "visible")
            .body(Body::empty())
            .unwrap();
        let set = SensitiveHeaders::default_with([header::USER_AGENT]);
        let rec = traced(req, 200, set).await;
        let fields = format!("{:?}", rec.fields.lock().unwrap());
        let events = rec.events.lock().unwrap().join("\n");
        let all = format!("{fields}\n{events}");
        for secret in ["top-secret", "hidden-cookie", "agent-secret"] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
        assert!(events.contains("visible"), "{events}");
        assert!(events.contains("[redacted]"), "{events}");
        assert!(!fields.contains("error.type"), "{fields}");
    }

    #[test]
    fn server_address_from_host_header_keeps_ipv6() {
        let req = |host: &str| {
            Request::builder()
                .header("host", host)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(server_address(&req("[::1]:80")).unwrap(), "[::1]");
        assert_eq!(server_address(&req("a.test")).unwrap(), "a.test");
    }
}
