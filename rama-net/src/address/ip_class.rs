//! [`IpClass`]: which kind of network an IP address belongs to, for deny lists.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of network an IP address belongs to.
///
/// A forward proxy uses this to refuse, by default, targets that are not on the public
/// internet: ask [`IpClass::is_public`]. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are
/// classified by the IPv4 address they carry, so they cannot slip past a deny list.
///
/// Check the address a name resolved to, not only the name: a public name may resolve to a
/// private address.
///
/// ```
/// use rama_net::address::IpClass;
/// use std::net::IpAddr;
///
/// let class = |s: &str| IpClass::of(s.parse::<IpAddr>().unwrap());
/// assert_eq!(class("127.0.0.1"), IpClass::Loopback);
/// assert_eq!(class("::ffff:10.1.2.3"), IpClass::Private);
/// assert_eq!(class("fe80::1"), IpClass::LinkLocal);
/// assert!(class("93.184.216.34").is_public());
/// assert!(!class("0.0.0.0").is_public());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpClass {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `0.0.0.0/8` and `::`: "this host", "any address" when binding.
    Unspecified,
    /// Private networks: `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16` (RFC 1918) and IPv6
    /// unique local addresses `fc00::/7` (RFC 4193).
    Private,
    /// Shared address space for carrier-grade NAT, `100.64.0.0/10` (RFC 6598).
    SharedCgnat,
    /// Link-local: `169.254.0.0/16` (cloud metadata services live here) and `fe80::/10`.
    LinkLocal,
    /// Multicast `224.0.0.0/4`, `ff00::/8`, and the broadcast address `255.255.255.255`.
    Multicast,
    /// Ranges that are not routed on the internet: documentation (`192.0.2.0/24`,
    /// `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`), benchmarking
    /// (`198.18.0.0/15`), IETF protocol assignments (`192.0.0.0/24`), reserved
    /// `240.0.0.0/4`, and IPv6 discard `100::/64`.
    Reserved,
    /// Everything else: routable on the public internet.
    Public,
}

impl IpClass {
    /// Classifies `ip`.
    #[must_use]
    pub fn of(ip: impl Into<IpAddr>) -> Self {
        match ip.into() {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => Self::of_v6(v6),
        }
    }

    /// Whether the address is on the public internet ([`IpClass::Public`]).
    #[must_use]
    pub const fn is_public(self) -> bool {
        matches!(self, Self::Public)
    }

    /// Whether the address belongs to this machine or a local network: loopback,
    /// unspecified, private, shared (CGNAT) or link-local.
    #[must_use]
    pub const fn is_local(self) -> bool {
        matches!(
            self,
            Self::Loopback
                | Self::Unspecified
                | Self::Private
                | Self::SharedCgnat
                | Self::LinkLocal
        )
    }

    fn of_v4(ip: Ipv4Addr) -> Self {
        let [a, b, c, _] = ip.octets();
        match (a, b, c) {
            (127, ..) => Self::Loopback,
            (0, ..) => Self::Unspecified,
            (10, ..) | (192, 168, _) => Self::Private,
            (172, b, _) if (16..=31).contains(&b) => Self::Private,
            (100, b, _) if (64..=127).contains(&b) => Self::SharedCgnat,
            (169, 254, _) => Self::LinkLocal,
            _ if ip.is_broadcast() || ip.is_multicast() => Self::Multicast,
            (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Self::Reserved,
            (198, 18 | 19, _) => Self::Reserved,
            (a, ..) if a >= 240 => Self::Reserved,
            _ => Self::Public,
        }
    }

    fn of_v6(ip: Ipv6Addr) -> Self {
        if let Some(v4) = ip.to_ipv4_mapped() {
            return Self::of_v4(v4);
        }
        let seg = ip.segments();
        if ip.is_loopback() {
            Self::Loopback
        } else if ip.is_unspecified() {
            Self::Unspecified
        } else if seg[0] & 0xfe00 == 0xfc00 {
            Self::Private
        } else if seg[0] & 0xffc0 == 0xfe80 {
            Self::LinkLocal
        } else if seg[0] & 0xff00 == 0xff00 {
            Self::Multicast
        } else if (seg[0] == 0x2001 && seg[1] == 0x0db8)
            || (seg[0] == 0x0100 && seg[1..4] == [0; 3])
        {
            Self::Reserved
        } else {
            Self::Public
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_table() {
        let cases: &[(&str, IpClass)] = &[
            ("127.0.0.1", IpClass::Loopback),
            ("127.255.255.254", IpClass::Loopback),
            ("::1", IpClass::Loopback),
            ("::ffff:127.0.0.1", IpClass::Loopback),
            ("0.0.0.0", IpClass::Unspecified),
            ("0.1.2.3", IpClass::Unspecified),
            ("::", IpClass::Unspecified),
            ("10.0.0.1", IpClass::Private),
            ("172.16.0.1", IpClass::Private),
            ("172.31.255.255", IpClass::Private),
            ("172.15.0.1", IpClass::Public),
            ("172.32.0.1", IpClass::Public),
            ("192.168.1.1", IpClass::Private),
            ("fd00::1", IpClass::Private),
            ("fc00::1", IpClass::Private),
            ("::ffff:192.168.0.1", IpClass::Private),
            ("100.64.0.1", IpClass::SharedCgnat),
            ("100.127.255.255", IpClass::SharedCgnat),
            ("100.128.0.1", IpClass::Public),
            ("169.254.169.254", IpClass::LinkLocal),
            ("fe80::1", IpClass::LinkLocal),
            ("febf::1", IpClass::LinkLocal),
            ("fec0::1", IpClass::Public),
            ("224.0.0.1", IpClass::Multicast),
            ("255.255.255.255", IpClass::Multicast),
            ("ff02::1", IpClass::Multicast),
            ("192.0.2.1", IpClass::Reserved),
            ("198.18.0.1", IpClass::Reserved),
            ("240.0.0.1", IpClass::Reserved),
            ("2001:db8::1", IpClass::Reserved),
            ("100::1", IpClass::Reserved),
            ("1.1.1.1", IpClass::Public),
            ("2606:4700::1111", IpClass::Public),
        ];
        for (input, want) in cases {
            let ip: IpAddr = input.parse().unwrap();
            assert_eq!(IpClass::of(ip), *want, "{input}");
        }
    }

    #[test]
    fn local_and_public_are_disjoint() {
        for class in [
            IpClass::Loopback,
            IpClass::Unspecified,
            IpClass::Private,
            IpClass::SharedCgnat,
            IpClass::LinkLocal,
            IpClass::Multicast,
            IpClass::Reserved,
            IpClass::Public,
        ] {
            assert!(!(class.is_local() && class.is_public()), "{class:?}");
        }
        assert!(IpClass::Loopback.is_local());
        assert!(!IpClass::Reserved.is_local());
    }
}
