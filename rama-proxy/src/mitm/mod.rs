//! A MITM (man-in-the-middle) proxy: an HTTP proxy that decrypts the `CONNECT` tunnels of
//! clients that trust its CA, so that every HTTPS request and response can be inspected
//! and changed, then forwarded to the real target over TLS (verified).
//!
//! ```text
//! client ──CONNECT a.test:443──► MitmProxy ──200──► peek ClientHello
//!        ──TLS (leaf for SNI a.test, minted by the DynamicIssuer, signed by the CA)──►
//!        HTTP server (h2 or HTTP/1.1, by ALPN) ──► GET https://a.test:443/path
//!        ──► Inspector (InspectLayer) ──► client stack (TLS to a.test, verified) ──► origin
//! ```
//!
//! | you want to | use |
//! |---|---|
//! | intercept CONNECT, pass other requests on | [`MitmProxy`] (+ [`MitmConfig`]) |
//! | see or change requests and responses | [`Inspector`], [`InspectLayer`] over the client |
//! | know the tunnel of an intercepted request | [`MitmTunnel`] in its extensions |
//! | load or create the CA, export its certificate | [`CaFiles`] |
//! | know what happens to a given ClientHello | [`classify`], [`Interception`] |
//!
//! # Fallbacks
//!
//! The ClientHello is peeked without consuming it. A tunnel whose first bytes are not TLS
//! (plain HTTP through `CONNECT`, SSH, ...) is relayed byte for byte to the target, the
//! peeked bytes first. A TLS ClientHello whose ALPN offer names no HTTP version the MITM
//! serves (`imap`, `h3` only, ...) is relayed without decrypting: the MITM could not inspect
//! it anyway. A ClientHello without ALPN is decrypted; when its first bytes are HTTP/1.x or
//! the h2 preface it is served as HTTP, else (or when the client sends nothing within
//! [`FIRST_BYTES_WAIT`]: the server speaks first) the decrypted bytes are relayed to the
//! target over a new TLS connection ([`MitmConfig::with_upstream_tls`]).
//!
//! # Security
//!
//! Whoever holds the CA key can impersonate every site to the clients that trust the CA:
//! [`CaFiles`] writes it with mode `0600`; never share it, and trust the CA only on
//! machines you own. Upstream certificates are verified by the client you give (the
//! default `EasyHttpWebClient` verifies against webpki roots): a target whose certificate
//! fails gets the client a `502`, never a silent pass.
//!
//! # Example
//!
//! ```no_run
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::{Body, Request, Response, StatusCode, client::EasyHttpWebClient, server::HttpServer};
//! use rama_net::dns::InMemoryDns;
//! use rama_proxy::mitm::{CaFiles, InspectLayer, Inspector, MitmProxy};
//! use rama_tcp::{client::TcpConnector, server::TcpListener};
//! use rama_tls::cert::DynamicIssuer;
//! use std::{convert::Infallible, sync::Arc};
//!
//! struct Log;
//! impl Inspector for Log {
//!     async fn on_request(&self, req: &mut Request<Body>) -> Option<Response<Body>> {
//!         println!("{} {}", req.method(), req.uri());
//!         None
//!     }
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let ca = CaFiles::in_dir("mitm-ca").load_or_generate("my MITM CA")?; // trust mitm-ca/ca.pem
//! let issuer = Arc::new(DynamicIssuer::new(Arc::new(ca)));
//! let connector = TcpConnector::with_resolver(InMemoryDns::new()); // your resolver here
//! let client = InspectLayer::new(Log)
//!     .into_layer(EasyHttpWebClient::with_connector(connector.clone()));
//! let not_connect = service_fn(async |_req: Request<Body>| {
//!     let mut res = Response::new(Body::from("only CONNECT here\n"));
//!     *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
//!     Ok::<_, Infallible>(res)
//! });
//! let mitm = MitmProxy::new(not_connect, issuer, client, connector)?;
//! let listener = TcpListener::bind("127.0.0.1:62077").await?;
//! listener.serve(HttpServer::auto().service(mitm)).await;
//! # Ok(())
//! # }
//! ```

mod ca;
mod fallback;
mod inspect;
mod intercept;
mod sniff;
mod tls;
mod upstream;

pub use ca::{CaFiles, DEFAULT_CA_NAME};
pub use inspect::{Inspect, InspectLayer, Inspector};
pub use intercept::{FIRST_BYTES_WAIT, MitmConfig, MitmProxy};
pub use tls::{Interception, TunnelReason, classify};
pub use upstream::MitmTunnel;
