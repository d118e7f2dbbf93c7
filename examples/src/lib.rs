//! Runnable examples of rama. Each is a binary in `examples/src/bin/`, documented at the top
//! of its file, and started and exercised by an integration test in `examples/tests/`.
//!
//! | example | shows | default bind |
//! |---|---|---|
//! | `tcp_echo_server` | a service over a TCP stream, the listener, graceful shutdown | `127.0.0.1:62011` |
//! | `tcp_l4_proxy` | a layer-4 forwarder to a target address | `127.0.0.1:62012` |
//! | `tcp_listener_layers` | timeout and concurrency limit layers around a TCP service | `127.0.0.1:62013` |
//!
//! Every example takes its bind address as its first argument, prints `listening on ADDR`
//! once it accepts connections and stops on Ctrl-C or SIGTERM:
//!
//! ```text
//! cargo run -p rama-examples --bin tcp_echo_server [BIND]
//! ```
