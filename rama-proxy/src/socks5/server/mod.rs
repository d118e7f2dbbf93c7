//! The SOCKS5 server: [`Socks5Acceptor`] serves accepted streams (a rama-tcp `TcpStream`,
//! or any [`Stream`] with [`SocketInfo`] in its extensions): method selection, optional
//! username/password login ([`Socks5Auth`]), then CONNECT, BIND or UDP ASSOCIATE.
//!
//! ```text
//! client ──TCP──▶ TcpListener ──▶ Socks5Acceptor
//!                                   │ greeting → method → (login) → request (timeout)
//!                                   ├─ CONNECT ──▶ connector.serve(TcpRequest) ──▶ target
//!                                   │              reply 0 + BND = local end; then the tunnel
//!                                   ├─ BIND ─────▶ listen on the server's interface:
//!                                   │              reply 1 = listening address, reply 2 = peer
//!                                   └─ UDP ASSOCIATE ▶ a UDP relay socket per association,
//!                                                  until the TCP connection closes
//! ```
//!
//! CONNECT goes through a connector (`Service<TcpRequest>`, by default rama-tcp's
//! `TcpConnector`): a domain target reaches it as a name and is resolved there (SOCKS5h),
//! an IP target is used as given. The request's extensions carry the stream's extensions,
//! the authenticated [`UserId`](rama_net::user::UserId) and, in label mode, the
//! [`UsernameLabels`](crate::username::UsernameLabels), so a proxy-database layer or a
//! [policy](crate::policy) connector can act on them. Failures get the reply code RFC 1928
//! has for them ([`reply_code_for`]).
//!
//! ```no_run
//! use rama_core::graceful::Shutdown;
//! use rama_net::{dns::InMemoryDns, user::Basic};
//! use rama_proxy::socks5::server::{Socks5Acceptor, Socks5Auth};
//! use rama_tcp::{client::TcpConnector, server::TcpListener};
//! use std::time::Duration;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let shutdown = Shutdown::default();
//! let listener = TcpListener::bind("127.0.0.1:1080").await?;
//! // names resolve through the connector's resolver (SOCKS5h); with rama-tcp's `hickory`
//! // feature, `TcpConnector::new()` uses the system's DNS configuration
//! let socks5 = Socks5Acceptor::new(TcpConnector::with_resolver(InMemoryDns::new()))
//!     .with_auth(Socks5Auth::users([Basic::new("john", "secret")?]));
//! shutdown.spawn_task_fn(async |guard| listener.serve_graceful(guard, socks5).await);
//! shutdown.shutdown_with_limit(Duration::from_secs(10)).await?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod bind;
mod connect;
mod error;
mod reply_code;
mod udp;

pub use auth::Socks5Auth;
pub use error::{Side, Socks5ServerError};
pub use reply_code::reply_code_for;

use crate::policy::TargetPolicy;
use crate::socks5::proto::{
    AuthMethod, Command, MethodReply, MethodSelection, ReadError, Reply, ReplyCode, Request,
    UsernamePasswordReply, UsernamePasswordRequest,
};
use auth::Login;
use rama_core::{Service, error::BoxError, extensions::ExtensionsRef};
use rama_net::{
    client::ConnectorService,
    stream::{ForwardConfig, SocketInfo, Stream},
};
use rama_tcp::client::TcpRequest;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long a client may take from its first byte to a complete request, by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long BIND waits for the inbound connection, by default.
pub const DEFAULT_BIND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long UDP ASSOCIATE waits for a destination name to resolve, by default.
pub const DEFAULT_UDP_RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A SOCKS5 server as a [`Service`] over accepted streams; see the [module docs](self).
///
/// `C` is the connector for CONNECT (`Service<TcpRequest>`); its connection's extensions
/// should hold a [`SocketInfo`] (rama-tcp's do) for the bound address of the reply.
#[derive(Debug, Clone)]
pub struct Socks5Acceptor<C> {
    connector: C,
    auth: Socks5Auth,
    handshake_timeout: Duration,
    bind_timeout: Duration,
    udp_resolve_timeout: Duration,
    bind: bool,
    udp_associate: bool,
    forward: ForwardConfig,
    udp_policy: Option<TargetPolicy>,
}

impl<C> Socks5Acceptor<C> {
    /// A server without authentication that connects through `connector`, with BIND and
    /// UDP ASSOCIATE enabled and the default timeouts.
    #[must_use]
    pub fn new(connector: C) -> Self {
        Self {
            connector,
            auth: Socks5Auth::none(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            bind_timeout: DEFAULT_BIND_TIMEOUT,
            udp_resolve_timeout: DEFAULT_UDP_RESOLVE_TIMEOUT,
            bind: true,
            udp_associate: true,
            forward: ForwardConfig::new(),
            udp_policy: None,
        }
    }

    /// Require this authentication.
    #[must_use]
    pub fn with_auth(mut self, auth: Socks5Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Limit the time from the client's first byte to its complete request.
    #[must_use]
    pub const fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Limit how long BIND waits for the inbound connection (then reply 6, TTL expired).
    #[must_use]
    pub const fn with_bind_timeout(mut self, timeout: Duration) -> Self {
        self.bind_timeout = timeout;
        self
    }

    /// Limit how long a UDP destination name may take to resolve (the datagram is dropped).
    #[must_use]
    pub const fn with_udp_resolve_timeout(mut self, timeout: Duration) -> Self {
        self.udp_resolve_timeout = timeout;
        self
    }

    /// Enable or disable BIND (disabled: reply 7, command not supported).
    #[must_use]
    pub const fn with_bind(mut self, enabled: bool) -> Self {
        self.bind = enabled;
        self
    }

    /// Enable or disable UDP ASSOCIATE (disabled: reply 7, command not supported).
    #[must_use]
    pub const fn with_udp_associate(mut self, enabled: bool) -> Self {
        self.udp_associate = enabled;
        self
    }

    /// Check UDP ASSOCIATE destinations (after resolving names) against `policy`;
    /// datagrams to refused addresses are dropped. CONNECT targets are checked by the
    /// connector (a [`PolicyConnector`](crate::policy::PolicyConnector)), which never sees
    /// UDP, so give the same policy here. Without it every UDP destination is allowed.
    #[must_use]
    pub fn with_udp_policy(mut self, policy: TargetPolicy) -> Self {
        self.udp_policy = Some(policy);
        self
    }

    /// How tunnels are forwarded (buffer size, idle timeout).
    #[must_use]
    pub const fn with_forward_config(mut self, forward: ForwardConfig) -> Self {
        self.forward = forward;
        self
    }

    /// The connector.
    #[must_use]
    pub const fn connector(&self) -> &C {
        &self.connector
    }
}

impl<C, S> Service<S> for Socks5Acceptor<C>
where
    C: ConnectorService<TcpRequest, Connection: ExtensionsRef>,
    S: Stream + Unpin + ExtensionsRef,
{
    type Output = ();
    type Error = Socks5ServerError;

    async fn serve(&self, mut stream: S) -> Result<(), Socks5ServerError> {
        let handshake =
            tokio::time::timeout(self.handshake_timeout, self.handshake(&mut stream)).await;
        let (request, login) = match handshake {
            Ok(result) => result?,
            Err(elapsed) => {
                return Err(Socks5ServerError::new(
                    Side::Client,
                    "handshake timed out",
                    elapsed,
                ));
            }
        };
        tracing::debug!(command = %request.command, target = %request.destination, "SOCKS5 request");
        match request.command {
            Command::Connect => {
                connect::serve_connect(self, stream, request.destination, login).await
            }
            Command::Bind => bind::serve_bind(self, stream, &request.destination).await,
            Command::UdpAssociate => udp::serve_udp(self, stream, &request.destination).await,
        }
    }
}

impl<C> Socks5Acceptor<C> {
    /// Greeting, method choice, login and request; failures are answered on the wire
    /// (0xFF method, failed login status, or the request's reply code) before returning.
    async fn handshake<S>(
        &self,
        stream: &mut S,
    ) -> Result<(Request, Option<Login>), Socks5ServerError>
    where
        S: Stream + Unpin,
    {
        let greeting = match MethodSelection::read_from(stream).await {
            Ok(greeting) => greeting,
            Err(ReadError::Protocol(err)) if err.reply_code().is_some() => {
                let reply = MethodReply {
                    method: AuthMethod::NoAcceptable,
                };
                let _ = write_flush(stream, &reply.to_bytes()).await;
                return Err(client_err("read greeting", err));
            }
            Err(err) => return Err(client_err("read greeting", err)),
        };
        let method = self.auth.choose(&greeting.methods);
        write_flush(stream, &MethodReply { method }.to_bytes())
            .await
            .map_err(|e| client_err("write method choice", e))?;
        let login = match method {
            AuthMethod::UsernamePassword => {
                let creds = UsernamePasswordRequest::read_from(stream)
                    .await
                    .map_err(|e| client_err("read username/password", e))?;
                let login = self.auth.check(&creds);
                let verdict = if login.is_some() {
                    UsernamePasswordReply::SUCCESS
                } else {
                    UsernamePasswordReply::FAILURE
                };
                write_flush(stream, &verdict.to_bytes())
                    .await
                    .map_err(|e| client_err("write login verdict", e))?;
                if login.is_none() {
                    drain_and_close(stream).await;
                }
                match login {
                    Some(login) => Some(login),
                    None => {
                        return Err(client_err(
                            "login",
                            format!("wrong username or password for user {:?}", creds.username),
                        ));
                    }
                }
            }
            AuthMethod::NoAuth => None,
            _ => {
                return Err(client_err(
                    "choose method",
                    "the client offered no acceptable authentication method",
                ));
            }
        };
        let request = match Request::read_from(stream).await {
            Ok(request) => request,
            Err(ReadError::Protocol(err)) => {
                if let Some(code) = err.reply_code() {
                    let _ = write_flush(stream, &Reply::failure(code).to_bytes()).await;
                    drain_and_close(stream).await;
                }
                return Err(client_err("read request", err));
            }
            Err(err) => return Err(client_err("read request", err)),
        };
        let enabled = match request.command {
            Command::Connect => true,
            Command::Bind => self.bind,
            Command::UdpAssociate => self.udp_associate,
        };
        if !enabled {
            let _ = write_flush(
                stream,
                &Reply::failure(ReplyCode::CommandNotSupported).to_bytes(),
            )
            .await;
            return Err(client_err(
                "request",
                format!("{} is disabled on this server", request.command),
            ));
        }
        Ok((request, login))
    }
}

async fn write_flush<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// After a failure reply: end our side, then read (and drop) what the client still sends
/// for a moment, so that closing with unread bytes does not reset the connection and
/// destroy the reply before the client read it.
async fn drain_and_close<S: Stream + Unpin>(stream: &mut S) {
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 1024];
    let mut budget = 64 * 1024usize;
    let drain = async {
        while budget > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => budget = budget.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

fn client_err(context: &'static str, err: impl Into<BoxError>) -> Socks5ServerError {
    Socks5ServerError::new(Side::Client, context, err)
}

/// Sends a reply; the error is the client's side.
async fn send_reply<S: AsyncWrite + Unpin>(
    stream: &mut S,
    reply: &Reply,
) -> Result<(), Socks5ServerError> {
    write_flush(stream, &reply.to_bytes())
        .await
        .map_err(|e| Socks5ServerError::new(Side::Client, "write reply", e))
}

/// The stream's [`SocketInfo`], needed by BIND and UDP ASSOCIATE.
fn socket_info<S: ExtensionsRef>(stream: &S) -> Option<SocketInfo> {
    stream.extensions().get::<SocketInfo>().cloned()
}
