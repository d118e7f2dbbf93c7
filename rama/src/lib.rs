//! rama: a modular framework for network services and proxies, where every step is a service.
//!
//! A listener hands each connection to a [`Service`]; a [`Layer`] wraps a service into another
//! (timeouts, limits, tracing, later TLS and HTTP); the stack you compose in code is the path
//! the traffic takes. This crate is the facade: one dependency, with features named after the
//! crates it re-exports. The book (`book/` in the repository) explains the model; the
//! examples (`examples/src/bin/`) show it running.
//!
//! # Start here
//!
//! | you want to | look at |
//! |---|---|
//! | write a service | [`Service`], [`service_fn`], [`service`] |
//! | wrap services with middleware | [`Layer`], [`layer`] |
//! | choose a service by what the input looks like | [`matcher`] |
//! | carry per-connection facts | [`extensions`] |
//! | report errors with context | [`error`] |
//! | stop on Ctrl-C / SIGTERM and drain connections | [`graceful`] |
//! | parse addresses, peek or forward streams, resolve names | `net` (feature `net`) |
//! | listen, connect and forward over TCP | `tcp` (feature `tcp`) |
//! | terminate or originate TLS, route by SNI, issue certificates, read ClientHellos | `tls` (feature `tls`) |
//! | serve and send HTTP/1.x and h2, with header case and order kept | `http` (feature `http`) |
//! | forward, reverse, SOCKS5, HAProxy PROXY protocol, MITM proxies; upstream proxy pools | `proxy` (feature `proxy`) |
//! | log with `RUST_LOG` | `telemetry` (feature `telemetry`) |
//!
//! # Features
//!
//! | feature | enables | crate |
//! |---|---|---|
//! | `net` | `rama::net`: addresses, protocols, stream utilities, DNS (hickory) | `rama-net` |
//! | `tcp` | `rama::tcp`: listener, connector with Happy Eyeballs, L4 forwarding (implies `net`) | `rama-tcp` |
//! | `tls` | `rama::tls`: TLS vocabulary, ClientHello parser, SNI router, certificates, the rustls backend; HTTPS in `rama::http` when `http` is on too (implies `net`) | `rama-tls` |
//! | `boring` | `rama::tls::boring`: the BoringSSL backend (acceptor and connector layers, browser-like ClientHello knobs); building it needs cmake and clang (implies `tls`) | `rama-tls` |
//! | `http` | `rama::http`: HTTP types with wire fidelity, `Body`, HTTP/1.x and h2 servers and clients, middleware (implies `net`) | `rama-http` |
//! | `tower` | `rama::http::tower`: run tower/axum services in rama, rama services under tower and hyper (implies `http`) | `rama-http` |
//! | `telemetry` | `rama::telemetry`: a `tracing` subscriber configured from `RUST_LOG` | `rama-core` |
//! | `full` | all of the above | |
//!
//! No feature is on by default: the core model ([`Service`], [`Layer`], [`graceful`], ...)
//! is always there.
//!
//! # Example
//!
//! ```
//! use rama::{Layer, Service, service_fn};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let shout = service_fn(async |s: String| Ok::<_, Infallible>(s.to_uppercase()));
//! // `()` is the identity layer; real stacks use tuples of layers, first outermost
//! let svc = ().into_layer(shout);
//! assert_eq!(svc.serve("rama".to_owned()).await.unwrap(), "RAMA");
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use rama_core::{Layer, Service, service_fn};

#[doc(inline)]
pub use rama_core::service::{BoxService, Either};

#[doc(inline)]
pub use rama_core::{error, extensions, future, graceful, layer, matcher, service};

#[cfg(feature = "net")]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
#[doc(inline)]
pub use rama_net as net;

#[cfg(feature = "tcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "tcp")))]
#[doc(inline)]
pub use rama_tcp as tcp;

#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
#[doc(inline)]
pub use rama_tls as tls;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[doc(inline)]
pub use rama_http as http;

#[cfg(feature = "proxy")]
#[cfg_attr(docsrs, doc(cfg(feature = "proxy")))]
#[doc(inline)]
pub use rama_proxy as proxy;

#[cfg(feature = "telemetry")]
#[cfg_attr(docsrs, doc(cfg(feature = "telemetry")))]
#[doc(inline)]
pub use rama_core::telemetry;
