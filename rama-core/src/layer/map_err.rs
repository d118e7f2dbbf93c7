//! [`MapErrLayer`]: transform the inner service's error.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::error::OpaqueError;
//! use rama_core::layer::MapErrLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let parse = service_fn(async |s: &'static str| s.parse::<u16>());
//! let svc = MapErrLayer::new(|err| OpaqueError::from_std(err).context("parse port"))
//!     .into_layer(parse);
//! let err = svc.serve("http").await.unwrap_err();
//! assert_eq!(format!("{err:#}"), "parse port: invalid digit found in string");
//! # }
//! ```

use super::Layer;
use crate::Service;
use crate::future::MapFuture;
use std::fmt;

/// A [`Layer`] that produces [`MapErr`] services.
#[derive(Clone, Copy)]
pub struct MapErrLayer<F> {
    f: F,
}

impl<F> MapErrLayer<F> {
    /// Map every error with `f`.
    #[must_use]
    pub const fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> fmt::Debug for MapErrLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapErrLayer")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F: Clone> Layer<S> for MapErrLayer<F> {
    type Service = MapErr<S, F>;

    fn layer(&self, inner: S) -> MapErr<S, F> {
        MapErr::new(inner, self.f.clone())
    }

    fn into_layer(self, inner: S) -> MapErr<S, F> {
        MapErr::new(inner, self.f)
    }
}

/// A service that maps the error of its inner service with a function.
#[derive(Clone)]
pub struct MapErr<S, F> {
    inner: S,
    f: F,
}

impl<S, F> MapErr<S, F> {
    /// Wrap `inner`, mapping each error with `f`.
    pub const fn new(inner: S, f: F) -> Self {
        Self { inner, f }
    }

    /// The wrapped service.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwrap the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug, F> fmt::Debug for MapErr<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapErr")
            .field("inner", &self.inner)
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F, Input, Mapped> Service<Input> for MapErr<S, F>
where
    S: Service<Input>,
    F: Fn(S::Error) -> Mapped + Send + Sync + 'static,
    Mapped: Send + 'static,
{
    type Output = S::Output;
    type Error = Mapped;

    fn serve(&self, input: Input) -> impl Future<Output = Result<S::Output, Mapped>> + Send {
        MapFuture::new(self.inner.serve(input), |result: Result<_, _>| {
            result.map_err(&self.f)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;

    #[tokio::test]
    async fn only_errors_are_mapped() {
        let inner = service_fn(async |x: i32| if x >= 0 { Ok(x) } else { Err(x) });
        let svc = MapErrLayer::new(|x: i32| format!("bad input {x}")).into_layer(inner);
        assert_eq!(svc.serve(7).await, Ok(7));
        assert_eq!(svc.serve(-7).await, Err("bad input -7".to_owned()));
    }
}
