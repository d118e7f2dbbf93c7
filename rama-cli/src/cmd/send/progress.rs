//! A one-line download progress display on stderr for `-o FILE`, shown only when stderr is
//! a terminal (so logs and pipes stay clean): bytes so far, total and percentage when the
//! response said `Content-Length`, redrawn at most ten times a second.
//!
//! Hand-written rather than with indicatif: one line of `\r` redraws is all `rama send`
//! needs, and it keeps the dependency set as it is.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The progress of one download.
#[derive(Debug)]
pub(crate) struct Progress {
    total: Option<u64>,
    done: u64,
    last_draw: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A display for a download of `total` bytes (if known); drawn only if `enabled` and
    /// stderr is a terminal.
    pub(crate) fn new(total: Option<u64>, enabled: bool) -> Self {
        Self {
            total,
            done: 0,
            last_draw: None,
            enabled: enabled && std::io::stderr().is_terminal(),
        }
    }

    /// Count `n` more bytes; redraw if due.
    pub(crate) fn advance(&mut self, n: usize) {
        self.done = self.done.saturating_add(n as u64);
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_none_or(|t| now.duration_since(t) >= REDRAW_EVERY)
        {
            self.last_draw = Some(now);
            let _ = write!(std::io::stderr(), "\r{}", line(self.done, self.total));
        }
    }

    /// Draw the final state and end the line.
    pub(crate) fn finish(&self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr(), "\r{}", line(self.done, self.total));
        }
    }
}

fn line(done: u64, total: Option<u64>) -> String {
    match total {
        Some(total) if total > 0 => {
            let pct = done.saturating_mul(100) / total;
            let filled = usize::try_from(pct.min(100) / 5).unwrap_or(20);
            format!(
                "[{}{}] {pct:>3}% {} / {}",
                "#".repeat(filled),
                " ".repeat(20 - filled),
                human(done),
                human(total)
            )
        }
        _ => format!("{} received", human(done)),
    }
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 10 * 1024 && unit < UNITS.len() - 1 {
        value /= 1024;
        unit += 1;
    }
    format!("{value} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_table() {
        let cases = [
            (0, Some(100), "[                    ]   0% 0 B / 100 B"),
            (50, Some(100), "[##########          ]  50% 50 B / 100 B"),
            (100, Some(100), "[####################] 100% 100 B / 100 B"),
            (20 * 1024 * 1024, None, "20 MiB received"),
        ];
        for (done, total, want) in cases {
            assert_eq!(line(done, total), want, "{done} {total:?}");
        }
    }
}
