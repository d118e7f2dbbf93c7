//! [`CompressionLayer`]: compress response bodies with gzip, deflate, br or zstd, as the
//! request's `Accept-Encoding` allows (codecs from `async-compression`, streamed: the body
//! is compressed as it is read, never buffered whole).
//!
//! Negotiation: the coding with the highest q-value among those enabled wins; `q=0` refuses
//! a coding, `*` stands for every coding not listed; on a tie the server's order applies
//! (br, zstd, gzip, deflate). `identity` or no acceptable coding: the body is left as is.
//!
//! Left uncompressed: responses to `HEAD`, statuses `1xx`, `204`, `206` and `304`, responses
//! that already have a `Content-Encoding` or a `Content-Range`, `Cache-Control: no-transform`,
//! `text/event-stream` (the codecs emit output only once their buffer fills or the body
//! ends, which would hold events back: the same holds for any slow stream, so leave such
//! responses out of the layer), already-compressed types (images but SVG, audio, video,
//! WOFF fonts, zip/gzip/zstd/brotli archives), and bodies whose exact size is below the minimum size ([`CompressionLayer::min_size`],
//! default 256 bytes). Every response that could have been compressed gets
//! `Vary: Accept-Encoding`, compressed or not; a compressed one loses `Content-Length`
//! (the length changes; the server then chunks) and `Accept-Ranges`.
//! Trailers of a compressed body are dropped.
//!
//! [`RequestCompressionLayer`] is the client side's counterpart: it compresses request bodies
//! with one chosen coding.
//!
//! HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2), which is what is sent here.
//! Levels: gzip and deflate 6, br 4 (br's maximum, 11, is far too slow for on-the-fly use),
//! zstd 3.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::compression::CompressionLayer;
//! use rama_http::{Body, Request, Response, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let svc = CompressionLayer::new().into_layer(service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::from("hello ".repeat(100))))
//! }));
//! let req = Request::builder()
//!     .header(header::ACCEPT_ENCODING, "gzip;q=0.5, br")
//!     .body(Body::empty())
//!     .unwrap();
//! let res = svc.serve(req).await.unwrap();
//! assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
//! assert_eq!(res.headers()[header::VARY], "accept-encoding");
//! # }
//! ```

use crate::body::Frame;
use crate::{Body, Method, Request, Response, StatusCode, header};
use async_compression::Level;
use async_compression::tokio::bufread as codec;
use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderMap, HeaderValue};
use rama_core::error::BoxError;
use rama_core::{Layer, Service};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncBufRead, AsyncRead};
use tokio_util::io::{ReaderStream, StreamReader};

/// A content coding this crate can encode and decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// `gzip`
    Gzip,
    /// `deflate` (the zlib format)
    Deflate,
    /// `br` (Brotli)
    Brotli,
    /// `zstd` (Zstandard)
    Zstd,
}

impl Encoding {
    /// Every coding, in the server's order of preference.
    pub const ALL: [Self; 4] = [Self::Brotli, Self::Zstd, Self::Gzip, Self::Deflate];

    /// The token used in `Accept-Encoding` and `Content-Encoding`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }

    /// The coding named by `token` (case-insensitive; `x-gzip` is `gzip`).
    #[must_use]
    pub fn from_token(token: &str) -> Option<Self> {
        let t = token.trim();
        if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
            Some(Self::Gzip)
        } else if t.eq_ignore_ascii_case("deflate") {
            Some(Self::Deflate)
        } else if t.eq_ignore_ascii_case("br") {
            Some(Self::Brotli)
        } else if t.eq_ignore_ascii_case("zstd") {
            Some(Self::Zstd)
        } else {
            None
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the coding to use for a request's `Accept-Encoding` header values, among `enabled`
/// (in preference order); `None` means identity.
///
/// q-values are parsed per RFC 9110 §12.4.2 (`q=0` to `q=1`, up to three decimals); a
/// malformed element is ignored.
#[must_use]
pub fn negotiate<'a>(
    accept_encoding: impl IntoIterator<Item = &'a HeaderValue>,
    enabled: &[Encoding],
) -> Option<Encoding> {
    // q in thousandths, per enabled coding; None = not mentioned
    let mut q: Vec<Option<u16>> = vec![None; enabled.len()];
    let mut star: Option<u16> = None;
    for value in accept_encoding {
        let Ok(value) = value.to_str() else { continue };
        for element in value.split(',') {
            let mut parts = element.split(';');
            let token = parts.next().unwrap_or("").trim();
            if token.is_empty() {
                continue;
            }
            let mut weight = Some(1000);
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    weight = parse_q(v.trim());
                }
            }
            let Some(weight) = weight else { continue };
            if token == "*" {
                star = Some(weight);
            } else if let Some(enc) = Encoding::from_token(token)
                && let Some(i) = enabled.iter().position(|e| *e == enc)
            {
                q[i] = Some(q[i].map_or(weight, |old| old.max(weight)));
            }
        }
    }
    let mut best: Option<(Encoding, u16)> = None;
    for (enc, q) in enabled.iter().zip(q) {
        let w = q.or(star).unwrap_or(0);
        if w > 0 && best.is_none_or(|(_, b)| w > b) {
            best = Some((*enc, w));
        }
    }
    best.map(|(e, _)| e)
}

/// `1`, `1.0`, `0.5`, `0.125` → thousandths; anything else → None.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

/// A [`Layer`] producing [`Compression`] services.
#[derive(Debug, Clone)]
pub struct CompressionLayer {
    encodings: &'static [Encoding],
    min_size: u64,
}

impl Default for CompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl CompressionLayer {
    /// Compress with any of br, zstd, gzip and deflate, bodies from 256 bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            encodings: &Encoding::ALL,
            min_size: 256,
        }
    }

    /// Only use these codings, in this order of preference.
    #[must_use]
    pub const fn with_encodings(mut self, encodings: &'static [Encoding]) -> Self {
        self.encodings = encodings;
        self
    }

    /// Leave bodies whose exact size is below `min_size` uncompressed.
    #[must_use]
    pub const fn with_min_size(mut self, min_size: u64) -> Self {
        self.min_size = min_size;
        self
    }

    /// The minimum body size compressed (bodies of unknown size are always compressed).
    #[must_use]
    pub const fn min_size(&self) -> u64 {
        self.min_size
    }

    /// The codings used, in order of preference.
    #[must_use]
    pub const fn encodings(&self) -> &'static [Encoding] {
        self.encodings
    }
}

impl<S> Layer<S> for CompressionLayer {
    type Service = Compression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Compression {
            inner,
            encodings: self.encodings,
            min_size: self.min_size,
        }
    }
}

/// A service compressing response bodies; see [`CompressionLayer`].
#[derive(Debug, Clone)]
pub struct Compression<S> {
    inner: S,
    encodings: &'static [Encoding],
    min_size: u64,
}

impl<S> Compression<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

/// Whether a response may be compressed at all (independent of the request's preference).
fn compressible(head_request: bool, res: &Response<Body>) -> bool {
    let status = res.status();
    let h = res.headers();
    !(head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status == StatusCode::PARTIAL_CONTENT
        || h.contains_key(header::CONTENT_ENCODING)
        || h.contains_key(header::CONTENT_RANGE)
        || h.get(header::CONTENT_TYPE)
            .is_some_and(|v| skipped_content_type(v.as_bytes()))
        || h.get_all(header::CACHE_CONTROL).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("no-transform"))
        }))
}

/// Content types left alone: event streams (the codecs buffer, which would hold events
/// back) and formats that are compressed already.
fn skipped_content_type(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii()
        .to_ascii_lowercase();
    let starts = |p: &[u8]| essence.starts_with(p);
    essence == b"text/event-stream"
        || (starts(b"image/") && essence != b"image/svg+xml")
        || starts(b"video/")
        || starts(b"audio/")
        || starts(b"font/woff")
        || matches!(
            essence.as_slice(),
            b"application/gzip"
                | b"application/zip"
                | b"application/zstd"
                | b"application/x-brotli"
        )
}

fn add_vary_accept_encoding(h: &mut HeaderMap) {
    let present = h.get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim() == "*" || t.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !present {
        h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

impl<S> Service<Request<Body>> for Compression<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, S::Error> {
        let head = req.method() == Method::HEAD;
        let chosen = negotiate(
            req.headers().get_all(header::ACCEPT_ENCODING),
            self.encodings,
        );
        let res = self.inner.serve(req).await?;
        if !compressible(head, &res) {
            return Ok(res);
        }
        let (mut parts, body) = res.into_parts();
        add_vary_accept_encoding(&mut parts.headers);
        let small = http_body::Body::size_hint(&body)
            .exact()
            .is_some_and(|n| n < self.min_size);
        let Some(encoding) = chosen.filter(|_| !small) else {
            return Ok(Response::from_parts(parts, body));
        };
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::ACCEPT_RANGES);
        parts.headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.as_str()),
        );
        Ok(Response::from_parts(parts, encode_body(body, encoding)))
    }
}

/// A [`Layer`] producing [`RequestCompression`] services: the client side, compressing
/// request bodies with one chosen coding (the server must accept it; see
/// [`RequestDecompressionLayer`](super::decompression::RequestDecompressionLayer)).
///
/// Requests that have a `Content-Encoding` already, or an empty body, are left as they are.
/// A compressed request loses `Content-Length` and gets `Content-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCompressionLayer {
    encoding: Encoding,
}

impl RequestCompressionLayer {
    /// Compress request bodies with `encoding`.
    #[must_use]
    pub const fn new(encoding: Encoding) -> Self {
        Self { encoding }
    }

    /// The coding used.
    #[must_use]
    pub const fn encoding(&self) -> Encoding {
        self.encoding
    }
}

impl<S> Layer<S> for RequestCompressionLayer {
    type Service = RequestCompression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestCompression {
            inner,
            encoding: self.encoding,
        }
    }
}

/// A service compressing request bodies; see [`RequestCompressionLayer`].
#[derive(Debug, Clone)]
pub struct RequestCompression<S> {
    inner: S,
    encoding: Encoding,
}

impl<S> RequestCompression<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The coding used.
    pub const fn encoding(&self) -> Encoding {
        self.encoding
    }
}

impl<S> Service<Request<Body>> for RequestCompression<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    fn serve(
        &self,
        req: Request<Body>,
    ) -> impl Future<Output = Result<Response<Body>, S::Error>> + Send {
        let skip = req.headers().contains_key(header::CONTENT_ENCODING)
            || http_body::Body::is_end_stream(req.body());
        let req = if skip {
            req
        } else {
            let (mut parts, body) = req.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(self.encoding.as_str()),
            );
            Request::from_parts(parts, encode_body(body, self.encoding))
        };
        self.inner.serve(req)
    }
}

// ---- codec plumbing, shared with the decompression layers ----

/// A body's data as a stream of bytes for `StreamReader` (trailers are skipped).
struct DataStream {
    body: Body,
}

impl Stream for DataStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match http_body::Body::poll_frame(Pin::new(&mut self.body), cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(std::io::Error::other(err)))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
            };
        }
    }
}

type BoxRead = Pin<Box<dyn AsyncRead + Send>>;

fn body_reader(body: Body) -> impl AsyncBufRead + Send + 'static {
    StreamReader::new(DataStream { body })
}

/// Turns an `io::Error` from the codec stream back into the body's own error when it
/// wrapped one (so that typed errors such as a body limit survive the codec).
fn unwrap_io(err: std::io::Error) -> BoxError {
    if err.get_ref().is_some() && err.kind() == std::io::ErrorKind::Other {
        match err.into_inner() {
            Some(inner) => inner,
            None => "codec failed".into(),
        }
    } else {
        Box::new(err)
    }
}

/// A body from the output of a codec, failing once it yields more than `max` bytes.
fn reader_body(reader: BoxRead, max: Option<u64>) -> Body {
    let mut seen: u64 = 0;
    let stream = ReaderStream::new(reader);
    Body::from_stream(MapStream {
        inner: stream,
        f: move |item: std::io::Result<Bytes>| -> Result<Frame<Bytes>, BoxError> {
            let data = item.map_err(unwrap_io)?;
            seen = seen.saturating_add(data.len() as u64);
            if let Some(max) = max
                && seen > max
            {
                return Err(Box::new(DecompressedTooLarge { limit: max }));
            }
            Ok(Frame::data(data))
        },
    })
}

pin_project_lite::pin_project! {
    struct MapStream<St, F> {
        #[pin]
        inner: St,
        f: F,
    }
}

impl<St: Stream, F: FnMut(St::Item) -> T, T> Stream for MapStream<St, F> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        match this.inner.poll_next(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some((this.f)(item))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `body` compressed with `encoding`.
pub(crate) fn encode_body(body: Body, encoding: Encoding) -> Body {
    let read = body_reader(body);
    let reader: BoxRead = match encoding {
        Encoding::Gzip => Box::pin(codec::GzipEncoder::with_quality(read, Level::Precise(6))),
        Encoding::Deflate => Box::pin(codec::ZlibEncoder::with_quality(read, Level::Precise(6))),
        Encoding::Brotli => Box::pin(codec::BrotliEncoder::with_quality(read, Level::Precise(4))),
        Encoding::Zstd => Box::pin(codec::ZstdEncoder::with_quality(read, Level::Precise(3))),
    };
    reader_body(reader, None)
}

/// `body` decompressed from `encoding`, failing with [`DecompressedTooLarge`] past `max`
/// bytes of output.
pub(crate) fn decode_body(body: Body, encoding: Encoding, max: Option<u64>) -> Body {
    let read = body_reader(body);
    let reader: BoxRead = match encoding {
        Encoding::Gzip => {
            let mut d = codec::GzipDecoder::new(read);
            d.multiple_members(true);
            Box::pin(d)
        }
        Encoding::Deflate => Box::pin(codec::ZlibDecoder::new(read)),
        Encoding::Brotli => Box::pin(codec::BrotliDecoder::new(read)),
        Encoding::Zstd => Box::pin(codec::ZstdDecoder::new(read)),
    };
    reader_body(reader, max)
}

/// A decompressed body grew past the configured maximum (a decompression bomb guard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressedTooLarge {
    limit: u64,
}

impl DecompressedTooLarge {
    /// The maximum decompressed size, in bytes.
    #[must_use]
    pub const fn limit(&self) -> u64 {
        self.limit
    }
}

impl fmt::Display for DecompressedTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "decompressed body larger than {} bytes", self.limit)
    }
}

impl std::error::Error for DecompressedTooLarge {}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service::service_fn;
    use std::convert::Infallible;

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<CompressionLayer>();
        assert_send_sync::<RequestCompressionLayer>();
        assert_send_sync::<RequestCompression<()>>();
        assert_send_sync::<Compression<()>>();
        assert_send_sync::<DecompressedTooLarge>();
        assert_send_sync::<Encoding>();
    };

    /// Compressible but not trivial data: a few KiB of varied text.
    pub(crate) fn sample() -> String {
        (0..400)
            .map(|i| format!("line {i}: {}\n", i * 7919 % 1000))
            .collect()
    }

    fn svc(
        body: fn() -> Body,
        status: u16,
    ) -> impl Service<Request<Body>, Output = Response<Body>, Error = Infallible> {
        CompressionLayer::new().into_layer(service_fn(move |_req: Request<Body>| async move {
            let mut res = Response::new(body());
            *res.status_mut() = StatusCode::from_u16(status).unwrap();
            Ok::<_, Infallible>(res)
        }))
    }

    fn req(method: Method, accept: Option<&str>) -> Request<Body> {
        let mut b = Request::builder().method(method);
        if let Some(a) = accept {
            b = b.header(header::ACCEPT_ENCODING, a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn each_codec_round_trips_real_data() {
        let data = sample();
        for enc in Encoding::ALL {
            let svc = svc(|| Body::from(sample()), 200);
            let res = svc
                .serve(req(Method::GET, Some(enc.as_str())))
                .await
                .unwrap();
            assert_eq!(res.headers()[header::CONTENT_ENCODING], enc.as_str());
            assert!(res.headers().get(header::CONTENT_LENGTH).is_none());
            assert_eq!(res.headers()[header::VARY], "accept-encoding");
            let compressed = res.into_body().collect_bytes(1 << 20).await.unwrap();
            assert!(
                compressed.len() < data.len() / 2,
                "{enc}: {}",
                compressed.len()
            );
            assert_ne!(&compressed[..], data.as_bytes());
            let back = decode_body(Body::from(compressed), enc, None)
                .collect_bytes(1 << 20)
                .await
                .unwrap();
            assert_eq!(back, data.as_bytes(), "{enc}");
        }
    }

    #[tokio::test]
    async fn skipped_responses_stay_identity() {
        type Case = (
            &'static str,
            Method,
            Option<&'static str>,
            u16,
            fn() -> Body,
            bool,
        );
        let cases: &[Case] = &[
            (
                "no accept-encoding",
                Method::GET,
                None,
                200,
                || Body::from(sample()),
                true,
            ),
            (
                "identity only",
                Method::GET,
                Some("identity"),
                200,
                || Body::from(sample()),
                true,
            ),
            (
                "all refused",
                Method::GET,
                Some("gzip;q=0, *;q=0"),
                200,
                || Body::from(sample()),
                true,
            ),
            (
                "HEAD",
                Method::HEAD,
                Some("gzip"),
                200,
                || Body::from(sample()),
                false,
            ),
            ("204", Method::GET, Some("gzip"), 204, Body::empty, false),
            ("304", Method::GET, Some("gzip"), 304, Body::empty, false),
            (
                "small body",
                Method::GET,
                Some("gzip"),
                200,
                || Body::from("tiny"),
                true,
            ),
        ];
        for (name, method, accept, status, body, vary) in cases {
            let res = svc(*body, *status)
                .serve(req(method.clone(), *accept))
                .await
                .unwrap();
            assert!(
                res.headers().get(header::CONTENT_ENCODING).is_none(),
                "{name}"
            );
            assert_eq!(res.headers().contains_key(header::VARY), *vary, "{name}");
        }
    }

    #[tokio::test]
    async fn request_compression_round_trips_through_request_decompression() {
        use crate::layer::decompression::RequestDecompressionLayer;
        use std::sync::{Arc, Mutex};

        type Seen = Arc<Mutex<Option<(http::HeaderMap, Bytes)>>>;
        fn recorder(
            seen: Seen,
        ) -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
            service_fn(move |req: Request<Body>| {
                let seen = seen.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let data = body.collect_bytes(1 << 20).await?;
                    *seen.lock().unwrap() = Some((parts.headers, data));
                    Ok::<_, BoxError>(Response::new(Body::empty()))
                }
            })
        }

        for enc in Encoding::ALL {
            // client side: what goes on the wire
            let wire: Seen = Arc::default();
            let client = RequestCompressionLayer::new(enc).into_layer(recorder(wire.clone()));
            let req = Request::builder()
                .method(Method::POST)
                .header(header::CONTENT_LENGTH, sample().len())
                .body(Body::from(sample()))
                .unwrap();
            client.serve(req).await.unwrap();
            let (headers, raw) = wire.lock().unwrap().take().unwrap();
            assert_eq!(headers[header::CONTENT_ENCODING], enc.as_str());
            assert!(headers.get(header::CONTENT_LENGTH).is_none());
            assert_ne!(&raw[..], sample().as_bytes());

            // server side: decoded back
            let got: Seen = Arc::default();
            let server = RequestDecompressionLayer::new().into_layer(recorder(got.clone()));
            let mut req = Request::new(Body::from(raw));
            *req.headers_mut() = headers;
            server.serve(req).await.unwrap();
            let (_, data) = got.lock().unwrap().take().unwrap();
            assert_eq!(data, sample().as_bytes(), "{enc}");
        }
    }

    #[tokio::test]
    async fn content_types_skipped() {
        let cases = [
            ("text/event-stream", false),
            ("image/png", false),
            ("IMAGE/JPEG; q=1", false),
            ("application/zip", false),
            ("image/svg+xml", true),
            ("text/html; charset=utf-8", true),
            ("application/json", true),
        ];
        for (ct, compressed) in cases {
            let svc = CompressionLayer::new().into_layer(service_fn(
                move |_req: Request<Body>| async move {
                    let mut res = Response::new(Body::from(sample()));
                    res.headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
                    Ok::<_, Infallible>(res)
                },
            ));
            let res = svc.serve(req(Method::GET, Some("gzip"))).await.unwrap();
            assert_eq!(
                res.headers().contains_key(header::CONTENT_ENCODING),
                compressed,
                "{ct}"
            );
        }
    }

    #[tokio::test]
    async fn already_encoded_is_not_encoded_again() {
        let svc = CompressionLayer::new().into_layer(service_fn(async |_req: Request<Body>| {
            let mut res = Response::new(Body::from(sample()));
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            Ok::<_, Infallible>(res)
        }));
        let res = svc.serve(req(Method::GET, Some("br"))).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(
            res.into_body().collect_bytes(1 << 20).await.unwrap(),
            sample().as_bytes()
        );
    }

    #[tokio::test]
    async fn min_size_is_configurable_and_unknown_size_is_compressed() {
        let svc = CompressionLayer::new()
            .with_min_size(0)
            .into_layer(service_fn(async |_req: Request<Body>| {
                Ok::<_, Infallible>(Response::new(Body::from("tiny")))
            }));
        let res = svc.serve(req(Method::GET, Some("gzip"))).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");

        let svc = CompressionLayer::new().into_layer(service_fn(async |_req: Request<Body>| {
            let (tx, body) = Body::channel();
            tokio::spawn(async move { tx.send_data("streamed").await });
            Ok::<_, Infallible>(Response::new(body))
        }));
        let res = svc.serve(req(Method::GET, Some("zstd"))).await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "zstd");
        let back = decode_body(res.into_body(), Encoding::Zstd, None)
            .collect_bytes(100)
            .await
            .unwrap();
        assert_eq!(back, "streamed");
    }

    #[test]
    fn negotiation_table() {
        let all = &Encoding::ALL;
        let cases: &[(&str, Option<Encoding>)] = &[
            ("gzip", Some(Encoding::Gzip)),
            ("gzip, deflate, br, zstd", Some(Encoding::Brotli)),
            ("gzip;q=1.0, br;q=0.5", Some(Encoding::Gzip)),
            ("br;q=0, gzip;q=0.001", Some(Encoding::Gzip)),
            ("*", Some(Encoding::Brotli)),
            ("*;q=0.5, gzip", Some(Encoding::Gzip)),
            ("br;q=0, *", Some(Encoding::Zstd)),
            ("identity", None),
            ("", None),
            ("gzip;q=2", None),
            ("gzip;q=0.1234", None),
            ("GZIP ; Q=0.7 , deflate;q=0.3", Some(Encoding::Gzip)),
            ("x-gzip", Some(Encoding::Gzip)),
            ("compress, gzip;q=0", None),
        ];
        for (header, want) in cases {
            let v = HeaderValue::from_str(header).unwrap();
            assert_eq!(negotiate([&v], all), *want, "{header:?}");
        }
        let v = HeaderValue::from_static("br, gzip");
        assert_eq!(
            negotiate([&v], &[Encoding::Gzip, Encoding::Deflate]),
            Some(Encoding::Gzip)
        );
    }
}
