//! SOCKS5 and SOCKS5h (RFC 1928, RFC 1929): the wire format, a client handshake and a
//! server.
//!
//! | you want to | use |
//! |---|---|
//! | reach a target through a SOCKS5 proxy on a connected stream | [`client::socks5_handshake`] |
//! | encode or decode SOCKS5 messages | [`proto`] |

pub mod client;
pub mod proto;

pub use client::{Socks5ClientError, socks5_handshake};
