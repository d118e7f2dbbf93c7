//! `rama serve reverse`: a reverse proxy in front of one or more upstream servers.

use clap::Args;
use rama::error::OpaqueError;
use std::net::SocketAddr;

/// Flags of `rama serve reverse`.
#[derive(Debug, Args)]
pub(crate) struct ReverseArgs {
    /// The IP:PORT to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:62003")]
    bind: SocketAddr,
}

/// Run the reverse proxy until shutdown.
pub(super) async fn run(args: ReverseArgs) -> Result<(), OpaqueError> {
    Err(OpaqueError::from_display(format!(
        "serve reverse on {}: not available in this build yet",
        args.bind
    )))
}
