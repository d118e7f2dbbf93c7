//! Telemetry setup: install a `tracing-subscriber` fmt subscriber driven by `RUST_LOG`,
//! writing to stderr.
//!
//! For binaries, examples and tests; libraries never install a subscriber. Both functions
//! return an error, rather than panicking, when a global subscriber is already set or a
//! filter directive is invalid.
//!
//! ```
//! use rama_core::telemetry;
//!
//! // `RUST_LOG` wins when set; otherwise log rama at debug and everything else at warn
//! telemetry::init_tracing_with_default("warn,rama=debug").unwrap();
//! // a second call reports the subscriber already installed instead of panicking
//! assert!(telemetry::init_tracing().is_err());
//! ```

use crate::error::{ErrorContext, OpaqueError};
use tracing_subscriber::{EnvFilter, fmt};

/// The filter used when `RUST_LOG` is not set: `info`.
pub const DEFAULT_DIRECTIVE: &str = "info";

/// Install a global fmt subscriber filtered by `RUST_LOG` (or `info` when it is not set).
///
/// # Errors
///
/// When `RUST_LOG` holds an invalid directive or a global subscriber is already installed.
pub fn init_tracing() -> Result<(), OpaqueError> {
    init_tracing_with_default(DEFAULT_DIRECTIVE)
}

/// Install a global fmt subscriber filtered by `RUST_LOG`, or by `default_directive` (for
/// example `"warn,rama=debug"`) when `RUST_LOG` is not set or empty.
///
/// # Errors
///
/// When the directive in use is invalid or a global subscriber is already installed.
pub fn init_tracing_with_default(default_directive: &str) -> Result<(), OpaqueError> {
    let from_env = std::env::var(EnvFilter::DEFAULT_ENV).ok();
    // logs go to stderr: stdout belongs to the program's output (a CLI prints its listening
    // address there, and scripts read it)
    fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter(from_env.as_deref(), default_directive)?)
        .try_init()
        .map_err(|err| OpaqueError::from_boxed(err).context("install tracing subscriber"))
}

/// The filter for `RUST_LOG` = `from_env`, falling back to `default_directive`.
fn filter(from_env: Option<&str>, default_directive: &str) -> Result<EnvFilter, OpaqueError> {
    match from_env {
        Some(directive) if !directive.trim().is_empty() => EnvFilter::try_new(directive)
            .with_context(|| format!("parse {}={directive:?}", EnvFilter::DEFAULT_ENV)),
        _ => EnvFilter::try_new(default_directive)
            .with_context(|| format!("parse default log filter {default_directive:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_over_default_and_bad_directives_are_errors() {
        let cases: &[(Option<&str>, &str, Result<&str, &str>)] = &[
            (None, "info", Ok("info")),
            (Some(""), "warn,rama=debug", Ok("rama=debug,warn")),
            (Some("  "), "debug", Ok("debug")),
            (Some("rama=trace"), "info", Ok("rama=trace")),
            (
                None,
                "rama=notalevel",
                Err("parse default log filter \"rama=notalevel\""),
            ),
            (Some("x=[{"), "info", Err("parse RUST_LOG=\"x=[{\"")),
        ];
        for (env, default, want) in cases {
            let got = filter(*env, default)
                .map(|f| f.to_string())
                .map_err(|e| e.to_string());
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                *want,
                "{env:?} / {default}"
            );
        }
    }
}
