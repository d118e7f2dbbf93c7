//! [`ProxySelector`]: which proxy (if any) a request URL goes through, explicitly or from
//! the environment with curl's rules.

use super::no_proxy::NoProxy;
use http::Uri;
use rama_net::address::{Host, ProxyAddress};
use std::fmt;

/// Picks the upstream proxy for a request URL, as curl does.
///
/// From the environment ([`from_env`](Self::from_env), or
/// [`from_vars`](Self::from_vars) with any lookup, for tests):
///
/// | URL scheme | variables, first set and non-empty wins |
/// |---|---|
/// | `http` | `http_proxy` (lowercase only: a CGI server sets `HTTP_PROXY` from a request header, "httpoxy"), then `all_proxy`, `ALL_PROXY` |
/// | `https` | `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` |
///
/// `no_proxy` (or else `NO_PROXY`) lists hosts that go direct ([`NoProxy`]). An explicit
/// proxy ([`with_proxy`](Self::with_proxy), curl's `-x`) replaces the variables but keeps
/// their no-proxy list; [`with_no_proxy`](Self::with_no_proxy) (curl's `--noproxy`)
/// replaces the list.
///
/// A variable that does not parse as a proxy address makes [`select`](Self::select) fail
/// for the URLs that would use it, with an error naming the variable.
///
/// ```
/// use rama_proxy::client::ProxySelector;
///
/// let env = [("https_proxy", "http://127.0.0.1:3128"), ("no_proxy", "localhost,.internal")];
/// let selector = ProxySelector::from_vars(|name| {
///     env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
/// });
/// let uri = "https://example.com/".parse()?;
/// assert_eq!(selector.select(&uri)?.unwrap().to_string(), "http://127.0.0.1:3128");
/// assert!(selector.select(&"https://db.internal/".parse()?)?.is_none());
/// // no http_proxy: plain http goes direct
/// assert!(selector.select(&"http://example.com/".parse()?)?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProxySelector {
    http: Choice,
    https: Choice,
    all: Choice,
    no_proxy: NoProxy,
}

#[derive(Debug, Clone, Default)]
enum Choice {
    #[default]
    Unset,
    Proxy(ProxyAddress),
    Invalid {
        var: &'static str,
        reason: String,
    },
}

impl Choice {
    fn from_var(var: &'static str, value: Option<String>) -> Option<Self> {
        let value = value?;
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        Some(match value.parse::<ProxyAddress>() {
            Ok(proxy) => Self::Proxy(proxy),
            Err(e) => Self::Invalid {
                var,
                reason: e.to_string(),
            },
        })
    }

    fn first(vars: &[&'static str], get: &impl Fn(&str) -> Option<String>) -> Self {
        vars.iter()
            .find_map(|var| Self::from_var(var, get(var)))
            .unwrap_or_default()
    }

    const fn is_set(&self) -> bool {
        !matches!(self, Self::Unset)
    }
}

/// A proxy variable that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySelectError {
    var: &'static str,
    reason: String,
}

impl ProxySelectError {
    /// The environment variable at fault.
    #[must_use]
    pub const fn var(&self) -> &'static str {
        self.var
    }
}

impl fmt::Display for ProxySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "environment variable {}: {}", self.var, self.reason)
    }
}

impl std::error::Error for ProxySelectError {}

impl ProxySelector {
    /// No proxy for any URL.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The proxy variables and no-proxy list of this process's environment.
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The proxy variables and no-proxy list as `get` returns them (`None`: unset).
    #[must_use]
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        let no_proxy = ["no_proxy", "NO_PROXY"]
            .iter()
            .find_map(|var| get(var).filter(|v| !v.trim().is_empty()))
            .map(|list| NoProxy::parse(&list))
            .unwrap_or_default();
        Self {
            http: Choice::first(&["http_proxy"], &get),
            https: Choice::first(&["https_proxy", "HTTPS_PROXY"], &get),
            all: Choice::first(&["all_proxy", "ALL_PROXY"], &get),
            no_proxy,
        }
    }

    /// Uses `proxy` for every URL (curl's `-x`); the no-proxy list stays.
    #[must_use]
    pub fn with_proxy(mut self, proxy: ProxyAddress) -> Self {
        self.http = Choice::Unset;
        self.https = Choice::Unset;
        self.all = Choice::Proxy(proxy);
        self
    }

    /// Replaces the no-proxy list (curl's `--noproxy`).
    #[must_use]
    pub fn with_no_proxy(mut self, no_proxy: NoProxy) -> Self {
        self.no_proxy = no_proxy;
        self
    }

    /// The no-proxy list.
    #[must_use]
    pub const fn no_proxy(&self) -> &NoProxy {
        &self.no_proxy
    }

    /// Whether some URL would go through a proxy.
    #[must_use]
    pub const fn is_configured(&self) -> bool {
        self.http.is_set() || self.https.is_set() || self.all.is_set()
    }

    /// The proxy for `uri`, `None` to go direct (no proxy configured for its scheme, or
    /// its host is in the no-proxy list). A URI without a host goes direct.
    ///
    /// # Errors
    ///
    /// When the variable that applies does not parse as a proxy address.
    pub fn select(&self, uri: &Uri) -> Result<Option<ProxyAddress>, ProxySelectError> {
        let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let by_scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => {
                &self.https
            }
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => &self.http,
            _ => &Choice::Unset,
        };
        let choice = if by_scheme.is_set() {
            by_scheme
        } else {
            &self.all
        };
        let proxy = match choice {
            Choice::Unset => return Ok(None),
            Choice::Proxy(proxy) => proxy,
            Choice::Invalid { var, reason } => {
                return Err(ProxySelectError {
                    var,
                    reason: reason.clone(),
                });
            }
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        // a host the no-proxy list cannot read is compared as a name would be: not at all
        if let Ok(host) = host.parse::<Host>()
            && self.no_proxy.matches(&host)
        {
            return Ok(None);
        }
        Ok(Some(proxy.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(env: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn select_from_env_table() {
        // (env, url, Ok(proxy or None) / Err(var))
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static str,
            Result<Option<&'static str>, &'static str>,
        );
        let cases: &[Case] = &[
            (&[], "http://a.test/", Ok(None)),
            (
                &[("http_proxy", "p:3128")],
                "http://a.test/",
                Ok(Some("http://p:3128")),
            ),
            (&[("http_proxy", "p:3128")], "https://a.test/", Ok(None)),
            // httpoxy: uppercase HTTP_PROXY is never read
            (&[("HTTP_PROXY", "p:3128")], "http://a.test/", Ok(None)),
            (
                &[("HTTPS_PROXY", "https://p")],
                "https://a.test/",
                Ok(Some("https://p:443")),
            ),
            (
                &[
                    ("HTTPS_PROXY", "http://up:1"),
                    ("https_proxy", "http://low:2"),
                ],
                "https://a.test/",
                Ok(Some("http://low:2")),
            ),
            (&[("https_proxy", "")], "https://a.test/", Ok(None)),
            (
                &[("ALL_PROXY", "socks5h://s:1080")],
                "http://a.test/",
                Ok(Some("socks5h://s:1080")),
            ),
            (
                &[("all_proxy", "socks5://s")],
                "https://a.test/",
                Ok(Some("socks5://s:1080")),
            ),
            (
                &[("all_proxy", "socks5://s"), ("http_proxy", "http://h:1")],
                "http://a.test/",
                Ok(Some("http://h:1")),
            ),
            (
                &[("all_proxy", "socks5://s"), ("https_proxy", "   ")],
                "https://a.test/",
                Ok(Some("socks5://s:1080")),
            ),
            (
                &[("all_proxy", "socks5://s")],
                "ftp://a.test/",
                Ok(Some("socks5://s:1080")),
            ),
            (
                &[("http_proxy", "http://u:pw@h:1")],
                "http://a.test/",
                Ok(Some("http://u:***@h:1")),
            ),
            // no_proxy
            (
                &[("http_proxy", "h:1"), ("no_proxy", "a.test")],
                "http://x.a.test/",
                Ok(None),
            ),
            (
                &[("http_proxy", "h:1"), ("NO_PROXY", "a.test")],
                "http://a.test:8080/",
                Ok(None),
            ),
            (
                &[
                    ("http_proxy", "h:1"),
                    ("no_proxy", "b.test"),
                    ("NO_PROXY", "a.test"),
                ],
                "http://a.test/",
                Ok(Some("http://h:1")),
            ),
            (
                &[("http_proxy", "h:1"), ("no_proxy", "*")],
                "http://a.test/",
                Ok(None),
            ),
            (
                &[("http_proxy", "h:1"), ("no_proxy", "127.0.0.0/8")],
                "http://127.0.0.1/",
                Ok(None),
            ),
            (
                &[("http_proxy", "h:1"), ("no_proxy", "::1")],
                "http://[::1]:80/",
                Ok(None),
            ),
            (
                &[("http_proxy", "h:1"), ("no_proxy", "::1")],
                "http://[::2]/",
                Ok(Some("http://h:1")),
            ),
            // bad values name their variable, only for the URLs that use them
            (
                &[("https_proxy", "ftp://p")],
                "https://a.test/",
                Err("https_proxy"),
            ),
            (&[("https_proxy", "ftp://p")], "http://a.test/", Ok(None)),
            (
                &[("ALL_PROXY", "http://p/path")],
                "http://a.test/",
                Err("ALL_PROXY"),
            ),
            (
                &[("https_proxy", "ftp://p"), ("no_proxy", "a.test")],
                "https://a.test/",
                Err("https_proxy"),
            ),
        ];
        for (env, url, want) in cases {
            let selector = ProxySelector::from_vars(vars(env));
            let uri: Uri = url.parse().unwrap();
            let got = selector
                .select(&uri)
                .map(|p| p.map(|p| p.to_string()))
                .map_err(|e| e.var());
            assert_eq!(got, want.map(|p| p.map(str::to_owned)), "{env:?} {url}");
        }
    }

    #[test]
    fn explicit_proxy_and_noproxy_override() {
        let env: &[(&str, &str)] = &[("http_proxy", "http://env:1"), ("no_proxy", "a.test")];
        let explicit: ProxyAddress = "socks5h://x:2".parse().unwrap();
        let selector = ProxySelector::from_vars(vars(env)).with_proxy(explicit);
        assert!(selector.is_configured());
        let pick = |s: &ProxySelector, url: &str| {
            s.select(&url.parse().unwrap())
                .unwrap()
                .map(|p| p.to_string())
        };
        assert_eq!(
            pick(&selector, "http://b.test/").as_deref(),
            Some("socks5h://x:2")
        );
        assert_eq!(
            pick(&selector, "https://b.test/").as_deref(),
            Some("socks5h://x:2")
        );
        // -x keeps the environment's no_proxy ...
        assert_eq!(pick(&selector, "http://a.test/"), None);
        // ... and --noproxy replaces it
        let selector = selector.with_no_proxy(NoProxy::parse("b.test"));
        assert_eq!(
            pick(&selector, "http://a.test/").as_deref(),
            Some("socks5h://x:2")
        );
        assert_eq!(pick(&selector, "http://b.test/"), None);
        assert!(!ProxySelector::none().is_configured());
        assert_eq!(pick(&ProxySelector::none(), "http://a.test/"), None);
        assert_eq!(pick(&selector, "/relative"), None);
    }
}
