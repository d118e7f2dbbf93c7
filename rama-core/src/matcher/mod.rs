//! Matchers: predicates over an input, used to pick a service for it.
//!
//! A [`Matcher`] looks at an input and says yes or no. Closures are matchers, `bool` is the
//! constant matcher, `Option<M>` is an optional condition (`None` matches everything), and
//! [`MatcherExt`] combines them with [`and`](MatcherExt::and), [`or`](MatcherExt::or) and
//! [`not`](MatcherExt::not). [`HijackLayer`](crate::layer::HijackLayer) diverts matching
//! inputs to another service; a [`MatcherRouter`] tries an ordered list of routes.
//!
//! # Why `matches(&self, &Input)`
//!
//! A matcher only reads. What it needs to know about a connection or request travels with the
//! input in its [`Extensions`](crate::extensions::Extensions), reachable through
//! [`ExtensionsRef`](crate::extensions::ExtensionsRef) on the input, so no separate
//! extensions argument is needed. And because matchers cannot write, `a.or(b)` never leaves
//! behind what a failed `a` half-recorded: the service chosen gets the input by value and
//! records what it learns there.
//!
//! ```
//! use rama_core::matcher::{Matcher, MatcherExt};
//!
//! let small = |n: &u32| *n < 10;
//! let even = |n: &u32| n % 2 == 0;
//! let m = small.and(even.not()).or(|n: &u32| *n == 100);
//! assert!(m.matches(&3));
//! assert!(!m.matches(&4));
//! assert!(!m.matches(&11));
//! assert!(m.matches(&100));
//! ```

mod ops;
mod router;

pub use ops::{And, Not, Or};
pub use router::MatcherRouter;

use std::sync::Arc;

/// A predicate over an input.
pub trait Matcher<Input>: Send + Sync + 'static {
    /// Whether `input` matches.
    fn matches(&self, input: &Input) -> bool;
}

/// Every closure `Fn(&Input) -> bool` is a matcher.
impl<Input, F> Matcher<Input> for F
where
    F: Fn(&Input) -> bool + Send + Sync + 'static,
{
    #[inline]
    fn matches(&self, input: &Input) -> bool {
        self(input)
    }
}

/// `true` matches every input, `false` none.
impl<Input> Matcher<Input> for bool {
    #[inline]
    fn matches(&self, _input: &Input) -> bool {
        *self
    }
}

/// An optional condition: `Some(m)` matches what `m` matches, `None` matches every input
/// (there is no condition to fail).
impl<Input, M> Matcher<Input> for Option<M>
where
    M: Matcher<Input>,
{
    #[inline]
    fn matches(&self, input: &Input) -> bool {
        self.as_ref().is_none_or(|m| m.matches(input))
    }
}

impl<Input, M> Matcher<Input> for Arc<M>
where
    M: Matcher<Input> + ?Sized,
{
    #[inline]
    fn matches(&self, input: &Input) -> bool {
        (**self).matches(input)
    }
}

/// Combinators for every [`Matcher`].
pub trait MatcherExt<Input>: Matcher<Input> + Sized {
    /// Matches when both `self` and `other` match; `other` is not asked if `self` fails.
    fn and<M: Matcher<Input>>(self, other: M) -> And<Self, M> {
        And::new(self, other)
    }

    /// Matches when `self` or `other` matches; `other` is not asked if `self` matches.
    fn or<M: Matcher<Input>>(self, other: M) -> Or<Self, M> {
        Or::new(self, other)
    }

    /// Matches when `self` does not.
    fn not(self) -> Not<Self> {
        Not::new(self)
    }
}

impl<Input, M: Matcher<Input>> MatcherExt<Input> for M {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::{Extensions, ExtensionsRef};

    #[test]
    fn constants_options_and_closures() {
        let cases: &[(&dyn Matcher<u8>, u8, bool)] = &[
            (&true, 1, true),
            (&false, 1, false),
            (&None::<bool>, 1, true),
            (&Some(false), 1, false),
            (&Some(|n: &u8| *n == 1), 1, true),
            (&Some(|n: &u8| *n == 1), 2, false),
            (&Arc::new(|n: &u8| *n > 1), 2, true),
        ];
        for (i, (m, input, want)) in cases.iter().enumerate() {
            assert_eq!(m.matches(input), *want, "case {i}");
        }
    }

    #[test]
    fn combinators_follow_boolean_logic() {
        let t = |_: &u8| true;
        let f = |_: &u8| false;
        for (a, b) in [(true, true), (true, false), (false, true), (false, false)] {
            let ma = if a { t } else { f };
            let mb = if b { t } else { f };
            assert_eq!(ma.and(mb).matches(&0), a && b);
            assert_eq!(ma.or(mb).matches(&0), a || b);
            assert_eq!(ma.not().matches(&0), !a);
        }
    }

    #[test]
    fn and_or_short_circuit() {
        let boom = |_: &u8| -> bool { unreachable!("must not be asked") };
        assert!(!false.and(boom).matches(&0));
        assert!(true.or(boom).matches(&0));
    }

    #[test]
    fn matchers_read_the_input_extensions() {
        #[derive(Clone)]
        struct Admin;
        let admin = |ext: &Extensions| ext.extensions().contains::<Admin>();
        let mut ext = Extensions::new();
        assert!(!admin.matches(&ext));
        ext.insert(Admin);
        assert!(admin.matches(&ext));
    }
}
