//! Argument parsers and flag groups shared by several commands.

use clap::Args;
use std::time::Duration;

/// Flags every `serve` command takes besides `--bind`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShutdownArgs {
    /// On Ctrl-C or SIGTERM, stop accepting and give open connections this many seconds to
    /// finish; connections still open after it are closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub(crate) graceful_timeout: Duration,
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
}
