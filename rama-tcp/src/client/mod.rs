//! The TCP client side: [`TcpConnector`], a connector [`Service`](rama_core::Service) from
//! [`TcpRequest`] to an established [`TcpStream`](crate::TcpStream), and [`tcp_connect`],
//! the same as a function.
//!
//! A name is resolved through a [`DnsResolver`](rama_net::dns::DnsResolver) (an IP address
//! skips DNS); the addresses are raced the Happy Eyeballs way (RFC 8305: AAAA and A looked up
//! together, IPv6 preferred, a new attempt every 250 ms or as soon as one fails, the first
//! connection wins); everything is bounded by one total timeout (default 30 s). See
//! [`TcpConnectConfig`] for the settings.

mod config;
mod connector;
mod error;
mod happy_eyeballs;
mod request;

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_CONNECTION_ATTEMPT_DELAY, DEFAULT_RESOLUTION_DELAY,
    TcpConnectConfig,
};
pub use connector::{TcpConnector, tcp_connect};
pub use error::TcpConnectError;
pub use request::TcpRequest;
