//! The SOCKS5 wire format (RFC 1928, RFC 1929): one type per message, each with `encode`,
//! a `decode` over a byte slice (the one parser, fuzzed) and, for the messages read from a
//! stream, an async `read_from` that reads exactly the message's bytes and no more.
//!
//! | message | sender | type |
//! |---|---|---|
//! | `05 NMETHODS METHODS` | client | [`MethodSelection`] |
//! | `05 METHOD` | server | [`MethodReply`] |
//! | `01 ULEN UNAME PLEN PASSWD` | client | [`UsernamePasswordRequest`] |
//! | `01 STATUS` | server | [`UsernamePasswordReply`] |
//! | `05 CMD 00 ATYP ADDR PORT` | client | [`Request`] |
//! | `05 REP 00 ATYP ADDR PORT` | server | [`Reply`] ([`ReplyCode`]) |
//! | `00 00 FRAG ATYP ADDR PORT DATA` | both, over UDP | [`UdpHeader`] |
//!
//! ```
//! use rama_proxy::socks5::proto::{Command, ReplyCode, Request};
//!
//! let wire = b"\x05\x01\x00\x03\x0bexample.com\x01\xbb";
//! let (req, used) = Request::decode(wire)?;
//! assert_eq!((req.command, req.destination.to_string()), (Command::Connect, "example.com:443".to_owned()));
//! assert_eq!(used, wire.len());
//!
//! // a bad request names the reply it deserves
//! let err = Request::decode(b"\x05\x09\x00\x01\x7f\x00\x00\x01\x00\x50").unwrap_err();
//! assert_eq!(err.reply_code(), Some(ReplyCode::CommandNotSupported));
//! # Ok::<(), rama_proxy::socks5::proto::ProtocolError>(())
//! ```

pub mod address;
mod auth;
mod error;
mod method;
mod reply;
mod request;
mod udp;

pub use auth::{AUTH_VERSION, UsernamePasswordReply, UsernamePasswordRequest};
pub use error::{ProtocolError, ProtocolErrorKind, ReadError};
pub use method::{AuthMethod, MethodReply, MethodSelection};
pub use reply::{Reply, ReplyCode};
pub use request::{Command, Request};
pub use udp::UdpHeader;

/// The version byte of every SOCKS5 message (except the RFC 1929 sub-negotiation's).
pub const SOCKS5_VERSION: u8 = 0x05;

fn check_version(found: u8, expected: u8) -> Result<(), ProtocolError> {
    if found == expected {
        Ok(())
    } else {
        Err(ProtocolError::new(ProtocolErrorKind::BadVersion {
            expected,
            found,
        }))
    }
}
