//! An HTTP server with a stack of rama-http middleware in front of a small router.
//!
//! Shows: composing layers with a tuple (first = outermost): request id, sensitive headers,
//! trace, catch panic, timeout, CORS, compression, body limit; and what each one does to a
//! request.
//!
//! | path | answers |
//! |---|---|
//! | `GET /` | a few KiB of text (compressed when `Accept-Encoding` allows) |
//! | `POST /echo` | the request body (over 64 KiB: `413`) |
//! | `GET /slow` | nothing for 30 s: the timeout answers `408` after 2 s |
//! | `GET /panic` | a panic in the handler: `500` |
//!
//! CORS allows the origin `http://localhost:3000` with GET and POST.
//!
//! ```text
//! cargo run -p rama-examples --bin http_middleware_stack [BIND]  # default 127.0.0.1:62023
//! curl --compressed -v http://127.0.0.1:62023/
//! curl -X OPTIONS -H 'Origin: http://localhost:3000' \
//!      -H 'Access-Control-Request-Method: POST' -i http://127.0.0.1:62023/echo
//! head -c 100000 /dev/zero | curl --data-binary @- -i http://127.0.0.1:62023/echo   # 413
//! ```

use rama::{
    Layer,
    error::{BoxError, ErrorContext},
    graceful::Shutdown,
    http::{
        Body, Method, Request, Response, StatusCode,
        layer::{
            body_limit::BodyLimitLayer,
            catch_panic::CatchPanicLayer,
            compression::CompressionLayer,
            cors::{AllowOrigin, CorsLayer},
            request_id::RequestIdLayer,
            sensitive_headers::{SensitiveHeaders, SetSensitiveRequestHeadersLayer},
            timeout::TimeoutLayer,
            trace::TraceLayer,
        },
        server::HttpServer,
    },
    service_fn,
    tcp::server::TcpListener,
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62023";
const BODY_LIMIT: u64 = 64 * 1024;

async fn router(req: Request<Body>) -> Result<Response<Body>, BoxError> {
    let status_only = |status: StatusCode| {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = status;
        res
    };
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => {
            let text: String = (0..200)
                .map(|i| format!("line {i}: the quick brown fox jumps over the lazy dog\n"))
                .collect();
            Response::new(Body::from(text))
        }
        (&Method::POST, "/echo") => {
            // collect with no own limit: the BodyLimitLayer bounds it (and answers 413)
            let data = req.into_body().collect_bytes(usize::MAX).await?;
            Response::new(Body::from(data))
        }
        (&Method::GET, "/slow") => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Response::new(Body::from("too late"))
        }
        #[expect(clippy::panic, reason = "the example shows CatchPanicLayer at work")]
        (&Method::GET, "/panic") => panic!("handler bug"),
        _ => status_only(StatusCode::NOT_FOUND),
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62023")?;

    let sensitive = SensitiveHeaders::default();
    let stack = (
        RequestIdLayer::new(),
        SetSensitiveRequestHeadersLayer::new(sensitive.clone()),
        TraceLayer::new().with_sensitive_headers(sensitive),
        CatchPanicLayer::new(),
        TimeoutLayer::new(Duration::from_secs(2)),
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(["http://localhost:3000"]))
            .allow_methods([Method::GET, Method::POST])
            .max_age(Duration::from_secs(600)),
        CompressionLayer::new(),
        BodyLimitLayer::new(BODY_LIMIT),
    );
    let server = HttpServer::auto().service(stack.into_layer(service_fn(router)));

    let shutdown = Shutdown::default(); // Ctrl-C or SIGTERM
    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, server).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
