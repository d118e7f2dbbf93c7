//! [`MapInputLayer`]: transform the input before the inner service sees it.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::MapInputLayer;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let len = service_fn(async |s: String| Ok::<_, Infallible>(s.len()));
//! let svc = MapInputLayer::new(|n: u32| "x".repeat(n as usize)).into_layer(len);
//! assert_eq!(svc.serve(3).await.unwrap(), 3);
//! # }
//! ```

use super::Layer;
use crate::Service;
use std::fmt;

/// A [`Layer`] that produces [`MapInput`] services.
#[derive(Clone, Copy)]
pub struct MapInputLayer<F> {
    f: F,
}

impl<F> MapInputLayer<F> {
    /// Map every input with `f` before calling the inner service.
    #[must_use]
    pub const fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> fmt::Debug for MapInputLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapInputLayer")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F: Clone> Layer<S> for MapInputLayer<F> {
    type Service = MapInput<S, F>;

    fn layer(&self, inner: S) -> MapInput<S, F> {
        MapInput::new(inner, self.f.clone())
    }

    fn into_layer(self, inner: S) -> MapInput<S, F> {
        MapInput::new(inner, self.f)
    }
}

/// A service that maps its input with a function, then calls the inner service.
#[derive(Clone)]
pub struct MapInput<S, F> {
    inner: S,
    f: F,
}

impl<S, F> MapInput<S, F> {
    /// Wrap `inner`, mapping each input with `f`.
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

impl<S: fmt::Debug, F> fmt::Debug for MapInput<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapInput")
            .field("inner", &self.inner)
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F, Input, Mapped> Service<Input> for MapInput<S, F>
where
    S: Service<Mapped>,
    F: Fn(Input) -> Mapped + Send + Sync + 'static,
{
    type Output = S::Output;
    type Error = S::Error;

    #[inline]
    fn serve(&self, input: Input) -> impl Future<Output = Result<S::Output, S::Error>> + Send {
        self.inner.serve((self.f)(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn input_is_mapped_before_the_inner_call() {
        let inner = service_fn(async |x: i64| Ok::<_, Infallible>(x * 2));
        let layer = MapInputLayer::new(|s: &'static str| s.parse::<i64>().unwrap_or(-1));
        let svc = layer.layer(inner);
        assert_eq!(svc.serve("21").await.unwrap(), 42);
        assert_eq!(svc.serve("nope").await.unwrap(), -2);
    }
}
