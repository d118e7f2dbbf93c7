//! A reverse proxy: [`ReverseProxy`] forwards each request to one of several upstream
//! servers and streams the answer back.
//!
//! ```text
//! client ─► HttpServer ─► ReverseProxy ───────────────────────────────────► HTTP client ─► upstream
//!                          │ 1. hop-by-hop headers out, Forwarded / X-Forwarded-* in
//!                          │ 2. pick an upstream (balance; skip unhealthy, ejected, tried)
//!                          │ 3. URI → upstream base URL + path; Host kept or rewritten
//!                          │ 4. send (response-head timeout); on a connect failure an
//!                          │    idempotent request goes to the next upstream
//!                          │ 5. answer: hop-by-hop headers out, body streamed;
//!                          │    101 → both connections handed over and relayed
//!                          └ errors → 502 / 503 / 504, never a dropped request
//! ```
//!
//! | you want to | use |
//! |---|---|
//! | name upstreams | [`Upstream`] (`"http://10.0.0.7:8080".parse()`) |
//! | choose the balancing | [`Balance`] (round robin, least connections, consistent hash on a [`HashKey`]) |
//! | eject failing upstreams / probe them | [`PassiveHealth`], [`ActiveHealthCheck`] + [`ReverseProxy::spawn_health_checks`] |
//! | retry idempotent requests elsewhere | [`RetryPolicy`] |
//! | choose the forwarding headers and the `Host` | [`ForwardedHeaders`], [`HostHeader`] |
//! | know why the proxy answered itself | [`ReverseProxyError`] (in the response's extensions) |
//! | keep each exchange on the thread serving it (a runtime per core) | [`ReverseProxy::with_client_per_thread`] |
//!
//! Header names keep their spelling and order end to end: the HTTP/1 server records them
//! ([`OriginalHeaderNames`](rama_http::wire::OriginalHeaderNames)), the proxy keeps the
//! record with the request and the answer, and the HTTP/1 client and server write them back
//! in that order; headers the proxy adds come after them. Bodies stream both ways: nothing
//! is buffered, except a small request body of an idempotent request (to retry it).
//!
//! ```no_run
//! use rama_core::graceful::{Executor, Shutdown};
//! use rama_http::client::EasyHttpWebClient;
//! use rama_http::server::HttpServer;
//! use rama_net::dns::DenyAllDns;
//! use rama_proxy::reverse::{ActiveHealthCheck, Balance, ReverseProxy};
//! use rama_tcp::client::TcpConnector;
//! use rama_tcp::server::TcpListener;
//!
//! # async fn run() -> Result<(), rama_core::error::BoxError> {
//! // upstreams by IP address: no DNS needed
//! let client = EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns));
//! let proxy = ReverseProxy::new(
//!     client,
//!     [
//!         "http://127.0.0.1:8081".parse()?,
//!         "http://127.0.0.1:8082".parse()?,
//!     ],
//! )?
//! .with_balance(Balance::LeastConn);
//!
//! let shutdown = Shutdown::default();
//! proxy.spawn_health_checks(
//!     &ActiveHealthCheck::new("/health")?,
//!     &Executor::graceful(shutdown.guard()),
//! );
//! let listener = TcpListener::bind("127.0.0.1:8080").await?;
//! shutdown.spawn_task(listener.serve_graceful(shutdown.guard(), HttpServer::auto().service(proxy)));
//! shutdown.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! | failure | status | retried (idempotent, replayable body) | counts against health |
//! |---|---|---|---|
//! | connection refused / unreachable | 502 | yes | yes |
//! | connect timeout | 504 | yes | yes |
//! | upstream closed before answering | 502 | yes | yes |
//! | no response head within the timeout | 504 | no | yes |
//! | invalid answer, TLS failure | 502 | no | yes |
//! | no upstream available | 503 | — | — |
//! | the client's request body failed | 400 | no | no |
//! | `CONNECT` | 405 | — | — |
//!
//! Once the answer's head was sent, an upstream that fails mid-body cuts the client's
//! body short (the connection closes, a chunked body gets no last chunk): the client sees
//! an incomplete answer, never a truncated one passed off as whole.

pub mod balance;
mod error;
mod headers;
pub mod health;
mod per_thread;
mod proxy;
pub mod retry;
mod upgrade;
mod upstream;

pub use balance::{Balance, BalanceParseError, HashKey};
pub use error::{ErrorKind, ReverseProxyError};
pub use headers::{ForwardedHeaders, HostHeader};
pub use health::{ActiveHealthCheck, PassiveHealth};
pub use proxy::ReverseProxy;
pub use retry::RetryPolicy;
pub use upstream::{Upstream, UpstreamParseError, UpstreamStatus};
