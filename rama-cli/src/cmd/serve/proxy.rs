//! `rama serve proxy`: an HTTP(S) + SOCKS5 forward proxy on one port.

use clap::Args;
use rama::error::OpaqueError;
use std::net::SocketAddr;

/// Flags of `rama serve proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The IP:PORT to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:62002")]
    bind: SocketAddr,
}

/// Run the proxy until shutdown.
pub(super) async fn run(args: ProxyArgs) -> Result<(), OpaqueError> {
    Err(OpaqueError::from_display(format!(
        "serve proxy on {}: not available in this build yet",
        args.bind
    )))
}
