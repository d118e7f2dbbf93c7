//! CONNECT: connect through the connector, reply, then forward both ways.

use super::{Side, Socks5Acceptor, Socks5ServerError, auth::Login, reply_code_for, send_reply};
use crate::socks5::proto::{Reply, ReplyCode};
use rama_core::{error::BoxError, extensions::ExtensionsRef};
use rama_net::{
    address::Authority,
    client::ConnectorService,
    stream::{SocketInfo, Stream},
};
use rama_tcp::client::TcpRequest;
use std::net::Ipv4Addr;

pub(super) async fn serve_connect<C, S>(
    acceptor: &Socks5Acceptor<C>,
    mut stream: S,
    target: Authority,
    login: Option<Login>,
) -> Result<(), Socks5ServerError>
where
    C: ConnectorService<TcpRequest, Connection: ExtensionsRef>,
    S: Stream + Unpin + ExtensionsRef,
{
    let mut extensions = stream.extensions().clone();
    // the client's SocketInfo is not the upstream connection's
    extensions.remove::<SocketInfo>();
    if let Some(login) = login {
        extensions.insert(login.user);
        if let Some(labels) = login.labels {
            extensions.insert(labels);
        }
    }
    let request = TcpRequest::with_extensions(target.clone(), extensions);
    let conn = match acceptor.connector.connect(request).await {
        Ok(established) => established.conn,
        Err(err) => {
            let err: BoxError = err.into();
            let code = reply_code_for(&*err);
            tracing::debug!(%target, %code, error = %err, "SOCKS5 CONNECT failed");
            send_reply(&mut stream, &Reply::failure(code)).await?;
            return Err(Socks5ServerError::new(
                Side::Upstream,
                "connect to the target",
                err,
            ));
        }
    };
    let bound = conn
        .extensions()
        .get::<SocketInfo>()
        .and_then(SocketInfo::local_addr)
        .map_or_else(
            || Authority::from((Ipv4Addr::UNSPECIFIED, 0)),
            Authority::from,
        );
    let reply = Reply {
        code: ReplyCode::Succeeded,
        bound,
    };
    send_reply(&mut stream, &reply).await?;
    // splice(2) when both ends are plain TCP sockets (see crate::relay)
    match crate::relay::relay(stream, conn, &acceptor.forward).await {
        Ok(_) => Ok(()),
        Err(err) => {
            let side = if err.is_client_side() {
                Side::Client
            } else {
                Side::Upstream
            };
            Err(Socks5ServerError::new(side, "tunnel", err))
        }
    }
}
