//! Upgrade pass-through (WebSocket and any other `Upgrade`): the client's upgrade request goes
//! upstream with its `Upgrade` and `Connection: upgrade`; when the upstream answers
//! `101 Switching Protocols`, that answer is relayed to the client, and once both sides have
//! handed over their connections, bytes are relayed both ways until either side ends: with
//! `splice(2)` when both are plain TCP sockets (see [`relay`](crate::relay)), else copied.

use rama_core::graceful::ShutdownSignal;
use rama_http::client::http1::OnClientUpgrade;
use rama_http::server::upgrade::{OnUpgrade, Upgraded};
use rama_net::stream::ForwardConfig;
use std::time::Duration;

/// How long to wait for the upstream connection to be handed over after its `101` arrived
/// (the client connection task hands it over right after the response head; this bounds a
/// task that would never do so).
const HANDOVER_WAIT: Duration = Duration::from_secs(5);

/// The upstream side of an upgrade, once the client connection task handed it over.
async fn upstream_io(upstream: &OnClientUpgrade) -> Option<Upgraded> {
    tokio::time::timeout(HANDOVER_WAIT, upstream.upgraded())
        .await
        .ok()
        .flatten()
}

/// Spawns the relay of an upgraded exchange: waits for both connections, then relays bytes
/// both ways (idle timeout of `config`) until one side ends, or until `shutdown` fires.
pub(crate) fn spawn_relay(
    client: OnUpgrade,
    upstream: OnClientUpgrade,
    config: ForwardConfig,
    shutdown: Option<ShutdownSignal>,
) {
    let relay = async move {
        let Some(upstream_io) = upstream_io(&upstream).await else {
            tracing::debug!("upgrade: the upstream connection was not handed over");
            return;
        };
        let client_io = match client.upgraded().await {
            Ok(io) => io,
            Err(err) => {
                tracing::debug!("upgrade: the client connection was not handed over: {err}");
                return;
            }
        };
        match crate::relay::relay(client_io, upstream_io, &config).await {
            Ok(moved) => tracing::debug!(
                to_upstream = moved.client_to_upstream,
                to_client = moved.upstream_to_client,
                spliced = moved.spliced,
                "upgraded connection ended"
            ),
            Err(err) => tracing::debug!("upgraded connection failed: {err}"),
        }
    };
    tokio::spawn(async move {
        match shutdown {
            Some(signal) => tokio::select! {
                () = relay => {}
                () = signal.cancelled() => tracing::debug!("upgraded connection closed for shutdown"),
            },
            None => relay.await,
        }
    });
}
