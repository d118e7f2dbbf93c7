//! [`BoxService`]: a type-erased, cheaply cloneable service.

use super::Service;
use std::{fmt, pin::Pin, sync::Arc};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Object-safe twin of [`Service`], implemented for every service.
trait DynService<Input: 'static>: Send + Sync + 'static {
    type Output;
    type Error;

    fn serve_boxed(&self, input: Input) -> BoxFuture<'_, Result<Self::Output, Self::Error>>;
}

impl<S, Input> DynService<Input> for S
where
    S: Service<Input>,
    Input: 'static,
{
    type Output = S::Output;
    type Error = S::Error;

    fn serve_boxed(&self, input: Input) -> BoxFuture<'_, Result<Self::Output, Self::Error>> {
        Box::pin(self.serve(input))
    }
}

/// A type-erased [`Service`]. Cloning it clones an [`Arc`], not the service.
///
/// Use it at boundaries: a router holding services of different types, a listener whose
/// stack is chosen at run time. Each call allocates one boxed future.
pub struct BoxService<Input, Output, Error> {
    inner: Arc<dyn DynService<Input, Output = Output, Error = Error>>,
}

impl<Input, Output, Error> BoxService<Input, Output, Error>
where
    Input: Send + 'static,
    Output: Send + 'static,
    Error: Send + 'static,
{
    /// Erase the type of `service`.
    pub fn new<S>(service: S) -> Self
    where
        S: Service<Input, Output = Output, Error = Error>,
    {
        Self {
            inner: Arc::new(service),
        }
    }
}

impl<Input, Output, Error> Clone for BoxService<Input, Output, Error> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<Input, Output, Error> fmt::Debug for BoxService<Input, Output, Error> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxService").finish_non_exhaustive()
    }
}

impl<Input, Output, Error> Service<Input> for BoxService<Input, Output, Error>
where
    Input: Send + 'static,
    Output: Send + 'static,
    Error: Send + 'static,
{
    type Output = Output;
    type Error = Error;

    #[inline]
    fn serve(&self, input: Input) -> impl Future<Output = Result<Output, Error>> + Send {
        self.inner.serve_boxed(input)
    }

    fn boxed(self) -> BoxService<Input, Output, Error> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn boxed_services_of_different_types_share_one_type() {
        let a = service_fn(async |x: u8| Ok::<_, Infallible>(u16::from(x) + 1)).boxed();
        let b = service_fn(async |x: u8| Ok::<_, Infallible>(u16::from(x) * 2)).boxed();
        let all: Vec<BoxService<u8, u16, Infallible>> = vec![a.clone(), b];
        let mut out = Vec::new();
        for svc in &all {
            out.push(svc.serve(10).await.unwrap());
        }
        assert_eq!(out, [11, 20]);
        assert_eq!(a.serve(1).await.unwrap(), 2);
    }
}
