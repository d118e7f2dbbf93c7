//! The HAProxy PROXY protocol, v1 (text) and v2 (binary).
//!
//! (being written)

pub mod proto;
