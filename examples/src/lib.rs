//! Runnable examples of rama. Each is a binary in `examples/src/bin/`, documented at the top
//! of its file, and started and exercised by an integration test in `examples/tests/`.
//!
//! | example | shows | default bind |
//! |---|---|---|
//! | `tcp_echo_server` | a service over a TCP stream, the listener, graceful shutdown | `127.0.0.1:62011` |
//! | `tcp_l4_proxy` | a layer-4 forwarder to a target address | `127.0.0.1:62012` |
//! | `tcp_listener_layers` | timeout and concurrency limit layers around a TCP service | `127.0.0.1:62013` |
//! | `http_hello` | HTTP/1 and h2c on one port with `HttpServer::auto` | `127.0.0.1:62021` |
//! | `http_echo` | the request head as received (wire order and spelling, h2 early frames) | `127.0.0.1:62022` |
//! | `http_middleware_stack` | HTTP middleware: request id, trace, catch panic, timeout, CORS, compression, body limit | `127.0.0.1:62023` |
//! | `http_tower_interop` | an axum `Router` served by rama's `HttpServer`, composed with rama layers | `127.0.0.1:62031` |
//!
//! Every example takes its bind address as its first argument, prints `listening on ADDR`
//! once it accepts connections and stops on Ctrl-C or SIGTERM:
//!
//! ```text
//! cargo run -p rama-examples --bin tcp_echo_server [BIND]
//! ```
