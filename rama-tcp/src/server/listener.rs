//! [`TcpListener`] and its [`TcpListenerBuilder`].

use super::{
    BindError,
    accept_error::{AcceptErrorClass, Backoff, classify},
    balance::{Handover, OpenConnection, Worker},
};
use crate::TcpStream;
use rama_core::{
    Service,
    error::BoxError,
    graceful::{ShutdownGuard, ShutdownSignal},
};
use rama_net::{address::SocketAddress, stream::SocketInfo};
use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};
use std::{fmt, io, net::SocketAddr, sync::Arc, time::Duration};

/// The default length of the queue of connections waiting to be accepted.
pub const DEFAULT_BACKLOG: u32 = 1024;

/// Socket options for a [`TcpListener`], then [`bind`](Self::bind).
///
/// | option | default |
/// |---|---|
/// | [`backlog`](Self::backlog) | [`DEFAULT_BACKLOG`] (1024; the OS caps it at `net.core.somaxconn`) |
/// | [`reuse_address`](Self::reuse_address) (`SO_REUSEADDR`) | on: restart without waiting for `TIME_WAIT` |
/// | [`reuse_port`](Self::reuse_port) (`SO_REUSEPORT`, unix) | off |
/// | [`nodelay`](Self::nodelay) (`TCP_NODELAY` on accepted sockets) | on |
/// | [`keepalive`](Self::keepalive) (`SO_KEEPALIVE` on accepted sockets) | off |
/// | [`ipv6_only`](Self::ipv6_only) (`IPV6_V6ONLY`, IPv6 addresses) | the OS default (Linux: dual-stack) |
///
/// ```no_run
/// use rama_tcp::server::TcpListener;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = TcpListener::builder()
///     .backlog(4096)
///     .reuse_port(true)
///     .keepalive(Some(Duration::from_secs(60)))
///     .bind("[::]:8080")
///     .await?;
/// println!("listening on {}", listener.local_addr()?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpListenerBuilder {
    backlog: u32,
    reuse_address: bool,
    reuse_port: bool,
    nodelay: bool,
    keepalive: Option<Duration>,
    ipv6_only: Option<bool>,
}

impl Default for TcpListenerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TcpListenerBuilder {
    /// The defaults listed on [`TcpListenerBuilder`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            backlog: DEFAULT_BACKLOG,
            reuse_address: true,
            reuse_port: false,
            nodelay: true,
            keepalive: None,
            ipv6_only: None,
        }
    }

    /// The length of the queue of connections not yet accepted.
    #[must_use]
    pub const fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR`: bind even while connections of a previous listener on this port are
    /// in `TIME_WAIT`.
    #[must_use]
    pub const fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT` (unix): let several listeners bind the same address; the kernel
    /// spreads connections over them. Ignored on other platforms.
    #[must_use]
    pub const fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// `TCP_NODELAY` on every accepted socket: send small writes at once.
    #[must_use]
    pub const fn nodelay(mut self, on: bool) -> Self {
        self.nodelay = on;
        self
    }

    /// `SO_KEEPALIVE` on every accepted socket, with the first probe after `idle` of
    /// silence; `None` leaves keepalive off.
    #[must_use]
    pub const fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.keepalive = idle;
        self
    }

    /// `IPV6_V6ONLY` for IPv6 addresses: `true` accepts only IPv6, `false` also accepts IPv4
    /// (as `::ffff:a.b.c.d`) on `[::]`; unset keeps the OS default.
    #[must_use]
    pub const fn ipv6_only(mut self, on: bool) -> Self {
        self.ipv6_only = Some(on);
        self
    }

    /// Create the socket, set the options, bind `addr` and listen.
    ///
    /// `addr` is anything that converts into a [`SocketAddress`]: `"127.0.0.1:8080"`,
    /// `"[::1]:0"`, a [`SocketAddr`], `(IpAddr, u16)`.
    ///
    /// # Errors
    ///
    /// A [`BindError`] naming the address and the reason (in use, not available, no
    /// permission, unparsable).
    pub async fn bind<A>(self, addr: A) -> Result<TcpListener, BindError>
    where
        A: TryInto<SocketAddress, Error: fmt::Display>,
    {
        let addr: SocketAddr = match addr.try_into() {
            Ok(addr) => addr.into(),
            Err(err) => {
                return Err(BindError::new(
                    "(invalid address)",
                    io::Error::new(io::ErrorKind::InvalidInput, err.to_string()),
                ));
            }
        };
        let std_listener = self.bind_std(addr)?;
        self.from_std(std_listener)
            .map_err(|err| BindError::new(addr, err))
    }

    /// Bind like [`bind`](Self::bind), but return the listening socket as a std listener
    /// (non-blocking) without registering it with a runtime. No runtime is needed.
    ///
    /// With [`try_clone`](std::net::TcpListener::try_clone) and
    /// [`from_std`](Self::from_std) it lets several single-threaded runtimes accept from one
    /// socket: each takes the next connection when it is free, unlike `SO_REUSEPORT`
    /// listeners, between which the kernel spreads connections by hash.
    ///
    /// # Errors
    ///
    /// A [`BindError`] naming the address and the reason.
    pub fn bind_std(&self, addr: SocketAddr) -> Result<std::net::TcpListener, BindError> {
        self.bind_socket(addr)
            .map_err(|err| BindError::new(addr, err))
    }

    /// A [`TcpListener`] with these options for the accepted sockets, from a bound and
    /// listening std listener (set to non-blocking here). Must be called within a tokio
    /// runtime, which then drives the listener.
    ///
    /// # Errors
    ///
    /// When the socket cannot be made non-blocking or registered with the runtime.
    pub fn from_std(&self, listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        let inner = tokio::net::TcpListener::from_std(listener)?;
        Ok(TcpListener::new(inner, self.nodelay, self.keepalive))
    }

    /// Binds (without listening, without `SO_REUSEPORT`) a socket to `addr` and closes it
    /// again: whether the address is free, and the port the OS picks for port 0.
    ///
    /// A set of `SO_REUSEPORT` listeners shares its address with any other `SO_REUSEPORT`
    /// socket of the same user, so binding them cannot tell that another server (a second
    /// rama, say) listens there already; this probe fails with "address in use" then.
    pub(crate) fn probe(&self, addr: SocketAddr) -> Result<SocketAddr, BindError> {
        let probe = || -> io::Result<SocketAddr> {
            self.bound_socket(addr, false)?
                .local_addr()?
                .as_socket()
                .ok_or_else(|| io::Error::other("bound a TCP socket to a non-IP address"))
        };
        probe().map_err(|err| BindError::new(addr, err))
    }

    fn bind_socket(&self, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = self.bound_socket(addr, self.reuse_port)?;
        socket.set_nonblocking(true)?;
        let backlog = i32::try_from(self.backlog).unwrap_or(i32::MAX);
        socket.listen(backlog)?;
        Ok(socket.into())
    }

    /// A socket with these options bound to `addr` (not listening yet); `reuse_port`
    /// instead of the builder's setting, so that [`probe`](Self::probe) can leave it off.
    fn bound_socket(&self, addr: SocketAddr, reuse_port: bool) -> io::Result<Socket> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        if self.reuse_address {
            socket.set_reuse_address(true)?;
        }
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        if reuse_port {
            socket.set_reuse_port(true)?;
        }
        #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
        let _ = reuse_port;
        if let (SocketAddr::V6(_), Some(only)) = (addr, self.ipv6_only) {
            socket.set_only_v6(only)?;
        }
        socket.bind(&SockAddr::from(addr))?;
        Ok(socket)
    }
}

/// Sets `TCP_NODELAY` on `listener` where the sockets it accepts inherit it, and returns
/// whether they do (so they need no `setsockopt` each): Linux copies the listening
/// socket's option to every socket it accepts (the child socket is a clone of the
/// listener); the `accepted_sockets_have_nodelay` test holds the kernel to it. `false`
/// elsewhere, or when the listener refuses the option: then each accepted socket gets it.
fn inherit_nodelay(listener: &tokio::net::TcpListener) -> bool {
    cfg!(any(target_os = "linux", target_os = "android"))
        && socket2::SockRef::from(listener)
            .set_tcp_nodelay(true)
            .is_ok()
}

/// A TCP listener that hands every accepted connection, as a [`TcpStream`], to a
/// [`Service`].
///
/// Each stream's extensions hold a [`SocketInfo`] (peer and local address) and, when served
/// with [`serve_graceful`](Self::serve_graceful), the [`ShutdownSignal`].
///
/// The accept loop never dies of an error: a connection that fails while being accepted is
/// skipped; when the process runs out of file descriptors or memory (`EMFILE`, `ENFILE`,
/// `ENOBUFS`, `ENOMEM`) the loop logs it and pauses (10 ms, doubling up to 1 s) until an
/// accept succeeds again. Errors of the service are logged with the peer address.
///
/// ```no_run
/// use rama_core::{graceful::Shutdown, service_fn};
/// use rama_tcp::{TcpStream, server::TcpListener};
/// use std::{convert::Infallible, time::Duration};
/// use tokio::io::AsyncWriteExt;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let shutdown = Shutdown::default();
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// shutdown.spawn_task_fn(async |guard| {
///     let hello = service_fn(async |mut stream: TcpStream| {
///         stream.write_all(b"hello\n").await?;
///         Ok::<_, std::io::Error>(())
///     });
///     listener.serve_graceful(guard, hello).await;
/// });
/// shutdown.shutdown_with_limit(Duration::from_secs(30)).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TcpListener {
    inner: tokio::net::TcpListener,
    /// Set `TCP_NODELAY` on each accepted socket; false as well when the listening socket
    /// has it and the kernel copies it to the sockets it accepts (see [`inherit_nodelay`]).
    nodelay: bool,
    keepalive: Option<Duration>,
    /// The local address of every accepted socket, when the listener is bound to one IP
    /// (saves a `getsockname` per connection); `None` for a wildcard address.
    fixed_local: Option<SocketAddr>,
}

impl TcpListener {
    /// Options to set before binding; see [`TcpListenerBuilder`].
    #[must_use]
    pub const fn builder() -> TcpListenerBuilder {
        TcpListenerBuilder::new()
    }

    /// Bind `addr` with the default options of [`TcpListenerBuilder`].
    ///
    /// # Errors
    ///
    /// A [`BindError`] naming the address and the reason.
    pub async fn bind<A>(addr: A) -> Result<Self, BindError>
    where
        A: TryInto<SocketAddress, Error: fmt::Display>,
    {
        TcpListenerBuilder::new().bind(addr).await
    }

    /// Wrap a bound tokio listener; accepted sockets get `TCP_NODELAY`.
    #[must_use]
    pub fn from_tokio(inner: tokio::net::TcpListener) -> Self {
        Self::new(inner, true, None)
    }

    fn new(inner: tokio::net::TcpListener, nodelay: bool, keepalive: Option<Duration>) -> Self {
        let fixed_local = inner
            .local_addr()
            .ok()
            .filter(|addr| !addr.ip().is_unspecified());
        let nodelay = nodelay && !inherit_nodelay(&inner);
        Self {
            inner,
            nodelay,
            keepalive,
            fixed_local,
        }
    }

    /// The address the listener is bound to (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Accept one connection, with the socket options applied and a [`SocketInfo`] in its
    /// extensions. Errors are returned as they are: [`serve`](Self::serve) is the loop that
    /// handles them.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, like tokio's `accept`.
    pub async fn accept(&self) -> io::Result<TcpStream> {
        let (stream, peer) = self.inner.accept().await?;
        Ok(self.prepare(stream, peer))
    }

    fn prepare(&self, stream: tokio::net::TcpStream, peer: SocketAddr) -> TcpStream {
        if self.nodelay
            && let Err(err) = stream.set_nodelay(true)
        {
            tracing::debug!(%peer, %err, "set TCP_NODELAY on accepted socket");
        }
        if let Some(idle) = self.keepalive {
            let keepalive = TcpKeepalive::new().with_time(idle);
            if let Err(err) = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive) {
                tracing::debug!(%peer, %err, "set SO_KEEPALIVE on accepted socket");
            }
        }
        let local = self.fixed_local.or_else(|| stream.local_addr().ok());
        let mut stream = TcpStream::new(stream);
        rama_core::extensions::ExtensionsMut::extensions_mut(&mut stream)
            .insert(SocketInfo::new(local, peer));
        stream
    }

    /// Serve every accepted connection with `service`, each in its own task, until the
    /// process ends.
    pub async fn serve<S>(self, service: S)
    where
        S: Service<TcpStream, Error: Into<BoxError>>,
    {
        self.run(service, None, None).await;
    }

    /// Serve every accepted connection with `service`, each in a task tracked by `guard`,
    /// until shutdown begins; then stop accepting (the listening socket is closed) and
    /// return. The connections in flight keep running: wait for them with
    /// [`Shutdown::shutdown_with_limit`](rama_core::graceful::Shutdown::shutdown_with_limit).
    ///
    /// Each stream carries the [`ShutdownSignal`] in its extensions, so protocols can end
    /// their connections early (close keep-alive, send GOAWAY).
    pub async fn serve_graceful<S>(self, guard: ShutdownGuard, service: S)
    where
        S: Service<TcpStream, Error: Into<BoxError>>,
    {
        self.run(service, Some(guard), None).await;
    }

    /// [`serve_graceful`](Self::serve_graceful) as one worker of a set, balanced with the
    /// others when `worker` is given (see [`balance`](super::balance)).
    pub(crate) async fn run_graceful<S>(
        self,
        guard: ShutdownGuard,
        service: S,
        worker: Option<Worker>,
    ) where
        S: Service<TcpStream, Error: Into<BoxError>>,
    {
        self.run(service, Some(guard), worker).await;
    }

    async fn run<S>(self, service: S, guard: Option<ShutdownGuard>, mut worker: Option<Worker>)
    where
        S: Service<TcpStream, Error: Into<BoxError>>,
    {
        let service = Arc::new(service);
        let signal = guard.as_ref().map(ShutdownGuard::signal);
        let cancelled = async {
            match &guard {
                Some(guard) => guard.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let mut cancelled = std::pin::pin!(cancelled);
        let mut backoff = Backoff::new();
        let spawn = |stream: TcpStream, peer: SocketAddr, open: Option<OpenConnection>| {
            self.spawn(
                stream,
                peer,
                &service,
                guard.as_ref(),
                signal.as_ref(),
                open,
            );
        };
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut cancelled => break,
                Some(handover) = next_handover(worker.as_mut()) => {
                    // the sender counted it here: the count goes with the task, or at
                    // once if the connection cannot be adopted
                    let open = worker.as_ref().map(Worker::counted_here);
                    if let Some((stream, peer)) = self.adopt(handover) {
                        spawn(stream, peer, open);
                    }
                    continue;
                }
                accepted = self.inner.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    backoff.reset();
                    let (stream, open) = match &worker {
                        None => (stream, None),
                        Some(worker) => match keep_or_hand_over(worker, stream, peer) {
                            Some(stream) => (stream, Some(worker.open_here())),
                            None => continue,
                        },
                    };
                    spawn(self.prepare(stream, peer), peer, open);
                }
                Err(err) => match classify(&err) {
                    AcceptErrorClass::Connection => {
                        tracing::debug!(%err, "accept: connection failed before it was accepted");
                    }
                    class => {
                        let pause = backoff.next_pause();
                        if class == AcceptErrorClass::Resource {
                            tracing::warn!(%err, ?pause, "accept: out of resources, pausing");
                        } else {
                            tracing::error!(%err, ?pause, "accept failed, pausing");
                        }
                        tokio::select! {
                            () = &mut cancelled => break,
                            () = tokio::time::sleep(pause) => {}
                        }
                    }
                },
            }
        }
        // connections other workers handed over before this one stopped are served too
        if let Some(worker) = &mut worker {
            for handover in worker.close_inbox() {
                let open = worker.counted_here();
                if let Some((stream, peer)) = self.adopt(handover) {
                    spawn(stream, peer, Some(open));
                }
            }
        }
        if let Ok(addr) = self.inner.local_addr() {
            tracing::debug!(%addr, "listener stopped accepting");
        }
    }

    /// A connection another worker accepted, registered with this runtime and prepared as
    /// if accepted here; `None` (logged) when the runtime refuses it.
    fn adopt(&self, handover: Handover) -> Option<(TcpStream, SocketAddr)> {
        let Handover { stream, peer } = handover;
        match tokio::net::TcpStream::from_std(stream) {
            Ok(stream) => Some((self.prepare(stream, peer), peer)),
            Err(err) => {
                tracing::debug!(%peer, %err, "register a connection handed over by another worker");
                None
            }
        }
    }

    fn spawn<S>(
        &self,
        mut stream: TcpStream,
        peer: SocketAddr,
        service: &Arc<S>,
        guard: Option<&ShutdownGuard>,
        signal: Option<&ShutdownSignal>,
        open: Option<OpenConnection>,
    ) where
        S: Service<TcpStream, Error: Into<BoxError>>,
    {
        if let Some(signal) = signal {
            rama_core::extensions::ExtensionsMut::extensions_mut(&mut stream)
                .insert(signal.clone());
        }
        let service = service.clone();
        let task = async move {
            // counted as open until the task ends
            let _open = open;
            if let Err(err) = service.serve(stream).await {
                let err: BoxError = err.into();
                tracing::warn!(%peer, "serve tcp connection: {err:#}");
            }
        };
        // A large connection future (a TLS or HTTP stack's) is boxed first: spawning moves a
        // future into the task several times, and one copy into a box is cheaper than that
        // for anything past a few hundred bytes. Small ones are spawned as they are.
        if std::mem::size_of_val(&task) > SPAWN_INLINE_MAX {
            spawn_on(guard, Box::pin(task));
        } else {
            spawn_on(guard, task);
        }
    }
}

/// The next handover of `worker`, or never without one.
async fn next_handover(worker: Option<&mut Worker>) -> Option<Handover> {
    match worker {
        Some(worker) => worker.next_handover().await,
        None => std::future::pending().await,
    }
}

/// `stream`, just accepted by `worker`, to be served here; or `None` when it went to a
/// less loaded worker (or was lost on the way: logged). A worker that takes no more
/// connections gives it back.
fn keep_or_hand_over(
    worker: &Worker,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Option<tokio::net::TcpStream> {
    let Some(to) = worker.handover_target() else {
        return Some(stream);
    };
    let stream = match stream.into_std() {
        Ok(stream) => stream,
        Err(err) => {
            tracing::debug!(%peer, %err, "take a connection out of the reactor to hand it over");
            return None;
        }
    };
    match worker.hand_over(to, Handover { stream, peer }) {
        Ok(()) => None,
        Err(Handover { stream, .. }) => tokio::net::TcpStream::from_std(stream)
            .inspect_err(|err| tracing::debug!(%peer, %err, "register a connection again"))
            .ok(),
    }
}

impl From<tokio::net::TcpListener> for TcpListener {
    fn from(inner: tokio::net::TcpListener) -> Self {
        Self::from_tokio(inner)
    }
}

/// Connection futures up to this size are spawned as they are, larger ones boxed first.
const SPAWN_INLINE_MAX: usize = 512;

fn spawn_on<F>(guard: Option<&ShutdownGuard>, task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match guard {
        Some(guard) => drop(guard.spawn_task(task)),
        None => drop(tokio::spawn(task)),
    }
}
