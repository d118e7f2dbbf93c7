//! rama-core: the service model that every rama crate builds on.
//!
//! Everything in rama is a [`Service`]: a listener hands each connection to a service, a TLS
//! acceptor is a service that wraps a stream and calls the next, an HTTP server is a service
//! over a stream that calls an inner service per request. A [`Layer`] wraps one service into
//! another; layers compose as tuples, first element outermost. State that belongs to one
//! input travels with it in its [`Extensions`](extensions::Extensions).
//!
//! # Start here
//!
//! | you want to | use |
//! |---|---|
//! | write a service | implement [`Service`], or [`service_fn`] an async fn |
//! | wrap services | [`Layer`], [`layer::layer_fn`], tuples of layers |
//! | store per-connection facts | [`extensions::Extensions`], [`extensions::ExtensionsRef`] |
//! | pick a service by input | [`matcher`] and [`service::Either`] |
//! | limit, time out, retry | [`layer`] |
//! | report errors | [`error::BoxError`], [`error::OpaqueError`], [`error::ErrorContext`] |
//! | stop cleanly | [`graceful::Shutdown`], [`graceful::Executor`] |
//!
//! # Features
//!
//! | feature | enables |
//! |---|---|
//! | `telemetry` | `telemetry::init_tracing`, a `tracing` subscriber configured from `RUST_LOG` |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod error;
pub mod extensions;
pub mod graceful;
pub mod layer;
pub mod matcher;
pub mod service;

#[cfg(feature = "telemetry")]
#[cfg_attr(docsrs, doc(cfg(feature = "telemetry")))]
pub mod telemetry;

pub use layer::Layer;
pub use service::{Service, service_fn};
