//! rama-net: the network vocabulary shared by every rama transport and protocol crate.
//!
//! # Start here
//!
//! | you want to | use |
//! |---|---|
//! | parse or print a host, domain, `host:port` or socket address | [`address`] |
//! | name a scheme and its default port | [`Protocol`](protocol::Protocol) |
//! | carry user credentials | [`user`] |
//! | read or write RFC 7239 `Forwarded` elements | [`forwarded`] |
//! | peek at a stream, rewind it, forward two streams into each other | [`stream`] |
//! | write a client connector | [`client`] |
//! | resolve names | [`dns`] |
//!
//! # Features
//!
//! | feature | enables |
//! |---|---|
//! | `hickory` (default) | DNS resolution through hickory-resolver |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod address;
pub mod client;
pub mod dns;
pub mod forwarded;
pub mod protocol;
pub mod stream;
pub mod user;
