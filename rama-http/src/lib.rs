//! rama-http: HTTP for rama, with wire fidelity: the `http` crate's types, a [`Body`], and an
//! own HTTP/1.x codec that keeps header names in their original spelling and order.
//!
//! # Start here
//!
//! | you want to | use |
//! |---|---|
//! | requests, responses, headers | [`Request`], [`Response`], [`HeaderMap`], [`header`] (re-exported from `http`) |
//! | a body: empty, full, streamed, from a channel | [`Body`], [`Body::channel`], [`Body::from_stream`] |
//! | read a body whole, bounded | [`Body::collect_bytes`], [`Body::collect_string`], [`body::collect`] |
//! | header names as they were on the wire | [`wire::OriginalHeaderNames`] (in a message's extensions), [`wire::ordered_headers`] |
//! | bound what the HTTP/1 parser accepts | [`h1::Http1Limits`] |
//! | serve HTTP/2, tune its SETTINGS, read the client's first frames | [`h2::serve_connection`], [`h2::H2ServerConfig`], [`h2::EarlyFrames`] |
//! | serve HTTP/1.x and h2 on a listener | [`server::HttpServer`] (`auto`, `http1`, `h2`), [`server::Http1Config`] |
//! | send requests on a stream (HTTP/1.x or h2) | [`client::http1::handshake`], [`client::h2::handshake`] |
//! | take over the connection after `101` / CONNECT | [`server::upgrade::OnUpgrade`] |
//! | answer service errors with a status | [`layer::error_handler::ErrorHandlerLayer`] |
//! | run an axum/tower service in rama, or a rama service under hyper (feature `tower`) | `tower::TowerService`, `tower::RamaService` |
//!
//! # The HTTP/1 codec
//!
//! The codec (head parsers, framing rules and smuggling defences, body decoders, encoders)
//! lives in a private `proto::h1` module. The connection engine in this crate uses it
//! directly; [`__private::h1`] exposes it, unstable and hidden from the docs, for the fuzz
//! targets. Its module docs list the pieces.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
pub mod client;
pub mod connection;
pub mod date;
pub mod h2;
pub mod layer;
pub mod server;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;
pub mod wire;

mod proto;
mod swar;
#[cfg(test)]
mod test_util;
mod timer;

pub use body::Body;
pub use http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header,
};

/// HTTP/1.x items users configure or see: limits, errors and body framing.
pub mod h1 {
    pub use crate::proto::h1::{BodyFraming, DecodeError, Http1Limits, ParseError};
}

/// Unstable internals, public only for `fuzz/` and doc examples: no semver promise.
#[doc(hidden)]
pub mod __private {
    /// The HTTP/1.x codec; see its module docs in the source (`proto/h1/mod.rs`).
    pub mod h1 {
        pub use crate::proto::h1::*;
    }
}
