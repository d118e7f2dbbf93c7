//! `rama probe <TARGET>`: look at a server without sending it a request. Today: `tls`.

mod tls;

use clap::Subcommand;
use rama::error::OpaqueError;
use std::process::ExitCode;

/// What `rama probe` can look at.
#[derive(Debug, Subcommand)]
pub(crate) enum ProbeCommand {
    /// TLS handshake with HOST:PORT: print the version, cipher, ALPN and the certificate
    /// chain (subject, issuer, SAN, validity), and whether it verifies (webpki roots, or
    /// --cacert; -k skips it). Exit status 0 when it verifies (or -k), 60 when it does not,
    /// 35 when the handshake fails, 6/7/28 when resolving/connecting fails or times out.
    Tls(tls::ProbeTlsArgs),
}

impl ProbeCommand {
    /// Run the probe; the exit code it chose.
    pub(crate) async fn run(self) -> Result<ExitCode, OpaqueError> {
        match self {
            Self::Tls(args) => Ok(args.run().await),
        }
    }
}
