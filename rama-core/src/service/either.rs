//! `Either` .. `Either6`: choose one of several services (or streams) at run time while
//! keeping static types.
//!
//! An `Either` of services is a service; an `Either` of streams (tokio [`AsyncRead`] +
//! [`AsyncWrite`]) is a stream, and it carries [`Extensions`] when every branch does. So a
//! listener can hand on "plain TCP or TLS" as one type:
//!
//! ```
//! use rama_core::service::Either;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, duplex};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (plain, mut peer) = duplex(64);
//! let mut stream: Either<DuplexStream, BufReader<DuplexStream>> = Either::A(plain);
//! stream.write_all(b"ping").await.unwrap();
//! let mut buf = [0; 4];
//! peer.read_exact(&mut buf).await.unwrap();
//! assert_eq!(&buf, b"ping");
//! # }
//! ```

use super::Service;
use crate::extensions::{Extensions, ExtensionsMut, ExtensionsRef};
use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

macro_rules! define_either {
    ($(#[$doc:meta])* $name:ident: $($variant:ident),+) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name<$($variant),+> {
            $(
                #[doc = concat!("The `", stringify!($variant), "` branch.")]
                $variant($variant),
            )+
        }

        impl<Input, Output, Error, $($variant),+> Service<Input> for $name<$($variant),+>
        where
            Input: Send + 'static,
            Output: Send + 'static,
            Error: Send + 'static,
            $($variant: Service<Input, Output = Output, Error = Error>,)+
        {
            type Output = Output;
            type Error = Error;

            // the branch's own future, wrapped: no `async fn` state that would hold the
            // input a second time next to it (see `crate::future`)
            fn serve(&self, input: Input) -> impl Future<Output = Result<Output, Error>> + Send {
                match self {
                    $(Self::$variant(svc) => $name::$variant(svc.serve(input)),)+
                }
            }
        }

        impl<Out, $($variant),+> Future for $name<$($variant),+>
        where
            $($variant: Future<Output = Out>,)+
        {
            type Output = Out;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Out> {
                match self.as_pin_mut() {
                    $($name::$variant(fut) => fut.poll(cx),)+
                }
            }
        }

        impl<$($variant),+> $name<$($variant),+> {
            /// Pin-project to the branch held: a pinned `Either` of pinned references.
            pub fn as_pin_mut(self: Pin<&mut Self>) -> $name<$(Pin<&mut $variant>),+> {
                // SAFETY: this is structural pin projection. The branch value is never moved
                // out of a pinned `Self`: this type has no `Drop` impl, implements `Unpin`
                // only when every branch does (the auto trait), and the only way to replace
                // the branch through a `Pin<&mut Self>` is `Pin::set`, which drops the old
                // value in place.
                unsafe {
                    match self.get_unchecked_mut() {
                        $(Self::$variant(inner) => $name::$variant(Pin::new_unchecked(inner)),)+
                    }
                }
            }
        }

        impl<$($variant),+> AsyncRead for $name<$($variant),+>
        where
            $($variant: AsyncRead,)+
        {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.as_pin_mut() {
                    $($name::$variant(inner) => inner.poll_read(cx, buf),)+
                }
            }
        }

        impl<$($variant),+> AsyncWrite for $name<$($variant),+>
        where
            $($variant: AsyncWrite,)+
        {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.as_pin_mut() {
                    $($name::$variant(inner) => inner.poll_write(cx, buf),)+
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.as_pin_mut() {
                    $($name::$variant(inner) => inner.poll_flush(cx),)+
                }
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                match self.as_pin_mut() {
                    $($name::$variant(inner) => inner.poll_shutdown(cx),)+
                }
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                match self.as_pin_mut() {
                    $($name::$variant(inner) => inner.poll_write_vectored(cx, bufs),)+
                }
            }

            fn is_write_vectored(&self) -> bool {
                match self {
                    $(Self::$variant(inner) => inner.is_write_vectored(),)+
                }
            }
        }

        impl<$($variant),+> ExtensionsRef for $name<$($variant),+>
        where
            $($variant: ExtensionsRef,)+
        {
            fn extensions(&self) -> &Extensions {
                match self {
                    $(Self::$variant(inner) => inner.extensions(),)+
                }
            }
        }

        impl<$($variant),+> ExtensionsMut for $name<$($variant),+>
        where
            $($variant: ExtensionsMut,)+
        {
            fn extensions_mut(&mut self) -> &mut Extensions {
                match self {
                    $(Self::$variant(inner) => inner.extensions_mut(),)+
                }
            }
        }
    };
}

define_either!(
    /// One of two values. As a [`Service`] it serves with whichever branch it holds; this is
    /// what an `Option<Layer>` produces.
    Either: A, B
);
define_either!(
    /// One of three values; see [`Either`].
    Either3: A, B, C
);
define_either!(
    /// One of four values; see [`Either`].
    Either4: A, B, C, D
);
define_either!(
    /// One of five values; see [`Either`].
    Either5: A, B, C, D, E
);
define_either!(
    /// One of six values; see [`Either`].
    Either6: A, B, C, D, E, F
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn either_serves_with_the_branch_it_holds() {
        let add = service_fn(async |x: i32| Ok::<_, Infallible>(x + 1));
        let neg = service_fn(async |x: i32| Ok::<_, Infallible>(-x));
        let branches = [Either::A(add), Either::B(neg)];
        assert_eq!(branches[0].serve(1).await.unwrap(), 2);
        assert_eq!(branches[1].serve(1).await.unwrap(), -1);
    }

    /// A stream that is `!Unpin`, to exercise the pin projection.
    mod not_unpin {
        use super::super::*;
        use std::marker::PhantomPinned;

        pin_project_lite::pin_project! {
            pub(super) struct Pinned<S> {
                #[pin]
                pub(super) inner: S,
                #[pin]
                pub(super) _pin: PhantomPinned,
            }
        }

        impl<S: AsyncRead> AsyncRead for Pinned<S> {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                self.project().inner.poll_read(cx, buf)
            }
        }

        impl<S: AsyncWrite> AsyncWrite for Pinned<S> {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.project().inner.poll_write(cx, buf)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.project().inner.poll_flush(cx)
            }
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.project().inner.poll_shutdown(cx)
            }
        }
    }

    /// Write `out` through `stream`, read it at `peer`, answer, read the answer back, then
    /// shut `stream` down and see the peer reach end of stream.
    async fn round_trip<S>(mut stream: Pin<&mut S>, mut peer: tokio::io::DuplexStream, out: &[u8])
    where
        S: AsyncRead + AsyncWrite + ?Sized,
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(out).await.unwrap();
        stream.flush().await.unwrap();
        let mut got = vec![0; out.len()];
        peer.read_exact(&mut got).await.unwrap();
        assert_eq!(got, out);

        peer.write_all(b"pong").await.unwrap();
        let mut back = [0; 4];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"pong");

        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        peer.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn either_of_streams_is_a_stream_whichever_branch() {
        use not_unpin::Pinned;
        use std::{marker::PhantomPinned, time::Duration};
        use tokio::io::{BufReader, DuplexStream, duplex};

        type Stream = Either3<DuplexStream, BufReader<DuplexStream>, Pinned<DuplexStream>>;
        let test = async {
            let (a, peer) = duplex(64);
            let s: Stream = Either3::A(a);
            round_trip(std::pin::pin!(s), peer, b"via A").await;

            let (b, peer) = duplex(64);
            let s: Stream = Either3::B(BufReader::new(b));
            round_trip(std::pin::pin!(s), peer, b"via B").await;

            let (c, peer) = duplex(64);
            let s: Stream = Either3::C(Pinned {
                inner: c,
                _pin: PhantomPinned,
            });
            let s = std::pin::pin!(s);
            round_trip(s, peer, b"via C, not Unpin").await;
        };
        tokio::time::timeout(Duration::from_secs(5), test)
            .await
            .unwrap();
    }

    #[test]
    fn extensions_are_those_of_the_branch() {
        let mut a = Extensions::new();
        a.insert(1u8);
        let mut either: Either<Extensions, Box<Extensions>> = Either::A(a);
        assert_eq!(either.extensions().get::<u8>(), Some(&1));
        either.extensions_mut().insert(2u8);
        assert_eq!(either.extensions().get::<u8>(), Some(&2));

        let either: Either<Extensions, Box<Extensions>> = Either::B(Box::default());
        assert!(either.extensions().is_empty());
    }
}
