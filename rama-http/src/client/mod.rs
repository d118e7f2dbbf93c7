//! HTTP client connections over any stream: HTTP/1.x with the crate's own codec, and h2.
//!
//! This is the connection layer a pool and a high-level client build on:
//!
//! | you want to | use |
//! |---|---|
//! | send HTTP/1.x requests on a stream | [`http1::handshake`] → [`http1::SendRequest`] + [`http1::Connection`] |
//! | send h2 requests on a stream (prior knowledge or after ALPN) | [`h2::handshake`] → [`h2::SendRequest`] (`Clone`, multiplexed) + [`h2::Connection`] |
//! | know why a request failed | [`Error`] (`is_closed`, `is_incomplete_message`, `is_parse`, `is_timeout`, ...) |
//!
//! Both follow one shape: `handshake(io, config)` returns a handle to send requests and a
//! connection future that owns the IO and must be spawned. Responses come back once their
//! head arrived; their [`Body`](crate::Body) streams the rest. A pool keeps the handles and
//! asks them [`is_ready`](http1::SendRequest::is_ready) /
//! [`is_closed`](http1::SendRequest::is_closed) before reuse; an HTTP/1 handle serves one
//! request at a time, an h2 handle is cloned for each concurrent request.
//!
//! Connecting (DNS, TCP, TLS, proxies), pooling and the builder API are not here: they wrap
//! these handles.

mod error;
pub mod h2;
pub mod http1;

pub use error::Error;
