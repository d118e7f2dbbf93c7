//! BIND: listen on the server's interface, reply with the listening address, wait for one
//! inbound connection (from the requested address, when it names one), reply with the
//! peer's address, then forward both ways.

use super::{Side, Socks5Acceptor, Socks5ServerError, send_reply, socket_info};
use crate::socks5::proto::{Reply, ReplyCode};
use rama_core::extensions::ExtensionsRef;
use rama_net::{
    address::Authority,
    stream::{Stream, forward_bidirectional},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Client bytes sent before the inbound peer connected are kept for it, up to this much.
const MAX_EARLY_BYTES: usize = 64 * 1024;

pub(super) async fn serve_bind<C, S>(
    acceptor: &Socks5Acceptor<C>,
    mut stream: S,
    expected: &Authority,
) -> Result<(), Socks5ServerError>
where
    S: Stream + Unpin + ExtensionsRef,
{
    let internal = |context: &'static str, err: rama_core::error::BoxError| {
        Socks5ServerError::new(Side::Internal, context, err)
    };
    let Some(local_ip) = socket_info(&stream)
        .and_then(|i| i.local_addr())
        .map(|a| a.ip())
    else {
        send_reply(&mut stream, &Reply::failure(ReplyCode::GeneralFailure)).await?;
        return Err(internal(
            "BIND",
            "the stream has no SocketInfo with a local address".into(),
        ));
    };
    let listener = match TcpListener::bind((local_ip, 0)).await {
        Ok(listener) => listener,
        Err(err) => {
            send_reply(&mut stream, &Reply::failure(ReplyCode::GeneralFailure)).await?;
            return Err(internal("BIND: listen", err.into()));
        }
    };
    let listening = listener
        .local_addr()
        .map_err(|e| internal("BIND: listen", e.into()))?;
    send_reply(
        &mut stream,
        &Reply {
            code: ReplyCode::Succeeded,
            bound: listening.into(),
        },
    )
    .await?;

    // only the host the client named may connect (any host when it sent 0.0.0.0 or a name)
    let only_from = expected.host().as_ip().filter(|ip| !ip.is_unspecified());
    let deadline = tokio::time::Instant::now() + acceptor.bind_timeout;
    let mut early = Vec::new();
    let mut byte = [0u8; 4096];
    let (mut peer, peer_addr) = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((peer, addr)) if only_from.is_none_or(|ip| ip == addr.ip()) => break (peer, addr),
                Ok((_, addr)) => tracing::debug!(%addr, "SOCKS5 BIND: connection from an unexpected host dropped"),
                Err(err) => tracing::debug!(error = %err, "SOCKS5 BIND: accept failed"),
            },
            read = stream.read(&mut byte) => match read {
                Ok(0) | Err(_) => {
                    return Err(Socks5ServerError::new(Side::Client, "BIND: the client left before the peer connected", "control connection closed"));
                }
                Ok(n) if early.len() + n <= MAX_EARLY_BYTES => early.extend_from_slice(&byte[..n]),
                Ok(_) => {
                    return Err(Socks5ServerError::new(Side::Client, "BIND", "too many bytes before the peer connected"));
                }
            },
            () = tokio::time::sleep_until(deadline) => {
                send_reply(&mut stream, &Reply::failure(ReplyCode::TtlExpired)).await?;
                return Err(Socks5ServerError::new(Side::Upstream, "BIND: no inbound connection in time", "timed out"));
            }
        }
    };
    drop(listener);
    send_reply(
        &mut stream,
        &Reply {
            code: ReplyCode::Succeeded,
            bound: peer_addr.into(),
        },
    )
    .await?;
    if !early.is_empty() {
        peer.write_all(&early)
            .await
            .map_err(|e| Socks5ServerError::new(Side::Upstream, "BIND: write to the peer", e))?;
    }
    forward_bidirectional(&mut stream, &mut peer, &acceptor.forward)
        .await
        .map(|_| ())
        .map_err(|err| {
            let side = if err.kind().is_client_side() {
                Side::Client
            } else {
                Side::Upstream
            };
            Socks5ServerError::new(side, "BIND tunnel", err)
        })
}
