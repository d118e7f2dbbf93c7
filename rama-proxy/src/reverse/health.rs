//! Upstream health: passive (requests that fail) and active (a periodic probe).
//!
//! - **Passive** ([`PassiveHealth`]): after `max_failures` upstream failures in a row
//!   (connect refused or timed out, closed before answering, response-head timeout, invalid
//!   answer) the upstream is ejected for a cool-down; afterwards it gets requests again (and
//!   is ejected again after another streak). A response head of any status ends a streak.
//! - **Active** ([`ActiveHealthCheck`]): a task per upstream sends `GET <path>` every
//!   interval; `unhealthy_threshold` failed probes in a row (no answer in time, or a status
//!   other than 2xx/3xx) mark it unhealthy, `healthy_threshold` good ones healthy again, which
//!   also ends a passive ejection. Start them with
//!   [`ReverseProxy::spawn_health_checks`](super::ReverseProxy::spawn_health_checks); they end
//!   with the graceful shutdown of the executor's guard, or once the proxy is dropped.
//!
//! Upstreams start healthy. Balancers skip unhealthy and ejected upstreams; with none left
//! the client gets `503`.

use super::upstream::{Upstream, UpstreamSet};
use http::uri::{InvalidUri, PathAndQuery};
use http::{HeaderValue, Method, Request, Response, header};
use rama_core::Service;
use rama_core::error::BoxError;
use rama_core::graceful::ShutdownGuard;
use rama_http::Body;
use std::sync::Weak;
use std::time::Duration;

/// Passive health settings; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassiveHealth {
    max_failures: u32,
    cool_down: Duration,
}

impl Default for PassiveHealth {
    fn default() -> Self {
        Self::new()
    }
}

impl PassiveHealth {
    /// Ejected after 3 failures in a row, for 10 seconds.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_failures: 3,
            cool_down: Duration::from_secs(10),
        }
    }

    /// Never eject.
    #[must_use]
    pub const fn disabled() -> Self {
        Self {
            max_failures: 0,
            cool_down: Duration::ZERO,
        }
    }

    /// Sets the failures in a row that eject an upstream (0: never).
    #[must_use]
    pub const fn with_max_failures(mut self, n: u32) -> Self {
        self.max_failures = n;
        self
    }

    /// Sets how long an ejected upstream gets no requests.
    #[must_use]
    pub const fn with_cool_down(mut self, cool_down: Duration) -> Self {
        self.cool_down = cool_down;
        self
    }

    /// The failures in a row that eject an upstream (0: never).
    #[must_use]
    pub const fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long an ejected upstream gets no requests.
    #[must_use]
    pub const fn cool_down(&self) -> Duration {
        self.cool_down
    }
}

/// Active health check settings; see the [module docs](self).
///
/// ```
/// use rama_proxy::reverse::ActiveHealthCheck;
/// use std::time::Duration;
///
/// let check = ActiveHealthCheck::new("/healthz")?.with_interval(Duration::from_secs(2));
/// assert_eq!(check.path(), "/healthz");
/// assert!(ActiveHealthCheck::new("/bad path").is_err());
/// # Ok::<(), http::uri::InvalidUri>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveHealthCheck {
    path: PathAndQuery,
    interval: Duration,
    timeout: Duration,
    healthy_threshold: u32,
    unhealthy_threshold: u32,
}

impl ActiveHealthCheck {
    /// Probe `path` (a leading `/` is added when missing) every 5 s with a 2 s timeout;
    /// unhealthy after 3 failed probes in a row, healthy again after 2 good ones.
    ///
    /// # Errors
    ///
    /// `path` is not a valid path and query.
    pub fn new(path: &str) -> Result<Self, InvalidUri> {
        let path = if path.starts_with('/') {
            PathAndQuery::try_from(path)?
        } else {
            PathAndQuery::try_from(format!("/{path}"))?
        };
        Ok(Self {
            path,
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        })
    }

    /// Sets the time between probes.
    #[must_use]
    pub const fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets how long a probe may take.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the good probes in a row that make an upstream healthy (at least 1).
    #[must_use]
    pub const fn with_healthy_threshold(mut self, n: u32) -> Self {
        self.healthy_threshold = if n == 0 { 1 } else { n };
        self
    }

    /// Sets the failed probes in a row that make an upstream unhealthy (at least 1).
    #[must_use]
    pub const fn with_unhealthy_threshold(mut self, n: u32) -> Self {
        self.unhealthy_threshold = if n == 0 { 1 } else { n };
        self
    }

    /// The probed path.
    #[must_use]
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// The time between probes.
    #[must_use]
    pub const fn interval(&self) -> Duration {
        self.interval
    }

    /// How long a probe may take.
    #[must_use]
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The largest probe answer body read (and dropped) so that its connection can be reused.
const PROBE_BODY_LIMIT: usize = 64 * 1024;

/// One probe: whether `upstream` answered `GET path` with 2xx/3xx in time.
async fn probe<C>(client: &C, upstream: &Upstream, check: &ActiveHealthCheck) -> bool
where
    C: Service<Request<Body>, Output = Response<Body>>,
    C::Error: Into<BoxError>,
{
    let Ok(uri) = upstream.uri_for(Some(check.path.clone())) else {
        return false;
    };
    let mut req = Request::new(Body::empty());
    *req.method_mut() = Method::GET;
    *req.uri_mut() = uri;
    req.headers_mut()
        .insert(header::HOST, upstream.host_value().clone());
    req.headers_mut().insert(
        header::USER_AGENT,
        HeaderValue::from_static("rama-reverse-proxy-health-check"),
    );
    let exchange = async {
        let res = client.serve(req).await.map_err(Into::into)?;
        let ok = res.status().is_success() || res.status().is_redirection();
        // read the body so that the connection can serve the next probe
        let _ = res.into_body().collect_bytes(PROBE_BODY_LIMIT).await;
        Ok::<bool, BoxError>(ok)
    };
    match tokio::time::timeout(check.timeout, exchange).await {
        Ok(Ok(ok)) => ok,
        Ok(Err(err)) => {
            tracing::debug!(%upstream, "health probe failed: {err:#}");
            false
        }
        Err(_) => {
            tracing::debug!(%upstream, "health probe timed out");
            false
        }
    }
}

/// The probe loop of upstream `index`: probes at once, then every interval, until the
/// proxy is gone or `guard`'s shutdown begins.
pub(crate) async fn run<C>(
    set: Weak<UpstreamSet>,
    index: usize,
    client: C,
    check: ActiveHealthCheck,
    guard: Option<ShutdownGuard>,
) where
    C: Service<Request<Body>, Output = Response<Body>>,
    C::Error: Into<BoxError>,
{
    let mut good = 0u32;
    let mut bad = 0u32;
    loop {
        let Some(upstreams) = set.upgrade() else {
            return;
        };
        let Some(state) = upstreams.states.get(index) else {
            return;
        };
        let probed = probe(&client, &state.upstream, &check);
        let ok = match &guard {
            Some(guard) => tokio::select! {
                ok = probed => ok,
                () = guard.cancelled() => return,
            },
            None => probed.await,
        };
        if ok {
            good = good.saturating_add(1);
            bad = 0;
            let ejected = state.is_ejected(&upstreams.clock);
            if good >= check.healthy_threshold && (!state.is_healthy() || ejected) {
                tracing::info!(upstream = %state.upstream, "upstream healthy");
                state.set_healthy(true);
            }
        } else {
            bad = bad.saturating_add(1);
            good = 0;
            if bad >= check.unhealthy_threshold && state.is_healthy() {
                tracing::warn!(upstream = %state.upstream, "upstream unhealthy: health check failed {bad} times in a row");
                state.set_healthy(false);
            }
        }
        drop(upstreams);
        let pause = tokio::time::sleep(check.interval);
        match &guard {
            Some(guard) => tokio::select! {
                () = pause => {}
                () = guard.cancelled() => return,
            },
            None => pause.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::graceful::Shutdown;
    use rama_core::service_fn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    #[test]
    fn settings() {
        assert_eq!(ActiveHealthCheck::new("health").unwrap().path(), "/health");
        assert_eq!(ActiveHealthCheck::new("/h?x=1").unwrap().path(), "/h?x=1");
        assert!(ActiveHealthCheck::new("/a b").is_err());
        let p = PassiveHealth::new()
            .with_max_failures(5)
            .with_cool_down(Duration::from_secs(1));
        assert_eq!(
            (p.max_failures(), p.cool_down()),
            (5, Duration::from_secs(1))
        );
        assert_eq!(PassiveHealth::disabled().max_failures(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn thresholds_mark_down_then_up_and_the_loop_ends_on_shutdown() {
        let set = Arc::new(UpstreamSet::new(["http://127.0.0.1:9".parse().unwrap()]));
        let up = Arc::new(AtomicBool::new(false));
        let probes = Arc::new(AtomicUsize::new(0));
        let client = {
            let (up, probes) = (up.clone(), probes.clone());
            service_fn(move |req: Request<Body>| {
                let (up, probes) = (up.clone(), probes.clone());
                async move {
                    assert_eq!(req.uri().path(), "/health");
                    assert_eq!(req.headers()["host"], "127.0.0.1:9");
                    probes.fetch_add(1, Ordering::SeqCst);
                    let status = if up.load(Ordering::SeqCst) { 200 } else { 503 };
                    let mut res = Response::new(Body::empty());
                    *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
                    Ok::<_, BoxError>(res)
                }
            })
        };
        let check = ActiveHealthCheck::new("/health")
            .unwrap()
            .with_interval(Duration::from_secs(1))
            .with_unhealthy_threshold(2)
            .with_healthy_threshold(2);
        let shutdown = Shutdown::manual();
        let task = tokio::spawn(run(
            Arc::downgrade(&set),
            0,
            client,
            check,
            Some(shutdown.guard()),
        ));
        let settle = || tokio::time::sleep(Duration::from_millis(1500));
        settle().await; // probes at 0 s and 1 s: two failures
        assert!(!set.states[0].is_healthy());
        up.store(true, Ordering::SeqCst);
        settle().await;
        settle().await;
        assert!(set.states[0].is_healthy());
        assert!(probes.load(Ordering::SeqCst) >= 4);
        shutdown.trigger().trigger();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
}
