//! Forwarding headers: [`GetForwardedLayer`] reads `Forwarded` (RFC 7239) or
//! `X-Forwarded-For`/`-Host`/`-Proto` into a [`ForwardedInfo`] extension, trusting only
//! configured proxies; [`SetForwardedLayer`] appends this hop to them on outgoing requests.
//!
//! # Trust
//!
//! Anyone can send these headers, so [`GetForwardedLayer`] believes a hop only when the node
//! that added it is a trusted proxy ([`IpCidr`] ranges). It starts from the socket peer (the
//! [`SocketInfo`] extension the server sets): if the peer is not trusted, the headers are
//! ignored and the peer is the client. Otherwise it walks the hops from the nearest one back,
//! taking each hop's `for` as the new candidate client, until it reaches a node that is not
//! trusted (that node is the client), a hop without an IP address, or the configured
//! maximum number of hops. `host` and `proto` come from the farthest hop believed.
//! `Forwarded` is used when present, the `X-Forwarded-*` headers otherwise; headers that do
//! not parse, or hold more than [`MAX_ELEMENTS`] hops, are ignored as a whole. A request
//! without a [`SocketInfo`] gets no [`ForwardedInfo`]: with no peer, nothing can be trusted.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::forwarded::{ForwardedInfo, GetForwardedLayer};
//! use rama_http::{Body, Request, Response};
//! use rama_net::stream::SocketInfo;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     let info = req.extensions().get::<ForwardedInfo>().unwrap();
//!     Ok::<_, Infallible>(Response::new(Body::from(info.client_ip().to_string())))
//! });
//! let svc = GetForwardedLayer::new(["10.0.0.0/8".parse().unwrap()]).into_layer(inner);
//!
//! let mut req = Request::builder()
//!     .header("x-forwarded-for", "203.0.113.7, 10.1.2.3")
//!     .body(Body::empty())
//!     .unwrap();
//! req.extensions_mut().insert(SocketInfo::new(None, "10.0.0.1:4000".parse().unwrap()));
//! let res = svc.serve(req).await.unwrap();
//! assert_eq!(res.into_body().collect_string(64).await.unwrap(), "203.0.113.7");
//! # }
//! ```

use crate::connection::ConnectionExtensions;
use crate::{HeaderMap, HeaderName, HeaderValue, Request, Response, header};
use rama_core::{Layer, Service};
use rama_net::address::HostWithOptPort;
use rama_net::forwarded::{
    Forwarded, ForwardedElement, MAX_ELEMENTS, MAX_HEADER_LEN, NodeId, XForwardedFor,
};
use rama_net::protocol::Protocol;
use rama_net::stream::SocketInfo;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// An IP address range, `addr/prefix` (`10.0.0.0/8`, `fd00::/8`); a bare address is a
/// range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpCidr {
    addr: IpAddr,
    prefix: u8,
}

/// The error for a bad [`IpCidr`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpCidrParseError(String);

impl fmt::Display for IpCidrParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid IP range {:?}", self.0)
    }
}

impl std::error::Error for IpCidrParseError {}

impl IpCidr {
    /// The range of `prefix` leading bits of `addr` (host bits are ignored).
    ///
    /// # Errors
    /// `prefix` is longer than the address (32 for IPv4, 128 for IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, IpCidrParseError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(IpCidrParseError(format!("{addr}/{prefix}")));
        }
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` is in the range; an IPv4-mapped IPv6 address counts as its IPv4 address.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(net.to_bits()),
                u128::from(ip.to_bits()),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(net.to_bits(), ip.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, width: u32, prefix: u8) -> bool {
    let shift = width - u32::from(prefix);
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

impl FromStr for IpCidr {
    type Err = IpCidrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IpCidrParseError(s.to_owned());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| err())?
            }
            Some(_) => return Err(err()),
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Self::new(addr, prefix).map_err(|_| err())
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What [`GetForwardedLayer`] believes about the original request; a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedInfo {
    client_ip: IpAddr,
    host: Option<HostWithOptPort>,
    proto: Option<Protocol>,
    trusted_hops: usize,
}

impl ForwardedInfo {
    /// The client's IP address: the socket peer when no hop was believed.
    #[must_use]
    pub const fn client_ip(&self) -> IpAddr {
        self.client_ip
    }

    /// The `Host` the first believed proxy received, if it said.
    #[must_use]
    pub const fn host(&self) -> Option<&HostWithOptPort> {
        self.host.as_ref()
    }

    /// The protocol the first believed proxy received the request over, if it said.
    #[must_use]
    pub const fn proto(&self) -> Option<&Protocol> {
        self.proto.as_ref()
    }

    /// How many hops were believed (0: the headers were ignored).
    #[must_use]
    pub const fn trusted_hops(&self) -> usize {
        self.trusted_hops
    }
}

/// The last value of a possibly comma-separated, possibly repeated header.
fn last_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The hops the headers describe, client side first; `None` when they do not parse.
fn hops(headers: &HeaderMap) -> Option<Vec<ForwardedElement>> {
    let mut forwarded: Option<Forwarded> = None;
    for value in headers.get_all(header::FORWARDED) {
        let value = value.to_str().ok()?;
        match forwarded.as_mut() {
            Some(f) => f.extend_from_header(value).ok()?,
            None => forwarded = Some(value.parse().ok()?),
        }
    }
    if let Some(f) = forwarded {
        return Some(f.into_elements());
    }
    let joined = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .map(|v| v.to_str().ok())
        .collect::<Option<Vec<_>>>()?
        .join(",");
    let xff: XForwardedFor = joined.parse().ok()?;
    let mut elements: Vec<ForwardedElement> = Forwarded::from(xff).into_elements();
    if let Some(last) = elements.pop() {
        let mut last = last;
        if let Some(host) =
            last_value(headers, &X_FORWARDED_HOST).and_then(|h| h.parse::<HostWithOptPort>().ok())
        {
            last = last.with_host(host);
        }
        if let Some(proto) = last_value(headers, &X_FORWARDED_PROTO).and_then(|p| p.parse().ok()) {
            last = last.with_proto(proto);
        }
        elements.push(last);
    }
    Some(elements)
}

/// A [`Layer`] producing [`GetForwarded`] services; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct GetForwardedLayer {
    trusted: Arc<[IpCidr]>,
    max_hops: usize,
}

impl GetForwardedLayer {
    /// Trust the proxies in these ranges; believe at most [`MAX_ELEMENTS`] hops.
    #[must_use]
    pub fn new(trusted: impl IntoIterator<Item = IpCidr>) -> Self {
        Self {
            trusted: trusted.into_iter().collect(),
            max_hops: MAX_ELEMENTS,
        }
    }

    /// Believe at most `n` hops.
    #[must_use]
    pub const fn with_max_hops(mut self, n: usize) -> Self {
        self.max_hops = n;
        self
    }
}

impl<S> Layer<S> for GetForwardedLayer {
    type Service = GetForwarded<S>;

    fn layer(&self, inner: S) -> GetForwarded<S> {
        self.clone().into_layer(inner)
    }

    fn into_layer(self, inner: S) -> GetForwarded<S> {
        GetForwarded {
            inner,
            trusted: self.trusted,
            max_hops: self.max_hops,
        }
    }
}

/// A service recording [`ForwardedInfo`]; see [`GetForwardedLayer`].
#[derive(Debug, Clone)]
pub struct GetForwarded<S> {
    inner: S,
    trusted: Arc<[IpCidr]>,
    max_hops: usize,
}

impl<S> GetForwarded<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The trusted proxy ranges.
    pub fn trusted(&self) -> &[IpCidr] {
        &self.trusted
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// What to believe of `headers` received from `peer`.
    #[must_use]
    pub fn forwarded_info(&self, peer: IpAddr, headers: &HeaderMap) -> ForwardedInfo {
        let mut info = ForwardedInfo {
            client_ip: peer.to_canonical(),
            host: None,
            proto: None,
            trusted_hops: 0,
        };
        if !self.is_trusted(peer) {
            return info;
        }
        let Some(elements) = hops(headers) else {
            tracing::debug!("forwarding headers from a trusted peer do not parse: ignored");
            return info;
        };
        for element in elements.iter().rev().take(self.max_hops) {
            // the node that added this hop is the current candidate
            if !self.is_trusted(info.client_ip) {
                break;
            }
            let Some(ip) = element.for_node().and_then(NodeId::ip) else {
                break;
            };
            info.client_ip = ip.to_canonical();
            info.trusted_hops += 1;
            if let Some(host) = element.host() {
                info.host = Some(host.clone());
            }
            if let Some(proto) = element.proto() {
                info.proto = Some(proto.clone());
            }
        }
        info
    }
}

impl<S, B, R> Service<Request<B>> for GetForwarded<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        if let Some(peer) = req
            .connection_get::<SocketInfo>()
            .map(|s| s.peer_addr().ip())
        {
            let info = self.forwarded_info(peer, req.headers());
            req.extensions_mut().insert(info);
        }
        self.inner.serve(req).await
    }
}

/// A [`Layer`] producing [`SetForwarded`] services: append this hop to `Forwarded` (and
/// optionally the `X-Forwarded-*` headers) of requests sent on.
///
/// The hop's `for` is the socket peer ([`SocketInfo`]; `unknown` without one), `host` the
/// request's `Host` header or URI authority, `proto` the URI scheme (or the one given with
/// [`with_proto`](Self::with_proto)), `by` the node given with [`with_by`](Self::with_by).
/// An existing chain that does not parse, is already [`MAX_ELEMENTS`] hops long, or would
/// grow past [`MAX_HEADER_LEN`] bytes is replaced by this hop alone, so that the next
/// reader can still parse it.
#[derive(Debug, Clone, Default)]
pub struct SetForwardedLayer {
    by: Option<NodeId>,
    proto: Option<Protocol>,
    x_forwarded: bool,
}

impl SetForwardedLayer {
    /// Append to `Forwarded` only.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            by: None,
            proto: None,
            x_forwarded: false,
        }
    }

    /// Also append to `X-Forwarded-For` and set `X-Forwarded-Host`/`-Proto`.
    #[must_use]
    pub const fn with_x_forwarded(mut self, on: bool) -> Self {
        self.x_forwarded = on;
        self
    }

    /// Record `by` (this proxy's interface) in the hop.
    #[must_use]
    pub fn with_by(mut self, by: NodeId) -> Self {
        self.by = Some(by);
        self
    }

    /// The protocol the request came in over, when the URI does not say.
    #[must_use]
    pub fn with_proto(mut self, proto: Protocol) -> Self {
        self.proto = Some(proto);
        self
    }
}

impl<S> Layer<S> for SetForwardedLayer {
    type Service = SetForwarded<S>;

    fn layer(&self, inner: S) -> SetForwarded<S> {
        self.clone().into_layer(inner)
    }

    fn into_layer(self, inner: S) -> SetForwarded<S> {
        SetForwarded {
            inner,
            config: self,
        }
    }
}

/// A service appending this hop to the forwarding headers; see [`SetForwardedLayer`].
#[derive(Debug, Clone)]
pub struct SetForwarded<S> {
    inner: S,
    config: SetForwardedLayer,
}

impl<S> SetForwarded<S> {
    /// The inner service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    fn element<B>(&self, req: &Request<B>) -> ForwardedElement {
        let for_node = req
            .connection_get::<SocketInfo>()
            .map_or_else(NodeId::unknown, |s| NodeId::from(s.peer_addr().ip()));
        let mut element = ForwardedElement::new_for(for_node);
        if let Some(by) = &self.config.by {
            element = element.with_by(by.clone());
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
            .and_then(|h| h.parse::<HostWithOptPort>().ok());
        if let Some(host) = host {
            element = element.with_host(host);
        }
        let proto = req
            .uri()
            .scheme_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| self.config.proto.clone());
        if let Some(proto) = proto {
            element = element.with_proto(proto);
        }
        element
    }
}

fn set_header(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(v) => {
            headers.insert(name, v);
        }
        Err(_) => {
            headers.remove(name);
        }
    }
}

impl<S, B, R> Service<Request<B>> for SetForwarded<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        let element = self.element(&req);
        let headers = req.headers_mut();

        let mut chain = match hops_forwarded_only(headers) {
            Some(elements) if elements.len() < MAX_ELEMENTS => Forwarded::from(elements),
            Some(_) | None => Forwarded::default(),
        };
        chain.push(element.clone());
        let mut text = chain.to_string();
        if text.len() > MAX_HEADER_LEN {
            text = Forwarded::new(element.clone()).to_string();
        }
        set_header(headers, header::FORWARDED, &text);

        if self.config.x_forwarded {
            let joined = headers
                .get_all(X_FORWARDED_FOR)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            let mut xff = match joined.parse::<XForwardedFor>() {
                Ok(x) if x.nodes().len() < MAX_ELEMENTS => x,
                _ => XForwardedFor::default(),
            };
            // X-Forwarded-For lists addresses only: without a peer address, leave it as is
            if let Some(ip) = element.for_node().and_then(NodeId::ip) {
                xff.push(ip);
                let mut text = xff.to_string();
                if text.len() > MAX_HEADER_LEN {
                    text = ip.to_string();
                }
                set_header(headers, X_FORWARDED_FOR, &text);
            }
            if let Some(host) = element.host() {
                set_header(headers, X_FORWARDED_HOST, &host.to_string());
            }
            if let Some(proto) = element.proto() {
                set_header(headers, X_FORWARDED_PROTO, &proto.to_string());
            }
        }
        self.inner.serve(req).await
    }
}

/// The elements of the `Forwarded` header lines (empty when there is none); `None` when
/// they do not parse.
fn hops_forwarded_only(headers: &HeaderMap) -> Option<Vec<ForwardedElement>> {
    let mut chain = Forwarded::default();
    for value in headers.get_all(header::FORWARDED) {
        chain.extend_from_header(value.to_str().ok()?).ok()?;
    }
    Some(chain.into_elements())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use rama_core::service_fn;
    use std::convert::Infallible;

    #[test]
    fn cidr_table() {
        let cases = [
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("0.0.0.0/0", "::1", false),
            ("fd00::/8", "fd12::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::/0", "2001:db8::1", true),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true),
            ("10.1.2.3/16", "10.1.200.1", true),
        ];
        for (cidr, ip, want) in cases {
            let net: IpCidr = cidr.parse().unwrap();
            assert_eq!(net.contains(ip.parse().unwrap()), want, "{cidr} {ip}");
        }
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "x/8",
            "",
        ] {
            assert!(bad.parse::<IpCidr>().is_err(), "{bad}");
        }
    }

    fn reader(trusted: &[&str]) -> GetForwarded<()> {
        GetForwardedLayer::new(trusted.iter().map(|t| t.parse().unwrap())).into_layer(())
    }

    /// (peer, headers, believed client, trusted hops, proto)
    type TrustCase = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
        usize,
        Option<&'static str>,
    );

    #[test]
    fn trust_table() {
        let cases: &[TrustCase] = &[
            // untrusted peer: spoofed headers ignored
            (
                "203.0.113.9",
                &[("x-forwarded-for", "1.2.3.4")],
                "203.0.113.9",
                0,
                None,
            ),
            (
                "203.0.113.9",
                &[("forwarded", "for=1.2.3.4;proto=https")],
                "203.0.113.9",
                0,
                None,
            ),
            // trusted peer, one hop
            (
                "10.0.0.1",
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("x-forwarded-proto", "https"),
                ],
                "198.51.100.1",
                1,
                Some("https"),
            ),
            // a client spoofing a first entry behind our proxy: the spoof is not believed
            (
                "10.0.0.1",
                &[("x-forwarded-for", "1.2.3.4, 198.51.100.1")],
                "198.51.100.1",
                1,
                None,
            ),
            // two trusted proxies
            (
                "10.0.0.1",
                &[("x-forwarded-for", "198.51.100.1, 10.0.0.2")],
                "198.51.100.1",
                2,
                None,
            ),
            (
                "10.0.0.1",
                &[(
                    "forwarded",
                    "for=198.51.100.1;proto=https, for=10.0.0.2;proto=http",
                )],
                "198.51.100.1",
                2,
                Some("https"),
            ),
            // Forwarded wins over X-Forwarded-For
            (
                "10.0.0.1",
                &[
                    ("forwarded", "for=198.51.100.2"),
                    ("x-forwarded-for", "198.51.100.1"),
                ],
                "198.51.100.2",
                1,
                None,
            ),
            // several header lines form one list
            (
                "10.0.0.1",
                &[
                    ("forwarded", "for=198.51.100.1"),
                    ("forwarded", "for=10.0.0.2"),
                ],
                "198.51.100.1",
                2,
                None,
            ),
            // unknown / obfuscated stops the walk at the last trusted node
            (
                "10.0.0.1",
                &[("forwarded", "for=unknown, for=10.0.0.2")],
                "10.0.0.2",
                1,
                None,
            ),
            // garbage from a trusted peer: ignored
            (
                "10.0.0.1",
                &[("forwarded", "for=\"unterminated")],
                "10.0.0.1",
                0,
                None,
            ),
            (
                "10.0.0.1",
                &[("x-forwarded-for", "not an ip")],
                "10.0.0.1",
                0,
                None,
            ),
            // IPv6 peer in a trusted range
            (
                "fd00::1",
                &[("x-forwarded-for", "2001:db8::7")],
                "2001:db8::7",
                1,
                None,
            ),
        ];
        let svc = reader(&["10.0.0.0/8", "fd00::/8"]);
        for (peer, pairs, client, trusted, proto) in cases {
            let mut headers = HeaderMap::new();
            for (k, v) in *pairs {
                headers.append(*k, HeaderValue::from_static(v));
            }
            let info = svc.forwarded_info(peer.parse().unwrap(), &headers);
            assert_eq!(
                info.client_ip(),
                client.parse::<IpAddr>().unwrap(),
                "{peer} {pairs:?}"
            );
            assert_eq!(info.trusted_hops(), *trusted, "{peer} {pairs:?}");
            assert_eq!(
                info.proto().map(ToString::to_string).as_deref(),
                *proto,
                "{peer} {pairs:?}"
            );
        }
    }

    #[test]
    fn max_hops_bounds_the_walk() {
        let svc = GetForwardedLayer::new(["10.0.0.0/8".parse().unwrap()])
            .with_max_hops(1)
            .into_layer(());
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_static("198.51.100.1, 10.0.0.2"),
        );
        let info = svc.forwarded_info("10.0.0.1".parse().unwrap(), &headers);
        assert_eq!(info.client_ip(), "10.0.0.2".parse::<IpAddr>().unwrap());
    }

    fn with_peer(peer: &str, req: &mut Request<Body>) {
        req.extensions_mut()
            .insert(SocketInfo::new(None, peer.parse().unwrap()));
    }

    #[tokio::test]
    async fn service_inserts_info_only_with_a_peer() {
        let inner = service_fn(async |req: Request<Body>| {
            let info = req.extensions().get::<ForwardedInfo>().cloned();
            Ok::<_, Infallible>(Response::new(info))
        });
        let svc = GetForwardedLayer::new(["127.0.0.1".parse().unwrap()]).into_layer(inner);
        let mut req = Request::builder()
            .header("forwarded", "for=192.0.2.1;host=example.test;proto=https")
            .body(Body::empty())
            .unwrap();
        with_peer("127.0.0.1:5000", &mut req);
        let info = svc.serve(req).await.unwrap().into_body().unwrap();
        assert_eq!(info.client_ip(), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(info.host().unwrap().to_string(), "example.test");
        assert_eq!(info.proto(), Some(&Protocol::Https));

        let res = svc.serve(Request::new(Body::empty())).await.unwrap();
        assert!(res.body().is_none());
    }

    #[tokio::test]
    async fn set_appends_this_hop() {
        let inner = service_fn(async |req: Request<Body>| {
            let get = |n: &str| {
                req.headers()
                    .get(n)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            Ok::<_, Infallible>(Response::new([
                get("forwarded"),
                get("x-forwarded-for"),
                get("x-forwarded-host"),
                get("x-forwarded-proto"),
            ]))
        });
        let svc = SetForwardedLayer::new()
            .with_x_forwarded(true)
            .with_by("10.9.9.9".parse().unwrap())
            .into_layer(inner);

        let mut req = Request::builder()
            .uri("http://upstream.test/x")
            .header("host", "front.test:8080")
            .header("forwarded", "for=198.51.100.1")
            .header("x-forwarded-for", "198.51.100.1")
            .body(Body::empty())
            .unwrap();
        with_peer("192.0.2.5:1234", &mut req);
        let got = svc.serve(req).await.unwrap().into_body();
        assert_eq!(
            got,
            [
                "for=198.51.100.1, for=192.0.2.5;by=10.9.9.9;host=\"front.test:8080\";proto=http",
                "198.51.100.1, 192.0.2.5",
                "front.test:8080",
                "http",
            ]
        );

        // unparseable existing chain: replaced; no peer: `unknown`
        let req = Request::builder()
            .uri("/x")
            .header("forwarded", "for=\"broken")
            .body(Body::empty())
            .unwrap();
        let got = svc.serve(req).await.unwrap().into_body();
        assert_eq!(got[0], "for=unknown;by=10.9.9.9");
        assert_eq!(
            got[1], "",
            "no peer address: nothing to add to X-Forwarded-For"
        );
    }

    #[tokio::test]
    async fn chain_written_by_set_is_read_by_get() {
        let inner = service_fn(async |req: Request<Body>| {
            Ok::<_, Infallible>(Response::new(
                req.extensions().get::<ForwardedInfo>().cloned(),
            ))
        });
        let svc = (
            SetForwardedLayer::new(),
            GetForwardedLayer::new(["0.0.0.0/0".parse().unwrap()]),
        )
            .into_layer(inner);
        let mut req = Request::new(Body::empty());
        with_peer("192.0.2.5:1", &mut req);
        let info = svc.serve(req).await.unwrap().into_body().unwrap();
        // the Set hop names the peer; the Get layer (here trusting everyone) reads it back
        assert_eq!(info.client_ip(), "192.0.2.5".parse::<IpAddr>().unwrap());
        assert_eq!(info.trusted_hops(), 1);
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<GetForwardedLayer>();
        assert_send_sync::<GetForwarded<()>>();
        assert_send_sync::<SetForwardedLayer>();
        assert_send_sync::<SetForwarded<()>>();
        assert_send_sync::<ForwardedInfo>();
        assert_send_sync::<IpCidr>();
    }

    #[tokio::test]
    async fn set_keeps_chains_within_the_parser_limits() {
        let inner = service_fn(async |req: Request<Body>| {
            let get = |n: &str| req.headers()[n].to_str().unwrap().to_owned();
            Ok::<_, Infallible>(Response::new([get("forwarded"), get("x-forwarded-for")]))
        });
        let svc = SetForwardedLayer::new()
            .with_x_forwarded(true)
            .into_layer(inner);
        let full_fwd = vec!["for=192.0.2.1"; MAX_ELEMENTS].join(", ");
        let full_xff = vec!["192.0.2.1"; MAX_ELEMENTS].join(", ");
        let long_fwd = format!("for=192.0.2.1;x=\"{}\"", "a".repeat(MAX_HEADER_LEN - 30));
        // (existing Forwarded, existing X-Forwarded-For, hops after)
        let cases = [
            ("for=192.0.2.1".to_owned(), "192.0.2.1".to_owned(), 2),
            (full_fwd, full_xff, 1),
            (long_fwd, "192.0.2.1".to_owned(), 1),
        ];
        for (fwd, xff, want_hops) in cases {
            let mut req = Request::builder()
                .header("forwarded", &fwd)
                .header("x-forwarded-for", &xff)
                .body(Body::empty())
                .unwrap();
            with_peer("198.51.100.9:1", &mut req);
            let [fwd_out, xff_out] = svc.serve(req).await.unwrap().into_body();
            let parsed: Forwarded = fwd_out.parse().unwrap();
            assert_eq!(parsed.elements().len(), want_hops, "{fwd_out}");
            assert!(fwd_out.ends_with("for=198.51.100.9"), "{fwd_out}");
            let parsed: XForwardedFor = xff_out.parse().unwrap();
            assert!(parsed.nodes().len() <= 2, "{xff_out}");
            assert_eq!(
                parsed.nodes().last().and_then(NodeId::ip),
                Some("198.51.100.9".parse().unwrap())
            );
        }
    }
}
