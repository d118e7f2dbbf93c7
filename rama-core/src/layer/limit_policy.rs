//! [`LimitPolicy`]: what a limit layer does with an input that arrives when the limit is reached.

/// What [`ConcurrencyLimit`](super::ConcurrencyLimit) and [`RateLimit`](super::RateLimit) do
/// with an input that arrives while the limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LimitPolicy {
    /// Wait until the input may pass (back-pressure). The caller's future stays pending; wrap
    /// the stack in a [`TimeoutLayer`](super::TimeoutLayer) to bound the wait.
    #[default]
    Wait,
    /// Fail at once with the layer's typed error
    /// ([`LimitReached`](super::LimitReached) or [`RateLimited`](super::RateLimited)).
    Reject,
}
