//! Our own parser of the ClientHello, and a service that peeks it without consuming it.
//!
//! - [`ClientHelloParser`] reads the TLS record(s) carrying a ClientHello from a byte slice
//!   and answers [`ParseStatus::NeedMore`], [`ParseStatus::Complete`] or an error, so a
//!   reader knows when to read more. Records are reassembled (a ClientHello may span
//!   several), every length is checked (a lying length is an error, never a panic or an
//!   over-read) and the total size is limited (default 64 KiB).
//! - [`ClientHello`] keeps every field and every extension in order, each with its raw bytes
//!   and a typed decode ([`ExtensionData`]) for SNI, ALPN, supported versions, groups, point
//!   formats, signature algorithms, key shares, PSK modes, ALPS, certificate compression,
//!   padding, status request and record size limit. GREASE values stay where they were sent.
//! - [`peek_client_hello`] reads a ClientHello from a stream and returns it with a
//!   [`RewindStream`](rama_net::stream::RewindStream) that replays the bytes to the next
//!   reader (a TLS acceptor, or a forwarder that never terminates TLS).
//! - [`PeekClientHelloLayer`] does that for every accepted stream, inserts the
//!   [`ClientHello`] into the stream's extensions and calls the inner service.
//!
//! Only TLS over TCP: DTLS records and SSLv2-style hellos are refused.
//!
//! ```
//! use rama_tls::client_hello::{ClientHello, ClientHelloParser, ParseStatus};
//! use rama_tls::types::{ApplicationProtocol, ProtocolVersion};
//!
//! // a minimal TLS 1.3 ClientHello: SNI "a.test", ALPN h2, supported_versions [TLS 1.3]
//! let mut body = vec![0x03, 0x03];
//! body.extend([7u8; 32]); // random
//! body.push(0); // session id
//! body.extend([0x00, 0x02, 0x13, 0x01]); // cipher suites
//! body.extend([0x01, 0x00]); // compression methods
//! let extensions: &[u8] = &[
//!     0x00, 0x00, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x00, 0x06, b'a', b'.', b't', b'e', b's', b't',
//!     0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2',
//!     0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,
//! ];
//! body.extend((extensions.len() as u16).to_be_bytes());
//! body.extend(extensions);
//! let mut record = vec![0x16, 0x03, 0x01];
//! record.extend((body.len() as u16 + 4).to_be_bytes());
//! record.extend([0x01, 0x00]);
//! record.extend((body.len() as u16).to_be_bytes());
//! record.extend(&body);
//!
//! let parser = ClientHelloParser::new();
//! // one byte short: exactly one more byte is needed
//! assert_eq!(parser.parse(&record[..record.len() - 1])?, ParseStatus::NeedMore(1));
//!
//! let hello = ClientHello::parse(&record)?;
//! assert_eq!(hello.server_name(), Some("a.test"));
//! assert_eq!(hello.alpn().unwrap().as_slice(), [ApplicationProtocol::H2]);
//! assert_eq!(hello.max_version(), ProtocolVersion::TLS_V1_3);
//! assert_eq!(hello.raw_records(), &record[..]);
//! # Ok::<(), rama_tls::client_hello::ClientHelloParseError>(())
//! ```

mod cursor;
mod error;
mod extension;
mod hello;
mod parser;
mod peek;

pub use error::ClientHelloParseError;
pub use extension::{ClientHelloExtension, ExtensionData, KeyShareEntry, StatusRequest};
pub use hello::ClientHello;
pub use parser::{ClientHelloParser, DEFAULT_MAX_CLIENT_HELLO_SIZE, ParseStatus};
pub use peek::{
    DEFAULT_PEEK_TIMEOUT, NonTlsPolicy, PeekClientHello, PeekClientHelloConfig,
    PeekClientHelloError, PeekClientHelloLayer, PeekedClientHello, peek_client_hello,
};

#[cfg(test)]
mod tests;
