//! The [`Service`] trait and the ways to build, share and erase services.
//!
//! A service turns an input (a stream, a request, ...) into an output, asynchronously.
//! It is called through a shared reference, so one service value serves every connection;
//! state that must change lives behind interior mutability chosen by the service itself.

mod boxed;
mod either;
mod service_fn;

pub use boxed::BoxService;
pub use either::{Either, Either3, Either4, Either5, Either6};
pub use service_fn::{ServiceFn, service_fn};

use std::sync::Arc;

/// An asynchronous function from `Input` to `Result<Output, Error>`.
///
/// Unlike tower's `Service` there is no `poll_ready` and no `&mut self`: a service is
/// shared by reference across tasks (`Send + Sync + 'static`), and back-pressure is the job
/// of limit layers such as
/// [`ConcurrencyLimitLayer`](crate::layer::ConcurrencyLimitLayer).
///
/// State that belongs to one input travels *with* the input in its
/// [`Extensions`](crate::extensions::Extensions); state that belongs to the service lives in
/// the service value.
///
/// # Example
///
/// ```
/// use rama_core::Service;
/// use std::convert::Infallible;
///
/// struct Double;
///
/// impl Service<u64> for Double {
///     type Output = u64;
///     type Error = Infallible;
///
///     async fn serve(&self, input: u64) -> Result<u64, Infallible> {
///         Ok(input * 2)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(Double.serve(21).await, Ok(42));
/// # }
/// ```
pub trait Service<Input>: Send + Sync + 'static {
    /// What a successful call produces.
    type Output: Send + 'static;
    /// What a failed call produces.
    type Error: Send + 'static;

    /// Serve one input.
    fn serve(&self, input: Input)
    -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// Erase the type of this service, so it can be stored next to services of other types.
    ///
    /// Box only at boundaries (routers, listeners): inside a stack keep the static types.
    fn boxed(self) -> BoxService<Input, Self::Output, Self::Error>
    where
        Self: Sized,
        Input: Send + 'static,
    {
        BoxService::new(self)
    }
}

impl<S, Input> Service<Input> for Arc<S>
where
    S: Service<Input>,
{
    type Output = S::Output;
    type Error = S::Error;

    #[inline]
    fn serve(
        &self,
        input: Input,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send {
        self.as_ref().serve(input)
    }
}

impl<S, Input> Service<Input> for Box<S>
where
    S: Service<Input>,
{
    type Output = S::Output;
    type Error = S::Error;

    #[inline]
    fn serve(
        &self,
        input: Input,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send {
        self.as_ref().serve(input)
    }
}

impl<S, Input> Service<Input> for &'static S
where
    S: Service<Input>,
{
    type Output = S::Output;
    type Error = S::Error;

    #[inline]
    fn serve(
        &self,
        input: Input,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send {
        (**self).serve(input)
    }
}
