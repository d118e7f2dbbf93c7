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

/// The headers a hop removes (RFC 9110 §7.6.1), plus the proxy credentials meant for this
/// hop. `Trailer` is end to end in RFC 9110 and kept.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRANSFER_ENCODING,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

/// Removes the hop-by-hop headers and the headers the `Connection` header names. With
/// `upgrade`, `Upgrade` stays and `Connection` becomes `upgrade` (kept as it was when it
/// says only that), so the upgrade reaches the other side.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    let mut keep_connection = false;
    if let Some(connection) = headers.get(header::CONNECTION) {
        if upgrade && connection.as_bytes().eq_ignore_ascii_case(b"upgrade") {
            keep_connection = true;
        } else {
            remove_named_by_connection(headers, upgrade);
        }
    }
    for name in &HOP_BY_HOP {
        if keep_connection && name == header::CONNECTION {
            continue;
        }
        headers.remove(name);
    }
    if upgrade {
        if !keep_connection {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        }
    } else {
        headers.remove(header::UPGRADE);
    }
}

/// Removes the headers the `Connection` values name (`Connection: close, X-Secret`).
fn remove_named_by_connection(headers: &mut HeaderMap, upgrade: bool) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| {
            let kept_meaning = t.is_empty()
                || t.eq_ignore_ascii_case("close")
                || t.eq_ignore_ascii_case("keep-alive")
                || (upgrade && t.eq_ignore_ascii_case("upgrade"));
            !kept_meaning
        })
        .filter_map(|t| HeaderName::from_bytes(t.as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
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
        let mut element = ForwardedElement::new_for(
            hop.peer
                .map_or_else(NodeId::unknown, |p| NodeId::from(p.ip().to_canonical())),
        );
        if with_by && let Some(local) = hop.local {
            element = element.with_by(NodeId::from(local));
        }
        if let Some(host) = hop
            .host(headers)
            .and_then(|h| h.to_str().ok().map(str::parse::<HostWithOptPort>))
            .and_then(Result::ok)
        {
            element = element.with_host(host);
        }
        element = element.with_proto(hop.proto.clone());
        let text = forwarded_chain(headers, element);
        if let Ok(value) = HeaderValue::try_from(text) {
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
