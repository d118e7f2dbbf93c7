//! `rama serve echo`: answer with what was received.
//!
//! - `--mode http` (the default): every HTTP request gets a JSON answer describing it: method,
//!   URI, version, headers in wire order and spelling, body, peer address and, for h2, the
//!   client's early frames (see [`http::HttpEcho`]). `--http-version` picks HTTP/1.x, h2
//!   (prior knowledge, "h2c") or both on one port (`auto`, the default).
//! - `--mode tcp`: the raw bytes of each TCP connection are sent back until the client closes
//!   its side.

mod http;

use super::run::serve_tcp;
use crate::cmd::args::ShutdownArgs;
use clap::{Args, ValueEnum};
use rama::{
    Service, error::OpaqueError, extensions::ExtensionsRef, net::stream::SocketInfo, tcp::TcpStream,
};
use std::{io, net::SocketAddr};
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

    #[command(flatten)]
    shutdown: ShutdownArgs,
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
            if args.http_version.is_some() {
                // a usage error, reported (exit status 2) like the ones clap finds itself
                clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--http-version only applies to --mode http\n",
                )
                .exit();
            }
            serve_tcp("echo", args.bind, &args.shutdown, TcpEcho).await
        }
        EchoMode::Http => {
            let version = args.http_version.unwrap_or(HttpVersion::Auto);
            serve_tcp("echo", args.bind, &args.shutdown, http::server(version)).await
        }
    }
}

/// Writes back every byte it reads, until the client half-closes; then closes its own side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpEcho;

impl Service<TcpStream> for TcpEcho {
    type Output = u64;
    type Error = io::Error;

    async fn serve(&self, mut stream: TcpStream) -> Result<u64, io::Error> {
        let peer = stream
            .extensions()
            .get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        let (mut reader, mut writer) = stream.get_mut().split();
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
