//! HTTP proxies: [`server`] holds the forward proxy (absolute-form requests, CONNECT tunnels
//! over HTTP/1.1 and h2, proxy authentication).

pub mod server;
