//! A rama HTTP service served by hyper-util: `RamaService` (tower) bridged to hyper's
//! `Service` with `TowerToHyperService`, on a loopback port, requested with rama's client.
#![cfg(feature = "tower")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use rama_core::{Service, error::BoxError};
use rama_http::{
    Body, Request, Response, StatusCode, client::http1::Http1ClientConfig, header,
    tower::RamaService,
};
use std::time::Duration;
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(10);

/// Echoes the method, path and body; a 418 for `/teapot`.
struct EchoOrTeapot;

impl Service<Request<Body>> for EchoOrTeapot {
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, BoxError> {
        if req.uri().path() == "/teapot" {
            let mut res = Response::new(Body::from("short and stout"));
            *res.status_mut() = StatusCode::IM_A_TEAPOT;
            return Ok(res);
        }
        let head = format!("{} {} ", req.method(), req.uri().path());
        let body = req.into_body().collect_string(1 << 20).await?;
        let mut res = Response::new(Body::from(head + &body));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain"),
        );
        Ok(res)
    }
}

#[tokio::test]
async fn rama_service_served_by_hyper_util() {
    let service = TowerToHyperService::new(RamaService::new(EchoOrTeapot));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = service.clone();
            conns.spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    timeout(BOUND, async {
        let io = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (sender, conn) = rama_http::client::http1::handshake(io, Http1ClientConfig::new())
            .await
            .unwrap();
        let conn = tokio::spawn(conn);

        let req = Request::post(format!("http://{addr}/upload"))
            .body(Body::from("a body from the client"))
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/plain");
        assert_eq!(
            res.into_body().collect_string(1024).await.unwrap(),
            "POST /upload a body from the client"
        );

        let req = Request::get(format!("http://{addr}/teapot"))
            .body(Body::empty())
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(
            res.into_body().collect_string(1024).await.unwrap(),
            "short and stout"
        );
        conn.abort();
    })
    .await
    .unwrap();
    server.abort();
}
