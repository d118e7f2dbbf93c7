//! Compile-time checks: the server's public services, futures and values are `Send` (and
//! `Sync` where shared), so they run on a multi-threaded runtime and in `Arc`s.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use rama_core::Service;
use rama_core::error::BoxError;
use rama_core::service::service_fn;
use rama_http::layer::error_handler::{ErrorHandler, ErrorHandlerLayer};
use rama_http::server::upgrade::{OnUpgrade, UpgradeError, Upgraded};
use rama_http::server::{Http1Config, HttpServer, HttpService, serve_http1_connection};
use rama_http::{Body, Request, Response};

fn send_sync<T: Send + Sync>(_: &T) {}
fn send<T: Send>(_: &T) {}
fn send_sync_type<T: Send + Sync>() {}

async fn hello(_req: Request<Body>) -> Result<Response<Body>, BoxError> {
    Ok(Response::new(Body::from("hi")))
}

#[tokio::test]
async fn server_types_are_send_and_sync() {
    send_sync_type::<HttpServer>();
    send_sync_type::<Http1Config>();
    send_sync_type::<OnUpgrade>();
    send_sync_type::<Upgraded>();
    send_sync_type::<UpgradeError>();

    let svc: HttpService<_> = HttpServer::auto().service(service_fn(hello));
    send_sync(&svc);
    let listener = rama_tcp::server::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let stream = rama_tcp::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let fut = svc.serve(stream);
    send(&fut);
    drop(fut);

    let (io, _peer) = tokio::io::duplex(64);
    let inner = service_fn(hello);
    let fut = serve_http1_connection(io, Http1Config::new(), &inner, Default::default(), None);
    send(&fut);
    drop(fut);

    let handled: ErrorHandler<_, _> =
        rama_core::Layer::into_layer(ErrorHandlerLayer::new(), service_fn(hello));
    send_sync(&handled);
    let fut = handled.serve(Request::new(Body::empty()));
    send(&fut);
}
