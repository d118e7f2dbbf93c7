//! [`Upstream`]: one server behind the reverse proxy, given as a base URL, and the live state
//! the proxy keeps about it (requests in flight, passive and active health).

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Uri};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// An upstream server: a base URL `http://host:port` or `https://host:port`, optionally with a
/// path prefix (`http://10.0.0.7:8080/api`: a request for `/users` goes to `/api/users`).
///
/// ```
/// use rama_proxy::reverse::Upstream;
///
/// let upstream: Upstream = "http://127.0.0.1:8081".parse()?;
/// assert_eq!(upstream.authority().as_str(), "127.0.0.1:8081");
/// assert_eq!(upstream.to_string(), "http://127.0.0.1:8081");
///
/// assert!("ftp://127.0.0.1".parse::<Upstream>().is_err());
/// # Ok::<(), rama_proxy::reverse::UpstreamParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    scheme: Scheme,
    authority: Authority,
    /// `""` or a prefix that starts with `/` and does not end with `/`
    prefix: String,
    host_value: HeaderValue,
}

/// Why a text is not an [`Upstream`] URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamParseError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for UpstreamParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid upstream URL {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for UpstreamParseError {}

impl Upstream {
    /// `http` or `https`.
    #[must_use]
    pub const fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// `host[:port]` as written in the URL.
    #[must_use]
    pub const fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path prefix (`""` when the URL has none).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The `Host` value that names this upstream (its authority).
    #[must_use]
    pub const fn host_value(&self) -> &HeaderValue {
        &self.host_value
    }

    /// The URI of a request for `path_and_query` (origin form, `/` when `None`) on this
    /// upstream: its scheme and authority, the prefix, then the path and query.
    pub(crate) fn uri_for(&self, path_and_query: Option<PathAndQuery>) -> Result<Uri, http::Error> {
        let path_and_query = match (self.prefix.is_empty(), path_and_query) {
            (true, Some(pq)) if pq.as_str().starts_with('/') => pq,
            (true, Some(pq)) => PathAndQuery::try_from(format!("/{}", pq.as_str()))?,
            (true, None) => PathAndQuery::from_static("/"),
            (false, pq) => {
                let rest = pq.as_ref().map_or("/", PathAndQuery::as_str);
                let sep = if rest.starts_with('/') { "" } else { "/" };
                PathAndQuery::try_from(format!("{}{sep}{rest}", self.prefix))?
            }
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
    }
}

impl FromStr for Upstream {
    type Err = UpstreamParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| UpstreamParseError {
            input: s.to_owned(),
            reason,
        };
        let uri: Uri = s
            .parse()
            .map_err(|_| err("not a URL (expected http://host:port)"))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::HTTP,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::HTTPS,
            Some(_) => return Err(err("the scheme must be http or https")),
            None => return Err(err("a scheme is needed (http://host:port)")),
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| err("a host is needed"))?;
        if authority.host().is_empty() {
            return Err(err("a host is needed"));
        }
        if authority.as_str().contains('@') {
            return Err(err("user info is not supported in an upstream URL"));
        }
        if uri.query().is_some() {
            return Err(err("an upstream URL cannot have a query"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let host_value = HeaderValue::from_str(authority.as_str())
            .map_err(|_| err("the host is not a valid Host header value"))?;
        Ok(Self {
            scheme,
            authority,
            prefix,
            host_value,
        })
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

/// What the proxy knows about one upstream right now; see
/// [`ReverseProxy::upstream_status`](super::ReverseProxy::upstream_status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamStatus {
    /// The upstream's URL.
    pub upstream: Upstream,
    /// Requests sent to it whose exchange has not ended (counted when balancing by least
    /// connections; 0 otherwise).
    pub in_flight: usize,
    /// Whether the active health check counts it healthy (always `true` without checks).
    pub healthy: bool,
    /// Whether passive health ejected it (consecutive failures) and its cool-down runs.
    pub ejected: bool,
}

/// The live state of one upstream, shared by the proxy's requests and its health checks.
#[derive(Debug)]
pub(crate) struct UpstreamState {
    pub(crate) upstream: Upstream,
    pub(crate) in_flight: AtomicUsize,
    consecutive_failures: AtomicU32,
    /// nanoseconds since [`Clock`]'s start until which the upstream is ejected; 0: not ejected
    ejected_until: AtomicU64,
    healthy: AtomicBool,
}

impl UpstreamState {
    pub(crate) const fn new(upstream: Upstream) -> Self {
        Self {
            upstream,
            in_flight: AtomicUsize::new(0),
            consecutive_failures: AtomicU32::new(0),
            ejected_until: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
        }
    }

    /// Whether requests may go to this upstream now: actively healthy and not ejected.
    pub(crate) fn is_available(&self, clock: &Clock) -> bool {
        if !self.healthy.load(Ordering::Relaxed) {
            return false;
        }
        let until = self.ejected_until.load(Ordering::Relaxed);
        until == 0 || clock.now() >= until
    }

    pub(crate) fn is_ejected(&self, clock: &Clock) -> bool {
        let until = self.ejected_until.load(Ordering::Relaxed);
        until != 0 && clock.now() < until
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// A response head arrived: the failure streak ends.
    pub(crate) fn record_success(&self) {
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    /// A connection or upstream failure; ejects the upstream for `cool_down` once
    /// `max_failures` happened in a row (`max_failures == 0`: never). Returns whether this
    /// failure ejected it.
    pub(crate) fn record_failure(
        &self,
        max_failures: u32,
        cool_down: Duration,
        clock: &Clock,
    ) -> bool {
        if max_failures == 0 {
            return false;
        }
        let failures = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures < max_failures {
            return false;
        }
        self.consecutive_failures.store(0, Ordering::Relaxed);
        let until = clock.now().saturating_add(duration_nanos(cool_down)).max(1);
        self.ejected_until.store(until, Ordering::Relaxed);
        true
    }

    /// The active health check's verdict; a healthy verdict also ends a passive ejection.
    pub(crate) fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::Relaxed);
        if healthy {
            self.ejected_until.store(0, Ordering::Relaxed);
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn status(&self, clock: &Clock) -> UpstreamStatus {
        UpstreamStatus {
            upstream: self.upstream.clone(),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            healthy: self.is_healthy(),
            ejected: self.is_ejected(clock),
        }
    }
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The upstreams of one proxy with their live state, shared with its health checks.
#[derive(Debug)]
pub(crate) struct UpstreamSet {
    pub(crate) states: Box<[UpstreamState]>,
    pub(crate) clock: Clock,
}

impl UpstreamSet {
    pub(crate) fn new(upstreams: impl IntoIterator<Item = Upstream>) -> Self {
        Self {
            states: upstreams.into_iter().map(UpstreamState::new).collect(),
            clock: Clock::new(),
        }
    }
}

/// A monotonic clock in nanoseconds since the proxy was built (fits an atomic).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }

    /// Nanoseconds since the start; at least 1 so that 0 can mean "never".
    pub(crate) fn now(&self) -> u64 {
        duration_nanos(self.start.elapsed()).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        // (input, Ok((scheme, authority, prefix, display)) or Err(reason fragment))
        type Case = (
            &'static str,
            Result<(&'static str, &'static str, &'static str, &'static str), &'static str>,
        );
        let cases: &[Case] = &[
            (
                "http://127.0.0.1:8081",
                Ok(("http", "127.0.0.1:8081", "", "http://127.0.0.1:8081")),
            ),
            (
                "http://127.0.0.1:8081/",
                Ok(("http", "127.0.0.1:8081", "", "http://127.0.0.1:8081")),
            ),
            (
                "HTTPS://example.com",
                Ok(("https", "example.com", "", "https://example.com")),
            ),
            (
                "http://[::1]:9000/api/",
                Ok(("http", "[::1]:9000", "/api", "http://[::1]:9000/api")),
            ),
            ("ftp://127.0.0.1", Err("http or https")),
            ("127.0.0.1:8080", Err("scheme")),
            ("/just/a/path", Err("scheme")),
            ("http://u:p@127.0.0.1:1", Err("user info")),
            ("http://127.0.0.1:1/?q=1", Err("query")),
            ("not a url", Err("not a URL")),
            ("", Err("not a URL")),
        ];
        for (input, want) in cases {
            match (input.parse::<Upstream>(), want) {
                (Ok(u), Ok((scheme, authority, prefix, display))) => {
                    assert_eq!(u.scheme().as_str(), *scheme, "{input}");
                    assert_eq!(u.authority().as_str(), *authority, "{input}");
                    assert_eq!(u.prefix(), *prefix, "{input}");
                    assert_eq!(u.to_string(), *display, "{input}");
                    assert_eq!(u.host_value().to_str().unwrap(), *authority, "{input}");
                }
                (Err(e), Err(fragment)) => {
                    assert!(e.to_string().contains(fragment), "{input}: {e}");
                }
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn uri_for_table() {
        let cases = [
            ("http://h:1", Some("/a/b?c=d"), "http://h:1/a/b?c=d"),
            ("http://h:1", None, "http://h:1/"),
            ("http://h:1/api", Some("/a?x"), "http://h:1/api/a?x"),
            ("http://h:1/api", None, "http://h:1/api/"),
            ("https://h", Some("/"), "https://h/"),
        ];
        for (base, pq, want) in cases {
            let upstream: Upstream = base.parse().unwrap();
            let pq = pq.map(|p| PathAndQuery::try_from(p).unwrap());
            assert_eq!(upstream.uri_for(pq).unwrap().to_string(), want, "{base}");
        }
    }

    #[test]
    fn passive_ejection_after_consecutive_failures() {
        let clock = Clock::new();
        let state = UpstreamState::new("http://127.0.0.1:1".parse().unwrap());
        let cool_down = Duration::from_secs(60);
        assert!(!state.record_failure(3, cool_down, &clock));
        state.record_success(); // the streak restarts
        assert!(!state.record_failure(3, cool_down, &clock));
        assert!(!state.record_failure(3, cool_down, &clock));
        assert!(state.is_available(&clock));
        assert!(state.record_failure(3, cool_down, &clock));
        assert!(!state.is_available(&clock));
        assert!(state.status(&clock).ejected);
        // an active check's healthy verdict ends the ejection
        state.set_healthy(true);
        assert!(state.is_available(&clock));
        state.set_healthy(false);
        assert!(!state.is_available(&clock));
        // 0 disables passive ejection
        let other = UpstreamState::new("http://127.0.0.1:2".parse().unwrap());
        for _ in 0..10 {
            assert!(!other.record_failure(0, cool_down, &clock));
        }
        assert!(other.is_available(&clock));
    }

    #[test]
    fn ejection_ends_after_the_cool_down() {
        let clock = Clock::new();
        let state = UpstreamState::new("http://127.0.0.1:1".parse().unwrap());
        assert!(state.record_failure(1, Duration::from_millis(20), &clock));
        assert!(!state.is_available(&clock));
        std::thread::sleep(Duration::from_millis(40));
        assert!(state.is_available(&clock));
    }
}
