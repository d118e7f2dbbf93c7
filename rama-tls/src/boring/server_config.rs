//! The neutral [`ServerConfig`] as a BoringSSL [`SslAcceptor`]: certificate source,
//! ALPN, versions, suites, groups, signature schemes, client authentication and key log.

use super::material::{BoringKey, KeyCache, cipher_list, curves_list, set_key_log, set_versions};
use crate::config::{
    CertRequest, ClientAuth, ConfigError, ServerCertResolver, ServerCertSource, ServerConfig,
    SniCertMap,
};
use crate::types::{AlpnList, CipherSuite, SignatureScheme};
use boring::ssl::{
    AlpnError, AsyncSelectCertError, BoxSelectCertFinish, ClientHello, ExtensionType, NameType,
    SelectCertError, SslAcceptor, SslContextBuilder, SslMethod, SslSignatureAlgorithm,
    SslVerifyMode,
};
use boring::x509::X509;
use std::{collections::HashMap, sync::Arc};

/// Builds the acceptor for `config`.
pub(crate) fn build(config: &ServerConfig) -> Result<SslAcceptor, ConfigError> {
    let err = |e| ConfigError::with_source("create a BoringSSL server context", e);
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).map_err(err)?;
    let ctx: &mut SslContextBuilder = &mut builder;
    set_versions(ctx, config.min_version, config.max_version)?;
    if let Some(suites) = &config.cipher_suites
        && let Some(list) = cipher_list(suites)?
    {
        ctx.set_strict_cipher_list(&list)
            .map_err(|e| ConfigError::with_source(format!("set the cipher list {list}"), e))?;
    }
    if let Some(groups) = &config.groups {
        let list = curves_list(groups)?;
        ctx.set_curves_list(&list)
            .map_err(|e| ConfigError::with_source(format!("set the groups {list}"), e))?;
    }
    if let Some(schemes) = &config.signature_schemes {
        set_verify_schemes(ctx, schemes)?;
    }
    set_alpn(ctx, &config.alpn);
    set_client_auth(ctx, &config.client_auth)?;
    set_key_log(ctx, &config.key_log)?;
    set_cert_source(ctx, &config.cert)?;
    Ok(builder.build())
}

/// The signature schemes accepted from the peer (and sent in a CertificateRequest or, on a
/// client, in the ClientHello), in order.
pub(crate) fn set_verify_schemes(
    ctx: &mut SslContextBuilder,
    schemes: &[SignatureScheme],
) -> Result<(), ConfigError> {
    if schemes.is_empty() {
        return Err(ConfigError::new("the signature scheme list is empty"));
    }
    let prefs: Vec<_> = schemes
        .iter()
        .map(|s| SslSignatureAlgorithm::from(s.value()))
        .collect();
    ctx.set_verify_algorithm_prefs(&prefs)
        .map_err(|e| ConfigError::with_source("set the signature schemes", e))
}

fn set_alpn(ctx: &mut SslContextBuilder, alpn: &AlpnList) {
    if alpn.is_empty() {
        return;
    }
    let ours = alpn.clone();
    ctx.set_alpn_select_callback(move |_ssl, offered| {
        select_alpn(&ours, offered).ok_or(AlpnError::NOACK)
    });
}

/// The first of our protocols (server preference) that the client offered, as the slice of
/// the client's wire list.
fn select_alpn<'a>(ours: &AlpnList, mut offered: &'a [u8]) -> Option<&'a [u8]> {
    let mut entries = Vec::new();
    while let Some((&len, rest)) = offered.split_first() {
        let len = usize::from(len);
        if len == 0 || rest.len() < len {
            return None;
        }
        let (id, rest) = rest.split_at(len);
        entries.push(id);
        offered = rest;
    }
    ours.iter()
        .find_map(|p| entries.iter().copied().find(|id| *id == p.as_bytes()))
}

fn set_client_auth(ctx: &mut SslContextBuilder, auth: &ClientAuth) -> Result<(), ConfigError> {
    let (roots, mode) = match auth {
        ClientAuth::None => return Ok(()),
        ClientAuth::Optional { roots } => (roots, SslVerifyMode::PEER),
        ClientAuth::Required { roots } => (
            roots,
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        ),
    };
    if roots.is_empty() {
        return Err(ConfigError::new(
            "client authentication needs at least one trusted root",
        ));
    }
    for root in roots {
        let cert = X509::from_der(root)
            .map_err(|e| ConfigError::with_source("parse a client CA certificate", e))?;
        ctx.cert_store_mut()
            .add_cert(cert)
            .map_err(|e| ConfigError::with_source("trust a client CA certificate", e))?;
    }
    ctx.set_verify(mode);
    Ok(())
}

fn set_cert_source(
    ctx: &mut SslContextBuilder,
    source: &ServerCertSource,
) -> Result<(), ConfigError> {
    match source {
        ServerCertSource::Static(key) => BoringKey::from_certified(key)?.install(ctx),
        ServerCertSource::BySni(map) => {
            let lookup = SniLookup::new(map)?;
            ctx.set_select_certificate_callback(move |mut hello| {
                let name = hello.servername(NameType::HOST_NAME).map(str::to_owned);
                let key = lookup.get(name.as_deref()).ok_or(SelectCertError::ERROR)?;
                key.install_on(hello.ssl_mut())
                    .map_err(|_| SelectCertError::ERROR)
            });
            Ok(())
        }
        ServerCertSource::Resolver(resolver) => {
            let resolver = resolver.clone();
            let cache = Arc::new(KeyCache::new(RESOLVED_KEYS_CACHED));
            ctx.set_async_select_certificate_callback(move |hello| {
                Ok(resolve(
                    resolver.clone(),
                    cache.clone(),
                    cert_request(hello),
                ))
            });
            Ok(())
        }
    }
}

/// How many resolved keys stay parsed for BoringSSL.
const RESOLVED_KEYS_CACHED: usize = 1024;

fn resolve(
    resolver: Arc<dyn ServerCertResolver>,
    cache: Arc<KeyCache>,
    request: CertRequest,
) -> boring::ssl::BoxSelectCertFuture {
    Box::pin(async move {
        let key = match resolver.resolve(&request).await {
            Ok(key) => key,
            Err(err) => {
                tracing::debug!(%err, server_name = ?request.server_name, "no certificate for the ClientHello");
                return Err(AsyncSelectCertError);
            }
        };
        let key = cache.get(&key).map_err(|err| {
            tracing::debug!(%err, "resolved certificate unusable by BoringSSL");
            AsyncSelectCertError
        })?;
        let finish: BoxSelectCertFinish = Box::new(move |mut hello: ClientHello<'_>| {
            key.install_on(hello.ssl_mut())
                .map_err(|_| AsyncSelectCertError)
        });
        Ok(finish)
    })
}

/// What a resolver learns about a ClientHello: SNI, ALPN, suites and signature schemes.
fn cert_request(hello: &ClientHello<'_>) -> CertRequest {
    let mut request =
        CertRequest::for_server_name(hello.servername(NameType::HOST_NAME).map(str::to_owned));
    if let Some(data) = hello.get_extension(ExtensionType::APPLICATION_LAYER_PROTOCOL_NEGOTIATION) {
        request.alpn = AlpnList::from_extension_data(data).unwrap_or_default();
    }
    request.cipher_suites = u16s(hello.ciphers()).map(CipherSuite::from).collect();
    if let Some(data) = hello.get_extension(ExtensionType::SIGNATURE_ALGORITHMS) {
        request.signature_schemes = u16s(data.get(2..).unwrap_or_default())
            .map(SignatureScheme::from)
            .collect();
    }
    request
}

fn u16s(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
}

/// A [`SniCertMap`] with its keys parsed by BoringSSL once.
struct SniLookup {
    map: SniCertMap,
    parsed: HashMap<usize, Arc<BoringKey>>,
}

impl SniLookup {
    fn new(map: &SniCertMap) -> Result<Self, ConfigError> {
        let mut parsed = HashMap::new();
        let keys = map.iter().map(|(_, k)| k).chain(map.default_cert());
        for key in keys {
            let id = Arc::as_ptr(key) as usize;
            if let std::collections::hash_map::Entry::Vacant(slot) = parsed.entry(id) {
                slot.insert(Arc::new(BoringKey::from_certified(key)?));
            }
        }
        if parsed.is_empty() {
            return Err(ConfigError::new("the per-SNI certificate map is empty"));
        }
        Ok(Self {
            map: map.clone(),
            parsed,
        })
    }

    fn get(&self, server_name: Option<&str>) -> Option<&Arc<BoringKey>> {
        let key = self.map.get(server_name)?;
        self.parsed.get(&(Arc::as_ptr(key) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ApplicationProtocol;

    #[test]
    fn alpn_selection_table() {
        let h2_h1 = AlpnList::h2_http11();
        let h1: AlpnList = vec![ApplicationProtocol::HTTP_11].into();
        for (ours, offered, want) in [
            (&h2_h1, &b"\x08http/1.1\x02h2"[..], Some(&b"h2"[..])),
            (&h2_h1, b"\x08http/1.1", Some(b"http/1.1")),
            (&h1, b"\x02h2", None),
            (&h2_h1, b"", None),
            (&h2_h1, b"\x09http/1.1", None),
            (&h2_h1, b"\x00\x02h2", None),
        ] {
            assert_eq!(select_alpn(ours, offered), want, "{offered:?}");
        }
    }

    #[test]
    fn u16_pairs() {
        assert_eq!(
            u16s(&[0x13, 0x01, 0xc0, 0x2f, 0xff]).collect::<Vec<_>>(),
            [0x1301, 0xc02f]
        );
    }
}
