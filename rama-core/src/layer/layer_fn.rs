//! Turn a function into a [`Layer`].

use super::Layer;
use std::fmt;

/// Create a [`Layer`] from a function that wraps a service.
pub const fn layer_fn<F>(f: F) -> LayerFn<F> {
    LayerFn { f }
}

/// A [`Layer`] made from a function; see [`layer_fn`].
#[derive(Clone, Copy)]
pub struct LayerFn<F> {
    f: F,
}

impl<F> fmt::Debug for LayerFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayerFn")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<F, S, Out> Layer<S> for LayerFn<F>
where
    F: Fn(S) -> Out,
{
    type Service = Out;

    fn layer(&self, inner: S) -> Out {
        (self.f)(inner)
    }
}
