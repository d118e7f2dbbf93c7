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
//! | hand shared state to inner services | [`layer::AddExtensionLayer`] |
//! | pick a service by input | [`matcher::Matcher`], [`matcher::MatcherRouter`], [`layer::HijackLayer`], [`service::Either`] |
//! | bound a call's duration | [`layer::TimeoutLayer`] |
//! | limit load (wait or reject) | [`layer::ConcurrencyLimitLayer`], [`layer::RateLimitLayer`] |
//! | retry with backoff | [`layer::retry::RetryLayer`], [`layer::retry::ExponentialBackoff`] |
//! | adapt inputs, outputs, errors | [`layer::MapInputLayer`], [`layer::MapOutputLayer`], [`layer::MapErrLayer`] |
//! | log or swallow errors | [`layer::TraceErrLayer`], [`layer::ConsumeErrLayer`] |
//! | erase a service's type | [`service::BoxService`], [`Service::boxed`] |
//! | treat "this stream or that one" as one stream | [`service::Either`] (tokio `AsyncRead` + `AsyncWrite`) |
//! | report errors | [`error::BoxError`], [`error::OpaqueError`], [`error::ErrorContext`] |
//! | stop cleanly | [`graceful::Shutdown`], [`graceful::Executor`] |
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::{ConcurrencyLimitLayer, TimeoutLayer, TraceErrLayer};
//! use std::{convert::Infallible, time::Duration};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let hello = service_fn(async |name: String| Ok::<_, Infallible>(format!("hello {name}")));
//! // first layer outermost: log errors, then time out, then limit concurrency
//! let svc = (
//!     TraceErrLayer::new(),
//!     TimeoutLayer::new(Duration::from_secs(5)),
//!     ConcurrencyLimitLayer::new(100),
//! )
//!     .into_layer(hello);
//! assert_eq!(svc.serve("rama".to_owned()).await.unwrap(), "hello rama");
//! # }
//! ```
//!
//! # Features
//!
//! | feature | enables |
//! |---|---|
//! | `telemetry` | `telemetry::init_tracing`, a `tracing` subscriber configured from `RUST_LOG` |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod error;
pub mod extensions;
pub mod future;
pub mod graceful;
pub mod layer;
pub mod matcher;
pub mod service;

#[cfg(feature = "telemetry")]
#[cfg_attr(docsrs, doc(cfg(feature = "telemetry")))]
pub mod telemetry;

pub use layer::Layer;
pub use service::{Service, service_fn};
