//! Argument parsers and flag groups shared by several commands.

use clap::Args;
use rama::tcp::server::ThreadListeners;
use std::{num::NonZeroUsize, time::Duration};

/// Flags every `serve` command takes besides `--bind`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// On Ctrl-C or SIGTERM, stop accepting and give open connections this many seconds to
    /// finish; connections still open after it are closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub(crate) graceful_timeout: Duration,
    /// How the worker threads receive connections: `balanced`, a `SO_REUSEPORT` socket each
    /// (Linux spreads connections by hash; a new connection wakes one thread), and a thread
    /// with two or more connections above the least loaded one hands new connections to it;
    /// `per-thread`, the same without handing over (a thread that is busy or preempted
    /// keeps its connections waiting while another may idle); or `shared`, one socket (the
    /// next free thread accepts; each connection wakes them all). In `bench/tcp_forward.sh`
    /// `balanced` and `per-thread` had the same connection rate and `shared` about 8% less.
    #[arg(long, value_name = "LAYOUT", default_value = "balanced", value_parser = parse_listeners)]
    pub(crate) listeners: ThreadListeners,
    /// Worker threads, each with its own runtime (haproxy's `nbthread`, nginx's
    /// `worker_processes`); the number of cores when absent.
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<NonZeroUsize>,
}

impl ServeArgs {
    /// The number of worker threads: `--threads`, else one per core.
    pub(crate) fn worker_threads(&self) -> NonZeroUsize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }
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

    #[derive(Debug, clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn serve_args(argv: &[&str]) -> Result<ServeArgs, clap::Error> {
        use clap::Parser;
        Serve::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .map(|serve| serve.args)
    }

    #[test]
    fn defaults_are_balanced_listeners_one_thread_per_core() {
        let args = serve_args(&[]).unwrap();
        assert_eq!(args.listeners, ThreadListeners::Balanced);
        assert_eq!(args.threads, None);
        assert_eq!(
            args.worker_threads(),
            std::thread::available_parallelism().unwrap()
        );
    }

    #[test]
    fn threads_takes_a_positive_number() {
        let args = serve_args(&["--threads", "3"]).unwrap();
        assert_eq!(args.worker_threads().get(), 3);
        for bad in ["--threads=0", "--threads=-1", "--threads=two"] {
            let err = serve_args(&[bad]).unwrap_err();
            assert!(err.to_string().contains("--threads"), "{bad}: {err}");
        }
    }
}
