//! `rama serve forward --to HOST:PORT`: a layer-4 (TCP) forwarder.
//!
//! Each accepted connection is forwarded byte for byte to `--to` (on Linux with `splice(2)`,
//! see `rama::tcp::forward`). The target is resolved **per connection, at connect time**:
//! DNS may change or recover while the forwarder runs, so an unresolvable name is not a
//! start-up error. It is logged for the connection that hit it, and that client's
//! connection is closed (a layer-4 forwarder has no protocol in which to explain).
//! `--to` is still checked for syntax when the command starts.
//!
//! The target is the operator's choice, not the client's, so loopback and private targets
//! are allowed (the deny-by-default rule for proxies is about client-chosen destinations).

use super::run::serve_tcp;
use crate::cmd::args::{ServeArgs, parse_secs};
use clap::Args;
use rama::{
    Layer,
    error::OpaqueError,
    layer::ConcurrencyLimitLayer,
    net::{address::Authority, stream::ForwardConfig},
    tcp::{
        client::{TcpConnectConfig, TcpConnector},
        forward::Forwarder,
    },
};
use std::{net::SocketAddr, num::NonZeroUsize, time::Duration};

/// Flags of `rama serve forward`.
#[derive(Debug, Args)]
pub(crate) struct ForwardArgs {
    /// Where to forward each connection: HOST:PORT, HOST being a name, an IPv4 address or a
    /// bracketed IPv6 address. Names are resolved for every connection.
    #[arg(long, value_name = "HOST:PORT")]
    to: Authority,

    /// The IP:PORT to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:62001")]
    bind: SocketAddr,

    /// Give up resolving and connecting to the target after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    connect_timeout: Duration,

    /// Close a forwarded connection after this many seconds without a byte in either
    /// direction; 0 disables the idle timeout.
    #[arg(long, value_name = "SECS", default_value = "300", value_parser = parse_secs)]
    idle_timeout: Duration,

    /// Forward at most N connections at once; connections beyond it are closed right after
    /// they are accepted. Unlimited when absent.
    #[arg(long, value_name = "N")]
    max_conns: Option<NonZeroUsize>,

    #[command(flatten)]
    serve: ServeArgs,
}

/// Run the forwarder until shutdown.
pub(super) async fn run(args: ForwardArgs) -> Result<(), OpaqueError> {
    // the outbound local address is of no use to a forwarder: skip its `getsockname`
    let connector = TcpConnector::new().with_config(
        TcpConnectConfig::new()
            .with_connect_timeout(args.connect_timeout)
            .with_record_local_addr(false),
    );
    let forward_config = if args.idle_timeout.is_zero() {
        ForwardConfig::new().without_idle_timeout()
    } else {
        ForwardConfig::new().with_idle_timeout(args.idle_timeout)
    };
    tracing::info!(
        target_addr = %args.to,
        connect_timeout = ?args.connect_timeout,
        idle_timeout = ?args.idle_timeout,
        max_conns = ?args.max_conns,
        "forward: configured"
    );
    let forwarder =
        Forwarder::with_connector(Some(args.to), connector).with_forward_config(forward_config);
    let limit = args
        .max_conns
        .map(|max| ConcurrencyLimitLayer::reject(max.get()));
    let service = limit.into_layer(forwarder);
    serve_tcp("forward", args.bind, &args.serve, service).await
}
