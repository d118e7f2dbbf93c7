//! HTTP client connections over any stream: HTTP/1.x with the crate's own codec, and h2.
//!
//! This is the connection layer a pool and a high-level client build on:
//!
//! | you want to | use |
//! |---|---|
//! | send HTTP/1.x requests on a stream | [`http1::handshake`] → [`http1::SendRequest`] + [`http1::Connection`] |
//! | send h2 requests on a stream (prior knowledge or after ALPN) | [`h2::handshake`] → [`h2::SendRequest`] (`Clone`, multiplexed) + [`h2::Connection`] |
//! | know why a request failed | [`Error`] (`is_closed`, `is_incomplete_message`, `is_parse`, `is_timeout`, ...) |
//! | a ready-made pooled client (DNS → TCP → HTTP/1 or h2 → pool) | [`EasyHttpWebClient`] |
//! | `client.get(url).json(&v).send()` on any HTTP client service | [`HttpClientExt`], [`RequestBuilder`], [`ResponseExt`] |
//! | keep connections for reuse yourself | [`pool::Pool`] |
//! | send requests through an upstream proxy | a `ProxyAddress` in the request's extensions, a proxy-aware connector (rama-proxy's `ProxyConnector`); see [`proxy`] |
//!
//! Both follow one shape: `handshake(io, config)` returns a handle to send requests and a
//! connection future that owns the IO and must be spawned. Responses come back once their
//! head arrived; their [`Body`](crate::Body) streams the rest. A pool keeps the handles and
//! asks them [`is_ready`](http1::SendRequest::is_ready) /
//! [`is_closed`](http1::SendRequest::is_closed) before reuse; an HTTP/1 handle serves one
//! request at a time, an h2 handle is cloned for each concurrent request.
//!
//! Connecting (DNS, TCP; TLS and proxies later), pooling and the builder API wrap these
//! handles: [`EasyHttpWebClient`], [`pool`], [`HttpClientExt`].
//!
//! # For a pool
//!
//! - Key a connection by what it was made for; keep the handle, spawn the future (its end
//!   means the connection is gone: the handle then reports `is_closed`).
//! - HTTP/1: reuse a handle only when [`is_ready`](http1::SendRequest::is_ready) (idle and
//!   open). It becomes ready again once the previous response was read off the wire to its
//!   end, before its caller sees the end of the body, so a caller that read a body (without
//!   trailers) to its end finds the handle ready; it reports [`is_closed`](http1::SendRequest::is_closed) as
//!   soon as a response head says the connection will not be kept. A server's idle close is
//!   noticed by the connection task (no request needed), so a stale handle is seen as
//!   closed; if the close races with a new request, that request fails with
//!   [`Error::is_closed`] (nothing of the response arrived) and, when sending it again is
//!   safe, the error hands it back ([`Error::take_request`]) for a new connection.
//! - h2: share one handle (clone per request) while it is not
//!   [`is_closed`](h2::SendRequest::is_closed); `send_request` waits for a free stream slot.
//! - Upgrades (`101`, `CONNECT`) take the HTTP/1 connection out of the pool: the response
//!   carries [`http1::OnClientUpgrade`].

pub mod easy;
mod error;
pub mod ext;
pub mod h2;
pub mod http1;
mod on_upgrade;
pub mod pool;
pub mod proxy;
mod tls;

pub use easy::{ClientVersion, EasyHttpWebClient};
pub use error::Error;
pub use ext::{DEFAULT_BODY_LIMIT, HttpClientExt, RequestBuilder, ResponseExt, StatusError};
