//! [`Error`]: what can go wrong on a client connection, by kind.

use crate::{Body, Request};
use rama_core::error::BoxError;
use std::fmt;
use std::io;
use std::sync::{Mutex, PoisonError};

/// Why a request on a client connection failed.
///
/// Ask by kind: [`is_closed`](Self::is_closed) (the connection was closed before any of the
/// response arrived: the request may be retried on a new connection if it is idempotent),
/// [`is_incomplete_message`](Self::is_incomplete_message) (closed in the middle of a
/// response), [`is_parse`](Self::is_parse), [`is_timeout`](Self::is_timeout),
/// [`is_io`](Self::is_io), [`is_user_body`](Self::is_user_body) (the request body failed) and
/// [`is_h2`](Self::is_h2). `{:#}` prints the cause too.
///
/// An HTTP/1 request that the connection can tell is safe to send again comes back inside
/// the error: [`take_request`](Self::take_request).
pub struct Error {
    kind: Kind,
    source: Option<BoxError>,
    /// the request, handed back when sending it again is safe (a `Mutex` only to be `Sync`;
    /// taken through `&mut self`, never locked)
    request: Option<Box<Mutex<Request<Body>>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Closed,
    IncompleteMessage,
    Parse,
    Timeout,
    Io,
    UserBody,
    H2,
}

impl Error {
    pub(crate) fn new(kind: Kind) -> Self {
        Self {
            kind,
            source: None,
            request: None,
        }
    }

    pub(crate) fn with(kind: Kind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            source: Some(source.into()),
            request: None,
        }
    }

    /// Hands `req` back to the caller with this error (see [`take_request`](Self::take_request)).
    pub(crate) fn with_request(mut self, req: Request<Body>) -> Self {
        self.request = Some(Box::new(Mutex::new(req)));
        self
    }

    /// The request, when the connection hands it back because sending it again (on another
    /// connection) is safe: it was never written, or the connection closed before any of
    /// the response arrived and the request is idempotent (`GET`, `HEAD`, `OPTIONS`,
    /// `TRACE`, `PUT`, `DELETE`) with an empty body. `None` otherwise, or once taken.
    ///
    /// Its head may have been normalized for the wire (version, `Content-Length: 0` for an
    /// empty `PUT`), which does not change its meaning.
    pub fn take_request(&mut self) -> Option<Request<Body>> {
        self.request
            .take()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) const fn kind(&self) -> Kind {
        self.kind
    }

    /// An IO error; a reset or broken pipe counts as [`is_closed`](Self::is_closed).
    pub(crate) fn io(err: io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted => Kind::Closed,
            _ => Kind::Io,
        };
        Self::with(kind, err)
    }

    /// From an `h2` error: IO errors as [`Error::io`], the rest as h2 errors.
    pub(crate) fn h2(err: h2::Error) -> Self {
        if err.is_io() {
            match err.into_io() {
                Some(io) => Self::io(io),
                None => Self::new(Kind::Io),
            }
        } else {
            Self::with(Kind::H2, err)
        }
    }

    /// The connection was closed (by the peer, or the connection task ended) before any part
    /// of the response arrived.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.kind == Kind::Closed
    }

    /// The connection was closed in the middle of a response head or body.
    #[must_use]
    pub fn is_incomplete_message(&self) -> bool {
        self.kind == Kind::IncompleteMessage
    }

    /// The response was not valid HTTP (or exceeded the configured limits).
    #[must_use]
    pub fn is_parse(&self) -> bool {
        self.kind == Kind::Parse
    }

    /// The response head did not arrive in time.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    /// Another IO error.
    #[must_use]
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }

    /// The request body returned an error (or did not match its `Content-Length`).
    #[must_use]
    pub fn is_user_body(&self) -> bool {
        self.kind == Kind::UserBody
    }

    /// An HTTP/2 protocol error or stream reset; see [`h2_reason`](Self::h2_reason).
    #[must_use]
    pub fn is_h2(&self) -> bool {
        self.kind == Kind::H2
    }

    /// The HTTP/2 error code, for an [`is_h2`](Self::is_h2) error that has one.
    #[must_use]
    pub fn h2_reason(&self) -> Option<h2::Reason> {
        self.source
            .as_ref()
            .and_then(|s| s.downcast_ref::<h2::Error>())
            .and_then(h2::Error::reason)
    }

    fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Closed => "connection closed before the response",
            Kind::IncompleteMessage => "connection closed in the middle of the response",
            Kind::Parse => "invalid response",
            Kind::Timeout => "response head timed out",
            Kind::Io => "connection IO error",
            Kind::UserBody => "request body failed",
            Kind::H2 => "HTTP/2 error",
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .field("request", &self.request.is_some())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())?;
        if f.alternate()
            && let Some(source) = &self.source
        {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_predicate() {
        let reset = Error::io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert!(reset.is_closed() && !reset.is_io());
        let other = Error::io(io::Error::other("x"));
        assert!(other.is_io() && !other.is_closed());
        assert!(Error::new(Kind::Timeout).is_timeout());
        assert!(Error::new(Kind::Parse).is_parse());
        let e = Error::with(Kind::IncompleteMessage, "eof after 3 bytes");
        assert!(e.is_incomplete_message());
        assert_eq!(
            format!("{e:#}"),
            "connection closed in the middle of the response: eof after 3 bytes"
        );
    }

    #[test]
    fn request_comes_back_once() {
        let req = Request::get("http://a.test/x").body(Body::empty()).unwrap();
        let mut e = Error::new(Kind::Closed).with_request(req);
        assert_eq!(e.take_request().unwrap().uri(), "http://a.test/x");
        assert!(e.take_request().is_none());
        assert!(Error::new(Kind::Closed).take_request().is_none());
        const fn send_sync<T: Send + Sync>() {}
        send_sync::<Error>();
    }
}
