//! How the proxy picks an upstream for a request: [`Balance`].
//!
//! | strategy | picks | when |
//! |---|---|---|
//! | [`Balance::RoundRobin`] | the next upstream in turn | equal upstreams, short requests |
//! | [`Balance::LeastConn`] | the upstream with the fewest requests in flight (ties in turn) | requests of very different durations |
//! | [`Balance::ConsistentHash`] | the upstream owning the key's point on a hash ring | caches, sessions: the same key goes to the same upstream |
//!
//! Every strategy skips upstreams that are unhealthy (active checks), ejected (passive
//! health) or already tried for this request (retries). A consistent hash whose key is
//! missing from the request (no such header, no client address) falls back to round robin.
//!
//! ```
//! use rama_proxy::reverse::{Balance, HashKey};
//!
//! assert_eq!("least-conn".parse::<Balance>()?, Balance::LeastConn);
//! assert_eq!(
//!     "hash:header:X-User".parse::<Balance>()?,
//!     Balance::ConsistentHash(HashKey::Header("x-user".parse()?)),
//! );
//! assert!("random".parse::<Balance>().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod consistent_hash;
mod least_conn;
mod round_robin;

pub(crate) use consistent_hash::hash_bytes;

use super::upstream::{Clock, UpstreamState};
use consistent_hash::HashRing;
use http::HeaderName;
use http::request::Parts;
use rama_http::connection::ConnectionExtensions;
use rama_net::stream::SocketInfo;
use round_robin::RoundRobin;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::Ordering;

/// A load-balancing strategy; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Balance {
    /// Each request to the next upstream in turn (the default).
    #[default]
    RoundRobin,
    /// The upstream with the fewest requests in flight (a request is in flight from its
    /// dispatch until its response body ended or was dropped).
    LeastConn,
    /// The upstream that owns the key on a hash ring with virtual nodes.
    ConsistentHash(HashKey),
}

/// What a [`Balance::ConsistentHash`] hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashKey {
    /// The value of this request header (its first value).
    Header(HeaderName),
    /// The client's IP address (the connection's peer).
    ClientIp,
    /// The request path (without the query).
    Path,
}

/// Why a text is not a [`Balance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceParseError(String);

impl fmt::Display for BalanceParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown balancing strategy {:?} (expected round-robin, least-conn, \
             hash:header:NAME, hash:client-ip or hash:path)",
            self.0
        )
    }
}

impl std::error::Error for BalanceParseError {}

impl FromStr for Balance {
    type Err = BalanceParseError;

    /// `round-robin`, `least-conn`, `hash:header:NAME`, `hash:client-ip`, `hash:path`
    /// (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || BalanceParseError(s.to_owned());
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "round-robin" | "rr" => Ok(Self::RoundRobin),
            "least-conn" => Ok(Self::LeastConn),
            "hash:client-ip" => Ok(Self::ConsistentHash(HashKey::ClientIp)),
            "hash:path" => Ok(Self::ConsistentHash(HashKey::Path)),
            other => {
                let name = other.strip_prefix("hash:header:").ok_or_else(err)?;
                let name = HeaderName::from_str(name).map_err(|_| err())?;
                Ok(Self::ConsistentHash(HashKey::Header(name)))
            }
        }
    }
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RoundRobin => f.write_str("round-robin"),
            Self::LeastConn => f.write_str("least-conn"),
            Self::ConsistentHash(HashKey::Header(name)) => write!(f, "hash:header:{name}"),
            Self::ConsistentHash(HashKey::ClientIp) => f.write_str("hash:client-ip"),
            Self::ConsistentHash(HashKey::Path) => f.write_str("hash:path"),
        }
    }
}

/// A [`Balance`] with its state (turn counter, hash ring) over a fixed list of upstreams.
#[derive(Debug)]
pub(crate) struct Balancer {
    balance: Balance,
    turns: RoundRobin,
    ring: HashRing,
}

impl Balancer {
    pub(crate) fn new(balance: Balance, upstreams: &[UpstreamState]) -> Self {
        let ring = if matches!(balance, Balance::ConsistentHash(_)) {
            let ids: Vec<String> = upstreams.iter().map(|u| u.upstream.to_string()).collect();
            HashRing::new(ids.iter().map(String::as_str))
        } else {
            HashRing::default()
        };
        Self {
            balance,
            turns: RoundRobin::default(),
            ring,
        }
    }

    pub(crate) const fn balance(&self) -> &Balance {
        &self.balance
    }

    /// Whether requests in flight must be counted (least connections).
    pub(crate) const fn counts_in_flight(&self) -> bool {
        matches!(self.balance, Balance::LeastConn)
    }

    /// The hash of the request's key, for a consistent hash; `None` otherwise or when the
    /// request has no such key.
    pub(crate) fn key(&self, parts: &Parts) -> Option<u64> {
        let Balance::ConsistentHash(key) = &self.balance else {
            return None;
        };
        match key {
            HashKey::Header(name) => parts.headers.get(name).map(|v| hash_bytes(v.as_bytes())),
            HashKey::Path => Some(hash_bytes(parts.uri.path().as_bytes())),
            HashKey::ClientIp => {
                let ip = parts
                    .connection_get::<SocketInfo>()?
                    .peer_addr()
                    .ip()
                    .to_canonical();
                Some(match ip {
                    IpAddr::V4(v4) => hash_bytes(&v4.octets()),
                    IpAddr::V6(v6) => hash_bytes(&v6.octets()),
                })
            }
        }
    }

    /// The upstream for a request with key hash `key`, among those available and not in
    /// `tried`.
    pub(crate) fn pick(
        &self,
        upstreams: &[UpstreamState],
        key: Option<u64>,
        tried: &[usize],
        clock: &Clock,
    ) -> Option<usize> {
        let n = upstreams.len();
        let usable = |i: usize| !tried.contains(&i) && upstreams[i].is_available(clock);
        match (&self.balance, key) {
            (Balance::LeastConn, _) => least_conn::pick(&self.turns, n, usable, |i| {
                upstreams[i].in_flight.load(Ordering::Relaxed)
            }),
            (Balance::ConsistentHash(_), Some(hash)) => self.ring.pick(hash, usable),
            (Balance::RoundRobin | Balance::ConsistentHash(_), _) => self.turns.pick(n, usable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::extensions::Extensions;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<Balance>)] = &[
            ("round-robin", Some(Balance::RoundRobin)),
            ("RR", Some(Balance::RoundRobin)),
            ("least-conn", Some(Balance::LeastConn)),
            (
                "hash:client-ip",
                Some(Balance::ConsistentHash(HashKey::ClientIp)),
            ),
            ("hash:path", Some(Balance::ConsistentHash(HashKey::Path))),
            (
                "hash:header:X-Session",
                Some(Balance::ConsistentHash(HashKey::Header(
                    HeaderName::from_static("x-session"),
                ))),
            ),
            ("hash:header:", None),
            ("hash:header:bad name", None),
            ("hash:cookie", None),
            ("random", None),
            ("", None),
        ];
        for (input, want) in cases {
            match (input.parse::<Balance>(), want) {
                (Ok(got), Some(want)) => {
                    assert_eq!(&got, want, "{input}");
                    assert_eq!(got.to_string().parse::<Balance>().unwrap(), got);
                }
                (Err(e), None) => assert!(e.to_string().contains("round-robin"), "{e}"),
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    fn states(n: usize) -> Vec<UpstreamState> {
        (0..n)
            .map(|i| UpstreamState::new(format!("http://127.0.0.1:{}", 9000 + i).parse().unwrap()))
            .collect()
    }

    fn parts(f: impl FnOnce(http::request::Builder) -> http::request::Builder) -> Parts {
        f(http::Request::builder()).body(()).unwrap().into_parts().0
    }

    #[test]
    fn keys_by_kind() {
        let ups = states(2);
        let by_header = Balancer::new(
            Balance::ConsistentHash(HashKey::Header(HeaderName::from_static("x-user"))),
            &ups,
        );
        let a = parts(|b| b.header("x-user", "alice"));
        assert_eq!(by_header.key(&a), Some(hash_bytes(b"alice")));
        assert_eq!(by_header.key(&parts(|b| b)), None);

        let by_path = Balancer::new(Balance::ConsistentHash(HashKey::Path), &ups);
        let p = parts(|b| b.uri("/a/b?x=1"));
        assert_eq!(by_path.key(&p), Some(hash_bytes(b"/a/b")));

        let by_ip = Balancer::new(Balance::ConsistentHash(HashKey::ClientIp), &ups);
        let mut with_peer = parts(|b| b);
        let mut connection = Extensions::new();
        connection.insert(SocketInfo::new(None, "192.0.2.9:4000".parse().unwrap()));
        with_peer.extensions.insert(connection);
        assert_eq!(by_ip.key(&with_peer), Some(hash_bytes(&[192, 0, 2, 9])));
        assert_eq!(by_ip.key(&parts(|b| b)), None);

        let rr = Balancer::new(Balance::RoundRobin, &ups);
        assert_eq!(rr.key(&a), None);
    }

    #[test]
    fn pick_skips_tried_and_unavailable() {
        let clock = Clock::new();
        let ups = states(3);
        let rr = Balancer::new(Balance::RoundRobin, &ups);
        for _ in 0..6 {
            let i = rr.pick(&ups, None, &[0, 2], &clock);
            assert_eq!(i, Some(1));
        }
        ups[1].set_healthy(false);
        assert_eq!(rr.pick(&ups, None, &[0, 2], &clock), None);

        let hash = Balancer::new(Balance::ConsistentHash(HashKey::Path), &ups);
        let first = hash.pick(&ups, Some(42), &[], &clock).unwrap();
        assert_ne!(first, 1);
        for _ in 0..5 {
            assert_eq!(hash.pick(&ups, Some(42), &[], &clock), Some(first));
        }
        let second = hash.pick(&ups, Some(42), &[first], &clock).unwrap();
        assert!(second != first && second != 1);

        let lc = Balancer::new(Balance::LeastConn, &ups);
        ups[0].in_flight.store(5, Ordering::Relaxed);
        assert_eq!(lc.pick(&ups, None, &[], &clock), Some(2));
    }
}
