//! The command line: `rama <COMMAND>`. Each command lives in its own module.

pub(crate) mod args;
pub(crate) mod probe;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod tls;

use clap::{Parser, Subcommand};
use rama::error::OpaqueError;
use std::process::ExitCode;

/// rama: serve, forward and send network traffic, built on the rama framework.
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
    /// Send one HTTP request, curl-style: `rama send [FLAGS] URL` (or `rama URL [FLAGS]`).
    ///
    /// Flags as in curl (-X, -H, -d, --json, -u, -o, -i, -v, -L, --max-redirs, -f,
    /// --http1.1, --http2, --http2-prior-knowledge, -m, --connect-timeout, --resolve, and for
    /// https -k, --cacert, --cert, --key, --tlsv1.2, --tlsv1.3); exit codes as curl's:
    /// 1 unsupported protocol, 3 bad URL, 4 not built in, 6 unresolved host, 7 connection
    /// failed, 18 body cut short, 22 HTTP error with --fail, 23 write error, 28 timeout,
    /// 35 TLS handshake failed, 47 too many redirects, 56 receive error, 58 bad client
    /// certificate, 60 server certificate not trusted, 77 bad CA file.
    Send(Box<send::SendArgs>),
    /// Look at a server without a request: `rama probe tls HOST:PORT`.
    #[command(subcommand)]
    Probe(probe::ProbeCommand),
    /// `rama URL ...`: the same as `rama send URL ...`.
    #[command(external_subcommand)]
    Url(Vec<String>),
}

impl Cli {
    /// Run the chosen command to completion; the exit code it chose (curl's codes for
    /// `send`), or an error that `main` reports with exit code 1.
    pub(crate) async fn run(self) -> Result<ExitCode, OpaqueError> {
        match self.command {
            Command::Serve(cmd) => cmd.run().await.map(|()| ExitCode::SUCCESS),
            Command::Send(args) => args.run().await,
            Command::Probe(cmd) => cmd.run().await,
            Command::Url(words) => send::run_plain(words).await,
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
