//! The header rewriting of a proxy hop: hop-by-hop headers out (RFC 9110 §7.6.1), the
//! forwarding headers in (`Forwarded`, RFC 7239, and/or `X-Forwarded-For/-Proto/-Host`), and
//! the `Host` the upstream sees.
//!
//! Everything else passes untouched, in its order and spelling: the HTTP/1 writer places the
//! remaining headers by the request's [`OriginalHeaderNames`] record and writes the added
//! ones after them.
//!
//! [`OriginalHeaderNames`]: rama_http::wire::OriginalHeaderNames

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use rama_http::layer::forwarded::{X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PROTO};
use rama_http::layer::remove_header::remove_hop_by_hop_headers_and;
use rama_net::address::HostWithOptPort;
use rama_net::forwarded::{Forwarded, ForwardedElement, MAX_ELEMENTS, MAX_HEADER_LEN, NodeId};
use rama_net::protocol::Protocol;
use std::net::SocketAddr;

/// Which forwarding headers the proxy adds to requests it sends upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeaders {
    /// None: the upstream sees the request as the client sent it.
    None,
    /// `Forwarded` (RFC 7239): this hop appended with `for`, `by`, `host` and `proto` (the
    /// default).
    #[default]
    Forwarded,
    /// `X-Forwarded-For` (the client address appended), `X-Forwarded-Proto` and
    /// `X-Forwarded-Host` (set).
    XForwarded,
    /// Both `Forwarded` and the `X-Forwarded-*` headers.
    Both,
}

impl ForwardedHeaders {
    const fn forwarded(self) -> bool {
        matches!(self, Self::Forwarded | Self::Both)
    }

    const fn x_forwarded(self) -> bool {
        matches!(self, Self::XForwarded | Self::Both)
    }
}

/// Which `Host` the upstream sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostHeader {
    /// The client's `Host` (the default): name-based virtual hosts on the upstream keep
    /// working. An HTTP/2 request's `:authority` becomes the `Host`.
    #[default]
    Preserve,
    /// The upstream's own authority (`host:port` of its URL).
    Rewrite,
}

/// The proxy credentials, meant for this hop: removed on top of rama-http's hop-by-hop set
/// (`Trailer` is end to end in RFC 9110 and kept). A `static`: a `const` array of names
/// would be built and dropped at each use.
static PROXY_CREDENTIALS: [HeaderName; 2] =
    [header::PROXY_AUTHENTICATE, header::PROXY_AUTHORIZATION];

/// Removes the hop-by-hop headers and the headers the `Connection` header names
/// ([`remove_hop_by_hop_headers_and`]), and the proxy credentials. With `upgrade`, `Upgrade`
/// stays and `Connection` becomes `upgrade` (kept as it was when it says only that), so the
/// upgrade reaches the other side.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    if !upgrade {
        remove_hop_by_hop_headers_and(headers, &PROXY_CREDENTIALS);
        return;
    }
    let connection = headers
        .get(header::CONNECTION)
        .filter(|v| v.as_bytes().eq_ignore_ascii_case(b"upgrade"))
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("upgrade"));
    let upgrades: Vec<HeaderValue> = headers.get_all(header::UPGRADE).iter().cloned().collect();
    remove_hop_by_hop_headers_and(headers, &PROXY_CREDENTIALS);
    for value in upgrades {
        headers.append(header::UPGRADE, value);
    }
    headers.insert(header::CONNECTION, connection);
}

/// What the proxy knows about the hop a request arrived on.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    /// the client's address (the connection's peer)
    pub(crate) peer: Option<SocketAddr>,
    /// this proxy's address the request arrived at
    pub(crate) local: Option<SocketAddr>,
    /// `http` or `https`
    pub(crate) proto: Protocol,
    /// the request's authority when it has no `Host` header (HTTP/2's `:authority`)
    pub(crate) authority: Option<http::uri::Authority>,
}

impl Hop {
    /// The host the client asked for: its `Host` header, else the request's authority.
    fn host(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        headers.get(header::HOST).cloned().or_else(|| {
            self.authority
                .as_ref()
                .and_then(|a| HeaderValue::try_from(a.as_str()).ok())
        })
    }
}

/// Adds this hop to the forwarding headers `mode` asks for. `Host` must still be the
/// client's (call before [`set_host`]).
pub(crate) fn add_forwarded(
    headers: &mut HeaderMap,
    mode: ForwardedHeaders,
    with_by: bool,
    hop: &Hop,
) {
    if mode.forwarded() {
        let by = hop.local.filter(|_| with_by);
        let host = hop.host(headers);
        let fast = (!headers.contains_key(header::FORWARDED))
            .then(|| fast_element(hop.peer, by, host.as_ref(), &hop.proto))
            .flatten();
        let value = match fast {
            Some(bytes) => HeaderValue::from_maybe_shared(bytes::Bytes::from(bytes)).ok(),
            None => HeaderValue::try_from(forwarded_chain(
                headers,
                element(hop.peer, by, host.as_ref(), &hop.proto),
            ))
            .ok(),
        };
        if let Some(value) = value {
            headers.insert(header::FORWARDED, value);
        }
    }
    if mode.x_forwarded() {
        if let Some(peer) = hop.peer {
            let ip = peer.ip().to_canonical().to_string();
            let mut list = String::new();
            for v in headers.get_all(&X_FORWARDED_FOR) {
                if let Ok(v) = v.to_str() {
                    list.push_str(v.trim());
                    list.push_str(", ");
                }
            }
            if list.len() + ip.len() > MAX_HEADER_LEN {
                list.clear(); // a chain nobody can parse helps nobody: this hop alone
            }
            list.push_str(&ip);
            if let Ok(value) = HeaderValue::try_from(list) {
                headers.insert(&X_FORWARDED_FOR, value);
            }
        }
        headers.insert(
            &X_FORWARDED_PROTO,
            HeaderValue::from_static(if hop.proto == Protocol::Https {
                "https"
            } else {
                "http"
            }),
        );
        if let Some(host) = hop.host(headers) {
            headers.insert(&X_FORWARDED_HOST, host);
        }
    }
}

/// This hop as a `Forwarded` element (rama-net's RFC 7239 type).
fn element(
    peer: Option<SocketAddr>,
    by: Option<SocketAddr>,
    host: Option<&HeaderValue>,
    proto: &Protocol,
) -> ForwardedElement {
    let mut element = ForwardedElement::new_for(
        peer.map_or_else(NodeId::unknown, |p| NodeId::from(p.ip().to_canonical())),
    );
    if let Some(local) = by {
        element = element.with_by(NodeId::from(local));
    }
    if let Some(host) = host
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<HostWithOptPort>().ok())
    {
        element = element.with_host(host);
    }
    element.with_proto(proto.clone())
}

/// The common case of [`element`] written straight into bytes, without the formatting
/// machinery (it showed in profiles): IPv4 addresses, a lowercase host name or IPv4 host
/// with an optional port. `None` for anything else (the caller then takes the general path);
/// where it answers, the text is the same as the general path's.
fn fast_element(
    peer: Option<SocketAddr>,
    by: Option<SocketAddr>,
    host: Option<&HeaderValue>,
    proto: &Protocol,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(96);
    out.extend_from_slice(b"for=");
    match peer.map(|p| p.ip().to_canonical()) {
        Some(std::net::IpAddr::V4(ip)) => push_ipv4(&mut out, ip),
        Some(std::net::IpAddr::V6(_)) => return None,
        None => out.extend_from_slice(b"unknown"),
    }
    if let Some(by) = by {
        let SocketAddr::V4(by) = by else {
            return None;
        };
        out.extend_from_slice(b";by=\"");
        push_ipv4(&mut out, *by.ip());
        out.push(b':');
        push_u16(&mut out, by.port());
        out.push(b'"');
    }
    if let Some(host) = host {
        let bytes = host.as_bytes();
        let (name, port) = match bytes.iter().rposition(|&b| b == b':') {
            Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
            None => (bytes, None),
        };
        let simple_name = !name.is_empty()
            && name.len() <= 253
            && name
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && name.split(|&b| b == b'.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.first() != Some(&b'-')
                    && label.last() != Some(&b'-')
            });
        let simple_port = port.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p[0] != b'0'
                && p.iter()
                    .try_fold(0u32, |n, &b| {
                        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
                    })
                    .is_some_and(|n| n <= u32::from(u16::MAX))
        });
        if !simple_name || !simple_port {
            return None;
        }
        out.extend_from_slice(b";host=");
        if port.is_some() {
            out.push(b'"');
            out.extend_from_slice(bytes);
            out.push(b'"');
        } else {
            out.extend_from_slice(bytes);
        }
    }
    out.extend_from_slice(b";proto=");
    out.extend_from_slice(proto.as_str().as_bytes());
    Some(out)
}

/// Appends `ip` in dotted decimal: written on the stack and appended once (a `push` per
/// byte checked the capacity each time: about 250 instructions an address).
fn push_ipv4(out: &mut Vec<u8>, ip: std::net::Ipv4Addr) {
    let mut text = [0u8; 15];
    let mut len = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text[len] = b'.';
            len += 1;
        }
        len += write_decimal(&mut text[len..], u16::from(octet));
    }
    out.extend_from_slice(&text[..len]);
}

fn push_u16(out: &mut Vec<u8>, n: u16) {
    let mut text = [0u8; 5];
    let len = write_decimal(&mut text, n);
    out.extend_from_slice(&text[..len]);
}

/// Writes `n` in decimal at the start of `out` (room for its digits, at most 5), returning
/// how many digits.
fn write_decimal(out: &mut [u8], n: u16) -> usize {
    let len = match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1000..=9999 => 4,
        _ => 5,
    };
    let mut n = n;
    for digit in out[..len].iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    len
}

/// The `Forwarded` value: the existing chain with `element` appended, or `element` alone
/// when there is no chain or it does not parse, is full, or would grow too long.
fn forwarded_chain(headers: &HeaderMap, element: ForwardedElement) -> String {
    if !headers.contains_key(header::FORWARDED) {
        return element.to_string();
    }
    let mut chain = Forwarded::default();
    let parsed = headers.get_all(header::FORWARDED).iter().all(|v| {
        v.to_str()
            .is_ok_and(|v| chain.extend_from_header(v).is_ok())
    });
    if !parsed || chain.elements().len() >= MAX_ELEMENTS {
        return element.to_string();
    }
    chain.push(element.clone());
    let text = chain.to_string();
    if text.len() > MAX_HEADER_LEN {
        element.to_string()
    } else {
        text
    }
}

/// Sets the `Host` the upstream sees: `policy` says whose; `authority` is the client's
/// request authority (an HTTP/2 `:authority`), used when there is no `Host` header.
pub(crate) fn set_host(
    headers: &mut HeaderMap,
    policy: HostHeader,
    authority: Option<&http::uri::Authority>,
    upstream_host: &HeaderValue,
) {
    match policy {
        HostHeader::Preserve => {
            if !headers.contains_key(header::HOST)
                && let Some(value) = authority.and_then(|a| HeaderValue::try_from(a.as_str()).ok())
            {
                headers.insert(header::HOST, value);
            }
        }
        HostHeader::Rewrite => {
            headers.insert(header::HOST, upstream_host.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    fn names(m: &HeaderMap) -> Vec<String> {
        let mut v: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn hop_by_hop_table() {
        // (headers in, upgrade, headers out (sorted))
        type Case = (
            &'static [(&'static str, &'static str)],
            bool,
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (
                &[
                    ("connection", "keep-alive, X-Secret"),
                    ("x-secret", "1"),
                    ("keep-alive", "timeout=5"),
                    ("te", "trailers"),
                    ("transfer-encoding", "chunked"),
                    ("proxy-authorization", "Basic eDp5"),
                    ("proxy-connection", "keep-alive"),
                    ("upgrade", "websocket"),
                    ("accept", "*/*"),
                    ("trailer", "x-checksum"),
                ],
                false,
                &["accept: */*", "trailer: x-checksum"],
            ),
            (
                &[
                    ("connection", "Upgrade"),
                    ("upgrade", "websocket"),
                    ("x-a", "1"),
                ],
                true,
                &["connection: Upgrade", "upgrade: websocket", "x-a: 1"],
            ),
            (
                &[
                    ("connection", "keep-alive, Upgrade, x-drop"),
                    ("x-drop", "1"),
                    ("upgrade", "websocket"),
                ],
                true,
                &["connection: upgrade", "upgrade: websocket"],
            ),
            // a Connection that names nothing valid removes nothing else
            (
                &[("connection", ", bad name ,"), ("accept", "*/*")],
                false,
                &["accept: */*"],
            ),
            (&[("accept", "*/*")], false, &["accept: */*"]),
        ];
        for (input, upgrade, want) in cases {
            let mut m = map(input);
            strip_hop_by_hop(&mut m, *upgrade);
            assert_eq!(names(&m), *want, "{input:?}");
        }
    }

    fn hop(proto: Protocol) -> Hop {
        Hop {
            peer: Some("192.0.2.7:50000".parse().unwrap()),
            local: Some("127.0.0.1:8080".parse().unwrap()),
            proto,
            authority: None,
        }
    }

    #[test]
    fn forwarded_table() {
        // (mode, with_by, headers in, wanted headers out (sorted))
        type Case = (
            ForwardedHeaders,
            bool,
            &'static [(&'static str, &'static str)],
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (
                ForwardedHeaders::Forwarded,
                true,
                &[("host", "example.com")],
                &[
                    "forwarded: for=192.0.2.7;by=\"127.0.0.1:8080\";host=example.com;proto=http",
                    "host: example.com",
                ],
            ),
            (
                ForwardedHeaders::Forwarded,
                false,
                &[("host", "example.com"), ("forwarded", "for=198.51.100.1")],
                &[
                    "forwarded: for=198.51.100.1, for=192.0.2.7;host=example.com;proto=http",
                    "host: example.com",
                ],
            ),
            // a chain that does not parse is replaced
            (
                ForwardedHeaders::Forwarded,
                false,
                &[("forwarded", "for=\"unclosed")],
                &["forwarded: for=192.0.2.7;proto=http"],
            ),
            (
                ForwardedHeaders::XForwarded,
                false,
                &[
                    ("host", "example.com:8443"),
                    ("x-forwarded-for", "203.0.113.1"),
                    ("x-forwarded-proto", "ftp"),
                ],
                &[
                    "host: example.com:8443",
                    "x-forwarded-for: 203.0.113.1, 192.0.2.7",
                    "x-forwarded-host: example.com:8443",
                    "x-forwarded-proto: http",
                ],
            ),
            (
                ForwardedHeaders::Both,
                false,
                &[],
                &[
                    "forwarded: for=192.0.2.7;proto=http",
                    "x-forwarded-for: 192.0.2.7",
                    "x-forwarded-proto: http",
                ],
            ),
            (ForwardedHeaders::None, true, &[("a", "b")], &["a: b"]),
        ];
        for (mode, by, input, want) in cases {
            let mut m = map(input);
            add_forwarded(&mut m, *mode, *by, &hop(Protocol::Http));
            assert_eq!(names(&m), *want, "{mode:?} {input:?}");
        }
    }

    #[test]
    fn fast_element_matches_the_general_path() {
        let peers = [
            None,
            Some("192.0.2.7:50000"),
            Some("10.0.0.255:1"),
            Some("0.9.99.100:10000"),
            Some("255.255.255.255:65535"),
            Some("[2001:db8::1]:443"),
            Some("[::ffff:192.0.2.9]:80"),
        ];
        let bys = [
            None,
            Some("127.0.0.1:8080"),
            Some("0.0.0.0:65535"),
            Some("[::1]:80"),
        ];
        let hosts = [
            None,
            Some("example.com"),
            Some("example.com:8080"),
            Some("Example.COM"),
            Some("127.0.0.1:62076"),
            Some("[::1]:8080"),
            Some("bad_host"),
            Some("a..b"),
            Some("x.example:0"),
            Some("x.example:99999"),
            Some("x.example:65535"),
            Some("x.example:65536"),
            Some("x.example:9"),
            Some("-x.example"),
            Some(":80"),
        ];
        let mut fast_taken = 0;
        for peer in peers {
            for by in bys {
                for host in hosts {
                    for proto in [Protocol::Http, Protocol::Https] {
                        let peer = peer.map(|p| p.parse().unwrap());
                        let by = by.map(|b| b.parse().unwrap());
                        let host = host.map(HeaderValue::from_static);
                        let general = element(peer, by, host.as_ref(), &proto).to_string();
                        if let Some(fast) = fast_element(peer, by, host.as_ref(), &proto) {
                            fast_taken += 1;
                            assert_eq!(
                                String::from_utf8(fast).unwrap(),
                                general,
                                "{peer:?} {by:?} {host:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            fast_taken > 50,
            "the fast path serves the common cases: {fast_taken}"
        );
    }

    #[test]
    fn forwarded_without_peer_and_over_tls() {
        let mut m = HeaderMap::new();
        let hop = Hop {
            peer: None,
            local: None,
            proto: Protocol::Https,
            authority: Some("h2.example:8443".parse().unwrap()),
        };
        add_forwarded(&mut m, ForwardedHeaders::Both, true, &hop);
        assert_eq!(
            names(&m),
            [
                "forwarded: for=unknown;host=\"h2.example:8443\";proto=https",
                "x-forwarded-host: h2.example:8443",
                "x-forwarded-proto: https"
            ]
        );
    }

    #[test]
    fn host_policy() {
        let upstream = HeaderValue::from_static("10.0.0.1:8080");
        let authority: http::uri::Authority = "example.com".parse().unwrap();

        let mut m = map(&[("host", "client.example")]);
        set_host(&mut m, HostHeader::Preserve, Some(&authority), &upstream);
        assert_eq!(m["host"], "client.example");

        let mut m = HeaderMap::new();
        set_host(&mut m, HostHeader::Preserve, Some(&authority), &upstream);
        assert_eq!(m["host"], "example.com");

        let mut m = map(&[("host", "client.example")]);
        set_host(&mut m, HostHeader::Rewrite, Some(&authority), &upstream);
        assert_eq!(m["host"], "10.0.0.1:8080");
        assert_eq!(m.get_all("host").iter().count(), 1);
    }
}
