//! Errors: [`BoxError`] at type-erased boundaries, [`OpaqueError`] when only the message and
//! the chain matter, and [`ErrorContext`] to say what was being done when an error happened.
//!
//! ```
//! use rama_core::error::{ErrorContext, OpaqueError};
//!
//! fn read_port(s: &str) -> Result<u16, OpaqueError> {
//!     s.parse::<u16>().context("parse port")
//! }
//!
//! let err = read_port("http").unwrap_err();
//! assert_eq!(err.to_string(), "parse port");
//! assert_eq!(format!("{err:#}"), "parse port: invalid digit found in string");
//! ```

mod context;
mod opaque;

pub use context::ErrorContext;
pub use opaque::OpaqueError;

/// A type-erased error: what erased boundaries (boxed services, routers) return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Walk `err` and its [`source`](std::error::Error::source) chain looking for a `T`.
pub fn find_in_chain<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        // an OpaqueError wrapping an error as-is is transparent: look inside it too
        if let Some(found) = e
            .downcast_ref::<OpaqueError>()
            .and_then(OpaqueError::wrapped)
            .and_then(|inner| inner.downcast_ref::<T>())
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}
