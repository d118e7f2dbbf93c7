//! What a head says about the connection: keep-alive, `Expect: 100-continue`, upgrades.

use http::{HeaderMap, Method, Version, header};

/// Whether a `Connection` field lists `token` (case-insensitive, across repeated fields).
fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    let token = token.as_bytes();
    headers.get_all(header::CONNECTION).iter().any(|v| {
        let v = v.as_bytes();
        // one option (the usual value) is compared without splitting
        if v.contains(&b',') {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
        } else {
            v.trim_ascii().eq_ignore_ascii_case(token)
        }
    })
}

/// Whether the connection stays open after this message (RFC 9112 §9.3): HTTP/1.1 unless
/// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (and no `close`).
///
/// ```
/// use rama_http::{HeaderMap, Version};
/// use rama_http::__private::h1::wants_keep_alive;
///
/// let mut h = HeaderMap::new();
/// assert!(wants_keep_alive(Version::HTTP_11, &h));
/// assert!(!wants_keep_alive(Version::HTTP_10, &h));
/// h.insert("connection", "Keep-Alive".parse().unwrap());
/// assert!(wants_keep_alive(Version::HTTP_10, &h));
/// ```
#[must_use]
pub fn wants_keep_alive(version: Version, headers: &HeaderMap) -> bool {
    let options = headers
        .get_all(header::CONNECTION)
        .iter()
        .fold(ConnectionOptions::default(), |options, value| {
            options.and(ConnectionOptions::of(value.as_bytes()))
        });
    options.keep_alive(version)
}

/// The `Connection` options that decide keep-alive, `close` and `keep-alive` (compared
/// without case, each list item trimmed), read from one field value or from several
/// ([`and`](Self::and)). The engine reads them where it has the values at hand (the head
/// parser, the walk over a head about to be written) rather than looking the field up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnectionOptions {
    /// `close` is listed.
    pub(crate) close: bool,
    /// `keep-alive` is listed.
    pub(crate) keep_alive: bool,
}

impl ConnectionOptions {
    /// No option listed (`Default` is not `const`).
    pub(crate) const NONE: Self = Self {
        close: false,
        keep_alive: false,
    };

    /// The options one `Connection` value lists.
    #[inline]
    pub(crate) fn of(value: &[u8]) -> Self {
        // the usual values, one option, compared whole (the list walk below costs about 150
        // instructions a value)
        if value.eq_ignore_ascii_case(b"keep-alive") {
            return Self {
                close: false,
                keep_alive: true,
            };
        }
        if value.eq_ignore_ascii_case(b"close") {
            return Self {
                close: true,
                keep_alive: false,
            };
        }
        let mut options = Self::default();
        for option in value.split(|&b| b == b',') {
            let option = option.trim_ascii();
            options.close |= option.eq_ignore_ascii_case(b"close");
            options.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
        }
        options
    }

    /// The options of both values (of two `Connection` fields).
    pub(crate) const fn and(self, other: Self) -> Self {
        Self {
            close: self.close || other.close,
            keep_alive: self.keep_alive || other.keep_alive,
        }
    }

    /// Whether a message of `version` with these options keeps the connection open (see
    /// [`wants_keep_alive`]).
    pub(crate) fn keep_alive(self, version: Version) -> bool {
        !self.close
            && match version {
                Version::HTTP_11 => true,
                Version::HTTP_10 => self.keep_alive,
                _ => false,
            }
    }
}

/// Whether an HTTP/1.1 request asks for `100 Continue` before sending its body
/// (`Expect: 100-continue`, case-insensitive; ignored in HTTP/1.0 as RFC 9110 §10.1.1 says).
#[must_use]
pub fn expects_continue(version: Version, headers: &HeaderMap) -> bool {
    version == Version::HTTP_11
        && headers.get_all(header::EXPECT).iter().any(|v| {
            v.as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"100-continue")
        })
}

/// Whether a request asks to take the connection over: `CONNECT`, or an HTTP/1.1 request with
/// an `Upgrade` field listed in `Connection` (RFC 9110 §7.8). The engine answers and then
/// hands the IO (plus any bytes already read) to the service.
#[must_use]
pub fn is_upgrade_request(method: &Method, version: Version, headers: &HeaderMap) -> bool {
    method == Method::CONNECT
        || (version == Version::HTTP_11
            && headers.contains_key(header::UPGRADE)
            && connection_has(headers, "upgrade"))
}

#[cfg(test)]
#[expect(clippy::type_complexity, reason = "test tables")]
mod tests {
    use super::*;
    use crate::test_util::header_map;

    #[test]
    fn keep_alive_table() {
        let v11 = Version::HTTP_11;
        let v10 = Version::HTTP_10;
        let cases: &[(Version, &[(&str, &str)], bool)] = &[
            (v11, &[], true),
            (v11, &[("connection", "close")], false),
            (v11, &[("connection", "Close")], false),
            (v11, &[("connection", "keep-alive, close")], false),
            (
                v11,
                &[("connection", "upgrade"), ("connection", "close")],
                false,
            ),
            (v11, &[("connection", "closed")], true),
            (v10, &[], false),
            (v10, &[("connection", "keep-alive")], true),
            (v10, &[("connection", " Keep-Alive ")], true),
            (v10, &[("connection", "keep-alive, close")], false),
            (Version::HTTP_2, &[], false),
        ];
        for (version, fields, want) in cases {
            assert_eq!(
                wants_keep_alive(*version, &header_map(fields)),
                *want,
                "{version:?} {fields:?}"
            );
        }
    }

    #[test]
    fn expect_continue_table() {
        let cases: &[(Version, &[(&str, &str)], bool)] = &[
            (Version::HTTP_11, &[("expect", "100-continue")], true),
            (Version::HTTP_11, &[("expect", "100-Continue")], true),
            (Version::HTTP_11, &[("expect", "200-ok")], false),
            (Version::HTTP_11, &[], false),
            (Version::HTTP_10, &[("expect", "100-continue")], false),
        ];
        for (version, fields, want) in cases {
            assert_eq!(
                expects_continue(*version, &header_map(fields)),
                *want,
                "{fields:?}"
            );
        }
    }

    #[test]
    fn upgrade_table() {
        let ws = &[("connection", "Upgrade"), ("upgrade", "websocket")][..];
        let cases: &[(Method, Version, &[(&str, &str)], bool)] = &[
            (Method::CONNECT, Version::HTTP_11, &[], true),
            (Method::CONNECT, Version::HTTP_10, &[], true),
            (Method::GET, Version::HTTP_11, ws, true),
            (Method::GET, Version::HTTP_10, ws, false),
            (
                Method::GET,
                Version::HTTP_11,
                &[("upgrade", "websocket")],
                false,
            ),
            (
                Method::GET,
                Version::HTTP_11,
                &[("connection", "upgrade")],
                false,
            ),
            (Method::GET, Version::HTTP_11, &[], false),
        ];
        for (method, version, fields, want) in cases {
            assert_eq!(
                is_upgrade_request(method, *version, &header_map(fields)),
                *want,
                "{method} {fields:?}"
            );
        }
    }
}
