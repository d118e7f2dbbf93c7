//! [`MitmProxy`]: an HTTP proxy service that intercepts `CONNECT` tunnels and passes every
//! other request to an inner service.

use super::{
    fallback::tunnel,
    sniff::http_start,
    tls::{Interception, TunnelReason, classify, server_alpn},
    upstream::{MitmTunnel, TunnelService, connect_extensions, error_response},
};
use crate::username::UsernameLabels;
use rama_core::{
    Layer, Service,
    error::{BoxError, ErrorContext},
    extensions::{ExtensionsMut, ExtensionsRef},
    graceful::Executor,
};
use rama_http::{
    Body, Method, Request, Response, StatusCode,
    connection::ConnectionExtensions,
    server::{HttpServer, HttpService, upgrade::OnUpgrade},
};
use rama_net::{
    address::{Authority, ProxyAddress},
    client::EstablishedClientConnection,
    stream::{ForwardConfig, PeekOutcome, RewindStream, Stream, forward_bidirectional, peek_until},
    user::UserId,
};
use rama_tcp::client::TcpRequest;
use rama_tls::{
    cert::DynamicIssuer,
    client_hello::{PeekClientHelloConfig, peek_client_hello},
    config::{ClientConfig, ConfigError, ServerCertSource, ServerConfig},
    rustls::{TlsAcceptorLayer, TlsConnectorLayer, TlsStream},
};
use std::{fmt, sync::Arc, time::Duration};

/// How long a decrypted stream without ALPN is given to show it is HTTP (its first bytes)
/// before it is treated as a protocol in which the server speaks first (IMAPS, SMTPS) and
/// relayed to the target over a new TLS connection.
pub const FIRST_BYTES_WAIT: Duration = Duration::from_secs(3);

/// An HTTP proxy service that intercepts `CONNECT` tunnels:
///
/// ```text
/// CONNECT host:port ─► 200 ─► peek ClientHello (no byte consumed)
///   ├─ TLS offering HTTP (or no ALPN) ─► TLS with a leaf for the SNI (or host) from the
///   │     DynamicIssuer, ALPN h2/http1.1 as the client offered
///   │     ─► HTTP server (h2 or HTTP/1.1) on the decrypted stream
///   │     ─► each request: https://host:port/path ─► client (inspection, then TLS to the
///   │        target, verified) ─► response streamed back; a failure is a 502
///   │     (no ALPN and the decrypted bytes are not HTTP: relayed over a new TLS
///   │      connection to host:port, verified as `MitmConfig::with_upstream_tls` says)
///   ├─ TLS for another protocol (ALPN) ─► byte tunnel to host:port, not decrypted
///   └─ not TLS ─► byte tunnel to host:port, the peeked bytes replayed
/// other requests ─► the inner service (a forward proxy, a 405, ...)
/// ```
///
/// Type parameters: `Inner` serves non-CONNECT requests (and CONNECT requests that carry no
/// [`OnUpgrade`], such as h2 CONNECT); `Client` forwards decrypted requests (an
/// `EasyHttpWebClient`, with an [`InspectLayer`](super::InspectLayer) in front to inspect);
/// `Connector` opens the byte tunnels of the fallback (a `TcpConnector`).
///
/// The `200` is sent before anything is connected (the MITM must see the ClientHello
/// first): a target that cannot be reached shows as a `502` for decrypted requests, and as
/// a closed connection for byte tunnels.
pub struct MitmProxy<Inner, Client, Connector> {
    inner: Inner,
    shared: Arc<Shared<Client, Connector>>,
}

struct Shared<Client, Connector> {
    client: Arc<Client>,
    connector: Arc<Connector>,
    issuer: Arc<DynamicIssuer>,
    acceptor: TlsAcceptorLayer,
    upstream_tls: TlsConnectorLayer,
    server_config: ServerConfig,
    h2: bool,
    http: HttpServer,
    peek: PeekClientHelloConfig,
    forward: ForwardConfig,
    executor: Executor,
}

impl<Inner: fmt::Debug, Client, Connector> fmt::Debug for MitmProxy<Inner, Client, Connector> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MitmProxy")
            .field("inner", &self.inner)
            .field("issuer", &self.shared.issuer)
            .field("h2", &self.shared.h2)
            .finish_non_exhaustive()
    }
}

impl<Inner: Clone, Client, Connector> Clone for MitmProxy<Inner, Client, Connector> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

/// Settings of a [`MitmProxy`] other than its services.
///
/// ```
/// use rama_proxy::mitm::MitmConfig;
/// use std::time::Duration;
///
/// let config = MitmConfig::new().with_h2(false).with_peek_timeout(Duration::from_secs(5));
/// assert!(!config.h2());
/// ```
#[derive(Debug, Clone)]
pub struct MitmConfig {
    h2: bool,
    http: HttpServer,
    peek: PeekClientHelloConfig,
    forward: ForwardConfig,
    upstream_tls: ClientConfig,
    executor: Executor,
}

impl Default for MitmConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl MitmConfig {
    /// h2 offered to clients that offer it, [`HttpServer::auto`] with its defaults, the
    /// ClientHello peek's defaults (10 s, 64 KiB), the default [`ForwardConfig`] for byte
    /// tunnels, webpki roots for re-encrypted tunnels.
    #[must_use]
    pub fn new() -> Self {
        Self {
            h2: true,
            http: HttpServer::auto(),
            peek: PeekClientHelloConfig::new(),
            forward: ForwardConfig::new(),
            upstream_tls: ClientConfig::new(),
            executor: Executor::new(),
        }
    }

    /// Where each tunnel's task is spawned (plain `tokio::spawn` by default). Give a
    /// graceful one ([`Executor::graceful`]) so that shutdown waits for the tunnels: their
    /// HTTP connections close when idle (h2 with GOAWAY), byte tunnels run to their end or
    /// the shutdown's time limit.
    #[must_use]
    pub fn with_executor(mut self, executor: Executor) -> Self {
        self.executor = executor;
        self
    }

    /// The TLS settings (verification above all) of the connections that relay decrypted
    /// streams that turned out not to be HTTP (a client without ALPN). HTTP requests go
    /// through the client given to the [`MitmProxy`] and its own TLS settings: give both
    /// the same verification.
    #[must_use]
    pub fn with_upstream_tls(mut self, config: ClientConfig) -> Self {
        self.upstream_tls = config;
        self
    }

    /// Whether h2 is offered to clients that offer it (on by default). The MITM's side
    /// towards the target negotiates on its own, so either side may speak either version.
    #[must_use]
    pub const fn with_h2(mut self, on: bool) -> Self {
        self.h2 = on;
        self
    }

    /// Whether h2 is offered.
    #[must_use]
    pub const fn h2(&self) -> bool {
        self.h2
    }

    /// The HTTP server run on decrypted streams (limits, timeouts).
    #[must_use]
    pub fn with_http_server(mut self, http: HttpServer) -> Self {
        self.http = http;
        self
    }

    /// How long the ClientHello may take, and its size limit.
    #[must_use]
    pub const fn with_peek_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.peek = self.peek.with_timeout(timeout);
        self
    }

    /// Buffer size and idle timeout of byte tunnels.
    #[must_use]
    pub const fn with_forward_config(mut self, forward: ForwardConfig) -> Self {
        self.forward = forward;
        self
    }
}

impl<Inner, Client, Connector> MitmProxy<Inner, Client, Connector> {
    /// A MITM proxy with the default [`MitmConfig`]: leaves from `issuer`, decrypted
    /// requests to `client`, byte tunnels through `connector`, other requests to `inner`.
    ///
    /// # Errors
    ///
    /// When rustls refuses the acceptor's config (it does not with the defaults) or the
    /// upstream TLS config ([`MitmConfig::with_upstream_tls`]).
    pub fn new(
        inner: Inner,
        issuer: Arc<DynamicIssuer>,
        client: Client,
        connector: Connector,
    ) -> Result<Self, ConfigError> {
        Self::with_config(inner, issuer, client, connector, MitmConfig::new())
    }

    /// [`new`](Self::new) with `config`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_config(
        inner: Inner,
        issuer: Arc<DynamicIssuer>,
        client: Client,
        connector: Connector,
        config: MitmConfig,
    ) -> Result<Self, ConfigError> {
        let server_config = ServerConfig::new(ServerCertSource::resolver(issuer.clone()))
            .with_alpn(server_alpn(config.h2));
        let acceptor = TlsAcceptorLayer::new(&server_config)?;
        let upstream_tls = TlsConnectorLayer::new(&config.upstream_tls)?;
        Ok(Self {
            inner,
            shared: Arc::new(Shared {
                client: Arc::new(client),
                connector: Arc::new(connector),
                issuer,
                acceptor,
                upstream_tls,
                server_config,
                h2: config.h2,
                http: config.http,
                peek: config.peek,
                forward: config.forward,
                executor: config.executor,
            }),
        })
    }

    /// The issuer of the leaves (its CA is what clients must trust).
    #[must_use]
    pub fn issuer(&self) -> &Arc<DynamicIssuer> {
        &self.shared.issuer
    }

    /// The service for requests that are not intercepted.
    #[must_use]
    pub const fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The client decrypted requests go to.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.shared.client
    }
}

impl<Inner, Client, Connector, IO> Service<Request<Body>> for MitmProxy<Inner, Client, Connector>
where
    Inner: Service<Request<Body>, Output = Response<Body>>,
    Inner::Error: Into<BoxError>,
    Client: Service<Request<Body>, Output = Response<Body>>,
    Client::Error: Into<BoxError>,
    Connector: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    Connector::Error: Into<BoxError>,
    IO: Stream + ExtensionsRef + Unpin,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, mut req: Request<Body>) -> Result<Response<Body>, BoxError> {
        if req.method() != Method::CONNECT {
            return self.inner.serve(req).await.map_err(Into::into);
        }
        let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
            return self.inner.serve(req).await.map_err(Into::into);
        };
        let target = match connect_target(&req) {
            Ok(target) => target,
            Err(message) => return Ok(error_response(StatusCode::BAD_REQUEST, &message)),
        };
        // what the tunnels' own connections carry, as the forward proxy's CONNECT does: the
        // upstream proxy picked for this request, the user and its labels
        let mut request = TcpRequest::new(target.clone());
        if let Some(proxy) = req.connection_get::<ProxyAddress>() {
            request.extensions.insert(proxy.clone());
        }
        if let Some(labels) = req.connection_get::<UsernameLabels>() {
            request.extensions.insert(labels.clone());
        }
        if let Some(user) = req.connection_get::<UserId>() {
            request.extensions.insert(user.clone());
        }
        let extensions = connect_extensions(std::mem::take(req.extensions_mut()));
        let shared = self.shared.clone();
        self.shared.executor.spawn_task(async move {
            let io = match on_upgrade.upgraded().await {
                Ok(io) => io,
                Err(err) => {
                    tracing::debug!(%target, "MITM: no tunnel: {err}");
                    return;
                }
            };
            if let Err(err) = shared.intercept(io, request, extensions).await {
                tracing::debug!(%target, "MITM tunnel ended with an error: {err:#}");
            }
        });
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::OK;
        Ok(res)
    }
}

/// The `host:port` of a CONNECT request (authority form; the port is required).
fn connect_target(req: &Request<Body>) -> Result<Authority, String> {
    let authority = req
        .uri()
        .authority()
        .ok_or_else(|| format!("CONNECT needs host:port, not {:?}", req.uri().to_string()))?;
    if authority.port().is_none() {
        return Err(format!("CONNECT needs a port: {authority}"));
    }
    authority
        .as_str()
        .parse()
        .map_err(|e| format!("CONNECT target {authority}: {e}"))
}

impl<Client, Connector, IO> Shared<Client, Connector>
where
    Client: Service<Request<Body>, Output = Response<Body>>,
    Client::Error: Into<BoxError>,
    Connector: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    Connector::Error: Into<BoxError>,
    IO: Stream + ExtensionsRef + Unpin,
{
    /// Peek, classify, then decrypt and serve HTTP, or relay bytes.
    async fn intercept<S>(
        self: &Arc<Self>,
        io: S,
        request: TcpRequest,
        connect_extensions: http::Extensions,
    ) -> Result<(), BoxError>
    where
        S: Stream + ExtensionsMut + Unpin,
    {
        let target = request.authority.clone();
        let peeked = peek_client_hello(io, &self.peek).await;
        let mut stream = peeked.stream;
        let hello = match peeked.client_hello {
            Ok(hello) => Some(hello),
            Err(err) if err.is_not_tls() => None,
            Err(err) => return Err(err.into()),
        };
        let host = target.host().to_string();
        match classify(hello.as_ref(), &host, self.h2) {
            Interception::Tunnel(reason) => {
                self.relay(stream, request, reason).await?;
            }
            Interception::Decrypt { server_name } => {
                let sni = hello
                    .as_ref()
                    .and_then(|h| h.server_name())
                    .map(str::to_owned);
                tracing::debug!(%target, %server_name, "MITM: decrypting");
                let tunnel = Arc::new(MitmTunnel::new(target.clone(), sni.clone()));
                stream.extensions_mut().insert((*tunnel).clone());
                let http = self.http.clone().service(TunnelService {
                    client: self.client.clone(),
                    tunnel,
                    connect_extensions,
                });
                let decrypted = Decrypted {
                    shared: self.clone(),
                    http,
                    request,
                };
                if sni.is_some() {
                    self.acceptor.layer(decrypted).serve(stream).await?;
                } else {
                    // no SNI to resolve by: a leaf for the CONNECT host, this connection only
                    let leaf = self
                        .issuer
                        .issue(&server_name)
                        .await
                        .with_context(|| format!("issue a leaf for {server_name}"))?;
                    let mut config = self.server_config.clone();
                    config.cert = leaf.into();
                    TlsAcceptorLayer::new(&config)?
                        .into_layer(decrypted)
                        .serve(stream)
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn relay<S>(
        &self,
        stream: RewindStream<S>,
        request: TcpRequest,
        reason: TunnelReason,
    ) -> Result<(), BoxError>
    where
        S: Stream + Unpin,
    {
        let target = request.authority.clone();
        tracing::debug!(%target, "MITM: byte tunnel ({reason})");
        let moved = tunnel(stream, request, &*self.connector, &self.forward).await?;
        tracing::debug!(
            %target,
            up = moved.client_to_upstream,
            down = moved.upstream_to_client,
            spliced = moved.spliced,
            "MITM: byte tunnel closed"
        );
        Ok(())
    }

    /// Relay a decrypted stream that is not HTTP to `target` over a new TLS connection.
    async fn relay_tls<S>(&self, client: &mut S, request: TcpRequest) -> Result<(), BoxError>
    where
        S: Stream + Unpin,
    {
        let target = request.authority.clone();
        tracing::debug!(%target, "MITM: decrypted stream is not HTTP: relayed over TLS");
        let connector = self.upstream_tls.layer(self.connector.clone());
        let EstablishedClientConnection {
            conn: mut upstream, ..
        } = connector
            .serve(request)
            .await
            .with_context(|| format!("connect to {target} over TLS"))?;
        forward_bidirectional(client, &mut upstream, &self.forward)
            .await
            .with_context(|| format!("relay the decrypted stream to {target}"))?;
        Ok(())
    }
}

/// What runs on a decrypted stream: HTTP when ALPN agreed on it or the first bytes look
/// like it, else a relay over a new TLS connection to the target.
struct Decrypted<Client, Connector> {
    shared: Arc<Shared<Client, Connector>>,
    http: HttpService<TunnelService<Client>>,
    /// The target, with what its connections carry (upstream proxy, user).
    request: TcpRequest,
}

impl<Client, Connector, IO, T> Service<TlsStream<T>> for Decrypted<Client, Connector>
where
    Client: Service<Request<Body>, Output = Response<Body>>,
    Client::Error: Into<BoxError>,
    Connector: Service<TcpRequest, Output = EstablishedClientConnection<IO, TcpRequest>>,
    Connector::Error: Into<BoxError>,
    IO: Stream + ExtensionsRef + Unpin,
    T: Stream + Unpin,
{
    type Output = ();
    type Error = BoxError;

    async fn serve(&self, tls: TlsStream<T>) -> Result<(), BoxError> {
        if tls.negotiated().is_some_and(|p| p.alpn.is_some()) {
            // the classification let through only HTTP protocols
            return self.http.serve(tls).await;
        }
        let peeked = peek_until(tls, 32, FIRST_BYTES_WAIT, |seen| http_start(seen).is_some())
            .await
            .context("read the first decrypted bytes")?;
        match (http_start(&peeked.bytes), peeked.outcome) {
            (Some(true), _) => self.http.serve(peeked.stream).await,
            (None, PeekOutcome::Eof) if peeked.bytes.is_empty() => Ok(()),
            _ => {
                let mut stream = peeked.stream;
                self.shared
                    .relay_tls(&mut stream, self.request.clone())
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_and_its_config_are_send_and_sync() {
        fn send_sync<T: Send + Sync + 'static>() {}
        type Svc = rama_core::service::BoxService<Request<Body>, Response<Body>, BoxError>;
        type Conn = rama_core::service::BoxService<
            TcpRequest,
            EstablishedClientConnection<rama_tcp::TcpStream, TcpRequest>,
            BoxError,
        >;
        send_sync::<MitmProxy<Svc, Svc, Conn>>();
        send_sync::<MitmConfig>();
    }

    #[test]
    fn connect_target_table() {
        let cases: [(&str, Result<&str, &str>); 4] = [
            ("a.test:443", Ok("a.test:443")),
            ("127.0.0.1:8443", Ok("127.0.0.1:8443")),
            ("[::1]:1", Ok("[::1]:1")),
            ("a.test", Err("needs a port")),
        ];
        for (uri, expected) in cases {
            let req = Request::builder()
                .method(Method::CONNECT)
                .uri(uri)
                .body(Body::empty())
                .unwrap();
            match (connect_target(&req), expected) {
                (Ok(a), Ok(want)) => assert_eq!(a.to_string(), want),
                (Err(e), Err(part)) => assert!(e.contains(part), "{uri}: {e}"),
                (got, want) => panic!("{uri}: {got:?} vs {want:?}"),
            }
        }
    }
}
