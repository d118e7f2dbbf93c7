//! [`ProxyAddress`]: where an upstream proxy is, what it speaks, and its credentials.

use super::{Authority, HostWithOptPort};
use crate::protocol::Protocol;
use crate::user::Basic;
use std::fmt;
use std::str::FromStr;

/// An upstream proxy: its protocol (`http`, `https`, `socks5`, `socks5h`), its address and,
/// optionally, Basic credentials.
///
/// Parsed from the URL form curl and the `*_PROXY` environment variables use:
/// `[scheme://][user[:password]@]host[:port]`.
///
/// - No scheme means `http` (as curl reads `-x host:port`).
/// - No port means 1080, as in curl, except `https` proxies: 443.
/// - User and password may be percent-encoded (`%40` for `@`).
/// - A path, query or fragment is refused, except a lone trailing `/`.
///
/// Its `Display` hides the password (`http://user:***@host:3128`): credentials are never
/// logged.
///
/// A connector that does not speak proxies must not silently connect directly when a
/// `ProxyAddress` is in its request's extensions (rama-tcp's `TcpConnector` refuses such
/// requests).
///
/// ```
/// use rama_net::address::ProxyAddress;
/// use rama_net::protocol::Protocol;
///
/// let proxy: ProxyAddress = "socks5h://john:s%40cret@127.0.0.1:9050".parse()?;
/// assert_eq!(proxy.protocol, Protocol::Socks5h);
/// assert_eq!(proxy.authority.to_string(), "127.0.0.1:9050");
/// assert_eq!(proxy.credentials.as_ref().unwrap().password(), "s@cret");
/// assert_eq!(proxy.to_string(), "socks5h://john:***@127.0.0.1:9050");
///
/// let proxy: ProxyAddress = "proxy.internal".parse()?;
/// assert_eq!(proxy.to_string(), "http://proxy.internal:1080");
/// # Ok::<(), rama_net::address::ProxyAddressParseError>(())
/// ```
#[derive(Clone)]
pub struct ProxyAddress {
    /// How to talk to the proxy: `http` (CONNECT, or absolute-form for `http://` targets),
    /// `https` (the same inside TLS to the proxy), `socks5` (the client resolves names) or
    /// `socks5h` (the proxy resolves names).
    pub protocol: Protocol,
    /// The proxy's host and port.
    pub authority: Authority,
    /// Basic credentials for the proxy (`Proxy-Authorization` or SOCKS5 username/password).
    pub credentials: Option<Basic>,
}

impl ProxyAddress {
    /// A proxy at `authority` speaking `protocol`, without credentials.
    #[must_use]
    pub const fn new(protocol: Protocol, authority: Authority) -> Self {
        Self {
            protocol,
            authority,
            credentials: None,
        }
    }

    /// The same proxy with `credentials`.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Basic) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Whether this is an HTTP proxy (`http` or `https`): CONNECT tunnels, absolute-form
    /// requests.
    #[must_use]
    pub fn is_http(&self) -> bool {
        matches!(self.protocol, Protocol::Http | Protocol::Https)
    }

    /// Whether this is a SOCKS5 proxy (`socks5` or `socks5h`).
    #[must_use]
    pub fn is_socks5(&self) -> bool {
        matches!(self.protocol, Protocol::Socks5 | Protocol::Socks5h)
    }
}

impl fmt::Debug for ProxyAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display already hides the password
        write!(f, "ProxyAddress({self})")
    }
}

impl fmt::Display for ProxyAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.protocol)?;
        if let Some(credentials) = &self.credentials {
            write!(f, "{}:***@", credentials.username())?;
        }
        write!(f, "{}", self.authority)
    }
}

/// Why a string is not a [`ProxyAddress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAddressParseError {
    reason: String,
}

impl ProxyAddressParseError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ProxyAddressParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid proxy address: {}", self.reason)
    }
}

impl std::error::Error for ProxyAddressParseError {}

/// Proxy URLs longer than this are refused.
const MAX_PROXY_ADDRESS_LEN: usize = 2048;

impl FromStr for ProxyAddress {
    type Err = ProxyAddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_PROXY_ADDRESS_LEN {
            return Err(ProxyAddressParseError::new(format!(
                "longer than {MAX_PROXY_ADDRESS_LEN} bytes"
            )));
        }
        let s = s.trim();
        let (protocol, rest) = match s.split_once("://") {
            Some((scheme, rest)) => {
                let protocol: Protocol = scheme
                    .parse()
                    .map_err(|e| ProxyAddressParseError::new(format!("scheme: {e}")))?;
                if !matches!(
                    protocol,
                    Protocol::Http | Protocol::Https | Protocol::Socks5 | Protocol::Socks5h
                ) {
                    return Err(ProxyAddressParseError::new(format!(
                        "unsupported proxy scheme {protocol:?} (http, https, socks5, socks5h)"
                    )));
                }
                (protocol, rest)
            }
            None => (Protocol::Http, s),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(ProxyAddressParseError::new(
                "a proxy URL has no path, query or fragment",
            ));
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let default_port = if protocol == Protocol::Https {
            443
        } else {
            1080
        };
        let authority = hostport
            .parse::<HostWithOptPort>()
            .map_err(|e| ProxyAddressParseError::new(e.to_string()))?
            .with_default_port(default_port);
        let credentials = match userinfo {
            None => None,
            Some(userinfo) => {
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let user = percent_decode(user)?;
                let pass = percent_decode(pass)?;
                Some(
                    Basic::new(user, pass)
                        .map_err(|e| ProxyAddressParseError::new(format!("credentials: {e}")))?,
                )
            }
        };
        Ok(Self {
            protocol,
            authority,
            credentials,
        })
    }
}

impl TryFrom<&str> for ProxyAddress {
    type Error = ProxyAddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

fn percent_decode(s: &str) -> Result<String, ProxyAddressParseError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ProxyAddressParseError::new("bad percent-encoding in user info"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ProxyAddressParseError::new("user info is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = [
            ("127.0.0.1:3128", "http://127.0.0.1:3128"),
            ("http://proxy", "http://proxy:1080"),
            ("https://proxy", "https://proxy:443"),
            ("HTTPS://Proxy:8443/", "https://proxy:8443"),
            ("socks5://[::1]:1080", "socks5://[::1]:1080"),
            ("socks5h://u:p@h:1", "socks5h://u:***@h:1"),
            ("http://u@h:2", "http://u:***@h:2"),
            ("http://a%3Ab:c%40d@h:2", "http://a:b:***@h:2"),
        ];
        for (input, shown) in ok {
            match input.parse::<ProxyAddress>() {
                Ok(p) => assert_eq!(p.to_string(), shown, "{input}"),
                // `a:b` is not a valid Basic username (it holds a colon)
                Err(e) => assert!(input.contains("%3A"), "{input}: {e}"),
            }
        }
        let bad = [
            ("ftp://h:1", "unsupported proxy scheme"),
            ("http://h:1/path", "no path"),
            ("http://h:1?x", "no path"),
            ("http://u:p@:1", "invalid proxy address"),
            ("http://u%zz@h:1", "percent-encoding"),
            ("http://h:99999", "invalid proxy address"),
        ];
        for (input, msg) in bad {
            let err = input.parse::<ProxyAddress>().unwrap_err();
            assert!(err.to_string().contains(msg), "{input}: {err}");
        }
    }

    #[test]
    fn credentials_decoded_and_hidden() {
        let p: ProxyAddress = "http://jo%20hn:pa%3Ass@h:3128".parse().unwrap();
        let c = p.credentials.as_ref().unwrap();
        assert_eq!(c.username(), "jo hn");
        assert_eq!(c.password(), "pa:ss");
        assert!(!format!("{p:?}").contains("pa:ss"));
        assert!(p.is_http() && !p.is_socks5());
    }
}
