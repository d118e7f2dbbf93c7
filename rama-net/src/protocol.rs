//! [`Protocol`]: a URI scheme such as `http`, `wss` or `socks5h`, with its default port.
//!
//! ```
//! use rama_net::protocol::Protocol;
//!
//! let p: Protocol = "HTTPS".parse()?;
//! assert_eq!(p, Protocol::Https);
//! assert_eq!(p.default_port(), Some(443));
//! assert!(p.is_secure() && p.is_http());
//!
//! let custom: Protocol = "git+ssh".parse()?;
//! assert_eq!(custom.as_str(), "git+ssh");
//! assert_eq!(custom.default_port(), None);
//! # Ok::<(), rama_net::protocol::ProtocolParseError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The longest scheme [`Protocol::from_str`] accepts.
pub const MAX_SCHEME_LEN: usize = 64;

/// A URI scheme: the well-known ones rama speaks, or any other valid scheme.
///
/// Parsing is ASCII case-insensitive and stores the scheme lowercase; a scheme follows
/// RFC 3986 section 3.1 (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), at most 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `http`, default port 80.
    Http,
    /// `https`, default port 443.
    Https,
    /// `ws` (WebSocket), default port 80.
    Ws,
    /// `wss` (WebSocket over TLS), default port 443.
    Wss,
    /// `socks5`: SOCKS5 with names resolved by the client, default port 1080.
    Socks5,
    /// `socks5h`: SOCKS5 with names resolved by the proxy, default port 1080.
    Socks5h,
    /// Any other scheme, validated and lowercase.
    Custom(CustomProtocol),
}

/// A validated scheme that is none of the well-known [`Protocol`] variants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomProtocol(Arc<str>);

impl CustomProtocol {
    /// The scheme, lowercase.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Protocol {
    /// The scheme, lowercase, without `://`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Ws => "ws",
            Self::Wss => "wss",
            Self::Socks5 => "socks5",
            Self::Socks5h => "socks5h",
            Self::Custom(c) => c.as_str(),
        }
    }

    /// The port used when a URI of this scheme names none; `None` for custom schemes.
    #[must_use]
    pub const fn default_port(&self) -> Option<u16> {
        match self {
            Self::Http | Self::Ws => Some(80),
            Self::Https | Self::Wss => Some(443),
            Self::Socks5 | Self::Socks5h => Some(1080),
            Self::Custom(_) => None,
        }
    }

    /// Whether the scheme implies TLS: `https` and `wss`.
    #[must_use]
    pub const fn is_secure(&self) -> bool {
        matches!(self, Self::Https | Self::Wss)
    }

    /// Whether the scheme is `http` or `https`.
    #[must_use]
    pub const fn is_http(&self) -> bool {
        matches!(self, Self::Http | Self::Https)
    }

    /// Whether the scheme is `ws` or `wss`.
    #[must_use]
    pub const fn is_ws(&self) -> bool {
        matches!(self, Self::Ws | Self::Wss)
    }

    /// Whether the scheme is `socks5` or `socks5h`.
    #[must_use]
    pub const fn is_socks5(&self) -> bool {
        matches!(self, Self::Socks5 | Self::Socks5h)
    }
}

/// The error returned when a scheme does not parse: empty, longer than 64 bytes, or holding
/// a character RFC 3986 does not allow. The message quotes the input (escaped, truncated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolParseError {
    input: String,
}

impl fmt::Display for ProtocolParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid protocol \"{}\": a scheme is a letter followed by up to 63 letters, digits, '+', '-' or '.'",
            self.input
        )
    }
}

impl std::error::Error for ProtocolParseError {}

fn parse_protocol(s: &str) -> Result<Protocol, ProtocolParseError> {
    let valid = !s.is_empty()
        && s.len() <= MAX_SCHEME_LEN
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid {
        let input = s
            .chars()
            .take(MAX_SCHEME_LEN)
            .flat_map(char::escape_debug)
            .collect();
        return Err(ProtocolParseError { input });
    }
    let known = [
        Protocol::Http,
        Protocol::Https,
        Protocol::Ws,
        Protocol::Wss,
        Protocol::Socks5,
        Protocol::Socks5h,
    ];
    Ok(known
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(s))
        .unwrap_or_else(|| Protocol::Custom(CustomProtocol(Arc::from(s.to_ascii_lowercase())))))
}

impl FromStr for Protocol {
    type Err = ProtocolParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_protocol(s)
    }
}

impl TryFrom<&str> for Protocol {
    type Error = ProtocolParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_protocol(s)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_table() {
        let good: &[(&str, Protocol, Option<u16>)] = &[
            ("http", Protocol::Http, Some(80)),
            ("HTTP", Protocol::Http, Some(80)),
            ("https", Protocol::Https, Some(443)),
            ("Ws", Protocol::Ws, Some(80)),
            ("WSS", Protocol::Wss, Some(443)),
            ("socks5", Protocol::Socks5, Some(1080)),
            ("SOCKS5H", Protocol::Socks5h, Some(1080)),
        ];
        for (input, want, port) in good {
            let p: Protocol = input.parse().unwrap();
            assert_eq!(&p, want, "{input}");
            assert_eq!(p.default_port(), *port, "{input}");
            assert_eq!(p.as_str(), input.to_ascii_lowercase());
        }

        for input in ["ftp", "Git+SSH", "a", "x-1.2", &"a".repeat(64)] {
            let p: Protocol = input.parse().unwrap();
            assert!(matches!(p, Protocol::Custom(_)), "{input}");
            assert_eq!(p.as_str(), input.to_ascii_lowercase());
            assert_eq!(p.default_port(), None);
        }

        for input in [
            "",
            "1http",
            "+a",
            "ht tp",
            "http:",
            "http://",
            "héllo",
            "a\0",
            &"a".repeat(65),
        ] {
            assert!(input.parse::<Protocol>().is_err(), "{input:?}");
        }
    }

    #[test]
    fn predicates() {
        use Protocol::*;
        let all = [Http, Https, Ws, Wss, Socks5, Socks5h];
        let secure: Vec<_> = all.iter().filter(|p| p.is_secure()).cloned().collect();
        assert_eq!(secure, [Https, Wss]);
        let http: Vec<_> = all.iter().filter(|p| p.is_http()).cloned().collect();
        assert_eq!(http, [Http, Https]);
        let ws: Vec<_> = all.iter().filter(|p| p.is_ws()).cloned().collect();
        assert_eq!(ws, [Ws, Wss]);
        let socks: Vec<_> = all.iter().filter(|p| p.is_socks5()).cloned().collect();
        assert_eq!(socks, [Socks5, Socks5h]);
    }

    #[test]
    fn round_trips() {
        for input in [
            "http",
            "https",
            "ws",
            "wss",
            "socks5",
            "socks5h",
            "foo+bar.baz-1",
        ] {
            let p: Protocol = input.parse().unwrap();
            assert_eq!(p.to_string().parse::<Protocol>().unwrap(), p);
        }
    }

    #[test]
    fn error_names_input() {
        let err = "ht tp".parse::<Protocol>().unwrap_err();
        assert!(err.to_string().starts_with("invalid protocol \"ht tp\""));
    }
}
