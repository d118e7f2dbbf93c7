//! [`MapOutputLayer`]: transform the inner service's successful output.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::MapOutputLayer;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let count = service_fn(async |s: &'static str| Ok::<_, Infallible>(s.len()));
//! let svc = MapOutputLayer::new(|n: usize| format!("{n} bytes")).into_layer(count);
//! assert_eq!(svc.serve("rama").await.unwrap(), "4 bytes");
//! # }
//! ```

use super::Layer;
use crate::Service;
use crate::future::MapFuture;
use std::fmt;

/// A [`Layer`] that produces [`MapOutput`] services.
#[derive(Clone, Copy)]
pub struct MapOutputLayer<F> {
    f: F,
}

impl<F> MapOutputLayer<F> {
    /// Map every successful output with `f`.
    #[must_use]
    pub const fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> fmt::Debug for MapOutputLayer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapOutputLayer")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F: Clone> Layer<S> for MapOutputLayer<F> {
    type Service = MapOutput<S, F>;

    fn layer(&self, inner: S) -> MapOutput<S, F> {
        MapOutput::new(inner, self.f.clone())
    }

    fn into_layer(self, inner: S) -> MapOutput<S, F> {
        MapOutput::new(inner, self.f)
    }
}

/// A service that maps the successful output of its inner service with a function.
#[derive(Clone)]
pub struct MapOutput<S, F> {
    inner: S,
    f: F,
}

impl<S, F> MapOutput<S, F> {
    /// Wrap `inner`, mapping each successful output with `f`.
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

impl<S: fmt::Debug, F> fmt::Debug for MapOutput<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapOutput")
            .field("inner", &self.inner)
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<S, F, Input, Mapped> Service<Input> for MapOutput<S, F>
where
    S: Service<Input>,
    F: Fn(S::Output) -> Mapped + Send + Sync + 'static,
    Mapped: Send + 'static,
{
    type Output = Mapped;
    type Error = S::Error;

    fn serve(&self, input: Input) -> impl Future<Output = Result<Mapped, S::Error>> + Send {
        MapFuture::new(self.inner.serve(input), |result: Result<_, _>| {
            result.map(&self.f)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;

    #[tokio::test]
    async fn only_successes_are_mapped() {
        let inner = service_fn(async |x: i32| if x >= 0 { Ok(x) } else { Err("negative") });
        let svc = MapOutputLayer::new(|x: i32| x.to_string()).into_layer(inner);
        assert_eq!(svc.serve(7).await, Ok("7".to_owned()));
        assert_eq!(svc.serve(-7).await, Err("negative"));
    }
}
