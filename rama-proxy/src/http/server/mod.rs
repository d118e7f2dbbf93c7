//! The HTTP forward proxy server: [`HttpForwardProxy`] (absolute-form `http://` requests
//! through an HTTP client, CONNECT tunnels over HTTP/1.1 and h2 with an eager connect),
//! [`ProxyAuthLayer`] (Basic proxy authentication, `407`), [`remove_hop_by_hop_headers`],
//! and the error mapping of [`UpstreamError`].
//!
//! ```text
//!  client ──TCP──► [TLS acceptor: HTTPS proxy] ──► HttpServer::auto (HTTP/1.1 or h2)
//!                                                      │ one Request per proxy request
//!                                                      ▼
//!                                         ProxyAuthLayer ── no/bad creds ──► 407
//!                                                      │ UserId (+ UsernameLabels)
//!                                                      ▼
//!                                            HttpForwardProxy
//!          ┌───────────────────────────────────────────┼──────────────────────────┐
//!   GET http://host/p                         CONNECT host:port             GET /p (origin-form)
//!   drop hop-by-hop, Host from URL            connector (policy, DNS, TCP)        400
//!   HTTP client ─► origin                     ├─ refused by policy ─► 403
//!   response streamed back                    ├─ refused/unreachable ─► 502
//!                                             ├─ timeout ─► 504
//!                                             └─ connected ─► 200, then bytes both ways
//! ```
//!
//! A whole proxy on a listener (HTTP/1.1 and h2, CONNECT, Basic auth, refusing private
//! targets):
//!
//! ```no_run
//! use rama_core::{Layer, graceful::Shutdown};
//! use rama_http::{client::EasyHttpWebClient, server::HttpServer};
//! use rama_net::{dns::InMemoryDns, user::Basic};
//! use rama_proxy::http::server::{HttpForwardProxy, ProxyAuthLayer};
//! use rama_proxy::policy::{PolicyConnector, TargetPolicy};
//! use rama_tcp::server::TcpListener;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // in production resolve with `HickoryDns::default()`
//! let connector = PolicyConnector::tcp(InMemoryDns::new(), TargetPolicy::public_only());
//! let client = EasyHttpWebClient::with_connector(connector.clone());
//! let proxy = ProxyAuthLayer::new([Basic::new("john", "secret")?])
//!     .into_layer(HttpForwardProxy::new(connector, client));
//!
//! let shutdown = Shutdown::default();
//! let listener = TcpListener::bind("127.0.0.1:62071").await?;
//! shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), HttpServer::auto().service(proxy)));
//! shutdown.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! For an HTTPS proxy (TLS between the client and the proxy), put rama-tls's
//! `TlsAcceptorLayer` in front of the `HttpServer` service; curl talks to it with
//! `-x https://host:port` (and `--proxy-insecure` for a self-signed certificate).

mod auth;
mod connect;
mod error;
mod forward;
mod hop_by_hop;

pub use auth::{ProxyAuth, ProxyAuthLayer};
pub use error::UpstreamError;
pub use forward::{DEFAULT_CONNECT_TIMEOUT, HttpForwardProxy};
pub use hop_by_hop::remove_hop_by_hop_headers;
