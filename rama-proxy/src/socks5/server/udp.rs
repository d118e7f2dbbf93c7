//! UDP ASSOCIATE: a relay socket per association, facing the client on the server's
//! interface, and outbound sockets (one per address family, opened on first use) facing the
//! targets. Datagrams are accepted only from the client's address (its IP is the control
//! connection's peer; its port is the one it named, or the first one it sends from) and,
//! on the outbound side, only from targets the client has sent to. Fragmented datagrams
//! (`FRAG` ≠ 0) are dropped. The association ends when the TCP connection closes.

use super::{Side, Socks5Acceptor, Socks5ServerError, send_reply, socket_info};
use crate::policy::TargetPolicy;
use crate::socks5::proto::{Reply, ReplyCode, UdpHeader};
use rama_core::extensions::ExtensionsRef;
use rama_net::{
    address::{Authority, Host},
    stream::Stream,
};
use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::UdpSocket;

/// The most targets an association remembers as allowed to answer (oldest forgotten first).
const MAX_TARGETS: usize = 256;
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;

pub(super) async fn serve_udp<C, S>(
    acceptor: &Socks5Acceptor<C>,
    mut stream: S,
    client_named: &Authority,
) -> Result<(), Socks5ServerError>
where
    S: Stream + Unpin + ExtensionsRef,
{
    let internal = |context: &'static str, err: rama_core::error::BoxError| {
        Socks5ServerError::new(Side::Internal, context, err)
    };
    let Some((local_ip, client_ip)) =
        socket_info(&stream).and_then(|i| i.local_addr().map(|l| (l.ip(), i.peer_addr().ip())))
    else {
        send_reply(&mut stream, &Reply::failure(ReplyCode::GeneralFailure)).await?;
        return Err(internal(
            "UDP ASSOCIATE",
            "the stream has no SocketInfo with a local address".into(),
        ));
    };
    let relay = match UdpSocket::bind((local_ip, 0)).await {
        Ok(socket) => socket,
        Err(err) => {
            send_reply(&mut stream, &Reply::failure(ReplyCode::GeneralFailure)).await?;
            return Err(internal("UDP ASSOCIATE: bind the relay socket", err.into()));
        }
    };
    let relay_addr = relay
        .local_addr()
        .map_err(|e| internal("UDP ASSOCIATE: relay address", e.into()))?;
    send_reply(
        &mut stream,
        &Reply {
            code: ReplyCode::Succeeded,
            bound: relay_addr.into(),
        },
    )
    .await?;

    let mut relay_state = Association {
        client_ip,
        client_port: Some(client_named.port()).filter(|p| *p != 0),
        targets: VecDeque::new(),
        out_v4: None,
        out_v6: None,
        resolve_timeout: acceptor.udp_resolve_timeout,
        policy: acceptor.udp_policy.clone(),
    };
    let mut from_client = vec![0u8; MAX_DATAGRAM];
    let mut from_v4 = vec![0u8; MAX_DATAGRAM];
    let mut from_v6 = vec![0u8; MAX_DATAGRAM];
    let mut control = [0u8; 512];
    loop {
        tokio::select! {
            read = stream.read(&mut control) => match read {
                Ok(0) | Err(_) => return Ok(()),
                Ok(_) => {} // nothing is expected on the control connection; ignore it
            },
            received = relay.recv_from(&mut from_client) => {
                let (n, from) = received.map_err(|e| internal("UDP ASSOCIATE: receive", e.into()))?;
                relay_state.relay_to_target(&from_client[..n], from).await;
            }
            received = recv_opt(relay_state.out_v4.as_ref(), &mut from_v4) => {
                if let Ok((n, from)) = received {
                    relay_state.relay_to_client(&relay, &from_v4[..n], from).await;
                }
            }
            received = recv_opt(relay_state.out_v6.as_ref(), &mut from_v6) => {
                if let Ok((n, from)) = received {
                    relay_state.relay_to_client(&relay, &from_v6[..n], from).await;
                }
            }
        }
    }
}

/// Receives on `socket`, or waits forever when there is none yet.
async fn recv_opt(socket: Option<&UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match socket {
        Some(socket) => socket.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

struct Association {
    client_ip: IpAddr,
    client_port: Option<u16>,
    targets: VecDeque<SocketAddr>,
    out_v4: Option<UdpSocket>,
    out_v6: Option<UdpSocket>,
    resolve_timeout: Duration,
    policy: Option<TargetPolicy>,
}

impl Association {
    fn client_addr(&self) -> Option<SocketAddr> {
        self.client_port
            .map(|port| SocketAddr::new(self.client_ip, port))
    }

    async fn relay_to_target(&mut self, datagram: &[u8], from: SocketAddr) {
        if from.ip() != self.client_ip || self.client_port.is_some_and(|p| p != from.port()) {
            tracing::debug!(%from, "SOCKS5 UDP: datagram from a stranger dropped");
            return;
        }
        let (header, len) = match UdpHeader::decode(datagram) {
            Ok(parsed) => parsed,
            Err(err) => {
                tracing::debug!(error = %err, "SOCKS5 UDP: bad header, datagram dropped");
                return;
            }
        };
        if header.frag != 0 {
            tracing::debug!("SOCKS5 UDP: fragmented datagram dropped");
            return;
        }
        self.client_port.get_or_insert(from.port());
        let Some(target) = self.resolve(&header.destination).await else {
            return;
        };
        if let Some(Err(err)) = self.policy.as_ref().map(|p| p.check_ip(target.ip())) {
            tracing::debug!(%target, error = %err, "SOCKS5 UDP: datagram dropped");
            return;
        }
        let socket = match self.outbound(target.ip()).await {
            Ok(socket) => socket,
            Err(err) => {
                tracing::debug!(error = %err, "SOCKS5 UDP: cannot open an outbound socket");
                return;
            }
        };
        if let Err(err) = socket.send_to(&datagram[len..], target).await {
            tracing::debug!(%target, error = %err, "SOCKS5 UDP: send to the target failed");
            return;
        }
        if !self.targets.contains(&target) {
            if self.targets.len() == MAX_TARGETS {
                self.targets.pop_front();
            }
            self.targets.push_back(target);
        }
    }

    async fn relay_to_client(&self, relay: &UdpSocket, payload: &[u8], from: SocketAddr) {
        let from = SocketAddr::new(unmap(from.ip()), from.port());
        if !self.targets.contains(&from) {
            tracing::debug!(%from, "SOCKS5 UDP: datagram from a host the client did not contact dropped");
            return;
        }
        let Some(client) = self.client_addr() else {
            return;
        };
        let header = UdpHeader {
            frag: 0,
            destination: from.into(),
        };
        let mut out = Vec::with_capacity(22 + payload.len());
        header.encode(&mut out);
        out.extend_from_slice(payload);
        if let Err(err) = relay.send_to(&out, client).await {
            tracing::debug!(%client, error = %err, "SOCKS5 UDP: send to the client failed");
        }
    }

    async fn resolve(&self, destination: &Authority) -> Option<SocketAddr> {
        match destination.host() {
            Host::Address(ip) => Some(SocketAddr::new(*ip, destination.port())),
            Host::Name(name) => {
                let lookup = tokio::net::lookup_host((name.as_str(), destination.port()));
                match tokio::time::timeout(self.resolve_timeout, lookup).await {
                    Ok(Ok(mut addrs)) => addrs.next(),
                    Ok(Err(err)) => {
                        tracing::debug!(%name, error = %err, "SOCKS5 UDP: resolve failed, datagram dropped");
                        None
                    }
                    Err(_) => {
                        tracing::debug!(%name, "SOCKS5 UDP: resolve timed out, datagram dropped");
                        None
                    }
                }
            }
        }
    }

    async fn outbound(&mut self, ip: IpAddr) -> io::Result<&UdpSocket> {
        let (slot, any): (&mut Option<UdpSocket>, IpAddr) = match ip {
            IpAddr::V4(_) => (&mut self.out_v4, Ipv4Addr::UNSPECIFIED.into()),
            IpAddr::V6(_) => (&mut self.out_v6, Ipv6Addr::UNSPECIFIED.into()),
        };
        if slot.is_none() {
            *slot = Some(UdpSocket::bind((any, 0)).await?);
        }
        slot.as_ref()
            .ok_or_else(|| io::Error::other("outbound socket missing"))
    }
}

/// `::ffff:1.2.3.4` → `1.2.3.4`.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
