//! `FollowRedirectLayer` over the pooled `EasyHttpWebClient`: the redirect responses' bodies
//! are drained, so a redirect chain on one origin runs on one HTTP/1 connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::error::BoxError;
use rama_core::graceful::Shutdown;
use rama_core::service::service_fn;
use rama_core::{Layer, Service};
use rama_http::client::EasyHttpWebClient;
use rama_http::layer::follow_redirect::{FollowRedirectLayer, RedirectHistory};
use rama_http::server::HttpServer;
use rama_http::{Body, Request, Response, StatusCode, header};
use rama_net::dns::DenyAllDns;
use rama_tcp::client::TcpConnector;
use rama_tcp::server::TcpListener;
use std::time::Duration;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// `/hop/N` redirects to `/hop/N+1` up to 3, then `/done`; each redirect body is a few bytes
/// sent a moment after the head (size unknown, so chunked), so that the client cannot have
/// it whole with the head.
async fn origin(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let path = req.uri().path();
    let Some(n) = path.strip_prefix("/hop/") else {
        return Ok(Response::new(Body::from("done")));
    };
    let n: u32 = n.parse()?;
    let next = if n >= 3 {
        "/done".to_owned()
    } else {
        format!("/hop/{}", n + 1)
    };
    let (tx, body) = Body::channel();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = tx.send_data("moved, see Location").await;
    });
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::FOUND;
    res.headers_mut().insert(header::LOCATION, next.parse()?);
    Ok(res)
}

#[tokio::test]
async fn a_three_hop_redirect_chain_runs_on_one_pooled_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    shutdown.spawn_task(listener.serve_graceful(
        shutdown.guard(),
        HttpServer::http1().service(service_fn(origin)),
    ));

    let client = EasyHttpWebClient::with_connector(TcpConnector::with_resolver(DenyAllDns));
    let follow = FollowRedirectLayer::new().into_layer(client.clone());
    for round in 0..2 {
        let req = Request::get(format!("http://{addr}/hop/1"))
            .body(Body::empty())
            .unwrap();
        let res = timeout(WAIT, follow.serve(req))
            .await
            .expect("answer in time")
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.extensions()
                .get::<RedirectHistory>()
                .unwrap()
                .redirects(),
            3
        );
        let text = timeout(WAIT, res.into_body().collect_string(1024))
            .await
            .expect("body in time")
            .unwrap();
        assert_eq!(text, "done");
        let counters = client.pool().counters();
        assert_eq!(counters.created(), 1, "round {round}: one connection");
        assert_eq!(counters.reused(), 3 + round * 4, "round {round}");
        assert_eq!(counters.evicted(), 0, "round {round}");
    }

    shutdown.trigger().trigger();
    timeout(WAIT, shutdown.shutdown())
        .await
        .expect("server stops in time");
}
