//! Turn an async function into a [`Service`].

use super::Service;
use std::fmt;

/// Create a [`Service`] from an async function (or a closure returning a future).
///
/// ```
/// use rama_core::{Service, service_fn};
/// use std::convert::Infallible;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let svc = service_fn(async |name: &'static str| Ok::<_, Infallible>(format!("hello {name}")));
/// assert_eq!(svc.serve("rama").await.unwrap(), "hello rama");
/// # }
/// ```
pub const fn service_fn<F>(f: F) -> ServiceFn<F> {
    ServiceFn { f }
}

/// A [`Service`] made from a function; see [`service_fn`].
#[derive(Clone, Copy)]
pub struct ServiceFn<F> {
    f: F,
}

impl<F> fmt::Debug for ServiceFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceFn")
            .field("f", &std::any::type_name::<F>())
            .finish()
    }
}

impl<F, Fut, Input, Output, Error> Service<Input> for ServiceFn<F>
where
    F: Fn(Input) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Output, Error>> + Send,
    Output: Send + 'static,
    Error: Send + 'static,
{
    type Output = Output;
    type Error = Error;

    #[inline]
    fn serve(&self, input: Input) -> impl Future<Output = Result<Output, Error>> + Send {
        (self.f)(input)
    }
}
