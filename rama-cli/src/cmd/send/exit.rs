//! Exit codes of `rama send`, the same numbers curl uses, and the failure that carries one.

use std::fmt;

/// Unsupported protocol (e.g. `ftp://`).
pub(crate) const UNSUPPORTED_PROTOCOL: u8 = 1;
/// The URL could not be parsed.
pub(crate) const MALFORMED_URL: u8 = 3;
/// A feature this build does not have (e.g. `--tls-backend boring` without BoringSSL).
pub(crate) const NOT_BUILT_IN: u8 = 4;
/// The proxy's host name did not resolve.
pub(crate) const COULD_NOT_RESOLVE_PROXY: u8 = 5;
/// The host name did not resolve.
pub(crate) const COULD_NOT_RESOLVE_HOST: u8 = 6;
/// Nothing accepted the TCP connection.
pub(crate) const COULD_NOT_CONNECT: u8 = 7;
/// The body ended before its announced length (the connection closed in the middle).
pub(crate) const PARTIAL_FILE: u8 = 18;
/// The response was an HTTP error (>= 400) and `--fail` was given.
pub(crate) const HTTP_RETURNED_ERROR: u8 = 22;
/// Writing the output (stdout or `-o FILE`) failed.
pub(crate) const WRITE_ERROR: u8 = 23;
/// A local file (`-d @FILE`) could not be read.
pub(crate) const READ_ERROR: u8 = 26;
/// `--max-time` or `--connect-timeout` passed.
pub(crate) const OPERATION_TIMEDOUT: u8 = 28;
/// More redirects than `--max-redirs`.
pub(crate) const TOO_MANY_REDIRECTS: u8 = 47;
/// Sending the request failed.
pub(crate) const SEND_ERROR: u8 = 55;
/// Receiving the response failed (closed, malformed, cut short).
pub(crate) const RECV_ERROR: u8 = 56;
/// A SOCKS5 proxy handshake failed (refused, wrong credentials, not SOCKS5).
pub(crate) const PROXY: u8 = 97;
/// The TLS handshake failed.
pub(crate) const SSL_CONNECT_ERROR: u8 = 35;
/// The client certificate or key (`--cert`, `--key`) could not be used.
pub(crate) const SSL_CERTPROBLEM: u8 = 58;
/// The server's certificate could not be verified.
pub(crate) const PEER_FAILED_VERIFICATION: u8 = 60;
/// The CA certificate file (`--cacert`) could not be read.
pub(crate) const SSL_CACERT_BADFILE: u8 = 77;

/// A failed transfer: curl's exit code and a one-line reason, printed as
/// `rama: (CODE) REASON` on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The process exit code (curl's number for the same failure).
    pub(crate) code: u8,
    /// What went wrong, for humans.
    pub(crate) message: String,
}

impl Failure {
    /// A failure with exit code `code`.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_code_and_reason() {
        let f = Failure::new(
            COULD_NOT_CONNECT,
            "connect to 127.0.0.1:1: connection refused",
        );
        assert_eq!(
            f.to_string(),
            "(7) connect to 127.0.0.1:1: connection refused"
        );
    }
}
