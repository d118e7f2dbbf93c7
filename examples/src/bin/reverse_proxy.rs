//! A reverse proxy in front of several upstream HTTP servers: round robin, retries of
//! idempotent requests on a dead upstream, passive ejection and an active health check,
//! `Forwarded` and `X-Forwarded-*` headers, and the client's header case and order kept.
//!
//! Shows: `ReverseProxy` (rama::proxy::reverse) as the service of an `HttpServer`, with
//! `EasyHttpWebClient` as its upstream client (keep-alive connections per upstream), health
//! checks spawned on the graceful shutdown's executor, and graceful shutdown on Ctrl-C.
//!
//! ```text
//! cargo run -p rama-examples --bin reverse_proxy [BIND] [UPSTREAM_URL...]
//! #   BIND          defaults to 127.0.0.1:62076
//! #   UPSTREAM_URL  defaults to http://127.0.0.1:62021 (http_hello) and
//! #                 http://127.0.0.1:62022 (http_echo)
//! cargo run -p rama-examples --bin http_hello &
//! cargo run -p rama-examples --bin http_echo &
//! cargo run -p rama-examples --bin reverse_proxy &
//! curl http://127.0.0.1:62076/      # hello, then the echoed request head, in turn
//! ```
//!
//! Stop one upstream and the requests keep being answered by the other: the first failure
//! is retried on the next upstream and ejects the dead one for 30 s; the health check
//! (`GET /` every 2 s) brings it back as soon as it answers again.

use rama::{
    error::{BoxError, ErrorContext},
    graceful::{Executor, Shutdown},
    http::{client::EasyHttpWebClient, server::HttpServer},
    proxy::reverse::{
        ActiveHealthCheck, Balance, ForwardedHeaders, PassiveHealth, ReverseProxy, Upstream,
    },
    tcp::server::TcpListener,
};
use std::{net::SocketAddr, time::Duration};

const DEFAULT_BIND: &str = "127.0.0.1:62076";
const DEFAULT_UPSTREAMS: [&str; 2] = ["http://127.0.0.1:62021", "http://127.0.0.1:62022"];

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .unwrap_or_else(|| DEFAULT_BIND.to_owned())
        .parse()
        .context("parse the bind address (first argument), e.g. 127.0.0.1:62076")?;
    let mut upstreams = args
        .map(|url| {
            url.parse::<Upstream>()
                .with_context(|| format!("parse the upstream URL {url:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if upstreams.is_empty() {
        for url in DEFAULT_UPSTREAMS {
            upstreams.push(url.parse()?);
        }
    }

    let proxy = ReverseProxy::new(EasyHttpWebClient::new(), upstreams.clone())?
        .with_balance(Balance::RoundRobin)
        .with_forwarded_headers(ForwardedHeaders::Both)
        .with_response_head_timeout(Some(Duration::from_secs(30)))
        .with_passive_health(
            PassiveHealth::new()
                .with_max_failures(1)
                .with_cool_down(Duration::from_secs(30)),
        );

    let shutdown = Shutdown::default();
    let check = ActiveHealthCheck::new("/")?
        .with_interval(Duration::from_secs(2))
        .with_healthy_threshold(1);
    proxy.spawn_health_checks(&check, &Executor::graceful(shutdown.guard()));

    let listener = TcpListener::bind(bind).await?;
    println!("listening on {}", listener.local_addr()?);
    for upstream in &upstreams {
        tracing::info!(%upstream, "upstream");
    }
    let service = HttpServer::auto().service(proxy);
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, service).await);
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await?;
    Ok(())
}
