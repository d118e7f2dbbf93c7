//! TLS pieces shared by `rama send` and `rama probe tls`: the curl-style client flags
//! ([`TlsClientArgs`]), the backend choice, the client config they make, and curl's exit
//! codes for TLS failures ([`handshake_failure`]).

use crate::cmd::send::exit::{
    Failure, NOT_BUILT_IN, OPERATION_TIMEDOUT, PEER_FAILED_VERIFICATION, SSL_CACERT_BADFILE,
    SSL_CERTPROBLEM, SSL_CONNECT_ERROR,
};
use clap::{Args, ValueEnum};
use rama::{
    Service,
    net::client::EstablishedClientConnection,
    tls::{
        config::{CertifiedKey, ClientConfig, ServerVerification},
        rustls::TlsError,
        types::{AlpnList, ProtocolVersion},
    },
};
use std::{path::PathBuf, sync::Arc, sync::Mutex};

/// Which TLS library does the handshake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum TlsBackend {
    /// rustls (built in).
    #[default]
    Rustls,
    /// BoringSSL (in builds with the `boring` feature).
    Boring,
}

impl TlsBackend {
    /// Refuse a backend this binary was not built with (curl's exit code 4, "not built in").
    pub(crate) fn check(self) -> Result<(), Failure> {
        match self {
            Self::Rustls => Ok(()),
            Self::Boring if cfg!(feature = "boring") => Ok(()),
            Self::Boring => Err(Failure::new(
                NOT_BUILT_IN,
                "--tls-backend boring: rama was not built with the boring (BoringSSL) TLS \
                 backend; use --tls-backend rustls",
            )),
        }
    }
}

/// The TLS flags of a client command, named as curl names them.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct TlsClientArgs {
    /// Do not verify the server's certificate (TLS): anyone on the path can read and
    /// change the traffic.
    #[arg(short = 'k', long = "insecure")]
    pub(crate) insecure: bool,
    /// Verify the server's certificate against the CA certificates in FILE (PEM) instead of
    /// the built-in Mozilla roots.
    #[arg(long = "cacert", value_name = "FILE")]
    pub(crate) cacert: Option<PathBuf>,
    /// Present the client certificate (chain, PEM) in FILE when the server asks (mTLS);
    /// the key is read from --key, or from FILE when --key is not given.
    #[arg(short = 'E', long = "cert", value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long = "key", value_name = "FILE", requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// Use TLS 1.2 or later.
    #[arg(long = "tlsv1.2")]
    pub(crate) tlsv1_2: bool,
    /// Use TLS 1.3 or later.
    #[arg(long = "tlsv1.3")]
    pub(crate) tlsv1_3: bool,
    /// The TLS library: rustls (the default) or boring.
    #[arg(
        long = "tls-backend",
        value_enum,
        value_name = "BACKEND",
        default_value_t
    )]
    pub(crate) backend: TlsBackend,
}

impl TlsClientArgs {
    /// The client config these flags ask for, offering `alpn`. Failures carry curl's exit
    /// codes: 77 for an unreadable --cacert, 58 for an unusable --cert/--key, 4 for an
    /// unavailable backend.
    pub(crate) fn client_config(&self, alpn: AlpnList) -> Result<ClientConfig, Failure> {
        self.backend.check()?;
        let mut config = ClientConfig::new().with_alpn(alpn);
        if self.insecure {
            config = config.with_verification(ServerVerification::Insecure);
        } else if let Some(path) = &self.cacert {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                Failure::new(
                    SSL_CACERT_BADFILE,
                    format!("error reading CA certificate file {}: {e}", path.display()),
                )
            })?;
            let verification = ServerVerification::custom_pem(&pem).map_err(|e| {
                Failure::new(
                    SSL_CACERT_BADFILE,
                    format!("CA certificate file {}: {e}", path.display()),
                )
            })?;
            config = config.with_verification(verification);
        }
        if let Some(cert) = &self.cert {
            let key = self.key.as_ref().unwrap_or(cert);
            let certified = CertifiedKey::from_pem_files(cert, key).map_err(|e| {
                Failure::new(
                    SSL_CERTPROBLEM,
                    format!("could not load client certificate {}: {e}", cert.display()),
                )
            })?;
            config = config.with_client_cert(Arc::new(certified));
        }
        if self.tlsv1_3 {
            config = config.with_min_version(ProtocolVersion::TLS_V1_3);
        } else if self.tlsv1_2 {
            config = config.with_min_version(ProtocolVersion::TLS_V1_2);
        }
        Ok(config)
    }
}

/// A failed TLS handshake (either backend: both return rama-tls's `TlsError`) with curl's
/// exit code: 60 when the server's certificate was not trusted, 28 on a timeout, 35
/// otherwise.
pub(crate) fn handshake_failure(err: &TlsError) -> Failure {
    if err.is_timeout() {
        return Failure::new(OPERATION_TIMEDOUT, err.to_string());
    }
    match rustls_error(err) {
        Some(rustls::Error::InvalidCertificate(reason)) => Failure::new(
            PEER_FAILED_VERIFICATION,
            format!("SSL certificate problem: {reason:?} ({err})"),
        ),
        Some(other) => Failure::new(SSL_CONNECT_ERROR, format!("{err}: {other}")),
        None => {
            let causes = chain(err);
            match boring_verify_reason(&causes) {
                Some(reason) => Failure::new(
                    PEER_FAILED_VERIFICATION,
                    format!("SSL certificate problem: {reason} ({err})"),
                ),
                None => Failure::new(SSL_CONNECT_ERROR, format!("{err}: {causes}")),
            }
        }
    }
}

/// How BoringSSL's handshake error starts its reason when the peer's certificate failed
/// verification (rama-tls keeps BoringSSL's handshake error as text only).
const BORING_VERIFY_FAILED: &str = "cert verification failed";

/// The verification failure reason in BoringSSL's handshake error text `causes`, if the
/// handshake failed because the peer's certificate was not trusted.
fn boring_verify_reason(causes: &str) -> Option<&str> {
    causes
        .split_once(BORING_VERIFY_FAILED)
        .map(|(_, reason)| reason.trim_start_matches([' ', '-']).trim_end())
}

/// The rustls error somewhere in `err`'s source chain (tokio-rustls wraps it in an
/// `io::Error`, whose `source()` skips the wrapped error itself).
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(found) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// The causes of `err`, joined with `: `.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        parts.push(e.to_string());
        next = e.source();
    }
    parts.join(": ")
}

/// A connector that hands out one already connected stream, so that a TLS connector can
/// run its handshake over a connection made (and its errors classified) elsewhere.
#[derive(Debug)]
pub(crate) struct Connected<IO>(Mutex<Option<IO>>);

impl<IO> Connected<IO> {
    /// Hands out `io` once.
    pub(crate) const fn new(io: IO) -> Self {
        Self(Mutex::new(Some(io)))
    }
}

impl<IO, Input> Service<Input> for Connected<IO>
where
    IO: Send + 'static,
    Input: Send + 'static,
{
    type Output = EstablishedClientConnection<IO, Input>;
    type Error = std::io::Error;

    async fn serve(&self, input: Input) -> Result<Self::Output, Self::Error> {
        let io = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(|| std::io::Error::other("the connection was already used"))?;
        Ok(EstablishedClientConnection::new(io, input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_make_configs_and_bad_files_have_curl_codes() {
        let args = TlsClientArgs {
            tlsv1_3: true,
            ..TlsClientArgs::default()
        };
        let config = args.client_config(AlpnList::h2_http11()).unwrap();
        assert_eq!(config.min_version, Some(ProtocolVersion::TLS_V1_3));
        assert_eq!(config.alpn, AlpnList::h2_http11());
        let insecure = TlsClientArgs {
            insecure: true,
            ..TlsClientArgs::default()
        };
        assert!(
            insecure
                .client_config(AlpnList::new())
                .unwrap()
                .verification
                .is_insecure()
        );
        let missing = PathBuf::from("/nonexistent/rama-test.pem");
        let cacert = TlsClientArgs {
            cacert: Some(missing.clone()),
            ..TlsClientArgs::default()
        };
        assert_eq!(
            cacert.client_config(AlpnList::new()).unwrap_err().code,
            SSL_CACERT_BADFILE
        );
        let cert = TlsClientArgs {
            cert: Some(missing),
            ..TlsClientArgs::default()
        };
        assert_eq!(
            cert.client_config(AlpnList::new()).unwrap_err().code,
            SSL_CERTPROBLEM
        );
        let boring = TlsClientArgs {
            backend: TlsBackend::Boring,
            ..TlsClientArgs::default()
        };
        let result = boring.client_config(AlpnList::new());
        if cfg!(feature = "boring") {
            assert!(result.is_ok());
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.code, NOT_BUILT_IN);
            assert!(err.message.contains("not built with"), "{err}");
        }
    }

    #[test]
    fn boring_verification_reasons_table() {
        for (causes, want) in [
            (
                "TLS handshake failed: cert verification failed - self-signed certificate \
                 [CERTIFICATE_VERIFY_FAILED]",
                Some("self-signed certificate [CERTIFICATE_VERIFY_FAILED]"),
            ),
            (
                "TLS handshake failed: cert verification failed - unable to get local issuer \
                 certificate ",
                Some("unable to get local issuer certificate"),
            ),
            ("TLS handshake failed error:10000100:SSL routines", None),
            ("", None),
        ] {
            assert_eq!(boring_verify_reason(causes), want, "{causes}");
        }
    }

    #[test]
    fn rustls_errors_are_found_inside_io_errors() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        assert!(matches!(
            rustls_error(&io),
            Some(rustls::Error::InvalidCertificate(_))
        ));
        assert!(rustls_error(&std::io::Error::other("plain")).is_none());
    }
}
