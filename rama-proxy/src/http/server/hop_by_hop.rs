//! Hop-by-hop header fields (RFC 9110 §7.6.1): they describe one connection, so a proxy
//! removes them before forwarding a message.

use rama_http::layer::remove_header;
use rama_http::{HeaderMap, HeaderName, header};

/// Removes the hop-by-hop fields from `headers`: rama-http's set
/// ([`remove_header::remove_hop_by_hop_headers`]: `Connection` and every field it lists,
/// `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding`, `Upgrade`), plus what a
/// forward proxy also keeps to its own hop: `Trailer`, `Proxy-Authorization` and
/// `Proxy-Authenticate`.
///
/// ```
/// use rama_http::HeaderMap;
/// use rama_proxy::http::server::remove_hop_by_hop_headers;
///
/// let mut h = HeaderMap::new();
/// h.insert("connection", "keep-alive, X-Secret".parse().unwrap());
/// h.insert("x-secret", "1".parse().unwrap());
/// h.insert("proxy-authorization", "Basic Zm9vOmJhcg==".parse().unwrap());
/// h.insert("accept", "*/*".parse().unwrap());
/// remove_hop_by_hop_headers(&mut h);
/// assert_eq!(h.len(), 1);
/// assert!(h.contains_key("accept"));
/// ```
pub fn remove_hop_by_hop_headers(headers: &mut HeaderMap) {
    remove_header::remove_hop_by_hop_headers_and(headers, &FORWARD_PROXY_HOP);
}

/// What a forward proxy removes on top of rama-http's hop-by-hop set (a `static`: a `const`
/// array of names would be built and dropped at each use).
static FORWARD_PROXY_HOP: [HeaderName; 3] = [
    header::TRAILER,
    header::PROXY_AUTHORIZATION,
    header::PROXY_AUTHENTICATE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use rama_http::HeaderName;

    /// Headers in, names that must remain.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

    #[test]
    fn removes_table() {
        let cases: &[Case<'_>] = &[
            (&[("accept", "*/*")], &["accept"]),
            (&[("connection", "close"), ("accept", "*/*")], &["accept"]),
            (
                &[
                    ("Connection", "X-A , x-b,,"),
                    ("x-a", "1"),
                    ("x-b", "2"),
                    ("x-c", "3"),
                ],
                &["x-c"],
            ),
            (
                &[
                    ("connection", "x-a"),
                    ("connection", "x-b"),
                    ("x-a", "1"),
                    ("x-b", "2"),
                ],
                &[],
            ),
            (
                &[
                    ("keep-alive", "timeout=5"),
                    ("proxy-connection", "keep-alive"),
                    ("te", "trailers"),
                    ("trailer", "x-sum"),
                    ("transfer-encoding", "chunked"),
                    ("upgrade", "websocket"),
                    ("proxy-authorization", "Basic eDp5"),
                    ("proxy-authenticate", "Basic realm=\"x\""),
                    ("content-length", "3"),
                ],
                &["content-length"],
            ),
            // a malformed list entry is skipped, the rest still applies
            (
                &[("connection", "bad name, x-a"), ("x-a", "1"), ("host", "h")],
                &["host"],
            ),
        ];
        for (input, keep) in cases {
            let mut h = HeaderMap::new();
            for (k, v) in *input {
                h.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            remove_hop_by_hop_headers(&mut h);
            let mut left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
            left.sort_unstable();
            assert_eq!(left, *keep, "{input:?}");
        }
    }
}
