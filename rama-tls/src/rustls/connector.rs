//! [`TlsConnectorLayer`] and [`TlsConnector`]: run a TLS handshake over the connection an
//! inner connector established.

use super::{
    TlsError, client_config,
    stream::{TlsStream, negotiated_parameters},
};
use crate::config::{ClientConfig, ClientServerName, ConfigError, TlsTarget};
use rama_core::{Layer, Service, extensions::ExtensionsRef};
use rama_net::{
    address::Host,
    client::{ConnectorService, EstablishedClientConnection},
};
use rustls::pki_types::ServerName;
use std::{fmt, sync::Arc, time::Duration};

/// Builds [`TlsConnector`]s from one [`ClientConfig`] (turned into a rustls config once,
/// when the layer is made).
#[derive(Clone)]
pub struct TlsConnectorLayer {
    state: Arc<ConnectorState>,
}

struct ConnectorState {
    rustls: Arc<rustls::ClientConfig>,
    server_name: ClientServerName,
    timeout: Option<Duration>,
}

impl TlsConnectorLayer {
    /// A layer that originates TLS as `config` says.
    ///
    /// # Errors
    ///
    /// When the config cannot be honoured by rustls (a version, suite or group it does not
    /// support, an unusable root store, client certificate or key log file).
    pub fn new(config: &ClientConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            state: Arc::new(ConnectorState {
                rustls: client_config::build(config)?,
                server_name: config.server_name.clone(),
                timeout: config.handshake_timeout,
            }),
        })
    }

    /// A layer over a rustls client config built elsewhere (every rustls knob), with the
    /// server name taken from the target and a handshake `timeout`.
    #[must_use]
    pub fn from_rustls(config: Arc<rustls::ClientConfig>, timeout: Option<Duration>) -> Self {
        Self {
            state: Arc::new(ConnectorState {
                rustls: config,
                server_name: ClientServerName::FromTarget,
                timeout,
            }),
        }
    }

    /// The rustls config the connector uses.
    #[must_use]
    pub fn rustls_config(&self) -> &Arc<rustls::ClientConfig> {
        &self.state.rustls
    }
}

impl fmt::Debug for TlsConnectorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnectorLayer")
            .field("server_name", &self.state.server_name)
            .field("timeout", &self.state.timeout)
            .finish_non_exhaustive()
    }
}

impl<C> Layer<C> for TlsConnectorLayer {
    type Service = TlsConnector<C>;

    fn layer(&self, inner: C) -> Self::Service {
        TlsConnector {
            inner,
            state: self.state.clone(),
        }
    }

    fn into_layer(self, inner: C) -> Self::Service {
        TlsConnector {
            inner,
            state: self.state,
        }
    }
}

/// A connector: calls the inner connector, then runs the TLS handshake on its connection,
/// sending SNI for the input's [`TlsTarget`] host (or the configured override) and
/// verifying the server's certificate for that name.
///
/// The [`TlsStream`]'s extensions start as a copy of the inner connection's (socket
/// addresses) and hold the
/// [`NegotiatedTlsParameters`](crate::negotiated::NegotiatedTlsParameters), where an HTTP
/// client reads the negotiated ALPN.
///
/// Its error is a [`TlsError`] saying whether the inner connect, the server name, the
/// handshake or its timeout failed, and with which target.
pub struct TlsConnector<C> {
    inner: C,
    state: Arc<ConnectorState>,
}

impl<C: fmt::Debug> fmt::Debug for TlsConnector<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<C: Clone> Clone for TlsConnector<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            state: self.state.clone(),
        }
    }
}

impl<C> TlsConnector<C> {
    /// The inner connector.
    pub const fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C, Input> Service<Input> for TlsConnector<C>
where
    C: ConnectorService<Input, Connection: ExtensionsRef + Unpin>,
    Input: TlsTarget + Send + 'static,
{
    type Output = EstablishedClientConnection<TlsStream<C::Connection>, Input>;
    type Error = TlsError;

    async fn serve(&self, input: Input) -> Result<Self::Output, Self::Error> {
        let host = match &self.state.server_name {
            ClientServerName::Override(host) => Some(host.clone()),
            ClientServerName::FromTarget | ClientServerName::NoSni => {
                input.tls_target_host().cloned()
            }
        };
        let Some(host) = host else {
            return Err(TlsError::server_name(
                "the connector's input names no host and no server name override is set",
            ));
        };
        let server_name = server_name(&host).map_err(|e| e.with_peer(&host))?;
        let EstablishedClientConnection { conn, input } = self
            .inner
            .connect(input)
            .await
            .map_err(|e| TlsError::connect(e).with_peer(&host))?;
        let connector = tokio_rustls::TlsConnector::from(self.state.rustls.clone());
        let handshake = connector.connect(server_name, conn);
        let tls = match self.state.timeout {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| TlsError::timeout(limit).with_peer(&host))?,
            None => handshake.await,
        }
        .map_err(|e| TlsError::handshake(e).with_peer(&host))?;
        let (io, conn) = tls.get_ref();
        let params = negotiated_parameters(conn, Some(host.to_string()));
        let mut extensions = io.extensions().clone();
        extensions.insert(params);
        Ok(EstablishedClientConnection::new(
            TlsStream::from_parts(tls.into(), extensions),
            input,
        ))
    }
}

/// The rustls server name for `host`.
fn server_name(host: &Host) -> Result<ServerName<'static>, TlsError> {
    match host {
        Host::Address(ip) => Ok(ServerName::IpAddress((*ip).into())),
        Host::Name(domain) => {
            ServerName::try_from(domain.as_str().to_owned()).map_err(TlsError::server_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_table() {
        for (host, want) in [
            ("example.com", Some("example.com")),
            ("127.0.0.1", Some("127.0.0.1")),
            ("::1", Some("::1")),
        ] {
            let host: Host = host.parse().unwrap();
            let name = server_name(&host).ok().map(|n| n.to_str().into_owned());
            assert_eq!(name.as_deref(), want, "{host}");
        }
    }
}
