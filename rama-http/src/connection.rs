//! Facts about the connection a request arrived on.
//!
//! What the layers below HTTP learned about a connection (the peer's
//! [`SocketInfo`](rama_net::stream::SocketInfo), the negotiated TLS parameters and the
//! captured ClientHello, the h2 [`EarlyFrames`](crate::h2::EarlyFrames), proxy facts) lives
//! in the connection's [`Extensions`], rama-core's typed map. The servers put that map into
//! every request's extensions as one entry: a clone is O(1) (the map is shared copy-on-write),
//! and one entry instead of one per fact keeps the per-request cost flat however many facts
//! the connection has.
//!
//! Read a fact with [`ConnectionExtensions::connection_get`]: it looks in the request's own
//! extensions first (where a layer or a test may have put a fact directly), then in the
//! connection's.
//!
//! ```
//! use rama_core::extensions::Extensions;
//! use rama_http::connection::ConnectionExtensions;
//! use rama_http::{Body, Request};
//!
//! #[derive(Debug, Clone, PartialEq)]
//! struct Peer(&'static str);
//!
//! let mut connection = Extensions::new();
//! connection.insert(Peer("192.0.2.7:50000"));
//! let mut req = Request::new(Body::empty());
//! req.extensions_mut().insert(connection);
//! assert_eq!(req.connection_get::<Peer>(), Some(&Peer("192.0.2.7:50000")));
//! ```

use rama_core::extensions::Extensions;

/// Access to the connection's facts from a request, its parts or its extensions; see the
/// [module docs](self).
pub trait ConnectionExtensions {
    /// The connection's extensions, when the request came through one of rama's servers.
    fn connection_extensions(&self) -> Option<&Extensions>;

    /// A fact of type `T`: from the request's own extensions if there, else from the
    /// connection's.
    fn connection_get<T: Send + Sync + 'static>(&self) -> Option<&T>;
}

impl ConnectionExtensions for http::Extensions {
    fn connection_extensions(&self) -> Option<&Extensions> {
        self.get::<Extensions>()
    }

    fn connection_get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.get::<T>()
            .or_else(|| self.connection_extensions()?.get::<T>())
    }
}

impl<B> ConnectionExtensions for http::Request<B> {
    fn connection_extensions(&self) -> Option<&Extensions> {
        self.extensions().connection_extensions()
    }

    fn connection_get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions().connection_get()
    }
}

impl ConnectionExtensions for http::request::Parts {
    fn connection_extensions(&self) -> Option<&Extensions> {
        self.extensions.connection_extensions()
    }

    fn connection_get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.connection_get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_extensions_win_over_the_connection() {
        let mut connection = Extensions::new();
        connection.insert(1u32);
        connection.insert("from the connection");
        let mut ext = http::Extensions::new();
        ext.insert(connection);
        ext.insert(2u32);
        assert_eq!(ext.connection_get::<u32>(), Some(&2));
        assert_eq!(ext.connection_get::<&str>(), Some(&"from the connection"));
        assert_eq!(ext.connection_get::<u8>(), None);
        assert!(http::Extensions::new().connection_extensions().is_none());
    }
}
