//! The [`And`], [`Or`] and [`Not`] combinators made by [`MatcherExt`](super::MatcherExt).

use super::Matcher;

/// Matches when both matchers match; see [`MatcherExt::and`](super::MatcherExt::and).
#[derive(Debug, Clone, Copy)]
pub struct And<A, B> {
    a: A,
    b: B,
}

impl<A, B> And<A, B> {
    /// Both `a` and `b`.
    pub const fn new(a: A, b: B) -> Self {
        Self { a, b }
    }
}

impl<Input, A: Matcher<Input>, B: Matcher<Input>> Matcher<Input> for And<A, B> {
    fn matches(&self, input: &Input) -> bool {
        self.a.matches(input) && self.b.matches(input)
    }
}

/// Matches when either matcher matches; see [`MatcherExt::or`](super::MatcherExt::or).
#[derive(Debug, Clone, Copy)]
pub struct Or<A, B> {
    a: A,
    b: B,
}

impl<A, B> Or<A, B> {
    /// `a` or `b`.
    pub const fn new(a: A, b: B) -> Self {
        Self { a, b }
    }
}

impl<Input, A: Matcher<Input>, B: Matcher<Input>> Matcher<Input> for Or<A, B> {
    fn matches(&self, input: &Input) -> bool {
        self.a.matches(input) || self.b.matches(input)
    }
}

/// Matches when the inner matcher does not; see [`MatcherExt::not`](super::MatcherExt::not).
#[derive(Debug, Clone, Copy)]
pub struct Not<M> {
    inner: M,
}

impl<M> Not<M> {
    /// Not `inner`.
    pub const fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<Input, M: Matcher<Input>> Matcher<Input> for Not<M> {
    fn matches(&self, input: &Input) -> bool {
        !self.inner.matches(input)
    }
}
