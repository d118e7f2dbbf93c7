//! Forwarding information: the RFC 7239 `Forwarded` header ([`Forwarded`],
//! [`ForwardedElement`], [`NodeId`]) and the older `X-Forwarded-For` list
//! ([`XForwardedFor`]).
//!
//! Both parsers bound their work: a header value longer than [`MAX_HEADER_LEN`] bytes or
//! with more than [`MAX_ELEMENTS`] elements is rejected with an error, never truncated.
//!
//! ```
//! use rama_net::forwarded::Forwarded;
//! use rama_net::protocol::Protocol;
//!
//! let fwd: Forwarded =
//!     r#"for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711""#.parse()?;
//! assert_eq!(fwd.elements().len(), 2);
//! assert_eq!(fwd.client_ip(), Some("192.0.2.60".parse()?));
//! assert_eq!(fwd.elements()[0].proto(), Some(&Protocol::Http));
//! assert_eq!(
//!     fwd.to_string(),
//!     r#"for=192.0.2.60;by=203.0.113.43;proto=http, for="[2001:db8:cafe::17]:4711""#,
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Leniency
//!
//! The parser accepts what RFC 7239 and RFC 9110 allow, plus optional whitespace around
//! `;` and `,` (seen in the wild); parameter names are case-insensitive. It rejects a
//! parameter repeated within an element, unterminated quoted strings and control
//! characters. Empty list members (`a, , b`) are skipped, as the list rule says.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

mod element;
mod error;
mod node;
mod x_forwarded_for;

pub use element::ForwardedElement;
pub use error::{ForwardedParseError, ForwardedParseErrorKind};
pub use node::{NodeId, NodeName, NodePort, ObfuscatedId};
pub use x_forwarded_for::XForwardedFor;

use crate::address::HostWithOptPort;
use crate::protocol::Protocol;

/// The longest header value the parsers accept, in bytes.
pub const MAX_HEADER_LEN: usize = 8 * 1024;
/// The most elements (hops) the parsers accept in one header value.
pub const MAX_ELEMENTS: usize = 32;
/// The most unknown parameters kept per [`ForwardedElement`].
pub const MAX_EXTENSIONS: usize = 8;

/// A `Forwarded` header value (RFC 7239): one [`ForwardedElement`] per proxy hop, the
/// client-side hop first.
///
/// [`FromStr`] parses one header value; [`Forwarded::extend_from_header`] appends a further
/// header line. [`Display`](fmt::Display) writes the elements separated by `, `, quoting
/// values that are not tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Forwarded {
    elements: Vec<ForwardedElement>,
}

impl Forwarded {
    /// A header with one element.
    #[must_use]
    pub fn new(element: ForwardedElement) -> Self {
        Self {
            elements: vec![element],
        }
    }

    /// The elements, client-side hop first.
    #[must_use]
    pub fn elements(&self) -> &[ForwardedElement] {
        &self.elements
    }

    /// Consumes the header, giving its elements.
    #[must_use]
    pub fn into_elements(self) -> Vec<ForwardedElement> {
        self.elements
    }

    /// Appends an element (the hop of this proxy, typically).
    pub fn push(&mut self, element: ForwardedElement) {
        self.elements.push(element);
    }

    /// The `for` node of the first element: the original client as the first proxy saw it.
    /// Only trust it when every proxy in the chain is yours.
    #[must_use]
    pub fn client_node(&self) -> Option<&NodeId> {
        self.elements.first().and_then(ForwardedElement::for_node)
    }

    /// The IP address of [`client_node`](Self::client_node), if it is one.
    #[must_use]
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client_node().and_then(NodeId::ip)
    }

    /// Parses another header line and appends its elements; the limits count the elements
    /// of all lines together. On error `self` is unchanged.
    pub fn extend_from_header(&mut self, value: &str) -> Result<(), ForwardedParseError> {
        let parsed = parse_forwarded(value, self.elements.len())?;
        self.elements.extend(parsed);
        Ok(())
    }
}

impl FromStr for Forwarded {
    type Err = ForwardedParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_forwarded(s, 0).map(|elements| Self { elements })
    }
}

impl fmt::Display for Forwarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, element) in self.elements.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            element.fmt(f)?;
        }
        Ok(())
    }
}

impl From<ForwardedElement> for Forwarded {
    fn from(element: ForwardedElement) -> Self {
        Self::new(element)
    }
}

impl From<Vec<ForwardedElement>> for Forwarded {
    fn from(elements: Vec<ForwardedElement>) -> Self {
        Self { elements }
    }
}

impl From<XForwardedFor> for Forwarded {
    /// One element with `for` per listed node.
    fn from(xff: XForwardedFor) -> Self {
        Self {
            elements: xff
                .into_nodes()
                .into_iter()
                .map(ForwardedElement::new_for)
                .collect(),
        }
    }
}

/// A cursor over the header bytes.
struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn error(&self, kind: ForwardedParseErrorKind) -> ForwardedParseError {
        ForwardedParseError::new(kind, self.src.get(self.pos..).unwrap_or_default())
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(element::is_tchar) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// Reads a quoted string, the cursor being on the opening `"`; returns it unescaped.
    fn quoted_string(&mut self) -> Result<String, ForwardedParseError> {
        let err_at = self.pos;
        let err = |c: &Self| {
            ForwardedParseError::new(
                ForwardedParseErrorKind::QuotedString,
                c.src.get(err_at..).unwrap_or_default(),
            )
        };
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, esc)) if esc == '\t' || !esc.is_control() => out.push(esc),
                    _ => return Err(err(self)),
                },
                c if c == '\t' || !c.is_control() => out.push(c),
                _ => return Err(err(self)),
            }
        }
        Err(err(self))
    }
}

/// Parses one header value; `already` elements count toward [`MAX_ELEMENTS`].
fn parse_forwarded(
    src: &str,
    already: usize,
) -> Result<Vec<ForwardedElement>, ForwardedParseError> {
    if src.len() > MAX_HEADER_LEN {
        return Err(ForwardedParseError::new(
            ForwardedParseErrorKind::TooLong,
            src,
        ));
    }
    let mut cur = Cursor { src, pos: 0 };
    let mut elements = Vec::new();
    loop {
        let mut element = ForwardedElement::default();
        // pairs of one element, separated by ';'
        loop {
            cur.skip_ows();
            match cur.peek() {
                None | Some(b',') => break,
                Some(b';') => {
                    cur.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            let name_at = cur.pos;
            let name = cur.token();
            if name.is_empty() || cur.peek() != Some(b'=') {
                return Err(cur.error(ForwardedParseErrorKind::Syntax));
            }
            cur.pos += 1;
            let value_at = cur.pos;
            let value = match cur.peek() {
                Some(b'"') => cur.quoted_string()?,
                _ => {
                    let token = cur.token();
                    if token.is_empty() {
                        return Err(cur.error(ForwardedParseErrorKind::Syntax));
                    }
                    token.to_owned()
                }
            };
            let at = |kind| ForwardedParseError::new(kind, &src[value_at..cur.pos]);
            set_pair(&mut element, name, value, at).map_err(|e| match e.kind() {
                ForwardedParseErrorKind::DuplicateParameter | ForwardedParseErrorKind::TooMany => {
                    ForwardedParseError::new(e.kind(), &src[name_at..cur.pos])
                }
                _ => e,
            })?;
            cur.skip_ows();
            match cur.peek() {
                None | Some(b',') => break,
                Some(b';') => cur.pos += 1,
                Some(_) => return Err(cur.error(ForwardedParseErrorKind::Syntax)),
            }
        }
        if !element.is_empty() {
            if already + elements.len() >= MAX_ELEMENTS {
                return Err(cur.error(ForwardedParseErrorKind::TooMany));
            }
            elements.push(element);
        }
        match cur.peek() {
            Some(b',') => cur.pos += 1,
            _ => return Ok(elements),
        }
    }
}

/// Stores one `name=value` pair in `element`.
fn set_pair(
    element: &mut ForwardedElement,
    name: &str,
    value: String,
    at: impl Fn(ForwardedParseErrorKind) -> ForwardedParseError,
) -> Result<(), ForwardedParseError> {
    fn set<T>(
        slot: &mut Option<T>,
        value: T,
        at: impl Fn(ForwardedParseErrorKind) -> ForwardedParseError,
    ) -> Result<(), ForwardedParseError> {
        if slot.is_some() {
            return Err(at(ForwardedParseErrorKind::DuplicateParameter));
        }
        *slot = Some(value);
        Ok(())
    }

    let node = |v: &str| {
        v.parse::<NodeId>()
            .map_err(|_| at(ForwardedParseErrorKind::InvalidNode))
    };
    if name.eq_ignore_ascii_case("for") {
        set(&mut element.for_node, node(&value)?, &at)
    } else if name.eq_ignore_ascii_case("by") {
        set(&mut element.by_node, node(&value)?, &at)
    } else if name.eq_ignore_ascii_case("host") {
        let host = value
            .parse::<HostWithOptPort>()
            .map_err(|_| at(ForwardedParseErrorKind::InvalidHost))?;
        set(&mut element.host, host, &at)
    } else if name.eq_ignore_ascii_case("proto") {
        let proto = value
            .parse::<Protocol>()
            .map_err(|_| at(ForwardedParseErrorKind::InvalidProto))?;
        set(&mut element.proto, proto, &at)
    } else {
        let name = name.to_ascii_lowercase();
        if element.extensions.iter().any(|(n, _)| *n == name) {
            return Err(at(ForwardedParseErrorKind::DuplicateParameter));
        }
        if element.extensions.len() >= MAX_EXTENSIONS {
            return Err(at(ForwardedParseErrorKind::TooMany));
        }
        element.extensions.push((name, value));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ForwardedParseErrorKind as K;

    #[test]
    fn rfc_7239_examples() {
        // Section 4 and 7.4 examples.
        let cases: &[(&str, &str)] = &[
            (r#"for="_gazonk""#, "for=_gazonk"),
            (
                r#"For="[2001:db8:cafe::17]:4711""#,
                r#"for="[2001:db8:cafe::17]:4711""#,
            ),
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                "for=192.0.2.60;by=203.0.113.43;proto=http",
            ),
            (
                "for=192.0.2.43, for=198.51.100.17",
                "for=192.0.2.43, for=198.51.100.17",
            ),
            (
                r#"for=192.0.2.43, for="[2001:db8:cafe::17]", for=unknown"#,
                r#"for=192.0.2.43, for="[2001:db8:cafe::17]", for=unknown"#,
            ),
            (
                r#"for=unknown;host="example.com:8080";proto=https"#,
                r#"for=unknown;host="example.com:8080";proto=https"#,
            ),
        ];
        for (input, printed) in cases {
            let fwd: Forwarded = input.parse().unwrap();
            assert_eq!(fwd.to_string(), *printed, "{input}");
            assert_eq!(printed.parse::<Forwarded>().unwrap(), fwd, "{input}");
        }
    }

    #[test]
    fn fields_are_parsed() {
        let fwd: Forwarded =
            r#"for="1.2.3.4:80";by=_proxy;host=example.com;proto=HTTPS;Ext="a \"b\"""#
                .parse()
                .unwrap();
        let e = &fwd.elements()[0];
        assert_eq!(e.for_node().unwrap().port(), Some(80));
        assert_eq!(fwd.client_ip(), Some("1.2.3.4".parse().unwrap()));
        assert!(matches!(
            e.by_node().unwrap().name(),
            NodeName::Obfuscated(_)
        ));
        assert_eq!(e.host().unwrap().to_string(), "example.com");
        assert_eq!(e.proto(), Some(&Protocol::Https));
        assert_eq!(e.extensions(), &[("ext".to_owned(), "a \"b\"".to_owned())]);
        assert_eq!(fwd.to_string().parse::<Forwarded>().unwrap(), fwd);
    }

    #[test]
    fn leniency_and_empty_members() {
        let fwd: Forwarded = " for=1.2.3.4 ; proto=http ,, ;, for=5.6.7.8 "
            .parse()
            .unwrap();
        assert_eq!(fwd.elements().len(), 2);
        assert!("".parse::<Forwarded>().unwrap().elements().is_empty());
        assert!(" , ; ".parse::<Forwarded>().unwrap().elements().is_empty());
    }

    #[test]
    fn rejects_table() {
        let too_many = vec!["for=1.2.3.4"; MAX_ELEMENTS + 1].join(",");
        let max = vec!["for=1.2.3.4"; MAX_ELEMENTS].join(",");
        assert_eq!(
            max.parse::<Forwarded>().unwrap().elements().len(),
            MAX_ELEMENTS
        );
        let too_long = format!("for=1.2.3.4;x=\"{}\"", "a".repeat(MAX_HEADER_LEN));
        let many_ext = (0..=MAX_EXTENSIONS)
            .map(|i| format!("x{i}=1"))
            .collect::<Vec<_>>()
            .join(";");
        let cases: &[(&str, ForwardedParseErrorKind)] = &[
            ("for", K::Syntax),
            ("for=", K::Syntax),
            ("=1.2.3.4", K::Syntax),
            ("for =1.2.3.4", K::Syntax),
            ("for= 1.2.3.4", K::Syntax),
            ("for=1.2.3.4 by=1.2.3.4", K::Syntax),
            ("for=[::1]", K::Syntax),
            ("for=\"1.2.3.4", K::QuotedString),
            ("for=\"1.2.3.4\\", K::QuotedString),
            ("x=\"a\u{1}\"", K::QuotedString),
            ("x=\"a\\\u{7f}\"", K::QuotedString),
            ("for=1.2.3.4;FOR=5.6.7.8", K::DuplicateParameter),
            ("x=1;X=2", K::DuplicateParameter),
            ("for=example.com", K::InvalidNode),
            ("for=\"::1\"", K::InvalidNode),
            ("for=\"[fe80::1%eth0]\"", K::InvalidNode),
            ("by=\"1.2.3.4:65536\"", K::InvalidNode),
            ("host=\"a b\"", K::InvalidHost),
            ("host=\"::1\"", K::InvalidHost),
            ("proto=\"ht tp\"", K::InvalidProto),
            (&too_many, K::TooMany),
            (&too_long, K::TooLong),
            (&many_ext, K::TooMany),
        ];
        for (input, kind) in cases {
            let err = input.parse::<Forwarded>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
        }
    }

    #[test]
    fn extend_counts_across_lines() {
        let line = vec!["for=1.2.3.4"; MAX_ELEMENTS / 2].join(",");
        let mut fwd: Forwarded = line.parse().unwrap();
        fwd.extend_from_header(&line).unwrap();
        assert_eq!(fwd.elements().len(), MAX_ELEMENTS);
        let err = fwd.extend_from_header("for=5.6.7.8").unwrap_err();
        assert_eq!(err.kind(), K::TooMany);
        assert_eq!(fwd.elements().len(), MAX_ELEMENTS);
    }

    #[test]
    fn builder_round_trip() {
        let element = ForwardedElement::new_for("[::1]:8080".parse::<NodeId>().unwrap())
            .with_by(NodeId::unknown())
            .with_host("[::1]:443".parse::<HostWithOptPort>().unwrap())
            .with_proto(Protocol::Wss);
        let mut fwd = Forwarded::new(element);
        fwd.push(ForwardedElement::new_for(IpAddr::from([10, 0, 0, 1])));
        let text = fwd.to_string();
        assert_eq!(
            text,
            r#"for="[::1]:8080";by=unknown;host="[::1]:443";proto=wss, for=10.0.0.1"#
        );
        assert_eq!(text.parse::<Forwarded>().unwrap(), fwd);
    }
}
