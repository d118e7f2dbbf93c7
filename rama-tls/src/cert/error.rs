//! [`CertError`]: why issuing, loading or storing a certificate failed.

use std::{fmt, io, path::PathBuf};

/// Why issuing, loading or storing a certificate failed.
///
/// The message says what was being done (and with which file or name); the
/// [`source`](std::error::Error::source), when there is one, is the underlying rcgen, rustls
/// or I/O error. Use the `is_*` predicates
/// rather than the text, which is not API.
#[derive(Debug)]
pub struct CertError {
    kind: Kind,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Debug)]
enum Kind {
    InvalidName(String),
    Generate(&'static str),
    Parse(&'static str),
    Io(&'static str, PathBuf),
}

impl CertError {
    pub(crate) fn invalid_name(name: &str) -> Self {
        Self {
            kind: Kind::InvalidName(name.to_owned()),
            source: None,
        }
    }

    pub(crate) fn generate(
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind: Kind::Generate(what),
            source: Some(Box::new(source)),
        }
    }

    pub(crate) fn parse(
        what: &'static str,
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind: Kind::Parse(what),
            source,
        }
    }

    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self {
            kind: Kind::Io(what, path.into()),
            source: Some(Box::new(source)),
        }
    }

    /// The name is neither a DNS name nor an IP address.
    #[must_use]
    pub const fn is_invalid_name(&self) -> bool {
        matches!(self.kind, Kind::InvalidName(_))
    }

    /// PEM or DER input could not be read as a certificate or key.
    #[must_use]
    pub const fn is_parse(&self) -> bool {
        matches!(self.kind, Kind::Parse(_))
    }

    /// Reading or writing a file failed.
    #[must_use]
    pub const fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io(..))
    }
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::InvalidName(name) => {
                write!(f, "{name:?} is neither a DNS name nor an IP address")?;
            }
            Kind::Generate(what) | Kind::Parse(what) => f.write_str(what)?,
            Kind::Io(what, path) => write!(f, "{what} {}", path.display())?,
        }
        Ok(())
    }
}

impl std::error::Error for CertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_predicates() {
        let err = CertError::invalid_name("bad name");
        assert!(err.is_invalid_name());
        assert_eq!(
            err.to_string(),
            "\"bad name\" is neither a DNS name nor an IP address"
        );

        let err = CertError::io(
            "write CA key",
            "/x/ca.key",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert!(err.is_io() && !err.is_parse());
        assert_eq!(err.to_string(), "write CA key /x/ca.key");
        assert!(std::error::Error::source(&err).is_some());
        // the chain is printed by whoever prints the whole chain (OpaqueError's `{:#}`)
        let opaque = rama_core::error::OpaqueError::from_boxed(Box::new(err));
        assert_eq!(
            format!("{opaque:#}"),
            "write CA key /x/ca.key: permission denied"
        );
    }
}
