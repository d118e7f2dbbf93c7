//! rama-bench: loopback benchmark tools for rama.
//!
//! - `tcpbench`: the peers and load generators of `bench/tcp_forward.sh` (`sink`, `echo`,
//!   `bulk`, `connrate`).
//! - `tcpforward`: a layer-4 forwarder built from `rama_tcp::server::TcpListener` and
//!   `rama_tcp::forward::Forwarder`, the thing being measured.
//! - `rama_hello`, `hyper_hello`: the HTTP hello-world servers of `bench/http_hello.sh`
//!   (rama's `HttpServer::auto` and hyper 1.x's auto builder, each on a multi-thread runtime
//!   or a runtime per core).
//! - `idle_conns`: holds N idle keep-alive HTTP connections open, to measure a server's
//!   memory per connection.
//!
//! See `bench/README.md` for how to run them and the latest figures.

use std::time::Duration;

/// Format a byte rate for people: `1234.5 MiB/s (10.36 Gbit/s)`.
#[must_use]
pub fn format_byte_rate(bytes: u64, elapsed: Duration) -> String {
    let per_sec = rate(bytes, elapsed);
    format!(
        "{:.1} MiB/s ({:.2} Gbit/s)",
        per_sec / (1024.0 * 1024.0),
        per_sec * 8.0 / 1e9
    )
}

/// `count / elapsed` in units per second (0 for an empty interval).
#[must_use]
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        // u64 → f64 loses precision only past 2^53, far beyond any count measured here
        #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
        let count = count as f64;
        count / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert!((rate(10, Duration::from_secs(2)) - 5.0).abs() < f64::EPSILON);
        assert!(rate(10, Duration::ZERO).abs() < f64::EPSILON);
        assert_eq!(
            format_byte_rate(1024 * 1024 * 125, Duration::from_secs(1)),
            "125.0 MiB/s (1.05 Gbit/s)"
        );
    }
}
