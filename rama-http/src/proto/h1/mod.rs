//! The HTTP/1.x codec: head parsers, body framing, body decoders and encoders.
//!
//! Sans-IO: every piece works on byte buffers (`BytesMut`), so the connection engine owns the
//! IO, the buffers and the timeouts, and the fuzz targets drive the same code. The pieces:
//!
//! | step | item |
//! |---|---|
//! | read a request / response head | [`RequestHeadParser`], [`ResponseHeadParser`] → [`RequestHead`], [`ResponseHead`] (framing decided, smuggling checks done) |
//! | decide a body's framing (pure) | [`request_body_framing`], [`response_body_framing`] → [`BodyFraming`] |
//! | decode a body | [`BodyDecoder`] (chunked with trailers, fixed length, close-delimited) |
//! | connection facts | [`wants_keep_alive`], [`expects_continue`], [`is_upgrade_request`] |
//! | write a head | [`encode_request_head`], [`encode_response_head`], after [`prepare_request_framing`] / [`prepare_response_framing`] |
//! | write a chunked body | [`encode_chunk`] (or [`encode_chunk_header`] + data + CRLF), [`encode_last_chunk`] |
//!
//! Limits are in [`Http1Limits`]; errors are [`ParseError`] (heads, with the status to answer)
//! and [`DecodeError`] (bodies).
//!
//! One request through the codec, as a server engine drives it (reads append to `buf`):
//!
//! ```
//! use bytes::BytesMut;
//! use rama_http::{Method, StatusCode, Version};
//! use rama_http::__private::h1::*;
//!
//! let limits = Http1Limits::new();
//! let mut parser = RequestHeadParser::new(limits);
//! let mut buf = BytesMut::from(&b"POST /up HTTP/1.1\r\nHost: a\r\nX-MiXeD: 1\r\n"[..]);
//! assert!(parser.parse(&mut buf).unwrap().is_none()); // partial: read more
//! buf.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
//! let head = parser.parse(&mut buf).unwrap().unwrap();
//! assert_eq!(head.framing, BodyFraming::Chunked);
//! let keep_alive = wants_keep_alive(head.parts.version, &head.parts.headers);
//!
//! let mut body = BodyDecoder::new(head.framing, &limits);
//! let mut data = Vec::new();
//! loop {
//!     match body.decode(&mut buf).unwrap() {
//!         Some(Decoded::Data(d)) => data.extend_from_slice(&d),
//!         Some(Decoded::Trailers(_)) => {}
//!         Some(Decoded::End) => break,
//!         None => unreachable!("the whole body is in the buffer here; else read more"),
//!     }
//! }
//! assert_eq!(data, b"abc");
//!
//! // answer: settle the framing fields, write the head, then the body as framed
//! let (mut parts, ()) = rama_http::Response::new(()).into_parts();
//! let framing = prepare_response_framing(
//!     &head.parts.method, head.parts.version, parts.status, &mut parts.headers, Some(2),
//! );
//! assert_eq!(framing, BodyFraming::Length(2));
//! let mut out = BytesMut::new();
//! encode_response_head(&parts, &mut out);
//! out.extend_from_slice(b"ok");
//! assert_eq!(&out[..], b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
//! assert!(keep_alive);
//! ```

pub(crate) mod conn;
mod decode;
mod encode;
mod error;
mod facts;
mod field_line;
mod fields;
mod framing;
mod head;
mod known_names;
mod limits;
mod outgoing;
mod scan;

pub use decode::{BodyDecoder, Decoded};
pub use encode::{
    encode_chunk, encode_chunk_header, encode_last_chunk, encode_request_head,
    encode_response_head, prepare_request_framing, prepare_response_framing,
};
pub(crate) use encode::{put_field_line, settle_request_framing};
pub use error::{DecodeError, ParseError};
pub use facts::{expects_continue, is_upgrade_request, wants_keep_alive};
pub use framing::{BodyFraming, content_length, request_body_framing, response_body_framing};
pub use head::{RequestHead, RequestHeadParser, ResponseHead, ResponseHeadParser};
pub use limits::Http1Limits;
pub(crate) use outgoing::OutgoingFields;
