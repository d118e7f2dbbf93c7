//! The HAProxy PROXY protocol, v1 (text) and v2 (binary with TLVs): how a proxy in front of
//! a server tells it who the client is.
//!
//! ```text
//! client 192.0.2.1 ──TCP──> haproxy ──"PROXY TCP4 192.0.2.1 …" + bytes──> rama server
//!                                                                         │ HaProxyLayer
//!                                                                         └ SocketInfo.peer = 192.0.2.1
//! ```
//!
//! | you want to | use |
//! |---|---|
//! | accept the header on a server (required or optional, with a timeout) | [`HaProxyLayer`] |
//! | read the header's TLVs and the proxy's own address | [`ProxyProtocolInfo`] in the stream's extensions |
//! | send the header to an upstream | [`HaProxyClientLayer`] around a connector |
//! | parse or write headers yourself | [`proto`] |
//!
//! Only put [`HaProxyLayer`] on a port that trusted proxies alone can reach: whoever sends
//! the header chooses the client address your logs, rate limits and ACLs will see.
//!
//! The book chapter "HAProxy PROXY protocol" and the `haproxy_client_ip` example show it
//! end to end.

pub mod client;
pub mod proto;
pub mod server;

pub use client::{HaProxyClientLayer, HaProxyConnector};
pub use server::{DEFAULT_HEADER_TIMEOUT, HaProxyLayer, HaProxyService, ProxyProtocolInfo};
