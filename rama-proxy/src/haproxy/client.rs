//! [`HaProxyClientLayer`]: write a PROXY protocol header to each upstream connection before
//! any other byte, so the upstream learns the address of the client we relay for.
//!
//! It wraps a connector (a `Service<TcpRequest>` such as `rama_tcp::client::TcpConnector`). The header comes,
//! first found wins, from:
//!
//! 1. a fixed [`Header`] given with [`HaProxyClientLayer::with_header`];
//! 2. a [`Header`] in the request's extensions (e.g. one read by the server layer, passed
//!    on unchanged);
//! 3. the [`SocketInfo`] in the request's extensions, i.e. the accepted client stream's:
//!    its peer address becomes the source, its local address the destination;
//! 4. otherwise a header without addresses (v1 `UNKNOWN`, v2 `PROXY` with `AF_UNSPEC`).
//!
//! ```
//! use rama_core::{Layer, Service};
//! use rama_net::address::Authority;
//! use rama_net::dns::InMemoryDns;
//! use rama_net::stream::SocketInfo;
//! use rama_proxy::haproxy::HaProxyClientLayer;
//! use rama_tcp::client::{TcpConnector, TcpRequest};
//! use tokio::io::AsyncReadExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), rama_core::error::BoxError> {
//! let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let target: Authority = upstream.local_addr()?.to_string().parse()?;
//!
//! let connector = HaProxyClientLayer::v1().into_layer(TcpConnector::with_resolver(InMemoryDns::new()));
//! let mut request = TcpRequest::new(target);
//! request.extensions.insert(SocketInfo::new(
//!     Some("127.0.0.1:8080".parse()?),
//!     "192.0.2.1:5000".parse()?,
//! ));
//! let conn = connector.serve(request).await?;
//! drop(conn); // the header was written before `serve` returned
//!
//! let (mut accepted, _) = upstream.accept().await?;
//! let mut line = String::new();
//! accepted.read_to_string(&mut line).await?;
//! assert_eq!(line, "PROXY TCP4 192.0.2.1 127.0.0.1 5000 8080\r\n");
//! # Ok(())
//! # }
//! ```

use super::proto::{Header, Version, encode};
use rama_core::error::{BoxError, ErrorContext};
use rama_core::{Layer, Service};
use rama_net::client::EstablishedClientConnection;
use rama_net::stream::SocketInfo;
use rama_tcp::client::TcpRequest;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Writes a PROXY protocol header on every connection; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct HaProxyClientLayer {
    version: Version,
    fixed: Option<Header>,
}

impl HaProxyClientLayer {
    /// Write v1 (text) headers.
    #[must_use]
    pub const fn v1() -> Self {
        Self {
            version: Version::V1,
            fixed: None,
        }
    }

    /// Write v2 (binary) headers.
    #[must_use]
    pub const fn v2() -> Self {
        Self {
            version: Version::V2,
            fixed: None,
        }
    }

    /// Always write this header (its TLVs too, in v2).
    #[must_use]
    pub fn with_header(mut self, header: Header) -> Self {
        self.fixed = Some(header);
        self
    }
}

impl<C> Layer<C> for HaProxyClientLayer {
    type Service = HaProxyConnector<C>;

    fn layer(&self, inner: C) -> Self::Service {
        HaProxyConnector {
            inner,
            version: self.version,
            fixed: self.fixed.clone(),
        }
    }
}

/// The connector made by [`HaProxyClientLayer`].
#[derive(Debug, Clone)]
pub struct HaProxyConnector<C> {
    inner: C,
    version: Version,
    fixed: Option<Header>,
}

impl<C> HaProxyConnector<C> {
    /// The header this connector writes for `request`.
    #[must_use]
    pub fn header_for(&self, request: &TcpRequest) -> Header {
        if let Some(header) = &self.fixed {
            return header.clone();
        }
        if let Some(header) = request.extensions.get::<Header>() {
            return header.clone();
        }
        match request.extensions.get::<SocketInfo>() {
            Some(info) => match info.local_addr() {
                Some(local) => Header::proxy(info.peer_addr(), local),
                None => Header::unknown(),
            },
            None => Header::unknown(),
        }
    }
}

impl<C, Conn> Service<TcpRequest> for HaProxyConnector<C>
where
    C: Service<
            TcpRequest,
            Output = EstablishedClientConnection<Conn, TcpRequest>,
            Error: Into<BoxError>,
        >,
    Conn: AsyncWrite + Unpin + Send + 'static,
{
    type Output = EstablishedClientConnection<Conn, TcpRequest>;
    type Error = BoxError;

    async fn serve(&self, request: TcpRequest) -> Result<Self::Output, Self::Error> {
        let header = self.header_for(&request);
        let bytes = encode(&header, self.version).context("encode the PROXY protocol header")?;
        let mut established = self.inner.serve(request).await.map_err(Into::into)?;
        established
            .conn
            .write_all(&bytes)
            .await
            .context("write the PROXY protocol header to the upstream")?;
        established
            .conn
            .flush()
            .await
            .context("write the PROXY protocol header to the upstream")?;
        Ok(established)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::proto::{Decoded, decode};
    use rama_net::address::Authority;
    use rama_net::dns::InMemoryDns;
    use rama_tcp::client::TcpConnector;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    async fn written(layer: HaProxyClientLayer, request_info: Option<SocketInfo>) -> Vec<u8> {
        let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target: Authority = upstream.local_addr().unwrap().to_string().parse().unwrap();
        let connector = layer.into_layer(TcpConnector::with_resolver(InMemoryDns::new()));
        let mut request = TcpRequest::new(target);
        if let Some(info) = request_info {
            request.extensions.insert(info);
        }
        let established = connector.serve(request).await.unwrap();
        drop(established);
        let (mut accepted, _) = upstream.accept().await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), accepted.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        out
    }

    fn info() -> SocketInfo {
        SocketInfo::new(
            Some("[::1]:443".parse().unwrap()),
            "[2001:db8::7]:999".parse().unwrap(),
        )
    }

    #[tokio::test]
    async fn writes_header_from_socket_info() {
        let v1 = written(HaProxyClientLayer::v1(), Some(info())).await;
        assert_eq!(v1, b"PROXY TCP6 2001:db8::7 ::1 999 443\r\n");

        let v2 = written(HaProxyClientLayer::v2(), Some(info())).await;
        let Decoded::Header { header, len } = decode(&v2).unwrap() else {
            panic!("not a header: {v2:?}")
        };
        assert_eq!(len, v2.len());
        assert_eq!(header.source(), Some("[2001:db8::7]:999".parse().unwrap()));
        assert_eq!(header.destination(), Some("[::1]:443".parse().unwrap()));
    }

    #[tokio::test]
    async fn unknown_without_addresses_and_fixed_header_wins() {
        assert_eq!(
            written(HaProxyClientLayer::v1(), None).await,
            b"PROXY UNKNOWN\r\n"
        );
        let fixed = Header::proxy("1.2.3.4:1".parse().unwrap(), "5.6.7.8:2".parse().unwrap());
        let out = written(HaProxyClientLayer::v1().with_header(fixed), Some(info())).await;
        assert_eq!(out, b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
    }

    #[tokio::test]
    async fn v1_cannot_say_local() {
        let connector = HaProxyClientLayer::v1()
            .with_header(Header::local())
            .into_layer(TcpConnector::with_resolver(InMemoryDns::new()));
        let err = connector
            .serve(TcpRequest::new("127.0.0.1:9".parse().unwrap()))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("LOCAL"), "{err:#}");
    }
}
