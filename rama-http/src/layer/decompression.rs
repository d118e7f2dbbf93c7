//! Decompress bodies: [`RequestDecompressionLayer`] for request bodies (server side) and
//! [`DecompressionLayer`] for response bodies (client side); gzip, deflate (zlib), br and zstd.
//!
//! Both guard against decompression bombs: the decompressed body fails with
//! [`DecompressedTooLarge`] once it grows past a maximum (default 64 MiB, see
//! `with_max_size`). Decoded bodies lose `Content-Encoding` and `Content-Length` (the length
//! was the encoded one).
//!
//! - **Requests**: a body with a supported `Content-Encoding` is decoded before the inner
//!   service sees it; an unsupported coding is answered `415 Unsupported Media Type` with
//!   `Accept-Encoding` listing the supported ones (RFC 9110 §15.5.16). When the inner service
//!   fails with an error whose chain holds [`DecompressedTooLarge`], the answer is `413`.
//! - **Responses**: the request gets `Accept-Encoding` listing the supported codings unless
//!   it has one already; a response with a supported `Content-Encoding` is decoded, others
//!   pass as they are.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::error::BoxError;
//! use rama_http::layer::decompression::DecompressionLayer;
//! use rama_http::{Body, Request, Response, header};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // plays an upstream answering gzip: a gzip member holding "hi"
//! const GZ_HI: &[u8] = &[
//!     0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0xcb, 0xc8, 4, 0, 0xac, 0x2a, 0x93, 0xd8, 2, 0, 0, 0,
//! ];
//! let upstream = service_fn(async |req: Request<Body>| {
//!     assert!(req.headers().contains_key(header::ACCEPT_ENCODING));
//!     let mut res = Response::new(Body::from(GZ_HI));
//!     res.headers_mut().insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
//!     Ok::<_, BoxError>(res)
//! });
//! let client = DecompressionLayer::new().into_layer(upstream);
//! let res = client.serve(Request::new(Body::empty())).await.unwrap();
//! assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
//! assert_eq!(res.into_body().collect_bytes(1024).await.unwrap(), "hi");
//! # }
//! ```

pub use super::compression::DecompressedTooLarge;
use super::compression::{Encoding, decode_body};
use crate::{Body, Request, Response, StatusCode, header};
use http::{HeaderMap, HeaderValue};
use rama_core::error::{BoxError, find_in_chain};
use rama_core::{Layer, Service};

/// The default maximum decompressed body size: 64 MiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 64 * 1024 * 1024;

const SUPPORTED: &str = "gzip, deflate, br, zstd";

/// What `Content-Encoding` asks for: nothing, one supported coding, or something else.
enum Coding {
    Identity,
    Supported(Encoding),
    Unsupported,
}

fn content_coding(h: &HeaderMap) -> Coding {
    let mut values = h.get_all(header::CONTENT_ENCODING).iter();
    let Some(first) = values.next() else {
        return Coding::Identity;
    };
    let Ok(text) = first.to_str() else {
        return Coding::Unsupported;
    };
    // one coding only: layered codings ("gzip, br") are not decoded
    if values.next().is_some() || text.contains(',') {
        return Coding::Unsupported;
    }
    if text.trim().eq_ignore_ascii_case("identity") {
        return Coding::Identity;
    }
    Encoding::from_token(text).map_or(Coding::Unsupported, Coding::Supported)
}

fn strip_encoding_headers(h: &mut HeaderMap) {
    h.remove(header::CONTENT_ENCODING);
    h.remove(header::CONTENT_LENGTH);
}

fn status_response(status: StatusCode) -> Response<Body> {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        res.headers_mut()
            .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(SUPPORTED));
    }
    res
}

/// A [`Layer`] producing [`RequestDecompression`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestDecompressionLayer {
    max_size: u64,
}

impl Default for RequestDecompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestDecompressionLayer {
    /// Decode request bodies up to [`DEFAULT_MAX_DECOMPRESSED`] bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_size: DEFAULT_MAX_DECOMPRESSED,
        }
    }

    /// Fail decoded bodies past `max_size` bytes.
    #[must_use]
    pub const fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }

    /// The maximum decoded size.
    #[must_use]
    pub const fn max_size(&self) -> u64 {
        self.max_size
    }
}

impl<S> Layer<S> for RequestDecompressionLayer {
    type Service = RequestDecompression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestDecompression {
            inner,
            max_size: self.max_size,
        }
    }
}

/// A service decoding request bodies; see [`RequestDecompressionLayer`].
#[derive(Debug, Clone)]
pub struct RequestDecompression<S> {
    inner: S,
    max_size: u64,
}

impl<S> RequestDecompression<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The maximum decoded size.
    pub const fn max_size(&self) -> u64 {
        self.max_size
    }
}

impl<S> Service<Request<Body>> for RequestDecompression<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        let mut req = req;
        let req = match content_coding(req.headers()) {
            Coding::Identity => {
                // `identity` names no transformation: drop it with the others
                req.headers_mut().remove(header::CONTENT_ENCODING);
                req
            }
            Coding::Unsupported => {
                return Ok(status_response(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
            Coding::Supported(enc) => {
                let (mut parts, body) = req.into_parts();
                strip_encoding_headers(&mut parts.headers);
                Request::from_parts(parts, decode_body(body, enc, Some(self.max_size)))
            }
        };
        match self.inner.serve(req).await {
            Ok(res) => Ok(res),
            Err(err) => {
                let err: BoxError = err.into();
                if find_in_chain::<DecompressedTooLarge>(&*err).is_some() {
                    Ok(status_response(StatusCode::PAYLOAD_TOO_LARGE))
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// A [`Layer`] producing [`Decompression`] services (response bodies, client side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionLayer {
    max_size: u64,
}

impl Default for DecompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl DecompressionLayer {
    /// Decode response bodies up to [`DEFAULT_MAX_DECOMPRESSED`] bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_size: DEFAULT_MAX_DECOMPRESSED,
        }
    }

    /// Fail decoded bodies past `max_size` bytes.
    #[must_use]
    pub const fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }

    /// The maximum decoded size.
    #[must_use]
    pub const fn max_size(&self) -> u64 {
        self.max_size
    }
}

impl<S> Layer<S> for DecompressionLayer {
    type Service = Decompression<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Decompression {
            inner,
            max_size: self.max_size,
        }
    }
}

/// A service decoding response bodies; see [`DecompressionLayer`].
#[derive(Debug, Clone)]
pub struct Decompression<S> {
    inner: S,
    max_size: u64,
}

impl<S> Decompression<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The maximum decoded size.
    pub const fn max_size(&self) -> u64 {
        self.max_size
    }
}

impl<S> Service<Request<Body>> for Decompression<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
{
    type Output = Response<Body>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<Body>) -> Result<Response<Body>, S::Error> {
        if !req.headers().contains_key(header::ACCEPT_ENCODING) {
            req.headers_mut()
                .insert(header::ACCEPT_ENCODING, HeaderValue::from_static(SUPPORTED));
        }
        let res = self.inner.serve(req).await?;
        let Coding::Supported(enc) = content_coding(res.headers()) else {
            return Ok(res);
        };
        let (mut parts, body) = res.into_parts();
        strip_encoding_headers(&mut parts.headers);
        Ok(Response::from_parts(
            parts,
            decode_body(body, enc, Some(self.max_size)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::compression::encode_body;
    use super::*;
    use bytes::Bytes;
    use rama_core::service::service_fn;

    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = {
        assert_send_sync::<RequestDecompressionLayer>();
        assert_send_sync::<RequestDecompression<()>>();
        assert_send_sync::<DecompressionLayer>();
        assert_send_sync::<Decompression<()>>();
    };

    fn data() -> String {
        (0..500).map(|i| format!("{i:05} payload\n")).collect()
    }

    async fn encoded(enc: Encoding, data: &str) -> Bytes {
        encode_body(Body::from(data.to_owned()), enc)
            .collect_bytes(1 << 20)
            .await
            .unwrap()
    }

    fn echo() -> impl Service<Request<Body>, Output = Response<Body>, Error = BoxError> {
        service_fn(async |req: Request<Body>| {
            assert!(req.headers().get(header::CONTENT_ENCODING).is_none());
            let data = req.into_body().collect_bytes(usize::MAX).await?;
            Ok::<_, BoxError>(Response::new(Body::from(data)))
        })
    }

    fn encoded_req(coding: &str, body: Bytes) -> Request<Body> {
        Request::builder()
            .method("POST")
            .header(header::CONTENT_ENCODING, coding)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn request_bodies_of_each_codec_are_decoded() {
        let svc = RequestDecompressionLayer::new().into_layer(echo());
        let data = data();
        for enc in Encoding::ALL {
            let body = encoded(enc, &data).await;
            assert_ne!(body, data.as_bytes());
            let res = svc.serve(encoded_req(enc.as_str(), body)).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{enc}");
            let got = res.into_body().collect_bytes(1 << 20).await.unwrap();
            assert_eq!(got, data.as_bytes(), "{enc}");
        }
    }

    #[tokio::test]
    async fn unsupported_coding_gets_415_identity_passes() {
        let svc = RequestDecompressionLayer::new().into_layer(echo());
        let res = svc
            .serve(encoded_req("compress", Bytes::from_static(b"x")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(res.headers()[header::ACCEPT_ENCODING], SUPPORTED);
        let res = svc
            .serve(encoded_req("identity", Bytes::from_static(b"plain")))
            .await
            .unwrap();
        assert_eq!(res.into_body().collect_bytes(10).await.unwrap(), "plain");
    }

    #[tokio::test]
    async fn bomb_is_stopped_at_the_maximum() {
        // 1 MiB of zeros compresses to about a kilobyte
        let zeros = "\0".repeat(1 << 20);
        let bomb = encoded(Encoding::Gzip, &zeros).await;
        assert!(bomb.len() < 8 * 1024, "{}", bomb.len());
        let svc = RequestDecompressionLayer::new()
            .with_max_size(64 * 1024)
            .into_layer(echo());
        let res = svc.serve(encoded_req("gzip", bomb.clone())).await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

        // response side: the body errors
        let client = DecompressionLayer::new()
            .with_max_size(64 * 1024)
            .into_layer(service_fn(move |_req: Request<Body>| {
                let bomb = bomb.clone();
                async move {
                    let mut res = Response::new(Body::from(bomb));
                    res.headers_mut()
                        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    Ok::<_, BoxError>(res)
                }
            }));
        let res = client.serve(Request::new(Body::empty())).await.unwrap();
        let err = res.into_body().collect_bytes(usize::MAX).await.unwrap_err();
        let err: BoxError = Box::new(err);
        assert!(
            find_in_chain::<DecompressedTooLarge>(&*err).is_some(),
            "{err:#?}"
        );
    }

    #[tokio::test]
    async fn responses_of_each_codec_are_decoded_and_accept_encoding_is_sent() {
        let data = data();
        for enc in Encoding::ALL {
            let body = encoded(enc, &data).await;
            let client =
                DecompressionLayer::new().into_layer(service_fn(move |req: Request<Body>| {
                    let body = body.clone();
                    async move {
                        assert_eq!(req.headers()[header::ACCEPT_ENCODING], SUPPORTED);
                        let mut res = Response::new(Body::from(body));
                        res.headers_mut().insert(
                            header::CONTENT_ENCODING,
                            HeaderValue::from_static(enc.as_str()),
                        );
                        Ok::<_, BoxError>(res)
                    }
                }));
            let res = client.serve(Request::new(Body::empty())).await.unwrap();
            assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
            assert!(res.headers().get(header::CONTENT_LENGTH).is_none());
            let got = res.into_body().collect_bytes(1 << 20).await.unwrap();
            assert_eq!(got, data.as_bytes(), "{enc}");
        }
    }

    #[tokio::test]
    async fn corrupt_body_is_an_error_not_a_panic() {
        let svc = RequestDecompressionLayer::new().into_layer(echo());
        let err = svc
            .serve(encoded_req("gzip", Bytes::from_static(b"not gzip at all")))
            .await
            .unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}
