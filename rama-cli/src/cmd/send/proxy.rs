//! Proxies for `rama send`, as curl reads them: `-x/--proxy URL` (http, https, socks5,
//! socks5h; `-x ""` disables every proxy), `-U/--proxy-user USER:PASSWORD` (replaces the
//! URL's credentials), `--noproxy LIST`, `--proxy-insecure`, `--proxy-cacert FILE`, and
//! without `-x` the environment: `http_proxy` (lowercase only), `https_proxy` /
//! `HTTPS_PROXY`, `all_proxy` / `ALL_PROXY`, `no_proxy` / `NO_PROXY`.
//!
//! A plain `http://` URL through an HTTP(S) proxy is sent to the proxy in absolute form;
//! everything else goes through a tunnel (`CONNECT` or SOCKS5). Failures carry curl's exit
//! codes: 5 the proxy's name did not resolve, 7 the proxy refused the connection, 56 the
//! proxy refused the `CONNECT` (curl: "CONNECT tunnel failed, response 407"), 97 a SOCKS5
//! handshake failed, 35/60 the TLS handshake with an `https://` proxy failed.

use super::exit::{
    COULD_NOT_CONNECT, COULD_NOT_RESOLVE_HOST, COULD_NOT_RESOLVE_PROXY, Failure,
    OPERATION_TIMEDOUT, PROXY, RECV_ERROR, SSL_CACERT_BADFILE, SSL_CONNECT_ERROR,
};
use clap::Args;
use rama::error::{BoxError, find_in_chain};
use rama::net::address::ProxyAddress;
use rama::net::user::Basic;
use rama::proxy::client::{NoProxy, ProxyConnectError, ProxySelector};
use rama::tcp::client::TcpConnectError;
use rama::tls::config::{ClientConfig, ServerVerification};
use std::path::PathBuf;

/// The proxy flags (curl's names).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ProxyArgs {
    /// Use this proxy: `[scheme://][user:password@]host[:port]`, scheme http (default),
    /// https, socks5 or socks5h; port 1080 by default (443 for https). `-x ""` disables
    /// proxies, the environment's too.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    pub(crate) proxy: Option<String>,
    /// Credentials for the proxy, `USER:PASSWORD` (replaces those in the proxy URL).
    #[arg(short = 'U', long = "proxy-user", value_name = "USER:PASSWORD")]
    pub(crate) proxy_user: Option<String>,
    /// Hosts that bypass the proxy: comma-separated names (suffix match), IP addresses or
    /// CIDR ranges; `*` for all. Replaces `no_proxy` / `NO_PROXY`.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub(crate) noproxy: Option<String>,
    /// Do not verify the certificate of an `https://` proxy.
    #[arg(long = "proxy-insecure")]
    pub(crate) proxy_insecure: bool,
    /// Verify an `https://` proxy against the CA certificates in FILE (PEM).
    #[arg(long = "proxy-cacert", value_name = "FILE")]
    pub(crate) proxy_cacert: Option<PathBuf>,
}

impl ProxyArgs {
    /// The selector from the flags and `env` (a variable lookup: the process environment
    /// in `rama send`).
    pub(crate) fn selector(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxySelector, Failure> {
        let mut selector = match self.proxy.as_deref().map(str::trim) {
            // curl: an empty -x disables proxies altogether
            Some("") => return Ok(ProxySelector::none()),
            Some(url) => ProxySelector::from_vars(&env).with_proxy(parse_proxy(url)?),
            None => ProxySelector::from_vars(&env),
        };
        if let Some(list) = &self.noproxy {
            selector = selector.with_no_proxy(NoProxy::parse(list));
        }
        Ok(selector)
    }

    /// `-U` as credentials.
    pub(crate) fn credentials(&self) -> Result<Option<Basic>, Failure> {
        let Some(user) = &self.proxy_user else {
            return Ok(None);
        };
        let (name, password) = user.split_once(':').unwrap_or((user, ""));
        Basic::new(name, password)
            .map(Some)
            .map_err(|e| Failure::new(COULD_NOT_RESOLVE_PROXY, format!("--proxy-user: {e}")))
    }

    /// The TLS settings for `https://` proxies.
    pub(crate) fn tls_config(&self) -> Result<Option<ClientConfig>, Failure> {
        if self.proxy_insecure {
            return Ok(Some(
                ClientConfig::new().with_verification(ServerVerification::Insecure),
            ));
        }
        let Some(path) = &self.proxy_cacert else {
            return Ok(None);
        };
        let bad = |e: &dyn std::fmt::Display| {
            Failure::new(
                SSL_CACERT_BADFILE,
                format!("proxy CA certificate file {}: {e}", path.display()),
            )
        };
        let pem = std::fs::read_to_string(path).map_err(|e| bad(&e))?;
        let verification = ServerVerification::custom_pem(&pem).map_err(|e| bad(&e))?;
        Ok(Some(ClientConfig::new().with_verification(verification)))
    }
}

/// `-x URL` as a proxy address; a bad one is curl's 5.
fn parse_proxy(url: &str) -> Result<ProxyAddress, Failure> {
    url.parse()
        .map_err(|e| Failure::new(COULD_NOT_RESOLVE_PROXY, format!("proxy `{url}`: {e}")))
}

/// A failed connect (direct or through a proxy) with curl's exit code.
pub(crate) fn connect_failure(err: &BoxError) -> Failure {
    let text = chain(err);
    if let Some(proxy) = find_in_chain::<ProxyConnectError>(err.as_ref()) {
        let code = if proxy.is_proxy_resolve() {
            COULD_NOT_RESOLVE_PROXY
        } else if proxy.is_timeout() {
            OPERATION_TIMEDOUT
        } else if proxy.is_proxy_unreachable() {
            COULD_NOT_CONNECT
        } else if proxy.is_tunnel_refused() {
            RECV_ERROR
        } else if proxy.is_target_resolve() {
            COULD_NOT_RESOLVE_HOST
        } else if proxy.is_socks5() {
            PROXY
        } else if proxy.is_proxy_tls() {
            return find_in_chain::<rama::tls::rustls::TlsError>(err.as_ref()).map_or_else(
                || Failure::new(SSL_CONNECT_ERROR, text.clone()),
                |tls| {
                    let f = crate::cmd::tls::handshake_failure(tls);
                    Failure::new(f.code, text.clone())
                },
            );
        } else {
            RECV_ERROR
        };
        return Failure::new(code, text);
    }
    let code = match find_in_chain::<TcpConnectError>(err.as_ref()) {
        Some(e) if e.is_resolve() => COULD_NOT_RESOLVE_HOST,
        Some(e) if e.is_timeout() => OPERATION_TIMEDOUT,
        _ => COULD_NOT_CONNECT,
    };
    Failure::new(code, text)
}

/// `err` and its causes joined with `: `.
fn chain(err: &BoxError) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(proxy: Option<&str>, noproxy: Option<&str>) -> ProxyArgs {
        ProxyArgs {
            proxy: proxy.map(str::to_owned),
            noproxy: noproxy.map(str::to_owned),
            ..ProxyArgs::default()
        }
    }

    #[test]
    fn flags_over_environment_table() {
        let env = |name: &str| match name {
            "http_proxy" => Some("http://env:1".to_owned()),
            "no_proxy" => Some("skip.test".to_owned()),
            _ => None,
        };
        // (-x, --noproxy, url, proxy chosen)
        let cases = [
            (None, None, "http://a.test/", Some("http://env:1")),
            (None, None, "https://a.test/", None),
            (None, None, "http://skip.test/", None),
            (
                Some("socks5h://x:2"),
                None,
                "https://a.test/",
                Some("socks5h://x:2"),
            ),
            (Some("x:3"), None, "http://skip.test/", None),
            (
                Some("x:3"),
                Some("other.test"),
                "http://skip.test/",
                Some("http://x:3"),
            ),
            (Some(""), None, "http://a.test/", None),
            (None, Some("*"), "http://a.test/", None),
        ];
        for (proxy, noproxy, url, want) in cases {
            let selector = args(proxy, noproxy).selector(env).unwrap();
            let got = selector
                .select(&url.parse().unwrap())
                .unwrap()
                .map(|p| p.to_string());
            assert_eq!(
                got.as_deref(),
                want,
                "-x {proxy:?} --noproxy {noproxy:?} {url}"
            );
        }
        let err = args(Some("ftp://x"), None).selector(env).unwrap_err();
        assert_eq!(err.code, COULD_NOT_RESOLVE_PROXY);
    }

    #[test]
    fn proxy_user_table() {
        for (user, want) in [
            (Some("john:pw"), Some(("john", "pw"))),
            (Some("john"), Some(("john", ""))),
            (Some("john:a:b"), Some(("john", "a:b"))),
            (None, None),
        ] {
            let args = ProxyArgs {
                proxy_user: user.map(str::to_owned),
                ..ProxyArgs::default()
            };
            let got = args.credentials().unwrap();
            assert_eq!(
                got.as_ref().map(|b| (b.username(), b.password())),
                want,
                "{user:?}"
            );
        }
    }
}
