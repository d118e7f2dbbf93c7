//! Serve HTTP with a rama [`Service`]: [`HttpServer`] turns a `Service<Request<Body>>` into
//! a service over connections (streams) that a listener serves.
//!
//! | constructor | serves |
//! |---|---|
//! | [`HttpServer::auto`] | behind TLS: what ALPN agreed (`h2` or `http/1.1`, feature `tls`); else HTTP/2 when the connection starts with the h2 prior-knowledge preface, else HTTP/1.x |
//! | [`HttpServer::http1`] | HTTP/1.0 and HTTP/1.1 (own engine, wire fidelity kept) |
//! | [`HttpServer::h2`] | HTTP/2 only (prior knowledge), through [`h2::serve_connection`](crate::h2::serve_connection) |
//!
//! ```no_run
//! use rama_core::{graceful::Shutdown, service::service_fn};
//! use rama_http::{Body, Request, Response, server::HttpServer};
//! use rama_tcp::server::TcpListener;
//! use std::convert::Infallible;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:8080").await?;
//! let shutdown = Shutdown::default();
//! let service = HttpServer::auto().service(service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::from("hello")))
//! }));
//! shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), service));
//! shutdown.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What a request carries
//!
//! rama's [`Extensions`] and the `http` crate's `Extensions` are different maps. Every
//! request served here has, in its `http` extensions (`req.extensions()`):
//! - a clone of the connection's rama [`Extensions`]: what the listener and the transport
//!   layers recorded (`SocketInfo`, the `ShutdownSignal`, TLS parameters and ClientHello,
//!   for h2 the [`EarlyFrames`](crate::h2::EarlyFrames)). Read those facts with
//!   [`ConnectionExtensions::connection_get`](crate::connection::ConnectionExtensions):
//!   `req.connection_get::<SocketInfo>()`. One entry per request, cloned in O(1), whatever
//!   the number of facts;
//! - HTTP/1: the [`OriginalHeaderNames`](crate::wire::OriginalHeaderNames) record, and an
//!   [`OnUpgrade`](upgrade::OnUpgrade) for upgrade and CONNECT requests.
//!
//! # Errors
//!
//! A service error becomes a `500` response (wrap the service in
//! [`ErrorHandlerLayer`](crate::layer::error_handler::ErrorHandlerLayer) to choose the
//! response). Protocol errors of a connection are logged at debug level and end that
//! connection only.
//!
//! # HTTP/1 behaviour
//!
//! - **Pipelining**: requests are served one at a time, responses strictly in order; bytes
//!   of later requests are read ahead into the buffer.
//! - **Request bodies** stream into the request's [`Body`] through a one-frame channel the
//!   connection fills as the service reads (back-pressure reaches the client through TCP);
//!   `Content-Length` bodies have an exact size hint. The next request is read once the body
//!   is consumed; a body the service left unread is drained (up to
//!   [`Http1Config::with_max_drain_bytes`]) or the connection closes after the response.
//!   A malformed chunked body gets `400` and a close if no response was sent yet.
//! - **Response bodies**: `Content-Length` when the body's size hint is exact, else chunked
//!   (HTTP/1.1) or close-delimited (HTTP/1.0). Trailers the body yields are sent whenever the
//!   response is chunked (any HTTP/1.1 client parses them as part of the framing). No body
//!   for HEAD, 1xx, 204 and 304. `Date` is added when missing.
//! - **`Expect: 100-continue`**: `100 Continue` is sent when the service first reads the
//!   request body (also when the response body reads it, as an echo or proxy does), never
//!   before; a service that answers without reading gets its response sent and the
//!   connection closed.
//! - **Keep-alive**: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
//!   `Connection: keep-alive`. Closed after a request limit, on shutdown (the response in
//!   flight gets `Connection: close`; idle connections close at once), and after errors.
//! - **Errors**: a malformed head gets the codec's status (`400`, `414`, `431`, `505`), a
//!   head not complete within the header-read timeout `408`, always with
//!   `Connection: close`; a service error or panic gets `500`.
//! - **Wire fidelity**: the response head is written with the response's own
//!   [`OriginalHeaderNames`](crate::wire::OriginalHeaderNames) when it has one, so a proxy hop
//!   writes back the spelling and order it read.
//!
//! # Memory
//!
//! An idle keep-alive HTTP/1 connection holds no read or write buffer: what remains is its
//! task with the (boxed, per-protocol) connection future, the split IO, one timer and the
//! connection's extensions: about 3.4 KiB per connection in a release build
//! (`tests/server_idle_memory.rs` measures it; the peer's kernel socket buffers are not
//! counted).
//!
//! # ALPN
//!
//! With the `tls` feature, [`HttpServer::auto`] reads the rama-tls
//! `NegotiatedTlsParameters` (`rama_tls::negotiated`) a TLS acceptor
//! put into the stream's extensions: ALPN `h2` serves HTTP/2 and `http/1.1` HTTP/1.x, at once
//! and without peeking. Without a negotiated ALPN (plain TCP, or a TLS client that offered
//! none) `auto` peeks for the h2 preface as above. [`HttpServer::http1`] and
//! [`HttpServer::h2`] ignore ALPN.

mod config;
pub mod upgrade;

pub use config::Http1Config;

use crate::Body;
use crate::h2::{H2ServerConfig, PREFACE};
use http::{Request, Response};
use rama_core::Service;
use rama_core::error::BoxError;
use rama_core::extensions::{Extensions, ExtensionsMut};
use rama_core::graceful::ShutdownSignal;
use rama_net::stream::{PeekOutcome, peek_until};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Auto,
    Http1,
    H2,
}

/// Builds HTTP services over connections; see the module docs.
#[derive(Debug, Clone)]
pub struct HttpServer {
    mode: Mode,
    http1: Http1Config,
    h2: H2ServerConfig,
}

impl HttpServer {
    /// The protocol a TLS handshake agreed by ALPN (`h2` or `http/1.1`, read from the
    /// stream's extensions; feature `tls`, see [ALPN](self#alpn)); without one, HTTP/2 when a
    /// connection starts with the prior-knowledge preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`),
    /// else HTTP/1.x. The preface is awaited for at most the HTTP/1 header-read timeout.
    #[must_use]
    pub fn auto() -> Self {
        Self::with_mode(Mode::Auto)
    }

    /// HTTP/1.0 and HTTP/1.1 only.
    #[must_use]
    pub fn http1() -> Self {
        Self::with_mode(Mode::Http1)
    }

    /// HTTP/2 only.
    #[must_use]
    pub fn h2() -> Self {
        Self::with_mode(Mode::H2)
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            http1: Http1Config::new(),
            h2: H2ServerConfig::new(),
        }
    }

    /// Sets the HTTP/1 limits and timeouts.
    #[must_use]
    pub const fn with_http1_config(mut self, config: Http1Config) -> Self {
        self.http1 = config;
        self
    }

    /// Sets the HTTP/2 settings and limits.
    #[must_use]
    pub fn with_h2_config(mut self, config: H2ServerConfig) -> Self {
        self.h2 = config;
        self
    }

    /// The HTTP/1 limits and timeouts.
    #[must_use]
    pub const fn http1_config(&self) -> &Http1Config {
        &self.http1
    }

    /// The HTTP/2 settings and limits.
    #[must_use]
    pub const fn h2_config(&self) -> &H2ServerConfig {
        &self.h2
    }

    /// A service over connections that serves each one with `service`.
    #[must_use]
    pub fn service<S>(self, service: S) -> HttpService<S> {
        HttpService {
            server: self,
            inner: Arc::new(service),
        }
    }
}

/// A service over one connection (any stream with extensions, such as a
/// `rama_tcp::TcpStream`) that serves HTTP on it with the inner service. Made by
/// [`HttpServer::service`].
///
/// The stream's extensions are moved out of it into the connection's requests (see the
/// module docs), so they are held once per connection.
///
/// Returns when the connection ends. Ordinary client misbehaviour (bad requests, resets,
/// timeouts) ends the connection and is logged at debug level, not returned as an error.
pub struct HttpService<S> {
    server: HttpServer,
    inner: Arc<S>,
}

impl<S> Clone for HttpService<S> {
    fn clone(&self) -> Self {
        Self {
            server: self.server.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for HttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl<S, IO> Service<IO> for HttpService<S>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    IO: AsyncRead + AsyncWrite + ExtensionsMut + Send + Sync + Unpin + 'static,
{
    type Output = ();
    type Error = BoxError;

    async fn serve(&self, mut io: IO) -> Result<(), BoxError> {
        // moved, not cloned: the engine keeps the one copy (and hands it on to an upgrade)
        let extensions = std::mem::take(io.extensions_mut());
        let shutdown = extensions.get::<ShutdownSignal>().cloned();
        let server = &self.server;
        match server.mode {
            // the connection futures are boxed: an idle connection's task then holds only
            // the state of the protocol it speaks, not the largest of all of them
            Mode::Http1 => {
                Box::pin(serve_http1_since(
                    io,
                    &server.http1,
                    &*self.inner,
                    extensions,
                    shutdown,
                    Instant::now(),
                ))
                .await;
            }
            Mode::H2 => Box::pin(serve_h2(io, server, &self.inner, extensions, shutdown)).await,
            Mode::Auto => {
                match alpn_choice(&extensions) {
                    Some(Mode::H2) => {
                        Box::pin(serve_h2(io, server, &self.inner, extensions, shutdown)).await;
                        return Ok(());
                    }
                    Some(_) => {
                        Box::pin(serve_http1_since(
                            io,
                            &server.http1,
                            &*self.inner,
                            extensions,
                            shutdown,
                            Instant::now(),
                        ))
                        .await;
                        return Ok(());
                    }
                    None => {}
                }
                // the peek's time counts against the first head's header-read timeout
                let accepted = Instant::now();
                let peek = peek_until(
                    io,
                    PREFACE.len(),
                    server.http1.header_read_timeout(),
                    |seen| seen.len() >= PREFACE.len() || !PREFACE.starts_with(seen),
                );
                // a connection still silent when shutdown begins has no request to finish:
                // dropping the peek (and the stream with it) closes it
                let peeked = match &shutdown {
                    Some(signal) => tokio::select! {
                        peeked = peek => peeked?,
                        () = signal.cancelled() => return Ok(()),
                    },
                    None => peek.await?,
                };
                if peeked.bytes.is_empty() && peeked.outcome != PeekOutcome::Enough {
                    return Ok(()); // closed or silent: nothing to serve
                }
                if peeked.bytes[..] == PREFACE[..] {
                    Box::pin(serve_h2(
                        peeked.stream,
                        server,
                        &self.inner,
                        extensions,
                        shutdown,
                    ))
                    .await;
                } else {
                    Box::pin(serve_http1_since(
                        peeked.stream,
                        &server.http1,
                        &*self.inner,
                        extensions,
                        shutdown,
                        accepted,
                    ))
                    .await;
                }
            }
        }
        Ok(())
    }
}

/// The protocol the TLS handshake's ALPN chose, when there was one this server speaks.
#[cfg(feature = "tls")]
fn alpn_choice(extensions: &Extensions) -> Option<Mode> {
    use rama_tls::{negotiated::NegotiatedTlsParameters, types::ApplicationProtocol};
    let alpn = extensions.get::<NegotiatedTlsParameters>()?.alpn.as_ref()?;
    if *alpn == ApplicationProtocol::H2 {
        Some(Mode::H2)
    } else if *alpn == ApplicationProtocol::HTTP_11 || *alpn == ApplicationProtocol::HTTP_10 {
        Some(Mode::Http1)
    } else {
        None
    }
}

/// Without the `tls` feature there is no ALPN to read: `auto` always peeks.
#[cfg(not(feature = "tls"))]
const fn alpn_choice(_extensions: &Extensions) -> Option<Mode> {
    None
}

async fn serve_h2<IO, S>(
    io: IO,
    server: &HttpServer,
    inner: &Arc<S>,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
) where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let result =
        crate::h2::serve_connection(io, &server.h2, inner.clone(), extensions, shutdown).await;
    if let Err(err) = result {
        tracing::debug!("h2 connection ended: {err}");
    }
}

/// Serves HTTP/1.x on one connection until it ends (the engine behind
/// [`HttpServer::http1`]), for IO without extensions of its own: `extensions` are the
/// connection's facts copied into every request, `shutdown` ends it gracefully.
///
/// See [`HttpServer`] for what requests carry, and [`Http1Config`] for the limits.
pub async fn serve_http1_connection<IO, S>(
    io: IO,
    config: Http1Config,
    service: &S,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
) where
    IO: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    serve_http1_since(io, &config, service, extensions, shutdown, Instant::now()).await;
}

async fn serve_http1_since<IO, S>(
    io: IO,
    config: &Http1Config,
    service: &S,
    extensions: Extensions,
    shutdown: Option<ShutdownSignal>,
    accepted: Instant,
) where
    IO: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
{
    crate::proto::h1::conn::serve_connection(io, config, service, extensions, shutdown, accepted)
        .await;
}
