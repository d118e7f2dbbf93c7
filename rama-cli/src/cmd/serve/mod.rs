//! `rama serve <SERVER>`: run a server until Ctrl-C or SIGTERM, then shut down gracefully.
//!
//! Every server prints `listening on ADDR` to stdout once it accepts connections, takes
//! `--bind` (a fixed loopback port per server by default) and `--graceful-timeout`.

mod discard;
mod echo;
mod forward;
mod proxy;
mod reverse;
mod run;

use clap::Subcommand;
use rama::error::OpaqueError;

/// The servers `rama serve` can run.
#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// Answer every HTTP request with JSON describing it; --mode tcp echoes raw bytes
    /// (default bind 127.0.0.1:8080).
    Echo(echo::EchoArgs),
    /// Read and drop every byte, RFC 863 "discard" (default bind 127.0.0.1:9009).
    Discard(discard::DiscardArgs),
    /// Forward every connection to --to HOST:PORT, a layer-4 proxy
    /// (default bind 127.0.0.1:62001).
    Forward(forward::ForwardArgs),
    /// An HTTP(S) and SOCKS5 forward proxy on one port (default bind 127.0.0.1:62002).
    Proxy(proxy::ProxyArgs),
    /// A reverse proxy in front of one or more --upstream URLs (default bind 127.0.0.1:62003).
    Reverse(reverse::ReverseArgs),
}

impl ServeCommand {
    /// Run the chosen server until shutdown.
    pub(crate) async fn run(self) -> Result<(), OpaqueError> {
        match self {
            Self::Echo(args) => echo::run(args).await,
            Self::Discard(args) => discard::run(args).await,
            Self::Forward(args) => forward::run(args).await,
            Self::Proxy(args) => proxy::run(args).await,
            Self::Reverse(args) => reverse::run(args).await,
        }
    }
}
