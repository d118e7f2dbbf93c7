//! CONNECT tunnels: the target of a CONNECT request, and the two ways its bytes flow once
//! the target is connected (an HTTP/1.1 upgrade, or the DATA frames of an h2 stream).

use crate::username::UsernameLabels;
use bytes::BytesMut;
use rama_core::graceful::Executor;
use rama_http::connection::ConnectionExtensions;
use rama_http::server::upgrade::OnUpgrade;
use rama_http::{Body, Request, Response, Version};
use rama_net::address::{Authority, ProxyAddress};
use rama_net::stream::{ForwardConfig, Stream};
use rama_net::user::UserId;
use rama_tcp::client::TcpRequest;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// The parsed target of a CONNECT request, as the request for the connector.
pub(super) struct ConnectTarget {
    pub(super) request: TcpRequest,
}

impl ConnectTarget {
    /// The `host:port` of a CONNECT request (authority-form for HTTP/1.1, `:authority` for
    /// h2), with the facts a connector may need copied into its extensions; the reason for
    /// a `400` when the target is not a host and a non-zero port.
    pub(super) fn from_request(req: &Request<Body>) -> Result<Self, String> {
        let Some(raw) = req.uri().authority() else {
            return Err("CONNECT needs a target host:port".to_owned());
        };
        if raw.as_str().contains('@') {
            return Err("CONNECT target must be host:port, without user info".to_owned());
        }
        let authority: Authority = match raw.as_str().parse() {
            Ok(a) => a,
            Err(e) => {
                return Err(format!("CONNECT target {raw} is not host:port: {e}"));
            }
        };
        if authority.port() == 0 {
            return Err(format!("CONNECT target {authority} has port 0"));
        }
        let mut request = TcpRequest::new(authority);
        if let Some(proxy) = req.connection_get::<ProxyAddress>() {
            request.extensions.insert(proxy.clone());
        }
        if let Some(labels) = req.connection_get::<UsernameLabels>() {
            request.extensions.insert(labels.clone());
        }
        if let Some(user) = req.connection_get::<UserId>() {
            request.extensions.insert(user.clone());
        }
        Ok(Self { request })
    }
}

/// How the tunnel's bytes flow between the client and the target.
pub(super) enum TunnelMode {
    /// HTTP/1.x: after the `200`, the connection itself (handed over by the engine).
    Upgrade(OnUpgrade),
    /// h2 (RFC 9113 §8.5): the request body carries client → target, the response body
    /// target → client.
    H2Stream,
}

impl TunnelMode {
    /// The mode a request allows: `None` when it came over HTTP/1 without an upgrade
    /// handle (a server other than rama-http's engine).
    pub(super) fn of(req: &mut Request<Body>) -> Option<Self> {
        if let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() {
            return Some(Self::Upgrade(on_upgrade));
        }
        (req.version() == Version::HTTP_2).then_some(Self::H2Stream)
    }

    /// Starts moving bytes (in spawned tasks) and returns the `200` that opens the tunnel.
    pub(super) fn start<S: Stream>(
        self,
        upstream: S,
        target: Authority,
        body: Body,
        config: ForwardConfig,
        executor: &Executor,
    ) -> Response<Body> {
        match self {
            Self::Upgrade(on_upgrade) => {
                executor.spawn_task(tunnel_upgraded(on_upgrade, upstream, target, config));
                Response::new(Body::empty())
            }
            Self::H2Stream => {
                let (read, write) = tokio::io::split(Box::pin(upstream));
                let (tx, response_body) = Body::channel();
                let activity = Activity::new();
                executor.spawn_task(upstream_to_body(read, tx, config, activity.clone()));
                executor.spawn_task(body_to_upstream(body, write, activity));
                Response::new(response_body)
            }
        }
    }
}

/// Waits for the client's stream, then relays (with `splice(2)` when both ends are plain
/// TCP sockets, see [`crate::relay`]).
async fn tunnel_upgraded<S: Stream>(
    on_upgrade: OnUpgrade,
    upstream: S,
    target: Authority,
    config: ForwardConfig,
) {
    let client = match on_upgrade.upgraded().await {
        Ok(client) => client,
        Err(e) => {
            tracing::debug!(%target, "CONNECT: no tunnel: {e}");
            return;
        }
    };
    match crate::relay::relay(client, upstream, &config).await {
        Ok(moved) => tracing::debug!(
            %target,
            sent = moved.client_to_upstream,
            received = moved.upstream_to_client,
            spliced = moved.spliced,
            "CONNECT tunnel closed"
        ),
        Err(e) => tracing::debug!(%target, "CONNECT tunnel ended: {e}"),
    }
}

/// When an h2 tunnel last moved bytes, in either direction: its idle timeout counts from
/// there, so a long upload with nothing coming back is not idle.
#[derive(Clone)]
struct Activity(Arc<Mutex<Instant>>);

impl Activity {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn touch(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Target → client for h2: reads into the response body until EOF, an error, the client
/// going away, or the idle timeout (no bytes either way for that long).
async fn upstream_to_body<R: tokio::io::AsyncRead + Unpin>(
    mut read: R,
    tx: rama_http::body::BodySender,
    config: ForwardConfig,
    activity: Activity,
) {
    let size = config.buffer_size().max(1024);
    let mut buf = BytesMut::with_capacity(size);
    loop {
        buf.reserve(size);
        let mut next = pin!(read.read_buf(&mut buf));
        let read = match config.idle_timeout() {
            Some(idle) => loop {
                match tokio::time::timeout_at(activity.last() + idle, next.as_mut()).await {
                    Ok(r) => break r,
                    // the client sent meanwhile: not idle, wait on from its last bytes
                    Err(_) if activity.last() + idle > Instant::now() => {}
                    Err(_) => {
                        tx.abort("CONNECT tunnel idle");
                        return;
                    }
                }
            },
            None => next.await,
        };
        match read {
            // EOF: dropping the sender ends the body, and so the stream, cleanly
            Ok(0) => return,
            Ok(_) => {
                activity.touch();
                if tx.send_data(buf.split().freeze()).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tx.abort(e);
                return;
            }
        }
    }
}

/// Client → target for h2: writes the request body's data, then half-closes the target.
async fn body_to_upstream<W: tokio::io::AsyncWrite + Unpin>(
    mut body: Body,
    mut write: W,
    activity: Activity,
) {
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // the client reset the stream: the target gets no clean end either
            return;
        };
        if let Ok(data) = frame.into_data() {
            activity.touch();
            if write.write_all(&data).await.is_err() {
                return;
            }
        }
    }
    let _ = write.shutdown().await;
}
