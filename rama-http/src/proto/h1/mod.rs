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

mod decode;
mod encode;
mod error;
mod facts;
mod fields;
mod framing;
mod head;
mod limits;
mod scan;

pub use decode::{BodyDecoder, Decoded};
pub use encode::{
    encode_chunk, encode_chunk_header, encode_last_chunk, encode_request_head,
    encode_response_head, prepare_request_framing, prepare_response_framing,
};
pub use error::{DecodeError, ParseError};
pub use facts::{expects_continue, is_upgrade_request, wants_keep_alive};
pub use framing::{BodyFraming, content_length, request_body_framing, response_body_framing};
pub use head::{RequestHead, RequestHeadParser, ResponseHead, ResponseHeadParser};
pub use limits::Http1Limits;
