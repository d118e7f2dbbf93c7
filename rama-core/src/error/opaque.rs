//! [`OpaqueError`]: an error whose type does not matter, only its message and its causes.

use super::{BoxError, find_in_chain};
use std::{error::Error, fmt};

/// An error whose type is hidden. It keeps its chain of causes.
///
/// `Display` prints the outermost message; the alternate form (`{:#}`) prints the whole
/// chain separated by `": "`, which is what a command-line tool should show a person.
pub struct OpaqueError {
    inner: Repr,
}

enum Repr {
    /// Wraps another error as it is.
    Boxed(BoxError),
    /// A message that adds context to an optional cause.
    Context {
        message: Box<dyn fmt::Display + Send + Sync>,
        source: Option<BoxError>,
    },
}

impl OpaqueError {
    /// An error that is only a message.
    pub fn from_display(message: impl fmt::Display + Send + Sync + 'static) -> Self {
        Self {
            inner: Repr::Context {
                message: Box::new(message),
                source: None,
            },
        }
    }

    /// Wrap any error.
    pub fn from_std(err: impl Error + Send + Sync + 'static) -> Self {
        Self::from_boxed(Box::new(err))
    }

    /// Wrap a boxed error; an [`OpaqueError`] inside it is unwrapped rather than nested.
    #[must_use]
    pub fn from_boxed(err: BoxError) -> Self {
        match err.downcast::<Self>() {
            Ok(opaque) => *opaque,
            Err(err) => Self {
                inner: Repr::Boxed(err),
            },
        }
    }

    /// Add a message saying what was being done, keeping `self` as the cause.
    #[must_use]
    pub fn context(self, message: impl fmt::Display + Send + Sync + 'static) -> Self {
        Self {
            inner: Repr::Context {
                message: Box::new(message),
                source: Some(Box::new(self)),
            },
        }
    }

    /// The first error of type `T` in this error's chain (this error included).
    #[must_use]
    pub fn find<T: Error + 'static>(&self) -> Option<&T> {
        find_in_chain(self)
    }

    /// Whether this error's chain holds a `T`.
    #[must_use]
    pub fn has<T: Error + 'static>(&self) -> bool {
        self.find::<T>().is_some()
    }

    /// The error this one wraps as-is (not as a cause), if any.
    pub(super) fn wrapped(&self) -> Option<&(dyn Error + 'static)> {
        match &self.inner {
            Repr::Boxed(err) => Some(&**err),
            Repr::Context { .. } => None,
        }
    }

    /// Turn into a [`BoxError`].
    #[must_use]
    pub fn into_boxed(self) -> BoxError {
        Box::new(self)
    }
}

impl fmt::Display for OpaqueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Repr::Boxed(err) => {
                if f.alternate() {
                    write!(f, "{err:#}")?;
                    // a foreign error does not print its own chain; do it for it
                    let mut cause = err.source();
                    while let Some(c) = cause {
                        write!(f, ": {c}")?;
                        cause = c.source();
                    }
                    Ok(())
                } else {
                    write!(f, "{err}")
                }
            }
            Repr::Context { message, source } => {
                write!(f, "{message}")?;
                if f.alternate()
                    && let Some(source) = source
                {
                    match source.downcast_ref::<Self>() {
                        Some(opaque) => write!(f, ": {opaque:#}")?,
                        None => {
                            write!(f, ": {source}")?;
                            let mut cause = source.source();
                            while let Some(c) = cause {
                                write!(f, ": {c}")?;
                                cause = c.source();
                            }
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for OpaqueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpaqueError({self:#})")
    }
}

impl Error for OpaqueError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.inner {
            Repr::Boxed(err) => err.source(),
            Repr::Context { source, .. } => source.as_deref().map(|e| e as &(dyn Error + 'static)),
        }
    }
}

impl From<BoxError> for OpaqueError {
    fn from(err: BoxError) -> Self {
        Self::from_boxed(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn chain_is_printed_in_alternate_form_only() {
        let io = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let err = OpaqueError::from_std(io)
            .context("connect to 127.0.0.1:1")
            .context("forward to upstream");
        assert_eq!(err.to_string(), "forward to upstream");
        assert_eq!(
            format!("{err:#}"),
            "forward to upstream: connect to 127.0.0.1:1: connection refused"
        );
        assert_eq!(
            err.find::<io::Error>().map(io::Error::kind),
            Some(io::ErrorKind::ConnectionRefused)
        );
    }

    #[test]
    fn boxing_an_opaque_error_does_not_nest_it() {
        let err = OpaqueError::from_display("x").into_boxed();
        let again = OpaqueError::from_boxed(err);
        assert_eq!(format!("{again:#}"), "x");
        assert!(again.source().is_none());
    }
}
