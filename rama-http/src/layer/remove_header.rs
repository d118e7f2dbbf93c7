//! [`RemoveRequestHeaderLayer`] and [`RemoveResponseHeaderLayer`]: drop headers by name,
//! or drop the hop-by-hop headers a proxy must not forward.
//!
//! The hop-by-hop set ([`HOP_BY_HOP`], RFC 9110 section 7.6.1) is `Connection`,
//! `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`, plus every
//! header named in a `Connection` header of the message itself
//! ([`remove_hop_by_hop_headers`]).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::layer::remove_header::RemoveRequestHeaderLayer;
//! use rama_http::{Body, HeaderValue, Request, Response, header};
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let inner = service_fn(async |req: Request<Body>| {
//!     assert!(req.headers().get("x-secret").is_none());
//!     assert!(req.headers().get(header::CONNECTION).is_none());
//!     Ok::<_, Infallible>(Response::new(Body::empty()))
//! });
//! let svc = RemoveRequestHeaderLayer::hop_by_hop().into_layer(inner);
//! let req = Request::builder()
//!     .header(header::CONNECTION, "close, x-secret")
//!     .header("x-secret", "42")
//!     .body(Body::empty())
//!     .unwrap();
//! svc.serve(req).await.unwrap();
//! # }
//! ```

use crate::{HeaderMap, HeaderName, Request, Response, header};
use rama_core::{Layer, Service};
use std::sync::Arc;

/// The hop-by-hop headers of RFC 9110 section 7.6.1 (`Proxy-Connection` and `Keep-Alive` are
/// the legacy ones it names).
pub const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// [`HOP_BY_HOP`] in one place: a `const` array of `HeaderName`s is a new array (copied,
/// then dropped) at every use, which in a loop over a message's fields cost more than the
/// removal itself.
static HOP_BY_HOP_NAMES: [HeaderName; 6] = HOP_BY_HOP;

/// Removes the [`HOP_BY_HOP`] headers and every header listed in `Connection`.
pub fn remove_hop_by_hop_headers(headers: &mut HeaderMap) {
    remove_hop_by_hop_headers_and(headers, &[]);
}

/// Removes the [`HOP_BY_HOP`] headers, every header listed in `Connection`, and the
/// headers named in `also` (a proxy's own, say `Proxy-Authorization`).
///
/// One walk over the names present finds which of these the message has, and only those
/// are removed: removing by name hashes the name, and a proxy does this twice per request
/// (most messages carry one of these at most, `Connection: keep-alive`).
///
/// ```
/// use rama_http::layer::remove_header::remove_hop_by_hop_headers_and;
/// use rama_http::{HeaderMap, header};
///
/// let mut h = HeaderMap::new();
/// h.insert(header::CONNECTION, "close, x-secret".parse().unwrap());
/// h.insert("x-secret", "1".parse().unwrap());
/// h.insert(header::PROXY_AUTHORIZATION, "Basic eDp5".parse().unwrap());
/// h.insert(header::ACCEPT, "*/*".parse().unwrap());
/// remove_hop_by_hop_headers_and(&mut h, &[header::PROXY_AUTHORIZATION]);
/// assert_eq!(h.len(), 1);
/// assert!(h.contains_key(header::ACCEPT));
/// ```
pub fn remove_hop_by_hop_headers_and(headers: &mut HeaderMap, also: &[HeaderName]) {
    // the lengths of the names looked for: most fields of a message (`Host`, `Date`,
    // `Content-Type`...) differ in length from all of them and skip the comparisons
    let lengths = also
        .iter()
        .fold(HOP_BY_HOP_LENGTHS, |lengths, h| lengths | length_bit(h));
    let looked_for = || HOP_BY_HOP_NAMES.iter().chain(also);
    let mut present = 0u64;
    // whether a `Connection` value lists more than the options that name no field (the
    // walk reads the values too: `keep-alive` and `close`, the usual ones, then need no
    // second lookup of `Connection`)
    let mut lists_fields = false;
    for (name, value) in headers.iter() {
        if lengths & length_bit(name) == 0 {
            continue;
        }
        if let Some(i) = looked_for().position(|h| h == name) {
            present |= presence_bit(i);
            if i == 0 {
                lists_fields |= lists_fields_in(value.as_bytes());
            }
        }
    }
    if present == 0 {
        return;
    }
    // `Connection` is HOP_BY_HOP[0]: the fields it lists go too
    if lists_fields {
        for name in &connection_listed(headers, also) {
            headers.remove(name);
        }
    }
    // only the names found are removed, each a hash lookup
    while present != 0 {
        let i = present.trailing_zeros() as usize;
        present &= present - 1;
        if i == SHARED_BIT {
            for name in looked_for().skip(SHARED_BIT) {
                headers.remove(name);
            }
        } else if let Some(name) = looked_for().nth(i) {
            headers.remove(name);
        }
    }
}

/// The bit of `1 << length` for each name of [`HOP_BY_HOP`] (10, 16, 10, 2, 17, 7 bytes).
const HOP_BY_HOP_LENGTHS: u64 = 1 << 10 | 1 << 16 | 1 << 2 | 1 << 17 | 1 << 7;

/// Bit `i` says the `i`-th name looked for (of [`HOP_BY_HOP`], then the caller's) is
/// present; names from [`SHARED_BIT`] on share that bit, and all of them are then removed
/// (harmless for the absent ones).
const fn presence_bit(i: usize) -> u64 {
    1 << if i < SHARED_BIT { i } else { SHARED_BIT }
}

/// See [`presence_bit`].
const SHARED_BIT: usize = 63;

fn length_bit(name: &HeaderName) -> u64 {
    1 << name.as_str().len().min(63)
}

/// Whether a `Connection` value has an option that may name a field to remove (see
/// [`names_no_field`]).
fn lists_fields_in(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|token| !names_no_field(token.trim_ascii()))
}

/// Whether a trimmed `Connection` token names no field that stays: empty, `close`, or
/// `keep-alive` (HTTP/1.0's, which names one that goes anyway).
fn names_no_field(token: &[u8]) -> bool {
    token.is_empty()
        || token.eq_ignore_ascii_case(b"keep-alive")
        || token.eq_ignore_ascii_case(b"close")
}

/// The fields `headers`' `Connection` header lists, other than the options that name no
/// field (`close`; `keep-alive`, HTTP/1.0's, names one that goes anyway) and the fields
/// removed anyway (the hop-by-hop set and `also`). Tokens that are no field name are
/// skipped.
///
/// The usual values (`keep-alive`, `close`) are settled by byte comparisons, without a name
/// lookup or an allocation.
fn connection_listed(headers: &HeaderMap, also: &[HeaderName]) -> Vec<HeaderName> {
    let mut listed = Vec::new();
    for value in &headers.get_all(header::CONNECTION) {
        for token in value.as_bytes().split(|&b| b == b',') {
            let token = token.trim_ascii();
            if names_no_field(token) {
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(token) else {
                continue;
            };
            if !HOP_BY_HOP_NAMES.iter().chain(also).any(|h| *h == name) {
                listed.push(name);
            }
        }
    }
    listed
}

/// Which headers to remove.
#[derive(Debug, Clone)]
struct Removal {
    names: Arc<[HeaderName]>,
    hop_by_hop: bool,
}

impl Removal {
    fn apply(&self, headers: &mut HeaderMap) {
        if self.hop_by_hop {
            remove_hop_by_hop_headers(headers);
        }
        for name in self.names.iter() {
            headers.remove(name);
        }
    }
}

macro_rules! remove_header_layer {
    ($layer:ident, $svc:ident, $what:literal) => {
        #[doc = concat!("A [`Layer`] that removes headers from every ", $what, "; see the [module docs](self).")]
        #[derive(Debug, Clone)]
        pub struct $layer {
            removal: Removal,
        }

        impl $layer {
            #[doc = concat!("Removes the named headers from each ", $what, ".")]
            #[must_use]
            pub fn new(names: impl IntoIterator<Item = HeaderName>) -> Self {
                Self {
                    removal: Removal {
                        names: names.into_iter().collect(),
                        hop_by_hop: false,
                    },
                }
            }

            #[doc = concat!("Removes the hop-by-hop headers from each ", $what, " ([`remove_hop_by_hop_headers`]).")]
            #[must_use]
            pub fn hop_by_hop() -> Self {
                let mut layer = Self::new([]);
                layer.removal.hop_by_hop = true;
                layer
            }

            /// Also remove the hop-by-hop headers (`true`) or not.
            #[must_use]
            pub const fn with_hop_by_hop(mut self, on: bool) -> Self {
                self.removal.hop_by_hop = on;
                self
            }
        }

        impl<S> Layer<S> for $layer {
            type Service = $svc<S>;

            fn layer(&self, inner: S) -> $svc<S> {
                $svc {
                    inner,
                    removal: self.removal.clone(),
                }
            }

            fn into_layer(self, inner: S) -> $svc<S> {
                $svc {
                    inner,
                    removal: self.removal,
                }
            }
        }

        #[doc = concat!("A service that removes headers from every ", $what, "; see [`", stringify!($layer), "`].")]
        #[derive(Debug, Clone)]
        pub struct $svc<S> {
            inner: S,
            removal: Removal,
        }

        impl<S> $svc<S> {
            /// The inner service.
            pub const fn inner(&self) -> &S {
                &self.inner
            }

            /// The header names removed (besides the hop-by-hop set).
            pub fn names(&self) -> &[HeaderName] {
                &self.removal.names
            }

            /// Whether the hop-by-hop headers are removed.
            pub const fn removes_hop_by_hop(&self) -> bool {
                self.removal.hop_by_hop
            }
        }
    };
}

remove_header_layer!(RemoveRequestHeaderLayer, RemoveRequestHeader, "request");
remove_header_layer!(RemoveResponseHeaderLayer, RemoveResponseHeader, "response");

impl<S, B, R> Service<Request<B>> for RemoveRequestHeader<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, mut req: Request<B>) -> Result<Response<R>, S::Error> {
        self.removal.apply(req.headers_mut());
        self.inner.serve(req).await
    }
}

impl<S, B, R> Service<Request<B>> for RemoveResponseHeader<S>
where
    S: Service<Request<B>, Output = Response<R>>,
    B: Send + 'static,
    R: Send + 'static,
{
    type Output = Response<R>;
    type Error = S::Error;

    async fn serve(&self, req: Request<B>) -> Result<Response<R>, S::Error> {
        let mut res = self.inner.serve(req).await?;
        self.removal.apply(res.headers_mut());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Body, HeaderValue};
    use rama_core::service_fn;
    use std::convert::Infallible;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn names(map: &HeaderMap) -> Vec<&str> {
        let mut names: Vec<&str> = map.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        names
    }

    /// (headers before, header names left)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

    #[test]
    fn hop_by_hop_table() {
        let cases: &[Case<'_>] = &[
            (&[("host", "a"), ("te", "trailers")], &["host"]),
            (
                &[
                    ("connection", "keep-alive, X-Foo"),
                    ("keep-alive", "timeout=5"),
                    ("x-foo", "1"),
                    ("x-bar", "2"),
                ],
                &["x-bar"],
            ),
            (
                &[
                    ("transfer-encoding", "chunked"),
                    ("upgrade", "h2c"),
                    ("proxy-connection", "x"),
                    ("accept", "*/*"),
                ],
                &["accept"],
            ),
            // a bad name in Connection is skipped, the good ones still removed
            (
                &[("connection", "bad name, x-a"), ("x-a", "1"), ("x-b", "2")],
                &["x-b"],
            ),
            // options in any case, repeated `Connection` fields, listed hop-by-hop names
            (
                &[
                    ("connection", "Keep-Alive,CLOSE"),
                    ("connection", " x-A ,te, Upgrade"),
                    ("keep-alive", "timeout=5"),
                    ("x-a", "1"),
                    ("close", "kept: an option, not a field"),
                    ("x-b", "2"),
                ],
                &["close", "x-b"],
            ),
        ];
        for (before, after) in cases {
            let mut map = headers(before);
            remove_hop_by_hop_headers(&mut map);
            assert_eq!(names(&map), *after, "{before:?}");
        }
    }

    #[test]
    fn hop_by_hop_lengths_are_those_of_the_names() {
        let lengths = HOP_BY_HOP.iter().fold(0, |l, h| l | length_bit(h));
        assert_eq!(lengths, HOP_BY_HOP_LENGTHS);
    }

    #[test]
    fn more_names_than_presence_bits() {
        let also: Vec<HeaderName> = (0..100)
            .map(|i| HeaderName::try_from(format!("x-also-{i}")).unwrap())
            .collect();
        let mut map = headers(&[
            ("x-also-3", "a"),
            ("x-also-70", "b"),
            ("x-also-99", "c"),
            ("x-kept", "d"),
            ("connection", "x-listed"),
            ("x-listed", "e"),
        ]);
        remove_hop_by_hop_headers_and(&mut map, &also);
        assert_eq!(names(&map), ["x-kept"]);
    }

    #[tokio::test]
    async fn request_and_response_removal() {
        let inner = service_fn(async |req: Request<Body>| {
            let mut res = Response::new(Body::empty());
            *res.headers_mut() = req.headers().clone();
            res.headers_mut()
                .insert("server-secret", HeaderValue::from_static("x"));
            Ok::<_, Infallible>(res)
        });
        let svc = (
            RemoveRequestHeaderLayer::new([HeaderName::from_static("x-drop")])
                .with_hop_by_hop(true),
            RemoveResponseHeaderLayer::new([HeaderName::from_static("server-secret")]),
        )
            .into_layer(inner);
        let mut req = Request::new(Body::empty());
        *req.headers_mut() = headers(&[("x-drop", "1"), ("x-keep", "2"), ("upgrade", "ws")]);
        let res = svc.serve(req).await.unwrap();
        assert_eq!(names(res.headers()), ["x-keep"]);
    }

    #[test]
    fn public_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<RemoveRequestHeaderLayer>();
        assert_send_sync::<RemoveRequestHeader<()>>();
        assert_send_sync::<RemoveResponseHeaderLayer>();
        assert_send_sync::<RemoveResponseHeader<()>>();
    }
}
