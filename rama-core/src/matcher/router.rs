//! [`MatcherRouter`]: an ordered list of (matcher, service) routes and a fallback.

use super::Matcher;
use crate::{Service, service::BoxService};
use std::fmt;

/// A service that serves each input with the first route whose matcher accepts it, or with
/// the fallback when none does.
///
/// Routes are tried in the order they were added. Services are boxed
/// ([`BoxService`]), so routes of different types share one router: this is a boundary
/// where erasing types pays off (see [`Service::boxed`]).
///
/// ```
/// use rama_core::{Service, service_fn};
/// use rama_core::matcher::MatcherRouter;
/// use std::convert::Infallible;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let router = MatcherRouter::new(service_fn(async |_: u32| Ok::<_, Infallible>("other")))
///     .route(|n: &u32| *n == 0, service_fn(async |_: u32| Ok::<_, Infallible>("zero")))
///     .route(|n: &u32| n.is_multiple_of(2), service_fn(async |_: u32| Ok::<_, Infallible>("even")));
/// assert_eq!(router.serve(0).await.unwrap(), "zero");
/// assert_eq!(router.serve(4).await.unwrap(), "even");
/// assert_eq!(router.serve(5).await.unwrap(), "other");
/// # }
/// ```
pub struct MatcherRouter<Input, Output, Error> {
    routes: Vec<Route<Input, Output, Error>>,
    fallback: BoxService<Input, Output, Error>,
}

/// One entry of a [`MatcherRouter`].
struct Route<Input, Output, Error> {
    matcher: Box<dyn Matcher<Input>>,
    service: BoxService<Input, Output, Error>,
}

impl<Input, Output, Error> MatcherRouter<Input, Output, Error>
where
    Input: Send + 'static,
    Output: Send + 'static,
    Error: Send + 'static,
{
    /// A router without routes: every input goes to `fallback`.
    pub fn new<S>(fallback: S) -> Self
    where
        S: Service<Input, Output = Output, Error = Error>,
    {
        Self {
            routes: Vec::new(),
            fallback: fallback.boxed(),
        }
    }

    /// Add a route, tried after the ones already added.
    #[must_use]
    pub fn route<M, S>(mut self, matcher: M, service: S) -> Self
    where
        M: Matcher<Input>,
        S: Service<Input, Output = Output, Error = Error>,
    {
        self.routes.push(Route {
            matcher: Box::new(matcher),
            service: service.boxed(),
        });
        self
    }

    /// How many routes there are (the fallback not counted).
    #[must_use]
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are no routes besides the fallback.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

impl<Input, Output, Error> fmt::Debug for MatcherRouter<Input, Output, Error> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatcherRouter")
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

impl<Input, Output, Error> Service<Input> for MatcherRouter<Input, Output, Error>
where
    Input: Send + 'static,
    Output: Send + 'static,
    Error: Send + 'static,
{
    type Output = Output;
    type Error = Error;

    fn serve(&self, input: Input) -> impl Future<Output = Result<Output, Error>> + Send {
        let service = self
            .routes
            .iter()
            .find(|route| route.matcher.matches(&input))
            .map_or(&self.fallback, |route| &route.service);
        service.serve(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{matcher::MatcherExt, service_fn};

    fn answer(tag: &'static str) -> impl Service<u32, Output = String, Error = String> {
        service_fn(move |n: u32| async move {
            if n == 13 {
                Err(format!("{tag}: unlucky"))
            } else {
                Ok(format!("{tag}:{n}"))
            }
        })
    }

    #[tokio::test]
    async fn first_matching_route_wins_then_fallback() {
        let router = MatcherRouter::new(answer("fallback"))
            .route(|n: &u32| *n < 10, answer("small"))
            .route(
                (|n: &u32| *n < 100).and(|n: &u32| n.is_multiple_of(2)),
                answer("even"),
            )
            .route(|n: &u32| *n < 5, answer("never, shadowed by small"));
        assert_eq!(router.len(), 3);

        let cases = [
            (3, Ok("small:3")),
            (12, Ok("even:12")),
            (13, Err("fallback: unlucky")),
            (101, Ok("fallback:101")),
        ];
        for (input, want) in cases {
            let got = router.serve(input).await;
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                want,
                "input {input}"
            );
        }
    }

    #[tokio::test]
    async fn empty_router_uses_the_fallback() {
        let router = MatcherRouter::new(answer("fallback"));
        assert!(router.is_empty());
        assert_eq!(router.serve(1).await.unwrap(), "fallback:1");
    }
}
