//! The error returned when forwarding information does not parse.

use std::fmt;

/// The longest part of a rejected input that an error message repeats.
const MAX_QUOTED_INPUT: usize = 64;

/// Why forwarding information was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardedParseErrorKind {
    /// The header value is longer than [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN).
    TooLong,
    /// The header holds more than [`MAX_ELEMENTS`](super::MAX_ELEMENTS) elements, or an
    /// element more than [`MAX_EXTENSIONS`](super::MAX_EXTENSIONS) unknown parameters.
    TooMany,
    /// The header does not follow the `token=value;...,...` grammar.
    Syntax,
    /// A quoted string is not terminated or holds a control character.
    QuotedString,
    /// A parameter appears twice in one element.
    DuplicateParameter,
    /// A `for` or `by` value (or an X-Forwarded-For entry) is not a valid node.
    InvalidNode,
    /// A `host` value is not `host[:port]`.
    InvalidHost,
    /// A `proto` value is not a URI scheme.
    InvalidProto,
}

/// The error returned when a `Forwarded` or `X-Forwarded-For` header, or one of their
/// values, does not parse. The message quotes the offending part (escaped, at most 64
/// characters); its text is not API, match on [`kind`](Self::kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedParseError {
    kind: ForwardedParseErrorKind,
    input: String,
}

impl ForwardedParseError {
    pub(super) fn new(kind: ForwardedParseErrorKind, input: &str) -> Self {
        let mut quoted = String::new();
        for (n, c) in input.chars().enumerate() {
            if n == MAX_QUOTED_INPUT {
                quoted.push_str("...");
                break;
            }
            quoted.extend(c.escape_debug());
        }
        Self {
            kind,
            input: quoted,
        }
    }

    /// Why the input was rejected.
    #[must_use]
    pub const fn kind(&self) -> ForwardedParseErrorKind {
        self.kind
    }
}

impl fmt::Display for ForwardedParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.kind {
            ForwardedParseErrorKind::TooLong => "header value too long",
            ForwardedParseErrorKind::TooMany => "too many elements or parameters",
            ForwardedParseErrorKind::Syntax => {
                "expected token=value pairs separated by ';' and ','"
            }
            ForwardedParseErrorKind::QuotedString => "bad quoted string",
            ForwardedParseErrorKind::DuplicateParameter => "parameter repeated in one element",
            ForwardedParseErrorKind::InvalidNode => {
                "not a node (IPv4, [IPv6], unknown or _obfuscated, with optional :port)"
            }
            ForwardedParseErrorKind::InvalidHost => "not a host with optional port",
            ForwardedParseErrorKind::InvalidProto => "not a URI scheme",
        };
        write!(
            f,
            "invalid forwarding information at \"{}\": {reason}",
            self.input
        )
    }
}

impl std::error::Error for ForwardedParseError {}
