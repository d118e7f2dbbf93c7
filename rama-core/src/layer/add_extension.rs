//! [`AddExtensionLayer`]: insert a clone of a value into each input's
//! [`Extensions`](crate::extensions::Extensions).
//!
//! The way to hand shared state (a database pool, a configuration) to the services below
//! without threading it through every constructor: they read it back with
//! [`ExtensionsRef::extensions`]. A value of the same type already present is replaced.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::extensions::{Extensions, ExtensionsRef};
//! use rama_core::layer::AddExtensionLayer;
//! use std::convert::Infallible;
//!
//! #[derive(Clone)]
//! struct Greeting(&'static str);
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let greet = service_fn(async |ext: Extensions| {
//!     Ok::<_, Infallible>(ext.get::<Greeting>().map(|g| g.0))
//! });
//! let svc = AddExtensionLayer::new(Greeting("hello")).into_layer(greet);
//! assert_eq!(svc.serve(Extensions::new()).await.unwrap(), Some("hello"));
//! # }
//! ```

use super::Layer;
use crate::{Service, extensions::ExtensionsMut};

#[cfg(doc)]
use crate::extensions::ExtensionsRef;

/// A [`Layer`] that produces [`AddExtension`] services.
#[derive(Debug, Clone)]
pub struct AddExtensionLayer<T> {
    value: T,
}

impl<T> AddExtensionLayer<T> {
    /// Insert a clone of `value` into every input.
    #[must_use]
    pub const fn new(value: T) -> Self {
        Self { value }
    }
}

impl<S, T: Clone> Layer<S> for AddExtensionLayer<T> {
    type Service = AddExtension<S, T>;

    fn layer(&self, inner: S) -> AddExtension<S, T> {
        AddExtension::new(inner, self.value.clone())
    }

    fn into_layer(self, inner: S) -> AddExtension<S, T> {
        AddExtension::new(inner, self.value)
    }
}

/// A service that inserts a clone of a value into each input's extensions.
#[derive(Debug, Clone)]
pub struct AddExtension<S, T> {
    inner: S,
    value: T,
}

impl<S, T> AddExtension<S, T> {
    /// Wrap `inner`, inserting a clone of `value` into every input.
    pub const fn new(inner: S, value: T) -> Self {
        Self { inner, value }
    }

    /// The value inserted.
    pub const fn value(&self) -> &T {
        &self.value
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

impl<S, T, Input> Service<Input> for AddExtension<S, T>
where
    S: Service<Input>,
    T: Clone + Send + Sync + 'static,
    Input: ExtensionsMut,
{
    type Output = S::Output;
    type Error = S::Error;

    fn serve(&self, mut input: Input) -> impl Future<Output = Result<S::Output, S::Error>> + Send {
        input.extensions_mut().insert(self.value.clone());
        self.inner.serve(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{extensions::Extensions, service_fn};
    use std::convert::Infallible;

    #[derive(Clone, Debug, PartialEq)]
    struct Tag(u8);

    #[tokio::test]
    async fn value_is_inserted_and_replaces_an_older_one() {
        let read =
            service_fn(async |ext: Extensions| Ok::<_, Infallible>(ext.get::<Tag>().cloned()));
        let svc = AddExtensionLayer::new(Tag(2)).layer(read);

        assert_eq!(svc.serve(Extensions::new()).await.unwrap(), Some(Tag(2)));
        let mut ext = Extensions::new();
        ext.insert(Tag(1));
        ext.insert("kept");
        assert_eq!(svc.serve(ext).await.unwrap(), Some(Tag(2)));
        assert_eq!(svc.value(), &Tag(2));
    }
}
