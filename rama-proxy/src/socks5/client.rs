//! The SOCKS5 client side: [`socks5_handshake`] runs method selection, optional
//! username/password authentication and a CONNECT on a stream already connected to the
//! proxy, and leaves the stream ready for the tunnel.
//!
//! A name target (`example.com:443`) is sent as a domain, so the proxy resolves it
//! (SOCKS5h); an IP target is sent as an IP. A client that wants local resolution
//! (`socks5://`) resolves first and passes an IP authority.
//!
//! ```
//! use rama_net::address::Authority;
//! use rama_proxy::socks5::client::socks5_handshake;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (mut client, mut proxy) = tokio::io::duplex(1024);
//! // a scripted proxy: no auth, then "succeeded, bound to 10.0.0.1:4000", then tunnel bytes
//! proxy.write_all(&[5, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0x0f, 0xa0]).await?;
//! proxy.write_all(b"hello").await?;
//!
//! let target: Authority = "example.com:443".parse()?;
//! let bound = socks5_handshake(&mut client, &target, None).await?;
//! assert_eq!(bound.to_string(), "10.0.0.1:4000");
//!
//! let mut tunnel = [0u8; 5];
//! client.read_exact(&mut tunnel).await?;
//! assert_eq!(&tunnel, b"hello"); // nothing of the tunnel was consumed
//! # Ok(())
//! # }
//! ```

use super::proto::{
    AuthMethod, Command, MethodReply, MethodSelection, ProtocolError, ReadError, Reply, ReplyCode,
    Request, UsernamePasswordReply, UsernamePasswordRequest,
};
use rama_net::{address::Authority, user::Basic};
use std::{fmt, io};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Runs the client side of a SOCKS5 CONNECT on `stream` (connected to the proxy) and
/// returns the proxy's bound address (`BND.ADDR:BND.PORT`).
///
/// Offers "no authentication", and username/password too when `credentials` are given.
/// Reads exactly the proxy's messages, so the first tunnel bytes stay in the stream.
///
/// # Cancel safety
///
/// Not cancel safe: dropping the future mid-handshake leaves the stream in an unknown
/// state; drop the stream too.
///
/// # Errors
///
/// A [`Socks5ClientError`]: I/O, a reply that is not SOCKS5, no acceptable method, a
/// rejected login, or a reply code other than "succeeded" (said in words, e.g.
/// `SOCKS5 proxy refused CONNECT example.com:443: connection refused (reply 5)`).
pub async fn socks5_handshake<S>(
    stream: &mut S,
    target: &Authority,
    credentials: Option<&Basic>,
) -> Result<Authority, Socks5ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let request = Request {
        command: Command::Connect,
        destination: target.clone(),
    };
    let reply = socks5_request(stream, &request, credentials).await?;
    Ok(reply.bound)
}

/// Runs method selection, authentication and `request` (any command) on `stream`, and
/// returns the first reply if it says "succeeded". For BIND the second reply (the peer's
/// address) is for the caller to read with [`Reply::read_from`].
///
/// # Errors
///
/// As [`socks5_handshake`].
pub async fn socks5_request<S>(
    stream: &mut S,
    request: &Request,
    credentials: Option<&Basic>,
) -> Result<Reply, Socks5ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    authenticate(stream, credentials).await?;
    let mut out = Vec::with_capacity(300);
    request.encode(&mut out);
    stream
        .write_all(&out)
        .await
        .map_err(Socks5ClientError::io)?;
    stream.flush().await.map_err(Socks5ClientError::io)?;
    let reply = Reply::read_from(stream)
        .await
        .map_err(Socks5ClientError::read)?;
    if reply.code != ReplyCode::Succeeded {
        return Err(Socks5ClientError::new(Kind::Refused {
            command: request.command,
            target: request.destination.clone(),
            code: reply.code,
        }));
    }
    Ok(reply)
}

async fn authenticate<S>(
    stream: &mut S,
    credentials: Option<&Basic>,
) -> Result<(), Socks5ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut methods = vec![AuthMethod::NoAuth];
    if credentials.is_some() {
        methods.push(AuthMethod::UsernamePassword);
    }
    let mut out = Vec::with_capacity(4);
    MethodSelection { methods }
        .encode(&mut out)
        .map_err(Socks5ClientError::protocol)?;
    stream
        .write_all(&out)
        .await
        .map_err(Socks5ClientError::io)?;
    stream.flush().await.map_err(Socks5ClientError::io)?;

    let mut bytes = [0u8; 2];
    stream
        .read_exact(&mut bytes)
        .await
        .map_err(Socks5ClientError::io)?;
    let reply = MethodReply::decode(bytes).map_err(Socks5ClientError::protocol)?;
    match (reply.method, credentials) {
        (AuthMethod::NoAuth, _) => Ok(()),
        (AuthMethod::UsernamePassword, Some(basic)) => {
            let mut out = Vec::with_capacity(64);
            UsernamePasswordRequest {
                username: basic.username().to_owned(),
                password: basic.password().to_owned(),
            }
            .encode(&mut out)
            .map_err(Socks5ClientError::protocol)?;
            stream
                .write_all(&out)
                .await
                .map_err(Socks5ClientError::io)?;
            stream.flush().await.map_err(Socks5ClientError::io)?;
            let mut bytes = [0u8; 2];
            stream
                .read_exact(&mut bytes)
                .await
                .map_err(Socks5ClientError::io)?;
            let verdict =
                UsernamePasswordReply::decode(bytes).map_err(Socks5ClientError::protocol)?;
            if verdict.is_success() {
                Ok(())
            } else {
                Err(Socks5ClientError::new(Kind::AuthRejected(
                    basic.username().to_owned(),
                )))
            }
        }
        (AuthMethod::NoAcceptable, None) | (AuthMethod::UsernamePassword, None) => {
            Err(Socks5ClientError::new(Kind::CredentialsRequired))
        }
        (other, _) => Err(Socks5ClientError::new(Kind::NoAcceptableMethod(other))),
    }
}

/// The SOCKS5 client handshake failed.
///
/// The message says which step and why; the predicates sort the cases.
#[derive(Debug)]
pub struct Socks5ClientError {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Io(io::Error),
    Protocol(ProtocolError),
    CredentialsRequired,
    NoAcceptableMethod(AuthMethod),
    AuthRejected(String),
    Refused {
        command: Command,
        target: Authority,
        code: ReplyCode,
    },
}

impl Socks5ClientError {
    const fn new(kind: Kind) -> Self {
        Self { kind }
    }

    fn io(err: io::Error) -> Self {
        Self::new(Kind::Io(err))
    }

    const fn protocol(err: ProtocolError) -> Self {
        Self::new(Kind::Protocol(err))
    }

    fn read(err: ReadError) -> Self {
        match err {
            ReadError::Io(e) => Self::io(e),
            ReadError::Protocol(e) => Self::protocol(e),
        }
    }

    /// Reading from or writing to the proxy failed (or it closed the connection).
    #[must_use]
    pub const fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io(_))
    }

    /// The proxy sent bytes that are not SOCKS5.
    #[must_use]
    pub const fn is_protocol(&self) -> bool {
        matches!(self.kind, Kind::Protocol(_))
    }

    /// The proxy wants credentials that were not given, or rejected the ones given.
    #[must_use]
    pub const fn is_auth(&self) -> bool {
        matches!(
            self.kind,
            Kind::CredentialsRequired | Kind::AuthRejected(_) | Kind::NoAcceptableMethod(_)
        )
    }

    /// The reply code, when the proxy answered the request with a failure.
    #[must_use]
    pub const fn reply_code(&self) -> Option<ReplyCode> {
        match self.kind {
            Kind::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Socks5ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Io(err) => write!(f, "SOCKS5 handshake with the proxy: {err}"),
            Kind::Protocol(err) => write!(f, "SOCKS5 handshake with the proxy: {err}"),
            Kind::CredentialsRequired => {
                f.write_str("the SOCKS5 proxy requires a username and password; none were given")
            }
            Kind::NoAcceptableMethod(method) => write!(
                f,
                "the SOCKS5 proxy chose an authentication method that was not offered ({:#04x})",
                method.to_byte()
            ),
            Kind::AuthRejected(user) => {
                write!(
                    f,
                    "the SOCKS5 proxy rejected the username/password of user {user:?}"
                )
            }
            Kind::Refused {
                command,
                target,
                code,
            } => write!(f, "SOCKS5 proxy refused {command} {target}: {code}"),
        }
    }
}

impl std::error::Error for Socks5ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Io(err) => Some(err),
            Kind::Protocol(err) => Some(err),
            _ => None,
        }
    }
}

impl From<Socks5ClientError> for io::Error {
    fn from(err: Socks5ClientError) -> Self {
        let kind = match &err.kind {
            Kind::Io(e) => e.kind(),
            Kind::Refused {
                code: ReplyCode::ConnectionRefused,
                ..
            } => io::ErrorKind::ConnectionRefused,
            Kind::Refused {
                code: ReplyCode::TtlExpired,
                ..
            } => io::ErrorKind::TimedOut,
            Kind::CredentialsRequired | Kind::AuthRejected(_) | Kind::NoAcceptableMethod(_) => {
                io::ErrorKind::PermissionDenied
            }
            _ => io::ErrorKind::Other,
        };
        Self::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Runs the handshake against a scripted proxy; returns the result and what the client
    /// sent.
    async fn scripted(
        proxy_says: &[u8],
        target: &str,
        credentials: Option<&Basic>,
    ) -> (Result<Authority, Socks5ClientError>, Vec<u8>) {
        let (mut client, mut proxy) = tokio::io::duplex(4096);
        proxy.write_all(proxy_says).await.unwrap();
        proxy.shutdown().await.unwrap(); // the proxy says no more than the script
        let target: Authority = target.parse().unwrap();
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            socks5_handshake(&mut client, &target, credentials),
        )
        .await
        .unwrap();
        drop(client);
        let mut sent = Vec::new();
        proxy.read_to_end(&mut sent).await.unwrap();
        (result, sent)
    }

    #[tokio::test]
    async fn no_auth_domain_target() {
        let (bound, sent) = scripted(
            &[5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0, 9],
            "example.com:443",
            None,
        )
        .await;
        assert_eq!(bound.unwrap().to_string(), "127.0.0.1:9");
        assert_eq!(sent, b"\x05\x01\x00\x05\x01\x00\x03\x0bexample.com\x01\xbb");
    }

    #[tokio::test]
    async fn user_pass_ip_target() {
        let basic = Basic::new("john", "secret").unwrap();
        let (bound, sent) = scripted(
            &[
                5, 2, 1, 0, 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 9,
            ],
            "10.1.2.3:80",
            Some(&basic),
        )
        .await;
        assert_eq!(bound.unwrap().to_string(), "[::1]:9");
        assert_eq!(
            sent,
            b"\x05\x02\x00\x02\x01\x04john\x06secret\x05\x01\x00\x01\x0a\x01\x02\x03\x00\x50"
        );
    }

    #[tokio::test]
    async fn failures_in_words() {
        let basic = Basic::new("john", "wrong").unwrap();
        let cases: [(&[u8], Option<&Basic>, &str); 7] = [
            (
                &[5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0],
                None,
                "SOCKS5 proxy refused CONNECT example.com:443: connection refused (reply 5)",
            ),
            (
                &[5, 0, 5, 4, 0, 1, 0, 0, 0, 0, 0, 0],
                None,
                "SOCKS5 proxy refused CONNECT example.com:443: host unreachable (reply 4)",
            ),
            (&[5, 0xff], None, "requires a username and password"),
            (&[5, 2], None, "requires a username and password"),
            (
                &[5, 2, 1, 1],
                Some(&basic),
                "rejected the username/password of user \"john\"",
            ),
            (b"HTTP/1.1 400", None, "version 72, expected 5"),
            (&[5], None, "SOCKS5 handshake with the proxy:"),
        ];
        for (script, creds, text) in cases {
            let (result, _) = scripted(script, "example.com:443", creds).await;
            let err = result.unwrap_err();
            assert!(err.to_string().contains(text), "{err} vs {text}");
        }
        let (result, _) = scripted(
            &[5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0],
            "example.com:443",
            None,
        )
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.reply_code(), Some(ReplyCode::ConnectionRefused));
        assert_eq!(
            io::Error::from(err).kind(),
            io::ErrorKind::ConnectionRefused
        );
    }
}
