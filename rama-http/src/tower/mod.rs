//! Interop with the tower ecosystem (feature `tower`): run a tower service, such as an axum
//! `Router`, inside a rama [`HttpServer`](crate::server::HttpServer), and expose a rama HTTP
//! service as a tower service, which hyper-util can serve directly.
//!
//! | you have | wrap it in | and get |
//! |---|---|---|
//! | a `tower_service::Service<Request<Body>>` (axum `Router`, tower-http stack) | [`TowerService`] | a rama `Service<Request<Body>, Output = Response<Body>>` |
//! | a rama `Service<Request<Body>, Output = Response<Body>>` | [`RamaService`] | a `tower_service::Service<Request<B>>` for any `http_body` body `B` |
//!
//! # The two service models
//!
//! A tower service is called through `&mut self` after `poll_ready` said it has capacity;
//! the convention for sharing one is to clone it per request (clones are cheap handles, for
//! an axum `Router` an `Arc`), so each call owns a service that was made ready for it alone.
//! A rama service is served through `&self` and has no readiness step. [`TowerService`]
//! therefore clones the tower service for each request, awaits its `poll_ready`, then calls
//! it. [`RamaService`] is always ready: its readiness is the rama service's, which is
//! decided inside `serve`.
//!
//! **Back-pressure**: a tower service that reports "not ready" (a concurrency limit, a
//! buffer that is full) makes that one request wait inside its own connection task; rama
//! does not stop accepting connections or reading requests because of it. Bound the load
//! with rama layers or the listener when that matters.
//!
//! # Serving a rama service with hyper-util
//!
//! hyper has its own `Service` trait; `hyper_util::service::TowerToHyperService` bridges a
//! tower service to it, so `TowerToHyperService::new(RamaService::new(svc))` can be given to
//! `hyper_util::server::conn::auto::Builder::serve_connection` (hyper-util's `service`
//! feature). hyper's request body (`Incoming`) becomes the rama [`Body`](crate::Body).
//!
//! ```
//! use rama_core::service::service_fn;
//! use rama_http::tower::{RamaService, TowerService};
//! use rama_http::{Body, Request, Response};
//! use std::convert::Infallible;
//!
//! // a rama service, usable wherever a tower service is expected
//! let hello = service_fn(async |_req: Request<Body>| {
//!     Ok::<_, Infallible>(Response::new(Body::from("hello")))
//! });
//! let as_tower = RamaService::new(hello);
//! // and back: any tower service (here the same one) inside rama's HttpServer
//! let _as_rama = TowerService::new(as_tower);
//! ```

mod rama_service;
mod tower_service;

pub use rama_service::{RamaService, RamaServiceFuture};
pub use tower_service::TowerService;
