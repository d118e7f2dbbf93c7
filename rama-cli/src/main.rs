//! `rama`: the command line of the rama framework: `rama serve echo`, `discard`, `forward`,
//! `rama send` (curl-like, http and https) and `rama probe tls`.
//!
//! This file only parses the command line, sets up logging (stderr, `RUST_LOG`, default
//! `info`) and reports a failure as `error: <cause chain>` with exit status 1. Each command
//! lives in its own module under [`cmd`].

#[cfg(feature = "mimalloc")]
mod allocator;
mod cmd;
mod logging;

use clap::Parser;
use std::process::ExitCode;

/// The allocator of the binary (feature `mimalloc`, default): see the feature's comment in
/// `Cargo.toml` for why, [`allocator`] for how it calls mimalloc, and `bench/README.md` for
/// what it changed.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    if let Err(err) = logging::init() {
        eprintln!("error: {err:#}");
        return ExitCode::FAILURE;
    }
    // the main runtime only waits for signals and the drain: connections are served by
    // worker threads with runtimes of their own (see `cmd::serve::run`)
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
