//! HTTP/2 server side through the `h2` crate, plus a tap that records what a client sent first.
//!
//! | you want to | use |
//! |---|---|
//! | serve an h2 connection with a rama service | [`serve_connection`] |
//! | tune SETTINGS and limits | [`H2ServerConfig`] |
//! | the client's first SETTINGS, WINDOW_UPDATE, PRIORITY frames, pseudo-header order | [`EarlyFrames`], in each request's extensions |
//! | record them on your own IO | [`EarlyFrameTap`], [`EarlyFrameParser`] |
//! | decode HPACK | [`hpack::Decoder`] |
//!
//! # The early-frame tap
//!
//! `h2` parses frames privately, so [`serve_connection`] wraps the IO in an
//! [`EarlyFrameTap`]: the bytes `h2` reads are also fed to an [`EarlyFrameParser`], which
//! checks the connection preface, reads frame headers (RFC 9113 §4.1) and records the first
//! SETTINGS frame, WINDOW_UPDATE and PRIORITY frames and the first HEADERS (+ CONTINUATION)
//! block, decoding that block with its own HPACK decoder to learn the pseudo-header order. It
//! stops there, or at its byte and frame limits, or at bad input (which `h2` rejects on its
//! own); after that reads pass straight through. The record, [`EarlyFrames`], is in the
//! extensions of every request of the connection.

mod config;
mod early_frames;
pub mod hpack;
mod recv_body;
mod server;
mod tap;

pub use config::{H2ServerConfig, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, MIN_MAX_FRAME_SIZE};
pub use early_frames::{
    EarlyFrameParser, EarlyFrames, FirstHeaders, FrameHeader, PREFACE, Priority, PseudoHeader,
    Setting, TapOutcome, WindowUpdate,
};
/// The HTTP/2 error codes (`h2`'s type), as found in [`H2ConnectionError::reason`].
pub use h2::Reason;
pub use server::{H2ConnectionError, serve_connection};
pub use tap::{EarlyFrameTap, EarlyFramesHandle};
