//! `rama serve echo`: answer with what was received.
//!
//! - `--mode http` (the default): every HTTP request gets a JSON answer describing it: method,
//!   URI, version, headers in wire order and spelling, body, peer address and, for h2, the
//!   client's early frames (see [`http::HttpEcho`]). `--http-version` picks HTTP/1.x, h2
//!   (prior knowledge, "h2c") or both on one port (`auto`, the default).
//! - `--mode tcp`: the raw bytes of each TCP connection are sent back until the client closes
//!   its side.
//! - `--tls` (HTTP mode): TLS in front, with a self-signed certificate for localhost,
//!   127.0.0.1 and ::1 (or `--cert`/`--key`), ALPN by `--http-version`, and the ClientHello
//!   captured for the JSON's `tls` section (see [`tls`]); `--tls-backend boring` (builds with
//!   the `boring` feature) terminates with BoringSSL instead of rustls, same config and the
//!   same `tls` section.
//! - `--proxy-protocol`: every connection must start with a HAProxy PROXY protocol header
//!   (v1 or v2, read within 5 seconds, before TLS); the client address it carries replaces
//!   the peer address (the HTTP echo's `peer_addr`, the TCP echo's debug log line). Connections
//!   without a valid header are closed. Put it behind proxies you trust only.

mod http;
mod tls;

use super::run::serve_tcp;
use crate::cmd::args::ServeArgs;
use crate::cmd::tls::TlsBackend;
use clap::{Args, ValueEnum};
use rama::{
    Layer, Service,
    error::{BoxError, ErrorContext, OpaqueError},
    extensions::ExtensionsRef,
    net::stream::{RewindStream, SocketInfo, Stream},
    proxy::haproxy::HaProxyLayer,
    tcp::TcpStream,
    tls::{
        cert::self_signed,
        config::{CertifiedKey, ServerConfig},
        types::{AlpnList, ApplicationProtocol},
    },
};
use std::{io, net::SocketAddr, path::PathBuf};
use tokio::io::AsyncWriteExt;

/// Flags of `rama serve echo`.
#[derive(Debug, Args)]
pub(crate) struct EchoArgs {
    /// The IP:PORT to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,

    /// What to echo. `http`: answer each request with JSON describing it (method, URI,
    /// version, headers in wire order and spelling, body, peer address, h2 early frames).
    /// `tcp`: send back the raw bytes of each connection.
    #[arg(long, value_enum, default_value_t = EchoMode::Http)]
    mode: EchoMode,

    /// With `--mode http`: which HTTP to speak. `auto` (the default): HTTP/1.x and h2 with
    /// prior knowledge (h2c) on the same port; `http1`: HTTP/1.0 and 1.1 only; `h2`: h2c only.
    #[arg(long, value_enum, value_name = "VERSION")]
    http_version: Option<HttpVersion>,

    /// Serve HTTPS: TLS with a self-signed certificate for localhost, 127.0.0.1 and ::1
    /// (or --cert/--key); ALPN offers h2 and http/1.1 (as --http-version allows). The JSON
    /// gains a `tls` section with the negotiated parameters and the ClientHello as received.
    #[arg(long)]
    tls: bool,

    /// With --tls: the certificate chain to serve (PEM, leaf first).
    #[arg(long, value_name = "FILE", requires = "tls", requires = "key")]
    cert: Option<PathBuf>,

    /// With --tls: the private key of --cert (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,

    /// With --tls: the TLS library, rustls (the default) or boring (BoringSSL, in builds
    /// with the `boring` feature).
    #[arg(
        long,
        value_enum,
        value_name = "BACKEND",
        default_value_t,
        requires = "tls"
    )]
    tls_backend: TlsBackend,

    /// Require a HAProxy PROXY protocol header (v1 or v2) at the start of every connection
    /// and report the client address it carries as the peer address. Connections without
    /// one are closed. Only for ports that trusted proxies alone can reach.
    #[arg(long)]
    proxy_protocol: bool,

    #[command(flatten)]
    serve: ServeArgs,
}

/// What `rama serve echo` echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EchoMode {
    /// Each HTTP request, described as JSON.
    Http,
    /// The raw bytes of each TCP connection.
    Tcp,
}

/// Which HTTP versions the HTTP echo accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HttpVersion {
    /// HTTP/1.x, and h2 when the connection starts with the h2 preface.
    Auto,
    /// HTTP/1.0 and HTTP/1.1.
    Http1,
    /// h2 with prior knowledge (h2c).
    H2,
}

/// Run the echo server until shutdown.
pub(super) async fn run(args: EchoArgs) -> Result<(), OpaqueError> {
    match args.mode {
        EchoMode::Tcp => {
            if args.tls {
                clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--tls only applies to --mode http\n",
                )
                .exit();
            }
            if args.http_version.is_some() {
                // a usage error, reported (exit status 2) like the ones clap finds itself
                clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--http-version only applies to --mode http\n",
                )
                .exit();
            }
            serve_echo(&args, TcpEcho).await
        }
        EchoMode::Http => {
            let version = args.http_version.unwrap_or(HttpVersion::Auto);
            if args.tls {
                serve_tls(&args, version).await
            } else {
                serve_echo(&args, http::server(version)).await
            }
        }
    }
}

/// The HTTP echo behind the `--tls-backend` acceptor, until shutdown.
async fn serve_tls(args: &EchoArgs, version: HttpVersion) -> Result<(), OpaqueError> {
    if let Err(failure) = args.tls_backend.check() {
        return Err(OpaqueError::from_display(failure.message));
    }
    let config = tls_config(args, version)?;
    match args.tls_backend {
        TlsBackend::Rustls => {
            let acceptor = rama::tls::rustls::TlsAcceptorLayer::new(&config)
                .context("configure TLS (rustls)")?;
            serve_echo(args, acceptor.into_layer(http::server(version))).await
        }
        #[cfg(feature = "boring")]
        TlsBackend::Boring => {
            let acceptor = rama::tls::boring::TlsAcceptorLayer::new(&config)
                .context("configure TLS (boring)")?;
            serve_echo(args, acceptor.into_layer(http::server(version))).await
        }
        #[cfg(not(feature = "boring"))]
        TlsBackend::Boring => Err(OpaqueError::from_display(
            "--tls-backend boring: not built with the boring feature",
        )),
    }
}

/// Serve `service` on `--bind`, behind the PROXY protocol layer with `--proxy-protocol`.
async fn serve_echo<S>(args: &EchoArgs, service: S) -> Result<(), OpaqueError>
where
    S: Service<TcpStream> + Service<RewindStream<TcpStream>>,
    <S as Service<TcpStream>>::Error: Into<BoxError>,
    <S as Service<RewindStream<TcpStream>>>::Error: Into<BoxError>,
{
    if args.proxy_protocol {
        let service = HaProxyLayer::required().into_layer(service);
        serve_tcp("echo", args.bind, &args.serve, service).await
    } else {
        serve_tcp("echo", args.bind, &args.serve, service).await
    }
}

/// The TLS config of `--tls`, for either backend: the certificate, ALPN for `version`,
/// ClientHello capture.
fn tls_config(args: &EchoArgs, version: HttpVersion) -> Result<ServerConfig, OpaqueError> {
    let cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            CertifiedKey::from_pem_files(cert, key).context("load the --cert/--key certificate")?
        }
        _ => {
            let cert = self_signed(&["localhost", "127.0.0.1", "::1"])
                .context("make a self-signed certificate")?;
            tracing::info!("TLS with a self-signed certificate for localhost, 127.0.0.1 and ::1");
            cert
        }
    };
    let alpn: AlpnList = match version {
        HttpVersion::Auto => AlpnList::h2_http11(),
        HttpVersion::Http1 => [ApplicationProtocol::HTTP_11].into_iter().collect(),
        HttpVersion::H2 => [ApplicationProtocol::H2].into_iter().collect(),
    };
    Ok(ServerConfig::new(cert.into())
        .with_alpn(alpn)
        .with_client_hello_capture(true))
}

/// Writes back every byte it reads, until the client half-closes; then closes its own side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpEcho;

impl<S> Service<S> for TcpEcho
where
    S: Stream + ExtensionsRef + Unpin,
{
    type Output = u64;
    type Error = io::Error;

    async fn serve(&self, stream: S) -> Result<u64, io::Error> {
        let peer = stream
            .extensions()
            .get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        let (mut reader, mut writer) = tokio::io::split(stream);
        let echoed = tokio::io::copy(&mut reader, &mut writer).await?;
        writer.shutdown().await?;
        tracing::debug!(?peer, echoed, "echo: connection done");
        Ok(echoed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn echoes_until_the_client_half_closes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let server = tokio::spawn(TcpEcho.serve(TcpStream::new(accepted)));

        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut rd, mut wr) = client.split();
        let write = async {
            wr.write_all(&data).await.unwrap();
            wr.shutdown().await.unwrap();
        };
        let mut got = Vec::new();
        let read = rd.read_to_end(&mut got);
        let ((), read) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            tokio::join!(write, read)
        })
        .await
        .unwrap();
        read.unwrap();
        assert_eq!(got, data);
        assert_eq!(server.await.unwrap().unwrap(), data.len() as u64);
    }
}
