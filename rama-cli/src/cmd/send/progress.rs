//! The download progress bar of `rama send -o FILE`, drawn with indicatif on stderr.
//!
//! Shown only when all of these hold ([`should_show`]): the body goes to a file (`-o FILE`,
//! so the bar never mixes with body bytes on the terminal), stderr is a terminal (so logs
//! and pipes stay clean), and `-s` was not given. indicatif itself also stays quiet when
//! `TERM` is unset or `dumb`.
//!
//! - `Content-Length` known: a bar with bytes so far, the total, the rate and the ETA.
//! - length unknown (chunked, h2 without a length, read to close): a spinner with bytes so
//!   far and the rate, ticking on its own so a stalled transfer still shows life.
//!
//! [`Progress::finish`] leaves the final state on screen after a complete transfer. A
//! transfer that fails (or is dropped by `--max-time`) clears the bar, so the
//! `rama: (CODE) REASON` line that follows stands on a line of its own.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// The bar for a download of known length.
const BAR_TEMPLATE: &str = "{bar:30} {percent:>3}% {binary_bytes}/{binary_total_bytes} \
                            {binary_bytes_per_sec} ETA {eta}";
/// The spinner for a download of unknown length.
const SPINNER_TEMPLATE: &str = "{spinner} {binary_bytes} {binary_bytes_per_sec}";
/// How often the spinner turns while no bytes arrive.
const SPINNER_TICK: Duration = Duration::from_millis(120);

/// Whether `rama send` shows a progress bar: only for `-o FILE`, only when stderr is a
/// terminal, never with `-s`.
pub(crate) const fn should_show(stderr_is_terminal: bool, to_file: bool, silent: bool) -> bool {
    stderr_is_terminal && to_file && !silent
}

/// The progress of one download; draws nothing when it was not to be shown.
///
/// Dropped without [`Progress::finish`] (an error, a timeout), it clears its line.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display for a download of `total` bytes (if known), shown if [`should_show`]
    /// agrees for this process's stderr, `to_file` and `silent`.
    pub(crate) fn new(total: Option<u64>, to_file: bool, silent: bool) -> Self {
        let shown = should_show(std::io::stderr().is_terminal(), to_file, silent);
        Self {
            bar: shown.then(|| bar(total, ProgressDrawTarget::stderr())),
        }
    }

    /// Count `n` more bytes (redrawn at most 20 times a second).
    pub(crate) fn advance(&self, n: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }

    /// The transfer completed: draw the final state and leave it on screen.
    pub(crate) fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// A bar (length known) or a spinner drawing to `target`, cleared if dropped unfinished.
fn bar(total: Option<u64>, target: ProgressDrawTarget) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, target).with_finish(ProgressFinish::AndClear);
    match total {
        Some(_) => bar.with_style(
            ProgressStyle::with_template(BAR_TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("#>-"),
        ),
        None => {
            let bar = bar.with_style(
                ProgressStyle::with_template(SPINNER_TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(SPINNER_TICK);
            bar
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_only_for_a_file_on_a_terminal_without_silent() {
        // (stderr is a terminal, -o FILE, -s) -> shown
        let cases = [
            (true, true, false, true),
            (true, true, true, false),
            (true, false, false, false),
            (true, false, true, false),
            (false, true, false, false),
            (false, true, true, false),
            (false, false, false, false),
            (false, false, true, false),
        ];
        for (terminal, to_file, silent, want) in cases {
            assert_eq!(
                should_show(terminal, to_file, silent),
                want,
                "terminal={terminal} to_file={to_file} silent={silent}"
            );
        }
    }

    #[test]
    fn templates_parse() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
        assert!(ProgressStyle::with_template(SPINNER_TEMPLATE).is_ok());
    }

    #[test]
    fn bar_counts_bytes_and_knows_its_length() {
        let known = bar(Some(100), ProgressDrawTarget::hidden());
        known.inc(40);
        known.inc(60);
        assert_eq!((known.position(), known.length()), (100, Some(100)));
        let unknown = bar(None, ProgressDrawTarget::hidden());
        unknown.inc(7);
        assert_eq!((unknown.position(), unknown.length()), (7, None));
        unknown.finish_and_clear();
    }
}
