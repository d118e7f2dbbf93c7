//! Happy Eyeballs version 2 (RFC 8305): race IPv6 and IPv4 so a broken family costs a
//! fraction of a second instead of a timeout.
//!
//! 1. The AAAA and A lookups start together.
//! 2. If the A answer comes first, wait up to the Resolution Delay (50 ms) for the AAAA
//!    answer before connecting over IPv4; addresses that arrive later join the list.
//! 3. Addresses are tried alternating families, IPv6 first.
//! 4. An attempt runs alone for the Connection Attempt Delay (250 ms); then, or as soon as
//!    it fails, the next address is tried alongside it.
//! 5. The first established connection wins; the other attempts are dropped (closed).

use super::{TcpConnectConfig, TcpConnectError};
use rama_core::error::BoxError;
use rama_net::address::Authority;
use socket2::{Domain, Protocol, Socket, Type};
use std::{
    collections::VecDeque,
    io,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    pin::pin,
    time::Duration,
};
use tokio::{
    net::TcpStream,
    task::JoinSet,
    time::{Instant, sleep},
};

/// Stands in for "never" in timers that are not armed yet.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365);

/// Open one connection to `addr` with the socket options of `config`.
///
/// A non-blocking connect says "in progress" even when the handshake already completed
/// during the call, as it does over loopback. tokio's `TcpSocket::connect` then always waits
/// one turn of the reactor; here a cheap `getpeername` checks first and the wait only
/// happens when the connection is really still in progress.
pub(crate) async fn connect_one(
    addr: SocketAddr,
    config: TcpConnectConfig,
) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(addr),
        socket_type(),
        Some(Protocol::TCP),
    )?;
    #[cfg(not(target_os = "linux"))]
    socket.set_nonblocking(true)?;
    if config.nodelay() {
        socket.set_tcp_nodelay(true)?;
    }
    if let Some(local) = config.local_address_for(addr.ip()) {
        socket.bind(&SocketAddr::new(local, 0).into())?;
    }
    let in_progress = match socket.connect(&addr.into()) {
        Ok(()) => false,
        Err(e) if connect_in_progress(&e) => true,
        Err(e) => return Err(e),
    };
    let stream = TcpStream::from_std(std::net::TcpStream::from(socket))?;
    if in_progress && stream.peer_addr().is_err() {
        // not connected yet (or failed): wait for the outcome
        stream.writable().await?;
        if let Some(err) = stream.take_error()? {
            return Err(err);
        }
        // writable without an error but still not connected cannot happen for TCP; make
        // sure, since a wrong "connected" would surface later as a confusing I/O error
        stream.peer_addr()?;
    }
    Ok(stream)
}

/// A stream socket type, non-blocking and close-on-exec from the start where the OS can do
/// it in the `socket` call.
fn socket_type() -> Type {
    #[cfg(target_os = "linux")]
    {
        Type::STREAM.nonblocking()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Type::STREAM
    }
}

/// Whether a non-blocking connect error only means "not finished yet".
fn connect_in_progress(err: &io::Error) -> bool {
    #[cfg(unix)]
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    err.kind() == io::ErrorKind::WouldBlock
}

/// The addresses not tried yet, per family, and which family went last.
#[derive(Debug, Default)]
struct Candidates {
    v6: VecDeque<SocketAddr>,
    v4: VecDeque<SocketAddr>,
    last_was_v6: Option<bool>,
}

impl Candidates {
    fn is_empty(&self) -> bool {
        self.v6.is_empty() && self.v4.is_empty()
    }

    /// The next address: alternate families, IPv6 first.
    fn pop(&mut self) -> Option<SocketAddr> {
        let want_v6 = self.last_was_v6 != Some(true);
        let addr = if want_v6 {
            self.v6.pop_front().or_else(|| self.v4.pop_front())
        } else {
            self.v4.pop_front().or_else(|| self.v6.pop_front())
        }?;
        self.last_was_v6 = Some(addr.is_ipv6());
        Some(addr)
    }
}

/// Resolve (through the two lookups) and connect to `target` the Happy Eyeballs way.
pub(crate) async fn happy_eyeballs<F6, F4>(
    target: &Authority,
    lookup6: F6,
    lookup4: F4,
    config: &TcpConnectConfig,
) -> Result<(TcpStream, SocketAddr), TcpConnectError>
where
    F6: Future<Output = Result<Vec<Ipv6Addr>, BoxError>>,
    F4: Future<Output = Result<Vec<Ipv4Addr>, BoxError>>,
{
    let port = target.port();
    let mut lookup6 = pin!(lookup6);
    let mut lookup4 = pin!(lookup4);
    let (mut pending6, mut pending4) = (true, true);
    let mut resolve_errors: Vec<BoxError> = Vec::new();
    let mut candidates = Candidates::default();

    let mut resolution_delay = pin!(sleep(FAR_FUTURE));
    let mut resolution_delay_armed = false;
    let mut resolution_delay_over = false;
    let mut attempt_timer = pin!(sleep(FAR_FUTURE));
    let mut attempts: JoinSet<(SocketAddr, io::Result<TcpStream>)> = JoinSet::new();
    let mut failures: Vec<(SocketAddr, io::Error)> = Vec::new();
    let mut start_next = true;

    loop {
        // while only the A answer is in, the Resolution Delay holds IPv4 back
        let waiting_for_aaaa = pending6 && !resolution_delay_over;
        if start_next
            && !waiting_for_aaaa
            && let Some(addr) = candidates.pop()
        {
            let config = *config;
            attempts.spawn(async move { (addr, connect_one(addr, config).await) });
            attempt_timer
                .as_mut()
                .reset(after(config.connection_attempt_delay()));
            start_next = false;
        }

        if !pending6 && !pending4 && attempts.is_empty() && candidates.is_empty() {
            return Err(if !failures.is_empty() {
                TcpConnectError::connect(target.clone(), failures)
            } else if resolve_errors.is_empty() {
                TcpConnectError::no_addresses(target.clone())
            } else {
                dedup_messages(&mut resolve_errors);
                TcpConnectError::resolve(target.clone(), resolve_errors)
            });
        }

        let has_candidates = !candidates.is_empty();
        tokio::select! {
            result = &mut lookup6, if pending6 => {
                pending6 = false;
                match result {
                    Ok(ips) => candidates
                        .v6
                        .extend(ips.into_iter().map(|ip| SocketAddr::new(IpAddr::V6(ip), port))),
                    Err(err) => resolve_errors.insert(0, err),
                }
                if attempts.is_empty() {
                    start_next = true;
                }
            }
            result = &mut lookup4, if pending4 => {
                pending4 = false;
                match result {
                    Ok(ips) => candidates
                        .v4
                        .extend(ips.into_iter().map(|ip| SocketAddr::new(IpAddr::V4(ip), port))),
                    Err(err) => resolve_errors.push(err),
                }
                if pending6 {
                    resolution_delay
                        .as_mut()
                        .reset(after(config.resolution_delay()));
                    resolution_delay_armed = true;
                }
                if attempts.is_empty() {
                    start_next = true;
                }
            }
            () = resolution_delay.as_mut(), if resolution_delay_armed && !resolution_delay_over && pending6 => {
                resolution_delay_over = true;
                if attempts.is_empty() {
                    start_next = true;
                }
            }
            () = attempt_timer.as_mut(), if !attempts.is_empty() && has_candidates && !start_next => {
                start_next = true;
            }
            Some(joined) = attempts.join_next(), if !attempts.is_empty() => match joined {
                Ok((addr, Ok(stream))) => return Ok((stream, addr)),
                Ok((addr, Err(err))) => {
                    tracing::debug!(%addr, %err, "connect attempt failed");
                    failures.push((addr, err));
                    start_next = true;
                }
                Err(err) => {
                    // an attempt task panicked or was aborted: move on to the next address
                    tracing::warn!(%err, "connect attempt task failed");
                    start_next = true;
                }
            },
        }
    }
}

/// The instant `delay` from now; a delay too large to add means "never".
fn after(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay.min(FAR_FUTURE)).unwrap_or(now)
}

/// Drop errors whose message repeats an earlier one (both lookups often fail alike).
fn dedup_messages(errors: &mut Vec<BoxError>) {
    let mut seen = Vec::new();
    errors.retain(|e| {
        let msg = e.to_string();
        if seen.contains(&msg) {
            false
        } else {
            seen.push(msg);
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_alternate_families_ipv6_first() {
        let mut c = Candidates::default();
        for a in ["127.0.0.1:1", "127.0.0.2:1", "127.0.0.3:1"] {
            c.v4.push_back(a.parse().unwrap());
        }
        c.v6.push_back("[::1]:1".parse().unwrap());
        let order: Vec<String> = std::iter::from_fn(|| c.pop())
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            order,
            ["[::1]:1", "127.0.0.1:1", "127.0.0.2:1", "127.0.0.3:1"]
        );
        assert!(c.is_empty());
    }

    #[test]
    fn huge_delays_do_not_overflow() {
        assert!(after(Duration::MAX) > Instant::now() + Duration::from_secs(86_400));
        assert!(after(Duration::ZERO) <= Instant::now());
    }

    #[test]
    fn repeated_resolve_errors_are_reported_once() {
        let mut errors: Vec<BoxError> = vec!["nx".into(), "nx".into(), "other".into()];
        dedup_messages(&mut errors);
        let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(msgs, ["nx", "other"]);
    }
}
