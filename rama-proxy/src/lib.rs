//! rama's proxies: HTTP(S) forward proxy, SOCKS5/5h, HAProxy PROXY protocol, reverse proxy,
//! MITM proxy and an upstream proxy database, as composable rama services and layers.
//!
//! | you want to | use |
//! |---|---|
//! | run an HTTP forward proxy (absolute-form, CONNECT, proxy auth) | [`http::server`] |
//! | reach targets through an upstream HTTP(S) or SOCKS5 proxy from a client | [`client`] |
//! | run or speak SOCKS5 / SOCKS5h | [`socks5`] |
//! | serve HTTP proxy and SOCKS5 on one port | [`peek`] |
//! | read or write the HAProxy PROXY protocol header | [`haproxy`] |
//! | load-balance HTTP to upstream servers | [`reverse`] |
//! | inspect and modify HTTPS traffic | [`mitm`] |
//! | pick an upstream proxy per request from a pool, by username labels | [`proxydb`], [`username`] |
//! | refuse targets in loopback and private ranges (DNS rebinding included) | [`policy`] |
//!
//! Facts a proxy learns travel in the input's extensions: the PROXY protocol's client address
//! replaces the stream's `SocketInfo`, the proxy user and its labels ride with each request,
//! the upstream picked by the proxy database rides to the connector as a
//! [`ProxyAddress`](rama_net::address::ProxyAddress).

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod haproxy;
pub mod http;
pub mod mitm;
pub mod peek;
pub mod policy;
pub mod proxydb;
mod relay;
pub mod reverse;
pub mod socks5;
pub mod username;
