//! `rama probe tls HOST:PORT`: one TLS handshake, reported.
//!
//! ```text
//! $ rama probe tls localhost:8443 --cacert ca.pem
//! connected: 127.0.0.1:8443 (server name localhost)
//! version: TLSv1.3
//! cipher: TLS_AES_256_GCM_SHA384
//! key exchange: x25519
//! alpn: h2
//! certificate chain (2):
//!   [0] subject: CN=localhost
//!       issuer:  CN=rama example CA
//!       SAN:     DNS:localhost, IP:127.0.0.1
//!       valid:   Nov 21 10:00:00 2026 +00:00 .. Dec 21 10:00:00 2026 +00:00 (valid now)
//!   [1] ...
//! verification: ok (--cacert ca.pem)
//! ```
//!
//! The handshake verifies as the flags say (webpki roots, `--cacert`, `-k`); when the
//! certificate is not trusted, a second handshake without verification fetches the chain so
//! it can still be shown, and the exit status is 60.

use crate::cmd::send::exit::{
    COULD_NOT_CONNECT, COULD_NOT_RESOLVE_HOST, Failure, MALFORMED_URL, OPERATION_TIMEDOUT,
    PEER_FAILED_VERIFICATION,
};
use crate::cmd::tls::{Connected, TlsBackend, TlsClientArgs, handshake_failure};
use clap::Args;
use rama::{
    Layer, Service,
    net::{address::Authority, dns::HickoryDns},
    tcp::client::{TcpConnectConfig, TcpConnectError, tcp_connect},
    tls::{
        config::{ClientServerName, ServerVerification},
        negotiated::NegotiatedTlsParameters,
        types::AlpnList,
    },
};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Flags of `rama probe tls`.
#[derive(Debug, Args)]
pub(crate) struct ProbeTlsArgs {
    /// The server: HOST:PORT (the port defaults to 443).
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// The server name to send (SNI) and verify, instead of HOST.
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// The ALPN protocols to offer, comma separated (default: h2,http/1.1).
    #[arg(long, value_name = "LIST", default_value = "h2,http/1.1")]
    alpn: String,
    /// The most seconds connecting and the handshake may take.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = crate::cmd::args::parse_secs)]
    timeout: Duration,
    #[command(flatten)]
    tls: TlsClientArgs,
}

impl ProbeTlsArgs {
    /// Probe, print the report on stdout (a failure as `rama: (CODE) REASON` on stderr) and
    /// return the exit code.
    pub(crate) async fn run(self) -> ExitCode {
        match tokio::time::timeout(self.timeout, self.probe()).await {
            Ok(Ok(report)) => {
                print!("{}", report.text);
                ExitCode::from(report.code)
            }
            Ok(Err(failure)) => {
                eprintln!("rama: {failure}");
                ExitCode::from(failure.code)
            }
            Err(_) => {
                eprintln!(
                    "rama: ({OPERATION_TIMEDOUT}) probe timed out after {:?}",
                    self.timeout
                );
                ExitCode::from(OPERATION_TIMEDOUT)
            }
        }
    }

    async fn probe(&self) -> Result<Report, Failure> {
        let authority = parse_target(&self.target)?;
        let alpn = parse_alpn(&self.alpn)?;
        let mut config = self.tls.client_config(alpn)?;
        if let Some(name) = &self.servername {
            let host = name
                .parse()
                .map_err(|e| Failure::new(MALFORMED_URL, format!("--servername `{name}`: {e}")))?;
            config = config.with_server_name(ClientServerName::Override(host));
        }
        let verification = describe_verification(&self.tls);
        let first = self.handshake(&authority, &config).await;
        let (params, verified) = match first {
            Ok(params) => (params, Ok(())),
            Err(failure) if failure.code == PEER_FAILED_VERIFICATION => {
                // not trusted: fetch the chain without verification to show it
                let insecure = config
                    .clone()
                    .with_verification(ServerVerification::Insecure);
                let params = self.handshake(&authority, &insecure).await?;
                (params, Err(failure.message))
            }
            Err(failure) => return Err(failure),
        };
        let mut text = String::new();
        let name = params.server_name.as_deref().unwrap_or("-");
        let _ = writeln!(text, "connected: {authority} (server name {name})");
        let _ = writeln!(text, "version: {}", params.version);
        let _ = writeln!(text, "cipher: {}", params.cipher_suite);
        if let Some(group) = params.key_exchange_group {
            let _ = writeln!(text, "key exchange: {group}");
        }
        let alpn = params
            .alpn
            .as_ref()
            .map_or_else(|| "none".to_owned(), ToString::to_string);
        let _ = writeln!(text, "alpn: {alpn}");
        let _ = writeln!(
            text,
            "certificate chain ({}):",
            params.peer_certificates.len()
        );
        for (i, der) in params.peer_certificates.iter().enumerate() {
            text.push_str(&describe_certificate(i, der));
        }
        let code = match verified {
            Ok(()) if self.tls.insecure => {
                let _ = writeln!(text, "verification: skipped (-k)");
                0
            }
            Ok(()) => {
                let _ = writeln!(text, "verification: ok ({verification})");
                0
            }
            Err(reason) => {
                let _ = writeln!(text, "verification: FAILED ({verification}): {reason}");
                PEER_FAILED_VERIFICATION
            }
        };
        Ok(Report { text, code })
    }

    async fn handshake(
        &self,
        authority: &Authority,
        config: &rama::tls::config::ClientConfig,
    ) -> Result<NegotiatedTlsParameters, Failure> {
        let refused = |e: rama::tls::config::ConfigError| {
            Failure::new(
                crate::cmd::send::exit::SSL_CONNECT_ERROR,
                format!("TLS configuration: {e}"),
            )
        };
        let tcp = TcpConnectConfig::new().with_connect_timeout(self.timeout);
        let negotiated = match self.tls.backend {
            TlsBackend::Rustls => {
                let layer = rama::tls::rustls::TlsConnectorLayer::new(config).map_err(refused)?;
                let stream = tcp_connect(authority, &HickoryDns::default(), &tcp)
                    .await
                    .map_err(connect_failure)?;
                let tls = layer
                    .layer(Connected::new(stream))
                    .serve(authority.clone())
                    .await
                    .map_err(|e| handshake_failure(&e))?
                    .conn;
                tls.negotiated().cloned()
            }
            #[cfg(feature = "boring")]
            TlsBackend::Boring => {
                let layer = rama::tls::boring::TlsConnectorLayer::new(config).map_err(refused)?;
                let stream = tcp_connect(authority, &HickoryDns::default(), &tcp)
                    .await
                    .map_err(connect_failure)?;
                let tls = layer
                    .layer(Connected::new(stream))
                    .serve(authority.clone())
                    .await
                    .map_err(|e| handshake_failure(&e))?
                    .conn;
                tls.negotiated().cloned()
            }
            // `client_config` refused it already
            #[cfg(not(feature = "boring"))]
            TlsBackend::Boring => {
                return Err(Failure::new(
                    crate::cmd::send::exit::NOT_BUILT_IN,
                    "--tls-backend boring: rama was not built with the boring feature",
                ));
            }
        };
        negotiated.ok_or_else(|| {
            Failure::new(
                crate::cmd::send::exit::SSL_CONNECT_ERROR,
                "the TLS backend reported no parameters",
            )
        })
    }
}

struct Report {
    text: String,
    code: u8,
}

fn connect_failure(err: TcpConnectError) -> Failure {
    let code = if err.is_resolve() {
        COULD_NOT_RESOLVE_HOST
    } else if err.is_timeout() {
        OPERATION_TIMEDOUT
    } else {
        COULD_NOT_CONNECT
    };
    Failure::new(code, err.to_string())
}

/// `HOST:PORT`, `HOST` (port 443), `[::1]:443`.
fn parse_target(input: &str) -> Result<Authority, Failure> {
    let input = input.trim();
    let input = input.strip_prefix("https://").unwrap_or(input);
    let input = input.split('/').next().unwrap_or_default();
    input
        .parse::<Authority>()
        .or_else(|_| format!("{input}:443").parse::<Authority>())
        .or_else(|_| format!("[{input}]:443").parse::<Authority>())
        .map_err(|e| Failure::new(MALFORMED_URL, format!("target `{input}`: {e}")))
}

fn parse_alpn(list: &str) -> Result<AlpnList, Failure> {
    let mut alpn = AlpnList::new();
    for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let protocol = rama::tls::types::ApplicationProtocol::new(id.as_bytes().to_vec())
            .map_err(|e| Failure::new(MALFORMED_URL, format!("--alpn `{id}`: {e}")))?;
        alpn.push(protocol);
    }
    Ok(alpn)
}

fn describe_verification(tls: &TlsClientArgs) -> String {
    match &tls.cacert {
        Some(path) => format!("--cacert {}", path.display()),
        None => "webpki roots".to_owned(),
    }
}

/// One certificate of the chain, indented: subject, issuer, SAN, validity.
fn describe_certificate(index: usize, der: &[u8]) -> String {
    let mut out = String::new();
    let cert = match X509Certificate::from_der(der) {
        Ok((_, cert)) => cert,
        Err(err) => {
            let _ = writeln!(
                out,
                "  [{index}] unparsable certificate ({} bytes): {err}",
                der.len()
            );
            return out;
        }
    };
    let _ = writeln!(out, "  [{index}] subject: {}", cert.subject());
    let _ = writeln!(out, "      issuer:  {}", cert.issuer());
    let san = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .map(describe_name)
            .collect::<Vec<_>>()
            .join(", "),
        Ok(None) => "none".to_owned(),
        Err(err) => format!("invalid ({err})"),
    };
    let _ = writeln!(out, "      SAN:     {san}");
    let validity = cert.validity();
    let now = if validity.is_valid() {
        "valid now"
    } else if validity.not_after < x509_parser::time::ASN1Time::now() {
        "EXPIRED"
    } else {
        "NOT YET VALID"
    };
    let _ = writeln!(
        out,
        "      valid:   {} .. {} ({now})",
        validity.not_before, validity.not_after
    );
    out
}

fn describe_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => {
                let octets: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
                format!("IP:{}", std::net::Ipv4Addr::from(octets))
            }
            16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(bytes);
                format!("IP:{}", std::net::Ipv6Addr::from(octets))
            }
            _ => format!("IP:<{} bytes>", bytes.len()),
        },
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_table() {
        for (input, want) in [
            ("example.com:8443", Some("example.com:8443")),
            ("example.com", Some("example.com:443")),
            ("https://example.com/x", Some("example.com:443")),
            ("127.0.0.1:1", Some("127.0.0.1:1")),
            ("[::1]:443", Some("[::1]:443")),
            ("::1", Some("[::1]:443")),
            ("exa mple:1", None),
        ] {
            let got = parse_target(input).ok().map(|a| a.to_string());
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn alpn_lists() {
        assert_eq!(parse_alpn("h2,http/1.1").unwrap(), AlpnList::h2_http11());
        assert!(parse_alpn("").unwrap().is_empty());
    }

    #[test]
    fn certificates_are_described() {
        let cert = rama::tls::cert::self_signed(&["localhost", "127.0.0.1", "::1"]).unwrap();
        let text = describe_certificate(0, cert.cert_der());
        assert!(text.contains("DNS:localhost"), "{text}");
        assert!(text.contains("IP:127.0.0.1"), "{text}");
        assert!(text.contains("IP:::1"), "{text}");
        assert!(text.contains("(valid now)"), "{text}");
        assert!(describe_certificate(1, b"junk").contains("unparsable"));
    }
}
