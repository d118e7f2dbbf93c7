//! The command line: `rama <COMMAND>`. Each command lives in its own module.

pub(crate) mod args;
pub(crate) mod serve;

use clap::{Parser, Subcommand};
use rama::error::OpaqueError;

/// rama: serve, forward and (later) send network traffic, built on the rama framework.
#[derive(Debug, Parser)]
#[command(name = "rama", version)]
#[command(after_help = "Logs go to stderr; set RUST_LOG (default: info), e.g. RUST_LOG=debug.")]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a server: echo, discard or a layer-4 forwarder.
    ///
    /// Every server prints `listening on ADDR` as one line on stdout once it accepts
    /// connections and logs to stderr. On Ctrl-C or SIGTERM it stops accepting and lets open
    /// connections finish within --graceful-timeout. Exit status: 0 after a shutdown, 1 on
    /// an error (e.g. the address is in use), 2 on a usage error.
    #[command(subcommand)]
    Serve(serve::ServeCommand),
}

impl Cli {
    /// Run the chosen command to completion.
    pub(crate) async fn run(self) -> Result<(), OpaqueError> {
        match self.command {
            Command::Serve(cmd) => cmd.run().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
