//! The [`Layer`] trait and the generic middleware built on it.
//!
//! A layer wraps a service into another service. Layers compose as tuples, first element
//! outermost: `(TraceErrLayer::new(), TimeoutLayer::new(d)).into_layer(svc)`. An
//! `Option<L>` is a layer that may be absent, and `()` is the identity layer.

mod layer_fn;
mod limit_policy;
mod tuple;

pub mod add_extension;
pub mod concurrency_limit;
pub mod connection_limit;
pub mod consume_err;
pub mod hijack;
pub mod map_err;
pub mod map_input;
pub mod map_output;
pub mod rate_limit;
pub mod retry;
pub mod timeout;
pub mod trace_err;

pub use add_extension::{AddExtension, AddExtensionLayer};
pub use concurrency_limit::{ConcurrencyLimit, ConcurrencyLimitLayer, LimitReached};
pub use connection_limit::{ConnectionLimit, ConnectionLimitLayer, ConnectionPermit};
pub use consume_err::{ConsumeErr, ConsumeErrLayer};
pub use hijack::{Hijack, HijackLayer};
pub use layer_fn::{LayerFn, layer_fn};
pub use limit_policy::LimitPolicy;
pub use map_err::{MapErr, MapErrLayer};
pub use map_input::{MapInput, MapInputLayer};
pub use map_output::{MapOutput, MapOutputLayer};
pub use rate_limit::{RateLimit, RateLimitLayer, RateLimited};
pub use retry::{Retry, RetryLayer};
pub use timeout::{Elapsed, Timeout, TimeoutLayer};
pub use trace_err::{TraceErr, TraceErrLayer};

use crate::service::Either;

/// Wraps a service `S` into a new service.
///
/// ```
/// use rama_core::{Layer, Service, service_fn};
/// use std::convert::Infallible;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let times_ten = service_fn(async |x: u32| Ok::<_, Infallible>(x * 10));
/// // `()` is the identity layer, `Option<L>` an optional one; tuples nest, first outermost
/// let svc = ((), None::<()>).into_layer(times_ten);
/// assert_eq!(svc.serve(4).await.unwrap(), 40);
/// # }
/// ```
pub trait Layer<S> {
    /// The service this layer produces.
    type Service;

    /// Wrap `inner`, keeping this layer (it can wrap more services).
    fn layer(&self, inner: S) -> Self::Service;

    /// Wrap `inner`, consuming this layer: avoids a clone of the layer's configuration.
    fn into_layer(self, inner: S) -> Self::Service
    where
        Self: Sized,
    {
        self.layer(inner)
    }
}

/// The identity layer: `().into_layer(svc)` is `svc`.
impl<S> Layer<S> for () {
    type Service = S;

    fn layer(&self, inner: S) -> S {
        inner
    }
}

/// An optional layer: `Some(l)` wraps with `l`, `None` leaves the service as it is.
impl<S, L> Layer<S> for Option<L>
where
    L: Layer<S>,
{
    type Service = Either<L::Service, S>;

    fn layer(&self, inner: S) -> Self::Service {
        match self {
            Some(layer) => Either::A(layer.layer(inner)),
            None => Either::B(inner),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        match self {
            Some(layer) => Either::A(layer.into_layer(inner)),
            None => Either::B(inner),
        }
    }
}

impl<S, L> Layer<S> for &L
where
    L: Layer<S>,
{
    type Service = L::Service;

    fn layer(&self, inner: S) -> Self::Service {
        (**self).layer(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Service, service_fn};
    use std::convert::Infallible;

    /// A layer that appends its tag to the output, so nesting order is visible.
    #[derive(Clone)]
    struct Tag(&'static str);

    struct Tagged<S> {
        inner: S,
        tag: &'static str,
    }

    impl<S> Layer<S> for Tag {
        type Service = Tagged<S>;
        fn layer(&self, inner: S) -> Tagged<S> {
            Tagged { inner, tag: self.0 }
        }
    }

    impl<S> Service<String> for Tagged<S>
    where
        S: Service<String, Output = String, Error = Infallible>,
    {
        type Output = String;
        type Error = Infallible;
        async fn serve(&self, input: String) -> Result<String, Infallible> {
            let out = self.inner.serve(format!("{input}>{}", self.tag)).await?;
            Ok(format!("{out}<{}", self.tag))
        }
    }

    fn echo() -> impl Service<String, Output = String, Error = Infallible> {
        service_fn(async |s: String| Ok::<_, Infallible>(format!("{s}|")))
    }

    #[tokio::test]
    async fn tuple_layers_nest_first_outermost() {
        let svc = (Tag("a"), Tag("b"), Tag("c")).into_layer(echo());
        assert_eq!(svc.serve(String::new()).await.unwrap(), ">a>b>c|<c<b<a");
        let svc = (Tag("a"), Tag("b"), Tag("c")).layer(echo());
        assert_eq!(svc.serve(String::new()).await.unwrap(), ">a>b>c|<c<b<a");
    }

    #[tokio::test]
    async fn twelve_layers_compose() {
        let t = Tag("x");
        let layers = (
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t.clone(),
            t,
        );
        let out = layers
            .into_layer(echo())
            .serve(String::new())
            .await
            .unwrap();
        assert_eq!(out.matches('x').count(), 24);
    }

    #[tokio::test]
    async fn option_and_unit_layers() {
        let on = Some(Tag("on")).into_layer(echo());
        let off = None::<Tag>.into_layer(echo());
        assert_eq!(on.serve(String::new()).await.unwrap(), ">on|<on");
        assert_eq!(off.serve(String::new()).await.unwrap(), "|");
        assert_eq!(().into_layer(echo()).serve("z".into()).await.unwrap(), "z|");
    }
}
