//! Upgrade and CONNECT: taking over the connection after the response head.
//!
//! For a request that asks for an upgrade (`Connection: upgrade` + `Upgrade: ...`, HTTP/1.1)
//! or is a `CONNECT`, the HTTP/1 engine puts an [`OnUpgrade`] in the request's extensions.
//! When the service answers `101 Switching Protocols` (upgrade) or any `2xx` (CONNECT), the
//! engine writes the response head, stops serving HTTP on that connection, and hands the
//! raw IO to [`OnUpgrade::upgraded`] as an [`Upgraded`] stream, whose first reads replay the
//! bytes the engine had already read past the request (a client that sends right after its
//! request loses nothing). Any other answer is a normal response and the connection goes on
//! as HTTP; `upgraded` then fails with [`UpgradeError`].
//!
//! Wait for the upgrade in a spawned task (the engine hands the IO over only once the
//! service returned its response):
//!
//! ```
//! use rama_http::{Body, Request, Response, StatusCode};
//! use rama_http::server::upgrade::OnUpgrade;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! async fn handle(mut req: Request<Body>) -> Response<Body> {
//!     let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
//!         return Response::new(Body::from("not an upgrade"));
//!     };
//!     tokio::spawn(async move {
//!         if let Ok(mut io) = on_upgrade.upgraded().await {
//!             let mut buf = [0u8; 1024];
//!             while let Ok(n @ 1..) = io.read(&mut buf).await {
//!                 if io.write_all(&buf[..n]).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     });
//!     let mut res = Response::new(Body::empty());
//!     *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
//!     res.headers_mut().insert("upgrade", "echo".parse().unwrap());
//!     res.headers_mut().insert("connection", "upgrade".parse().unwrap());
//!     res
//! }
//! ```

use bytes::Bytes;
use rama_core::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use rama_net::stream::RewindStream;
use std::any::Any;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// The IO an [`Upgraded`] stream wraps, type-erased (and recoverable with
/// [`Upgraded::downcast`]): any byte stream that is `Send`, `Sync`, `Unpin` and `'static`.
/// Implemented for every such type.
pub trait UpgradeIo: AsyncRead + AsyncWrite + Send + Sync + Unpin + Any {}

impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + Any> UpgradeIo for T {}

/// A pending upgrade, in the extensions of an upgrade or CONNECT request; see the module
/// docs. Cloning shares it: only one clone can receive the stream.
#[derive(Clone)]
pub struct OnUpgrade {
    rx: Arc<Mutex<Option<oneshot::Receiver<Upgraded>>>>,
}

impl OnUpgrade {
    pub(crate) fn new() -> (oneshot::Sender<Upgraded>, Self) {
        let (tx, rx) = oneshot::channel();
        (
            tx,
            Self {
                rx: Arc::new(Mutex::new(Some(rx))),
            },
        )
    }

    /// Waits until the engine hands over the connection, after writing the `101` / `2xx`
    /// response head.
    ///
    /// # Errors
    ///
    /// [`UpgradeError`] when the response was not an upgrade, the connection failed first,
    /// or another clone already took the stream.
    pub async fn upgraded(self) -> Result<Upgraded, UpgradeError> {
        let rx = self.rx.lock().ok().and_then(|mut slot| slot.take());
        match rx {
            Some(rx) => rx.await.map_err(|_| UpgradeError { taken: false }),
            None => Err(UpgradeError { taken: true }),
        }
    }
}

impl fmt::Debug for OnUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnUpgrade").finish_non_exhaustive()
    }
}

/// Why [`OnUpgrade::upgraded`] gave no stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeError {
    taken: bool,
}

impl UpgradeError {
    /// Another clone of the [`OnUpgrade`] already waited for the stream.
    #[must_use]
    pub const fn is_already_taken(&self) -> bool {
        self.taken
    }
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.taken {
            f.write_str("upgrade already taken")
        } else {
            f.write_str("connection not upgraded (no 101/2xx response, or it failed first)")
        }
    }
}

impl std::error::Error for UpgradeError {}

/// The connection after an upgrade: raw IO whose first reads replay the bytes read past the
/// request head. It carries the connection's [`Extensions`] (socket info, ...).
pub struct Upgraded {
    io: RewindStream<Box<dyn UpgradeIo>>,
    extensions: Extensions,
}

impl Upgraded {
    pub(crate) fn new(io: Box<dyn UpgradeIo>, read_ahead: Bytes, extensions: Extensions) -> Self {
        Self {
            io: RewindStream::new(io, read_ahead),
            extensions,
        }
    }

    /// The bytes read past the request head that the next reads will return first.
    #[must_use]
    pub fn read_ahead(&self) -> &[u8] {
        self.io.prefix()
    }

    /// Whether the connection's IO is a `T` (see [`Upgraded::downcast`]).
    #[must_use]
    pub fn io_is<T: Any>(&self) -> bool {
        (&**self.io.inner() as &dyn Any).is::<T>()
    }

    /// The connection's IO as the type `T` it was served on (e.g. rama-tcp's `TcpStream`),
    /// with the bytes read past the head and the extensions; `Err(self)` untouched when the
    /// IO is not a `T`.
    ///
    /// A tunnel uses it to relay with the transport's own means (`splice(2)` between two
    /// TCP sockets) instead of copying through this wrapper. The `read_ahead` bytes came
    /// from the peer after its request: deliver them before anything read from `io`.
    ///
    /// # Errors
    ///
    /// `self`, unchanged, when the IO is of another type.
    pub fn downcast<T: Any>(self) -> Result<UpgradedParts<T>, Self> {
        let Self { io, extensions } = self;
        let (read_ahead, io) = io.into_parts();
        if !(&*io as &dyn Any).is::<T>() {
            return Err(Self {
                io: RewindStream::new(io, read_ahead),
                extensions,
            });
        }
        let io: Box<dyn Any> = io;
        match io.downcast::<T>() {
            Ok(io) => Ok(UpgradedParts {
                io: *io,
                read_ahead,
                extensions,
            }),
            // checked above: `is::<T>` held
            Err(_) => unreachable!("an upgraded IO changed its type"),
        }
    }
}

/// An [`Upgraded`] stream taken apart by [`Upgraded::downcast`].
#[derive(Debug)]
pub struct UpgradedParts<T> {
    /// The connection's IO, as served.
    pub io: T,
    /// Bytes the peer sent after its request head, already read off `io`: they come first.
    pub read_ahead: Bytes,
    /// The connection's extensions (socket info, ...).
    pub extensions: Extensions,
}

impl fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgraded")
            .field("read_ahead", &self.io.prefix().len())
            .finish_non_exhaustive()
    }
}

impl ExtensionsRef for Upgraded {
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

impl ExtensionsMut for Upgraded {
    fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
