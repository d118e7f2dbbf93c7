//! [`TlsConnectorLayer`] and [`TlsConnector`]: run a BoringSSL handshake over the
//! connection an inner connector established.

use super::{
    TlsError, client_config,
    client_ext::BoringClientExt,
    stream::{TlsStream, negotiated_parameters},
};
use crate::config::{ClientConfig, ClientServerName, ConfigError, TlsTarget};
use crate::types::AlpnList;
use boring::ssl::SslConnector;
use rama_core::{Layer, Service, extensions::ExtensionsRef};
use rama_net::{
    address::Host,
    client::{ConnectorService, EstablishedClientConnection},
};
use std::{fmt, sync::Arc, time::Duration};

/// Originates TLS (BoringSSL) over the connections an inner connector makes. Build it once
/// from a [`ClientConfig`] (and, for browser-like ClientHellos, a [`BoringClientExt`]);
/// clones share the BoringSSL context.
///
/// The server name is the input's host ([`TlsTarget`]) unless the config overrides it; it
/// is sent as SNI (not for IP addresses, nor with [`ClientServerName::NoSni`]) and the
/// server's certificate is verified against it, unless verification is
/// [`Insecure`](crate::config::ServerVerification::Insecure).
#[derive(Clone)]
pub struct TlsConnectorLayer {
    state: Arc<ConnectorState>,
}

struct ConnectorState {
    connector: SslConnector,
    server_name: ClientServerName,
    verify: bool,
    ech_grease: bool,
    alps: AlpnList,
    alps_new_codepoint: bool,
    timeout: Option<Duration>,
}

impl TlsConnectorLayer {
    /// A connector for `config`, with BoringSSL's plain ClientHello.
    ///
    /// # Errors
    /// When BoringSSL refuses a part of the config (an unknown suite or group, a client key
    /// that does not match its certificate, an unsupported version range, ...).
    pub fn new(config: &ClientConfig) -> Result<Self, ConfigError> {
        Self::with_ext(config, &BoringClientExt::default())
    }

    /// A connector for `config` with the BoringSSL-only ClientHello knobs in `ext`.
    ///
    /// # Errors
    /// As [`TlsConnectorLayer::new`], and when a raw cipher string is refused.
    pub fn with_ext(config: &ClientConfig, ext: &BoringClientExt) -> Result<Self, ConfigError> {
        if let Some(missing) = ext.alps.iter().find(|p| !config.alpn.contains(p)) {
            return Err(ConfigError::new(format!(
                "ALPS for {missing} needs {missing} in the ALPN list"
            )));
        }
        Ok(Self {
            state: Arc::new(ConnectorState {
                connector: client_config::build(config, ext)?,
                server_name: config.server_name.clone(),
                verify: !config.verification.is_insecure(),
                ech_grease: ext.ech_grease,
                alps: ext.alps.clone(),
                alps_new_codepoint: ext.alps_new_codepoint,
                timeout: config.handshake_timeout,
            }),
        })
    }

    /// A connector from a BoringSSL connector built by hand (server names from the input,
    /// hostname verified).
    #[must_use]
    pub fn from_boring(connector: SslConnector, timeout: Option<Duration>) -> Self {
        Self {
            state: Arc::new(ConnectorState {
                connector,
                server_name: ClientServerName::FromTarget,
                verify: true,
                ech_grease: false,
                alps: AlpnList::new(),
                alps_new_codepoint: false,
                timeout,
            }),
        }
    }

    /// The BoringSSL connector in use.
    #[must_use]
    pub fn boring_connector(&self) -> &SslConnector {
        &self.state.connector
    }
}

impl fmt::Debug for TlsConnectorLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnectorLayer")
            .field("server_name", &self.state.server_name)
            .field("verify", &self.state.verify)
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

/// The connector [`TlsConnectorLayer`] makes: connects with the inner connector, then
/// handshakes (bounded by the handshake timeout).
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
        let domain = domain(&host);
        let mut config = self
            .state
            .connector
            .configure()
            .map_err(|e| TlsError::handshake(e).with_peer(&host))?
            .use_server_name_indication(self.state.server_name != ClientServerName::NoSni)
            .verify_hostname(self.state.verify);
        if self.state.ech_grease {
            config.set_enable_ech_grease(true);
        }
        super::alps::offer(&mut config, &self.state.alps, self.state.alps_new_codepoint)
            .map_err(|e| TlsError::handshake(e).with_peer(&host))?;
        let EstablishedClientConnection { conn, input } = self
            .inner
            .connect(input)
            .await
            .map_err(|e| TlsError::connect(e).with_peer(&host))?;
        let handshake = tokio_boring::connect(config, &domain, conn);
        let tls = match self.state.timeout {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| TlsError::timeout(limit).with_peer(&host))?,
            None => handshake.await,
        }
        .map_err(|e| TlsError::handshake(e.to_string()).with_peer(&host))?;
        let params = negotiated_parameters(tls.ssl(), Some(domain));
        let mut extensions = tls.get_ref().extensions().clone();
        extensions.insert(params);
        Ok(EstablishedClientConnection::new(
            TlsStream::from_parts(tls, extensions),
            input,
        ))
    }
}

/// The name BoringSSL sends (SNI, for names) and verifies: a DNS name or a bare IP.
fn domain(host: &Host) -> String {
    match host {
        Host::Name(name) => name.as_str().to_owned(),
        Host::Address(ip) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_table() {
        for (host, want) in [
            ("example.com", "example.com"),
            ("127.0.0.1", "127.0.0.1"),
            ("[::1]", "::1"),
        ] {
            let host: Host = host.parse().unwrap();
            assert_eq!(domain(&host), want);
        }
    }
}
