//! Property-style round trips for the address types: structured random values must print
//! and parse back to themselves, and random strings must either be rejected with an error or
//! round-trip. A small xorshift generator with fixed seeds keeps runs reproducible.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rama_net::address::{
    AddressParseErrorKind, Authority, Domain, Host, HostWithOptPort, SocketAddress,
};

const ROUNDS: usize = 5_000;

/// xorshift64*: tiny, deterministic, good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn ip(&mut self) -> IpAddr {
        match self.below(4) {
            0 => IpAddr::V4(Ipv4Addr::from(self.next() as u32)),
            // mostly-zero IPv6 addresses exercise the `::` compression
            1 => {
                let mut seg = [0u16; 8];
                seg[self.below(8)] = self.next() as u16;
                IpAddr::V6(Ipv6Addr::from(seg))
            }
            2 => IpAddr::V6(Ipv4Addr::from(self.next() as u32).to_ipv6_mapped()),
            _ => IpAddr::V6(Ipv6Addr::from(
                u128::from(self.next()) << 64 | u128::from(self.next()),
            )),
        }
    }

    fn port(&mut self) -> u16 {
        let random = self.next() as u16;
        *self.pick(&[0, 1, 80, 443, 8080, 65535, random])
    }

    /// A valid normalised domain: 1 to 4 labels of `a-z0-9-_`, no leading or trailing `-`,
    /// last label not numeric.
    fn domain(&mut self) -> String {
        const INNER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
        const EDGE: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
        let labels = 1 + self.below(4);
        let mut out = String::new();
        for i in 0..labels {
            if i > 0 {
                out.push('.');
            }
            let max = if self.below(10) == 0 { 63 } else { 10 };
            let len = 1 + self.below(max);
            for j in 0..len {
                let set = if j == 0 || j == len - 1 { EDGE } else { INNER };
                out.push(*self.pick(set) as char);
            }
            if i == labels - 1 && last_label_is_numeric(&out) {
                out.pop();
                out.push('z');
            }
        }
        out
    }

    fn host(&mut self) -> Host {
        if self.below(2) == 0 {
            Host::Address(self.ip())
        } else {
            Host::Name(self.domain().parse().unwrap())
        }
    }

    /// A string made of characters that matter to the parsers.
    fn junk(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            "9",
            "f",
            "x",
            ".",
            ":",
            "::",
            "[",
            "]",
            "%",
            "-",
            "_",
            " ",
            "@",
            "/",
            "ü",
            "。",
            "xn--",
            "127",
            "255",
            "256",
            "65535",
            "65536",
            "localhost",
            "\0",
            "0x",
            "1.2.3.4",
            "[::1]",
            ":80",
            "fe80::1",
        ];
        let len = self.below(12);
        (0..len).map(|_| *self.pick(PIECES)).collect()
    }
}

/// Whether the last label reads as a number to an IPv4 parser (see `Domain`).
fn last_label_is_numeric(name: &str) -> bool {
    let label = name.rsplit('.').next().unwrap_or_default();
    match label.strip_prefix("0x") {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => label.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[test]
fn structured_values_round_trip() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..ROUNDS {
        let ip = rng.ip();
        let port = rng.port();

        let host = rng.host();
        assert_eq!(host.to_string().parse::<Host>().unwrap(), host);
        assert_eq!(
            host.display_bracketed()
                .to_string()
                .parse::<Host>()
                .unwrap(),
            host
        );

        let authority = Authority::new(host.clone(), port);
        assert_eq!(
            authority.to_string().parse::<Authority>().unwrap(),
            authority
        );

        let with_port = HostWithOptPort::new(host.clone(), Some(port));
        assert_eq!(
            with_port.to_string().parse::<HostWithOptPort>().unwrap(),
            with_port
        );
        let without_port = HostWithOptPort::from(host);
        assert_eq!(
            without_port.to_string().parse::<HostWithOptPort>().unwrap(),
            without_port
        );

        let addr = SocketAddress::new(ip, port);
        let printed = addr.to_string();
        assert_eq!(printed.parse::<SocketAddress>().unwrap(), addr);
        // agrees with the standard library both ways
        assert_eq!(
            printed.parse::<SocketAddr>().unwrap(),
            SocketAddr::from(addr)
        );
        assert_eq!(SocketAddr::from(addr).to_string(), printed);
    }
}

#[test]
fn generated_domains_parse_unchanged() {
    let mut rng = Rng(0xd0_5a1e);
    for _ in 0..ROUNDS {
        let name = rng.domain();
        let domain: Domain = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(domain.as_str(), name);
        let upper = name.to_ascii_uppercase() + ".";
        assert_eq!(upper.parse::<Domain>().unwrap(), domain);
    }
}

#[test]
fn junk_is_rejected_or_round_trips() {
    let mut rng = Rng(0xbad_c0ffee);
    let mut parsed = [0usize; 4];
    for _ in 0..ROUNDS * 4 {
        let s = rng.junk();
        if let Ok(h) = s.parse::<Host>() {
            parsed[0] += 1;
            assert_eq!(h.to_string().parse::<Host>().unwrap(), h, "{s:?}");
        }
        if let Ok(a) = s.parse::<Authority>() {
            parsed[1] += 1;
            assert_eq!(a.to_string().parse::<Authority>().unwrap(), a, "{s:?}");
        }
        if let Ok(h) = s.parse::<HostWithOptPort>() {
            parsed[2] += 1;
            assert_eq!(
                h.to_string().parse::<HostWithOptPort>().unwrap(),
                h,
                "{s:?}"
            );
        }
        if let Ok(a) = s.parse::<SocketAddress>() {
            parsed[3] += 1;
            assert_eq!(a.to_string().parse::<SocketAddress>().unwrap(), a, "{s:?}");
        }
    }
    // the generator must reach the accepting paths too, or this test proves nothing
    assert!(parsed.iter().all(|&n| n > 0), "{parsed:?}");
}

#[test]
fn ports_at_the_edges() {
    for (port, ok) in [
        ("0", true),
        ("1", true),
        ("65535", true),
        ("65536", false),
        ("99999", false),
    ] {
        for host in ["example.com", "1.2.3.4", "[::1]"] {
            let input = format!("{host}:{port}");
            match input.parse::<Authority>() {
                Ok(a) => {
                    assert!(ok, "{input} parsed");
                    assert_eq!(a.port().to_string(), port);
                }
                Err(e) => {
                    assert!(!ok, "{input}: {e}");
                    assert_eq!(e.kind(), AddressParseErrorKind::InvalidPort);
                }
            }
        }
    }
}

#[test]
fn errors_name_the_input() {
    let err = "exa mple.com:80".parse::<Authority>().unwrap_err();
    assert!(err.to_string().contains("\"exa mple.com:80\""), "{err}");
    let err = "fe80::1%eth0".parse::<Host>().unwrap_err();
    assert_eq!(err.kind(), AddressParseErrorKind::IpZoneNotSupported);
    assert!(err.to_string().contains("fe80::1%eth0"), "{err}");
}
