//! `rama serve discard`: the RFC 863 discard service. Every byte received is read and
//! dropped; nothing is ever sent back. The connection ends when the client closes it.

use super::run::serve_tcp;
use crate::cmd::args::ServeArgs;
use clap::Args;
use rama::{
    Service, error::OpaqueError, extensions::ExtensionsRef, net::stream::SocketInfo, tcp::TcpStream,
};
use std::{io, net::SocketAddr};

/// Flags of `rama serve discard`.
#[derive(Debug, Args)]
pub(crate) struct DiscardArgs {
    /// The IP:PORT to listen on (RFC 863 uses port 9, which needs privileges; the default is
    /// an unprivileged loopback port); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9009")]
    bind: SocketAddr,

    #[command(flatten)]
    serve: ServeArgs,
}

/// Run the discard server until shutdown.
pub(super) async fn run(args: DiscardArgs) -> Result<(), OpaqueError> {
    serve_tcp("discard", args.bind, &args.serve, TcpDiscard).await
}

/// Reads every byte and drops it; returns how many bytes were discarded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpDiscard;

impl Service<TcpStream> for TcpDiscard {
    type Output = u64;
    type Error = io::Error;

    async fn serve(&self, mut stream: TcpStream) -> Result<u64, io::Error> {
        let peer = stream
            .extensions()
            .get::<SocketInfo>()
            .map(SocketInfo::peer_addr);
        let discarded = tokio::io::copy(stream.get_mut(), &mut tokio::io::sink()).await?;
        tracing::debug!(?peer, discarded, "discard: connection done");
        Ok(discarded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_everything_and_answers_nothing() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let server = tokio::spawn(TcpDiscard.serve(TcpStream::new(accepted)));

        client.write_all(&[7u8; 100_000]).await.unwrap();
        client.shutdown().await.unwrap();
        let discarded = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(discarded, 100_000);
        // the server sent nothing and closed: the client reads EOF at once
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }
}
