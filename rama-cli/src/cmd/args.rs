//! Argument parsers and flag groups shared by several commands.

use clap::Args;
use rama::tcp::server::ThreadListeners;
use std::time::Duration;

/// Flags every `serve` command takes besides `--bind`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// On Ctrl-C or SIGTERM, stop accepting and give open connections this many seconds to
    /// finish; connections still open after it are closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub(crate) graceful_timeout: Duration,
    /// How the worker threads (one per core) receive connections: `per-thread`, a
    /// `SO_REUSEPORT` socket each (Linux spreads connections by hash; a new connection wakes
    /// one thread); `balanced`, the same, and a thread with two or more connections above
    /// the least loaded one hands new connections to it (even loads for long connections,
    /// a few system calls per handover); or `shared`, one socket (the next free thread
    /// accepts; each connection wakes them all). `per-thread` costs least per connection.
    #[arg(long, value_name = "LAYOUT", default_value = "per-thread", value_parser = parse_listeners)]
    pub(crate) listeners: ThreadListeners,
}

/// Parse `--listeners`: `per-thread`, `balanced` or `shared`.
fn parse_listeners(s: &str) -> Result<ThreadListeners, String> {
    match s {
        "per-thread" => Ok(ThreadListeners::PerThread),
        "balanced" => Ok(ThreadListeners::Balanced),
        "shared" => Ok(ThreadListeners::Shared),
        _ => Err(format!(
            "`{s}`: expected `per-thread`, `balanced` or `shared`"
        )),
    }
}

/// Parse a non-negative number of seconds, fractions allowed: `10`, `0.5`.
pub(crate) fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("`{s}` is not a valid duration: give a number of seconds >= 0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_secs_table() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("10", Some(Duration::from_secs(10))),
            ("0", Some(Duration::ZERO)),
            ("0.25", Some(Duration::from_millis(250))),
            (" 3 ", Some(Duration::from_secs(3))),
            ("-1", None),
            ("NaN", None),
            ("inf", None),
            ("", None),
            ("10s", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_secs(input).ok(), *want, "input {input:?}");
        }
    }

    #[test]
    fn parse_listeners_table() {
        assert_eq!(
            parse_listeners("per-thread"),
            Ok(ThreadListeners::PerThread)
        );
        assert_eq!(parse_listeners("shared"), Ok(ThreadListeners::Shared));
        assert_eq!(parse_listeners("balanced"), Ok(ThreadListeners::Balanced));
        assert!(parse_listeners("both").unwrap_err().contains("per-thread"));
    }
}
