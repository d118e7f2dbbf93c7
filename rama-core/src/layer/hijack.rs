//! [`HijackLayer`]: divert the inputs a [`Matcher`] accepts to another service.
//!
//! Inputs the matcher accepts are served by the hijacking service; all others go to the inner
//! service. Both must produce the same output and error types (wrap one in
//! [`MapOutputLayer`](super::MapOutputLayer) or [`MapErrLayer`](super::MapErrLayer) to line
//! them up). Typical use: answer a health check or an admin path before the real stack.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::HijackLayer;
//! use std::convert::Infallible;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = service_fn(async |path: &'static str| Ok::<_, Infallible>(format!("app {path}")));
//! let health = service_fn(async |_: &'static str| Ok::<_, Infallible>("ok".to_owned()));
//! let svc = HijackLayer::new(|path: &&str| *path == "/health", health).into_layer(app);
//! assert_eq!(svc.serve("/health").await.unwrap(), "ok");
//! assert_eq!(svc.serve("/users").await.unwrap(), "app /users");
//! # }
//! ```

use super::Layer;
use crate::{Service, matcher::Matcher};

/// A [`Layer`] that produces [`Hijack`] services.
#[derive(Debug, Clone)]
pub struct HijackLayer<M, H> {
    matcher: M,
    hijacker: H,
}

impl<M, H> HijackLayer<M, H> {
    /// Serve inputs that `matcher` accepts with `hijacker`.
    #[must_use]
    pub const fn new(matcher: M, hijacker: H) -> Self {
        Self { matcher, hijacker }
    }
}

impl<S, M: Clone, H: Clone> Layer<S> for HijackLayer<M, H> {
    type Service = Hijack<S, M, H>;

    fn layer(&self, inner: S) -> Hijack<S, M, H> {
        Hijack::new(inner, self.matcher.clone(), self.hijacker.clone())
    }

    fn into_layer(self, inner: S) -> Hijack<S, M, H> {
        Hijack::new(inner, self.matcher, self.hijacker)
    }
}

/// A service that serves matching inputs with a hijacking service and the rest with its
/// inner service.
#[derive(Debug, Clone)]
pub struct Hijack<S, M, H> {
    inner: S,
    matcher: M,
    hijacker: H,
}

impl<S, M, H> Hijack<S, M, H> {
    /// Wrap `inner`, serving inputs that `matcher` accepts with `hijacker`.
    pub const fn new(inner: S, matcher: M, hijacker: H) -> Self {
        Self {
            inner,
            matcher,
            hijacker,
        }
    }

    /// The matcher that picks the inputs to divert.
    pub const fn matcher(&self) -> &M {
        &self.matcher
    }

    /// The service diverted inputs go to.
    pub const fn hijacker(&self) -> &H {
        &self.hijacker
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

impl<S, M, H, Input> Service<Input> for Hijack<S, M, H>
where
    S: Service<Input>,
    H: Service<Input, Output = S::Output, Error = S::Error>,
    M: Matcher<Input>,
    Input: Send,
{
    type Output = S::Output;
    type Error = S::Error;

    async fn serve(&self, input: Input) -> Result<S::Output, S::Error> {
        if self.matcher.matches(&input) {
            self.hijacker.serve(input).await
        } else {
            self.inner.serve(input).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        extensions::{Extensions, ExtensionsRef},
        service_fn,
    };
    use std::convert::Infallible;

    #[derive(Clone)]
    struct Internal;

    #[tokio::test]
    async fn matching_inputs_go_to_the_hijacker() {
        let inner = service_fn(async |_: Extensions| Ok::<_, Infallible>("inner"));
        let hijacker = service_fn(async |_: Extensions| Ok::<_, Infallible>("hijacked"));
        let svc = HijackLayer::new(
            |ext: &Extensions| ext.extensions().contains::<Internal>(),
            hijacker,
        )
        .into_layer(inner);

        assert_eq!(svc.serve(Extensions::new()).await.unwrap(), "inner");
        let mut ext = Extensions::new();
        ext.insert(Internal);
        assert_eq!(svc.serve(ext).await.unwrap(), "hijacked");
    }

    #[tokio::test]
    async fn constant_matchers() {
        let inner = service_fn(async |x: u8| Ok::<_, Infallible>(x));
        let hijacker = service_fn(async |_: u8| Ok::<_, Infallible>(0));
        let all = HijackLayer::new(true, hijacker).layer(inner);
        assert_eq!(all.serve(5).await.unwrap(), 0);
        let none = HijackLayer::new(false, hijacker).layer(inner);
        assert_eq!(none.serve(5).await.unwrap(), 5);
    }
}
