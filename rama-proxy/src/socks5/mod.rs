//! SOCKS5 and SOCKS5h (RFC 1928, RFC 1929): the wire format, a client handshake and a
//! server.
//!
//! | you want to | use |
//! |---|---|
//! | reach a target through a SOCKS5 proxy on a connected stream | [`client::socks5_handshake`] |
//! | run a SOCKS5 server (no-auth or username/password; CONNECT, BIND, UDP ASSOCIATE) | [`server::Socks5Acceptor`] |
//! | serve SOCKS5 and HTTP proxy on one port | [`crate::peek`] |
//! | encode or decode SOCKS5 messages | [`proto`] |

pub mod client;
pub mod proto;
pub mod server;

pub use client::{Socks5ClientError, socks5_handshake};
pub use server::{Socks5Acceptor, Socks5Auth};
