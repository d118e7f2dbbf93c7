//! [`NoProxy`]: the hosts that bypass the proxy, as curl reads `NO_PROXY` / `--noproxy`.

use rama_net::address::Host;
use std::fmt;
use std::net::IpAddr;

/// A list of hosts that go direct, parsed from `NO_PROXY`, `no_proxy` or curl's
/// `--noproxy`, with curl's rules:
///
/// - entries are separated by commas (spaces around them are ignored);
/// - `*` alone bypasses the proxy for every host;
/// - a name matches itself and every name below it on a label boundary, with or without a
///   leading dot (`example.com` and `.example.com` both match `example.com` and
///   `www.example.com`, not `badexample.com`), ASCII case-insensitively, a trailing dot
///   ignored;
/// - an IP address matches that address; `10.0.0.0/8` or `fd00::/8` match a range (only
///   hosts written as IP addresses are compared, names are not resolved);
/// - a `:port` on an entry is ignored (the whole host bypasses the proxy).
///
/// ```
/// use rama_net::address::Host;
/// use rama_proxy::client::NoProxy;
///
/// let list = NoProxy::parse("localhost, .internal.example, 10.0.0.0/8, ::1");
/// assert!(list.matches(&"api.internal.example".parse::<Host>()?));
/// assert!(list.matches(&"10.1.2.3".parse::<Host>()?));
/// assert!(list.matches(&"::1".parse::<Host>()?));
/// assert!(!list.matches(&"example.com".parse::<Host>()?));
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A lowercase name without leading or trailing dot.
    Name(String),
    /// An address and the prefix length that must match.
    Net(IpAddr, u8),
}

impl NoProxy {
    /// An empty list: nothing bypasses the proxy.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            all: false,
            entries: Vec::new(),
        }
    }

    /// Parses a comma-separated list (see the type docs). Entries that are neither a
    /// name nor an address (an empty one, `/` with a bad prefix length) are skipped, as
    /// curl skips what it cannot match.
    #[must_use]
    pub fn parse(list: &str) -> Self {
        let mut no_proxy = Self::new();
        for raw in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if raw == "*" {
                no_proxy.all = true;
                continue;
            }
            if let Some(entry) = parse_entry(raw) {
                no_proxy.entries.push(entry);
            }
        }
        no_proxy
    }

    /// Whether every host bypasses the proxy (`*`).
    #[must_use]
    pub const fn is_all(&self) -> bool {
        self.all
    }

    /// Whether the list is empty (nothing bypasses the proxy).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.all && self.entries.is_empty()
    }

    /// Whether `host` bypasses the proxy.
    #[must_use]
    pub fn matches(&self, host: &Host) -> bool {
        if self.all {
            return true;
        }
        match host {
            Host::Address(ip) => self.entries.iter().any(|e| match e {
                Entry::Net(net, prefix) => in_net(*ip, *net, *prefix),
                Entry::Name(_) => false,
            }),
            Host::Name(domain) => {
                let name = domain.as_str().trim_end_matches('.').to_ascii_lowercase();
                self.entries.iter().any(|e| match e {
                    Entry::Name(suffix) => {
                        name == *suffix
                            || name
                                .strip_suffix(suffix.as_str())
                                .is_some_and(|head| head.ends_with('.'))
                    }
                    Entry::Net(..) => false,
                })
            }
        }
    }
}

impl fmt::Display for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { "," };
            first = false;
            f.write_str(s)
        };
        if self.all {
            sep(f)?;
            f.write_str("*")?;
        }
        for entry in &self.entries {
            sep(f)?;
            match entry {
                Entry::Name(name) => f.write_str(name)?,
                Entry::Net(ip, prefix) => write!(f, "{ip}/{prefix}")?,
            }
        }
        Ok(())
    }
}

/// One entry: an address or range, else a name (leading dot, port and trailing dot
/// dropped).
fn parse_entry(raw: &str) -> Option<Entry> {
    // an address, maybe with a prefix length
    let (addr, prefix) = match raw.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (raw, None),
    };
    let bare = addr.trim_start_matches('[');
    let bare = bare.split_once(']').map_or(bare, |(inside, _port)| inside);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
        };
        return Some(Entry::Net(ip, prefix));
    }
    // `1.2.3.4:80`: an IPv4 address with a port
    if let Some((host, port)) = addr.rsplit_once(':')
        && port.chars().all(|c| c.is_ascii_digit())
        && let Ok(ip) = host.parse::<IpAddr>()
    {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
        };
        return Some(Entry::Net(ip, prefix));
    }
    if prefix.is_some() {
        return None;
    }
    let name = raw.rsplit_once(':').map_or(raw, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            raw
        }
    });
    let name = name.trim_start_matches('.').trim_end_matches('.');
    (!name.is_empty()).then(|| Entry::Name(name.to_ascii_lowercase()))
}

/// Whether `ip` is in `net`/`prefix` (families must agree; an IPv4-mapped IPv6 address is
/// compared as IPv4).
fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_table() {
        // (list, host, bypasses)
        let cases = [
            ("", "example.com", false),
            ("*", "example.com", true),
            ("*", "10.0.0.1", true),
            ("example.com", "example.com", true),
            ("example.com", "EXAMPLE.com.", true),
            ("example.com", "www.example.com", true),
            (".example.com", "www.example.com", true),
            (".example.com", "example.com", true),
            ("example.com", "badexample.com", false),
            ("example.com", "example.com.evil", false),
            ("www.example.com", "example.com", false),
            ("a.test, b.test", "x.b.test", true),
            (" a.test ,,b.test ", "a.test", true),
            ("example.com:8080", "example.com", true),
            ("localhost", "127.0.0.1", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("127.0.0.1:3128", "127.0.0.1", true),
            ("10.0.0.0/8", "10.200.3.4", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("0.0.0.0/0", "192.0.2.1", true),
            ("192.168.1.0/33", "192.168.1.1", false),
            ("::1", "::1", true),
            ("[::1]", "::1", true),
            ("[::1]:8080", "::1", true),
            ("fd00::/8", "fd12::1", true),
            ("fd00::/8", "fe80::1", false),
            ("10.0.0.0/8", "::ffff:10.1.1.1", true),
            ("10.0.0.0/8", "fd00::1", false),
            ("example.com/8", "example.com", false),
            ("*,example.com", "other.test", true),
            ("*.example.com", "www.example.com", false),
        ];
        for (list, host, want) in cases {
            let host: Host = host.parse().unwrap();
            assert_eq!(
                NoProxy::parse(list).matches(&host),
                want,
                "{list:?} vs {host}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        let list = NoProxy::parse("*, .A.test, 10.0.0.0/8, [::1]:80");
        assert_eq!(list.to_string(), "*,a.test,10.0.0.0/8,::1/128");
        assert_eq!(NoProxy::parse(&list.to_string()), list);
        assert!(NoProxy::parse(" , ").is_empty());
        assert!(NoProxy::parse("*").is_all());
    }
}
