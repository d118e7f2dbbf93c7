//! [`ErrorContext`]: `.context("what was being done")` on `Result` and `Option`.

use super::{BoxError, OpaqueError};
use std::fmt;

/// Adds a message saying what was being done to the error of a `Result`, or turns a `None`
/// into an error with that message.
pub trait ErrorContext<T>: Sized {
    /// Add `message` as context.
    fn context(self, message: impl fmt::Display + Send + Sync + 'static) -> Result<T, OpaqueError>;

    /// Add the message made by `f` as context; `f` only runs on the error path.
    fn with_context<M, F>(self, f: F) -> Result<T, OpaqueError>
    where
        M: fmt::Display + Send + Sync + 'static,
        F: FnOnce() -> M;
}

impl<T, E> ErrorContext<T> for Result<T, E>
where
    E: Into<BoxError>,
{
    fn context(self, message: impl fmt::Display + Send + Sync + 'static) -> Result<T, OpaqueError> {
        self.map_err(|err| OpaqueError::from_boxed(err.into()).context(message))
    }

    fn with_context<M, F>(self, f: F) -> Result<T, OpaqueError>
    where
        M: fmt::Display + Send + Sync + 'static,
        F: FnOnce() -> M,
    {
        self.map_err(|err| OpaqueError::from_boxed(err.into()).context(f()))
    }
}

impl<T> ErrorContext<T> for Option<T> {
    fn context(self, message: impl fmt::Display + Send + Sync + 'static) -> Result<T, OpaqueError> {
        self.ok_or_else(|| OpaqueError::from_display(message))
    }

    fn with_context<M, F>(self, f: F) -> Result<T, OpaqueError>
    where
        M: fmt::Display + Send + Sync + 'static,
        F: FnOnce() -> M,
    {
        self.ok_or_else(|| OpaqueError::from_display(f()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_and_result_context() {
        let none: Option<u8> = None;
        assert_eq!(none.context("no port").unwrap_err().to_string(), "no port");
        let err = "x"
            .parse::<u8>()
            .with_context(|| format!("parse {:?}", "x"))
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "parse \"x\": invalid digit found in string"
        );
        assert_eq!(Some(1).context("never").unwrap(), 1);
    }
}
