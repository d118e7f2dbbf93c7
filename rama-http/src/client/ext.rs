//! [`HttpClientExt`]: `client.get(url).header(..).send()` on any HTTP client service, and
//! [`ResponseExt`]: `text()`, `bytes()`, `json()`, `error_for_status()` on responses.
//!
//! ```no_run
//! use rama_http::client::{EasyHttpWebClient, HttpClientExt, ResponseExt};
//!
//! # #[cfg(feature = "hickory")]
//! # async fn run() -> Result<(), rama_core::error::BoxError> {
//! let client = EasyHttpWebClient::new();
//! let text = client
//!     .get("http://127.0.0.1:8080/search")
//!     .query(&[("q", "rama"), ("page", "2")])
//!     .bearer_auth("token")
//!     .send()
//!     .await?
//!     .error_for_status()?
//!     .text()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use crate::wire::OriginalHeaderNames;
use crate::{Body, HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use crate::{Uri, Version, header};
use bytes::Bytes;
use rama_core::Service;
use rama_core::error::{BoxError, ErrorContext, OpaqueError};
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// The default limit of [`ResponseExt`]'s body readers: 10 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// Request builders on any `Service<Request<Body>, Output = Response<Body>>`.
pub trait HttpClientExt:
    Service<Request<Body>, Output = Response<Body>, Error: Into<BoxError>> + Sized
{
    /// A request with `method` to `url`.
    fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        let url = url.as_ref();
        let req = url
            .parse::<Uri>()
            .map_err(|e| {
                OpaqueError::from_std(e)
                    .context(format!("invalid URL {url:?}"))
                    .into()
            })
            .map(|uri| {
                let mut req = Request::new(Body::empty());
                *req.method_mut() = method;
                *req.uri_mut() = uri;
                req
            });
        RequestBuilder {
            client: self,
            req,
            timeout: None,
        }
    }

    /// A `GET` request.
    fn get(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::GET, url)
    }

    /// A `POST` request.
    fn post(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::POST, url)
    }

    /// A `PUT` request.
    fn put(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::PUT, url)
    }

    /// A `PATCH` request.
    fn patch(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::PATCH, url)
    }

    /// A `DELETE` request.
    fn delete(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::DELETE, url)
    }

    /// A `HEAD` request.
    fn head(&self, url: impl AsRef<str>) -> RequestBuilder<'_, Self> {
        self.request(Method::HEAD, url)
    }
}

impl<S> HttpClientExt for S where
    S: Service<Request<Body>, Output = Response<Body>, Error: Into<BoxError>>
{
}

/// A request being built; [`send`](Self::send) it. The first error (a bad URL, header or
/// body) is kept and returned by `send`.
pub struct RequestBuilder<'a, S> {
    client: &'a S,
    req: Result<Request<Body>, BoxError>,
    timeout: Option<Duration>,
}

impl<S> fmt::Debug for RequestBuilder<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("request", &self.req)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<S> RequestBuilder<'_, S>
where
    S: Service<Request<Body>, Output = Response<Body>, Error: Into<BoxError>>,
{
    fn edit(mut self, f: impl FnOnce(&mut Request<Body>) -> Result<(), BoxError>) -> Self {
        if let Ok(req) = &mut self.req
            && let Err(e) = f(req)
        {
            self.req = Err(e);
        }
        self
    }

    /// Appends a header (kept after any of the same name).
    #[must_use]
    pub fn header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName, Error: Into<BoxError>>,
        V: TryInto<HeaderValue, Error: Into<BoxError>>,
    {
        self.edit(|req| {
            let name = name.try_into().map_err(Into::into)?;
            let value = value.try_into().map_err(Into::into)?;
            req.headers_mut().append(name, value);
            Ok(())
        })
    }

    /// Appends all of `headers`.
    #[must_use]
    pub fn headers(self, headers: HeaderMap) -> Self {
        self.edit(|req| {
            let mut last = None;
            for (name, value) in headers {
                if let Some(n) = name {
                    last = Some(n);
                }
                if let Some(n) = &last {
                    req.headers_mut().append(n.clone(), value);
                }
            }
            Ok(())
        })
    }

    /// Chooses the order and spelling of the header names on the wire (HTTP/1): each entry
    /// is a name as it should be written (`"X-Custom"`, `"host"`); headers are written in this
    /// order, unlisted ones after them. Sets the request's [`OriginalHeaderNames`] record.
    #[must_use]
    pub fn header_order<I, N>(self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<Bytes>,
    {
        self.edit(|req| {
            let mut record = OriginalHeaderNames::default();
            for name in names {
                record
                    .push(name)
                    .context("header_order: invalid header name")?;
            }
            req.extensions_mut().insert(record);
            Ok(())
        })
    }

    /// Appends `pairs` to the URL's query, `application/x-www-form-urlencoded`.
    #[must_use]
    pub fn query<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        self.edit(|req| {
            let uri = req.uri();
            let mut pq = uri.path().to_owned();
            let mut query = uri.query().unwrap_or_default().to_owned();
            for (k, v) in pairs {
                if !query.is_empty() {
                    query.push('&');
                }
                form_encode_into(&mut query, k.as_ref());
                query.push('=');
                form_encode_into(&mut query, v.as_ref());
            }
            if !query.is_empty() {
                pq.push('?');
                pq.push_str(&query);
            }
            let mut parts = uri.clone().into_parts();
            parts.path_and_query = Some(pq.parse().context("query: build the path and query")?);
            *req.uri_mut() = Uri::from_parts(parts).context("query: build the URL")?;
            Ok(())
        })
    }

    /// Sets the body to `pairs`, form-encoded, with `Content-Type:
    /// application/x-www-form-urlencoded`.
    #[must_use]
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        let mut out = String::new();
        for (k, v) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            form_encode_into(&mut out, k.as_ref());
            out.push('=');
            form_encode_into(&mut out, v.as_ref());
        }
        self.content(
            "application/x-www-form-urlencoded",
            Body::from(out.into_bytes()),
        )
    }

    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    #[must_use]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(data) => self.content("application/json", Body::from(data)),
            Err(e) => self.edit(|_| Err(OpaqueError::from_std(e).context("json body").into())),
        }
    }

    fn content(self, content_type: &'static str, body: Body) -> Self {
        self.edit(|req| {
            req.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            *req.body_mut() = body;
            Ok(())
        })
    }

    /// Sets the body.
    #[must_use]
    pub fn body(self, body: impl Into<Body>) -> Self {
        let body = body.into();
        self.edit(|req| {
            *req.body_mut() = body;
            Ok(())
        })
    }

    /// Sets `Authorization: Basic` from `user` and an optional `password`.
    #[must_use]
    pub fn basic_auth(self, user: impl fmt::Display, password: Option<impl fmt::Display>) -> Self {
        use base64::Engine as _;
        let plain = match password {
            Some(p) => format!("{user}:{p}"),
            None => format!("{user}:"),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
        self.authorization(format!("Basic {encoded}"))
    }

    /// Sets `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer_auth(self, token: impl fmt::Display) -> Self {
        self.authorization(format!("Bearer {token}"))
    }

    fn authorization(self, value: String) -> Self {
        self.edit(|req| {
            let mut value = HeaderValue::try_from(value).context("authorization header")?;
            value.set_sensitive(true);
            req.headers_mut().insert(header::AUTHORIZATION, value);
            Ok(())
        })
    }

    /// Fails [`send`](Self::send) when the response head has not arrived within `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the request's HTTP version (`HTTP/2.0` makes the [`EasyHttpWebClient`] use h2
    /// with prior knowledge).
    ///
    /// [`EasyHttpWebClient`]: super::EasyHttpWebClient
    #[must_use]
    pub fn version(self, version: Version) -> Self {
        self.edit(|req| {
            *req.version_mut() = version;
            Ok(())
        })
    }

    /// The request as built so far.
    pub fn build(self) -> Result<Request<Body>, BoxError> {
        self.req
    }

    /// Sends the request and returns the response once its head arrived.
    pub async fn send(self) -> Result<Response<Body>, BoxError> {
        let req = self.req?;
        let fut = self.client.serve(req);
        match self.timeout {
            None => fut.await.map_err(Into::into),
            Some(t) => match tokio::time::timeout(t, fut).await {
                Ok(res) => res.map_err(Into::into),
                Err(_) => {
                    Err(OpaqueError::from_display(format!("request timed out after {t:?}")).into())
                }
            },
        }
    }
}

/// `application/x-www-form-urlencoded`: unreserved bytes as is, space as `+`, the rest as
/// `%XX`.
fn form_encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// A response had a 4xx or 5xx status (from [`ResponseExt::error_for_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusError {
    status: StatusCode,
}

impl StatusError {
    /// The status.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.status
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP status {}", self.status)
    }
}

impl std::error::Error for StatusError {}

/// Helpers to read a response; body readers stop at [`DEFAULT_BODY_LIMIT`] unless a limit is
/// given.
pub trait ResponseExt: Sized {
    /// Fails with [`StatusError`] on a 4xx or 5xx status.
    fn error_for_status(self) -> Result<Self, StatusError>;

    /// The body, at most `limit` bytes.
    fn bytes_limited(self, limit: usize) -> impl Future<Output = Result<Bytes, BoxError>> + Send;

    /// The body, at most [`DEFAULT_BODY_LIMIT`] bytes.
    fn bytes(self) -> impl Future<Output = Result<Bytes, BoxError>> + Send {
        self.bytes_limited(DEFAULT_BODY_LIMIT)
    }

    /// The body as UTF-8 text, at most [`DEFAULT_BODY_LIMIT`] bytes.
    fn text(self) -> impl Future<Output = Result<String, BoxError>> + Send {
        let fut = self.bytes();
        async move {
            let data = fut.await?;
            String::from_utf8(data.to_vec())
                .context("response body is not UTF-8")
                .map_err(Into::into)
        }
    }

    /// The body parsed as JSON, at most [`DEFAULT_BODY_LIMIT`] bytes.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    fn json<T: serde::de::DeserializeOwned>(
        self,
    ) -> impl Future<Output = Result<T, BoxError>> + Send {
        let fut = self.bytes();
        async move {
            let data = fut.await?;
            serde_json::from_slice(&data)
                .context("parse the response body as JSON")
                .map_err(Into::into)
        }
    }
}

impl ResponseExt for Response<Body> {
    fn error_for_status(self) -> Result<Self, StatusError> {
        let status = self.status();
        if status.is_client_error() || status.is_server_error() {
            Err(StatusError { status })
        } else {
            Ok(self)
        }
    }

    async fn bytes_limited(self, limit: usize) -> Result<Bytes, BoxError> {
        self.into_body()
            .collect_bytes(limit)
            .await
            .context("read the response body")
            .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_table() {
        let cases = [
            ("abc", "abc"),
            ("a b", "a+b"),
            ("a&b=c", "a%26b%3Dc"),
            ("é", "%C3%A9"),
            ("-._*~", "-._*%7E"),
        ];
        for (input, expected) in cases {
            let mut out = String::new();
            form_encode_into(&mut out, input);
            assert_eq!(out, expected, "{input}");
        }
    }

    #[test]
    fn error_for_status_splits_on_4xx_5xx() {
        for (code, ok) in [(200, true), (301, true), (404, false), (503, false)] {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::from_u16(code).unwrap();
            assert_eq!(res.error_for_status().is_ok(), ok, "{code}");
        }
    }
}
