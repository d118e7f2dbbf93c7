//! Errors of the proxy database: loading it ([`LoadError`]) and picking from it
//! ([`ProxyDBError`]).

use std::fmt;

/// A proxy database file that could not be loaded: the file, the line (CSV) or record
/// (JSON), and what is wrong.
#[derive(Debug)]
pub struct LoadError {
    message: String,
}

impl LoadError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub(crate) fn at_line(line: usize, message: impl fmt::Display) -> Self {
        Self::new(format!("line {line}: {message}"))
    }

    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        Self::new(format!("{}: {}", path.display(), self.message))
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy database: {}", self.message)
    }
}

impl std::error::Error for LoadError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BadFilter,
    NoMatch,
}

/// No upstream proxy for a request: the filter was refused (an unknown or repeated label;
/// a proxy answers `407`, the client should fix its username) or nothing in the database
/// matches it (a proxy answers `503`).
#[derive(Debug, Clone)]
pub struct ProxyDBError {
    kind: Kind,
    message: String,
}

impl ProxyDBError {
    pub(crate) fn bad_filter(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::BadFilter,
            message: message.into(),
        }
    }

    pub(crate) fn no_match(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::NoMatch,
            message: message.into(),
        }
    }

    /// The username labels do not form a valid filter.
    #[must_use]
    pub fn is_bad_filter(&self) -> bool {
        self.kind == Kind::BadFilter
    }

    /// No proxy in the database matches the filter.
    #[must_use]
    pub fn is_no_match(&self) -> bool {
        self.kind == Kind::NoMatch
    }
}

impl fmt::Display for ProxyDBError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProxyDBError {}
