//! [`TraceErrLayer`]: log each error of the inner service with `tracing`, then pass it on.
//!
//! The error is logged with its alternate form (`{:#}`), which for an
//! [`OpaqueError`](crate::error::OpaqueError) is the whole chain of causes, at the level
//! chosen with [`TraceErrLayer::with_level`] (`ERROR` by default).
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_core::layer::TraceErrLayer;
//! use tracing::Level;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let svc = TraceErrLayer::new()
//!     .with_level(Level::WARN)
//!     .into_layer(service_fn(async |s: &'static str| s.parse::<u8>()));
//! assert_eq!(svc.serve("7").await, Ok(7));
//! assert!(svc.serve("700").await.is_err()); // logged at WARN, then returned
//! # }
//! ```

use super::Layer;
use crate::Service;
use crate::future::MapFuture;
use std::fmt;
use tracing::Level;

/// A [`Layer`] that produces [`TraceErr`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceErrLayer {
    level: Level,
}

impl TraceErrLayer {
    /// Log errors at `ERROR`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            level: Level::ERROR,
        }
    }

    /// Log errors at `level`.
    #[must_use]
    pub const fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The level errors are logged at.
    #[must_use]
    pub const fn level(&self) -> Level {
        self.level
    }
}

impl Default for TraceErrLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for TraceErrLayer {
    type Service = TraceErr<S>;

    fn layer(&self, inner: S) -> TraceErr<S> {
        TraceErr::new(inner, self.level)
    }
}

/// A service that logs the errors of its inner service and returns them unchanged.
#[derive(Debug, Clone)]
pub struct TraceErr<S> {
    inner: S,
    level: Level,
}

impl<S> TraceErr<S> {
    /// Wrap `inner`, logging its errors at `level`.
    pub const fn new(inner: S, level: Level) -> Self {
        Self { inner, level }
    }

    /// The level errors are logged at.
    pub const fn level(&self) -> Level {
        self.level
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

impl<S, Input> Service<Input> for TraceErr<S>
where
    S: Service<Input>,
    S::Error: fmt::Display,
{
    type Output = S::Output;
    type Error = S::Error;

    fn serve(&self, input: Input) -> impl Future<Output = Result<S::Output, S::Error>> + Send {
        let level = self.level;
        MapFuture::new(self.inner.serve(input), move |result: Result<_, _>| {
            if let Err(err) = &result {
                log_error(level, "service error", err);
            }
            result
        })
    }
}

/// Prints a value with its alternate form, so an error chain is logged in full.
struct Alternate<'a, E: ?Sized>(&'a E);

impl<E: fmt::Display + ?Sized> fmt::Display for Alternate<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// Log `err` at a level chosen at run time (tracing's macros want a constant one).
pub(super) fn log_error<E: fmt::Display + ?Sized>(level: Level, message: &'static str, err: &E) {
    let error = Alternate(err);
    if level == Level::ERROR {
        tracing::error!(error = %error, "{message}");
    } else if level == Level::WARN {
        tracing::warn!(error = %error, "{message}");
    } else if level == Level::INFO {
        tracing::info!(error = %error, "{message}");
    } else if level == Level::DEBUG {
        tracing::debug!(error = %error, "{message}");
    } else {
        tracing::trace!(error = %error, "{message}");
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::{error::OpaqueError, service_fn};
    use std::sync::{Arc, Mutex};
    use tracing::{
        Event, Subscriber,
        field::{Field, Visit},
        subscriber::with_default,
    };

    /// A subscriber that records (level, `error` field) of every event.
    #[derive(Clone, Default)]
    pub(crate) struct Recorder(pub(crate) Arc<Mutex<Vec<(Level, String)>>>);

    impl Subscriber for Recorder {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &Event<'_>) {
            struct ErrorField(String);
            impl Visit for ErrorField {
                fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                    if field.name() == "error" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            let mut visitor = ErrorField(String::new());
            event.record(&mut visitor);
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), visitor.0));
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn errors_are_logged_at_the_level_and_passed_on() {
        let recorder = Recorder::default();
        let svc = TraceErrLayer::new()
            .with_level(Level::WARN)
            .into_layer(service_fn(async |fail: bool| {
                if fail {
                    Err(OpaqueError::from_display("refused").context("dial upstream"))
                } else {
                    Ok(1)
                }
            }));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        with_default(recorder.clone(), || {
            assert_eq!(rt.block_on(svc.serve(false)).unwrap(), 1);
            let err = rt.block_on(svc.serve(true)).unwrap_err();
            assert_eq!(err.to_string(), "dial upstream");
        });
        let logged = recorder.0.lock().unwrap().clone();
        assert_eq!(logged, [(Level::WARN, "dial upstream: refused".to_owned())]);
    }

    #[test]
    fn every_level_is_honoured() {
        for level in [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ] {
            let recorder = Recorder::default();
            with_default(recorder.clone(), || log_error(level, "x", "boom"));
            assert_eq!(*recorder.0.lock().unwrap(), [(level, "boom".to_owned())]);
        }
    }
}
