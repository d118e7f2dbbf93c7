//! [`Header`]: what a PROXY protocol header says, for both versions.

use super::tlv::{SslInfo, Tlv, kind};
use std::net::SocketAddr;

/// The protocol version a header was read in, or is to be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The text form: `PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n`.
    V1,
    /// The binary form, with a 12-byte signature and optional TLVs.
    V2,
}

/// What the sender asks of the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// The proxy opened the connection itself (a health check): use the real socket
    /// addresses, ignore the ones in the header. Only v2 has it.
    Local,
    /// The connection is relayed for a client: the addresses are the client's.
    Proxy,
}

/// The transport protocol of the proxied connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Not said (v1 `UNKNOWN`, v2 `UNSPEC`).
    Unspecified,
    /// A stream: TCP, or a UNIX stream socket.
    Stream,
    /// Datagrams: UDP, or a UNIX datagram socket (v2 only).
    Datagram,
}

/// The endpoints of the proxied connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addresses {
    /// Not known or not said (v1 `UNKNOWN`, v2 `AF_UNSPEC`).
    Unspecified,
    /// IPv4 or IPv6 endpoints. When written, an IPv4 address beside an IPv6 one is sent as
    /// an IPv4-mapped IPv6 address, as both ends must be of one family.
    Ip {
        /// Where the client connected from.
        source: SocketAddr,
        /// Where the client connected to (the proxy's listening address).
        destination: SocketAddr,
    },
    /// UNIX socket paths (v2 only), each the raw 108-byte `sun_path` field.
    Unix {
        /// The source path, NUL-padded to 108 bytes.
        source: Vec<u8>,
        /// The destination path, NUL-padded to 108 bytes.
        destination: Vec<u8>,
    },
}

/// One PROXY protocol header.
///
/// ```
/// use rama_proxy::haproxy::proto::{Decoded, Header, Version, decode};
///
/// let header = Header::proxy("192.0.2.1:5000".parse()?, "198.51.100.7:443".parse()?)
///     .with_alpn(b"h2")
///     .with_crc32c();
/// let bytes = header.encode(Version::V2)?;
///
/// let Decoded::Header { header: read, len } = decode(&bytes)? else { unreachable!() };
/// assert_eq!(len, bytes.len());
/// assert_eq!(read.source(), Some("192.0.2.1:5000".parse()?));
/// assert_eq!(read.alpn(), Some(&b"h2"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The version it was read in (for a header built in code: [`Version::V2`]).
    pub version: Version,
    /// Proxied connection or the proxy's own (health check).
    pub command: Command,
    /// TCP, UDP, or not said.
    pub transport: Transport,
    /// The connection's endpoints.
    pub addresses: Addresses,
    /// The v2 TLVs in wire order, unknown kinds included (v1 has none).
    pub tlvs: Vec<Tlv>,
}

impl Header {
    /// A `PROXY` header for a TCP connection from `source` to `destination`.
    #[must_use]
    pub const fn proxy(source: SocketAddr, destination: SocketAddr) -> Self {
        Self {
            version: Version::V2,
            command: Command::Proxy,
            transport: Transport::Stream,
            addresses: Addresses::Ip {
                source,
                destination,
            },
            tlvs: Vec::new(),
        }
    }

    /// A `PROXY` header whose addresses are not known (v1 `UNKNOWN`).
    #[must_use]
    pub const fn unknown() -> Self {
        Self {
            version: Version::V2,
            command: Command::Proxy,
            transport: Transport::Unspecified,
            addresses: Addresses::Unspecified,
            tlvs: Vec::new(),
        }
    }

    /// A v2 `LOCAL` header: the proxy's own connection, e.g. a health check.
    #[must_use]
    pub const fn local() -> Self {
        Self {
            version: Version::V2,
            command: Command::Local,
            transport: Transport::Unspecified,
            addresses: Addresses::Unspecified,
            tlvs: Vec::new(),
        }
    }

    /// Append a TLV.
    #[must_use]
    pub fn with_tlv(mut self, tlv: Tlv) -> Self {
        self.tlvs.push(tlv);
        self
    }

    /// Append an ALPN TLV (the protocol the client negotiated, e.g. `h2`).
    #[must_use]
    pub fn with_alpn(self, alpn: &[u8]) -> Self {
        self.with_tlv(Tlv::new(kind::ALPN, alpn.to_vec()))
    }

    /// Append an AUTHORITY TLV (the host name the client asked for, e.g. its SNI).
    #[must_use]
    pub fn with_authority(self, authority: &str) -> Self {
        self.with_tlv(Tlv::new(kind::AUTHORITY, authority.as_bytes().to_vec()))
    }

    /// Append a CRC32c TLV; [`encode`](Self::encode) fills in the checksum of the header.
    #[must_use]
    pub fn with_crc32c(self) -> Self {
        self.with_tlv(Tlv::new(kind::CRC32C, vec![0; 4]))
    }

    /// Where the client connected from; `None` for a `LOCAL` header or unknown addresses.
    #[must_use]
    pub fn source(&self) -> Option<SocketAddr> {
        match (&self.command, &self.addresses) {
            (Command::Proxy, Addresses::Ip { source, .. }) => Some(*source),
            _ => None,
        }
    }

    /// Where the client connected to; `None` for a `LOCAL` header or unknown addresses.
    #[must_use]
    pub fn destination(&self) -> Option<SocketAddr> {
        match (&self.command, &self.addresses) {
            (Command::Proxy, Addresses::Ip { destination, .. }) => Some(*destination),
            _ => None,
        }
    }

    /// The value of the first TLV of `kind`.
    #[must_use]
    pub fn tlv(&self, kind: u8) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|tlv| tlv.kind == kind)
            .map(|tlv| &tlv.value[..])
    }

    /// The ALPN TLV's value.
    #[must_use]
    pub fn alpn(&self) -> Option<&[u8]> {
        self.tlv(kind::ALPN)
    }

    /// The AUTHORITY TLV's value, if it is UTF-8.
    #[must_use]
    pub fn authority(&self) -> Option<&str> {
        self.tlv(kind::AUTHORITY)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The UNIQUE_ID TLV's value.
    #[must_use]
    pub fn unique_id(&self) -> Option<&[u8]> {
        self.tlv(kind::UNIQUE_ID)
    }

    /// The NETNS TLV's value (a network namespace name), if it is UTF-8.
    #[must_use]
    pub fn netns(&self) -> Option<&str> {
        self.tlv(kind::NETNS)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The SSL TLV, parsed (`None` when absent or malformed).
    #[must_use]
    pub fn ssl(&self) -> Option<SslInfo> {
        self.tlv(kind::SSL).and_then(|v| SslInfo::parse(v).ok())
    }

    /// Write the header in `version`: see [`encode`](super::encode).
    ///
    /// # Errors
    ///
    /// See [`encode`](super::encode).
    pub fn encode(&self, version: Version) -> Result<Vec<u8>, super::HeaderError> {
        super::encode(self, version)
    }
}
