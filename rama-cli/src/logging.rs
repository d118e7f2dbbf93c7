//! Logging for the binary: `tracing` events to **stderr**, filtered by `RUST_LOG` (default
//! `info`), coloured only when stderr is a terminal.
//!
//! stdout is reserved for the one line scripts parse (`listening on ADDR`), so logs must not
//! go there. `rama::telemetry::init_tracing` writes to stdout, hence this local setup.

use rama::error::{ErrorContext, OpaqueError};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or empty.
const DEFAULT_FILTER: &str = "info";

/// Install the global subscriber.
pub(crate) fn init() -> Result<(), OpaqueError> {
    let directive = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => DEFAULT_FILTER.to_owned(),
    };
    let filter = EnvFilter::try_new(&directive)
        .with_context(|| format!("parse the log filter {directive:?} (RUST_LOG)"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|err| OpaqueError::from_boxed(err).context("install the log subscriber"))
}
