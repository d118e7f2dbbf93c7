//! `--mitm`: the CA that signs the leaves of intercepted tunnels, and the inspector that logs
//! every intercepted request.

use rama::{
    error::{ErrorContext, OpaqueError},
    http::{Body, Method, Response, Uri},
    proxy::mitm::{CaFiles, DEFAULT_CA_NAME, Inspector},
    tls::cert::{CertificateAuthority, DynamicIssuer},
};
use std::{io::Write, path::Path, sync::Arc};

/// Load the CA from `cert` and `key`, or generate one there when neither exists (the key
/// written with mode 0600); print where the certificate is on stderr so that users can
/// trust it.
pub(super) fn load_ca(cert: &Path, key: &Path) -> Result<Arc<DynamicIssuer>, OpaqueError> {
    let files = CaFiles::new(cert, key);
    let existed = cert.exists();
    let ca: CertificateAuthority = files
        .load_or_generate(DEFAULT_CA_NAME)
        .context("load or generate the MITM CA (--ca-cert, --ca-key)")?;
    let how = if existed { "loaded" } else { "generated" };
    let mut stderr = std::io::stderr().lock();
    // stderr gone: the path is in the log line below too
    let _ = writeln!(
        stderr,
        "MITM CA certificate ({how}): {} (clients must trust it, e.g. curl --cacert {})",
        cert.display(),
        cert.display()
    );
    tracing::info!(cert = %cert.display(), how, "MITM CA");
    Ok(Arc::new(DynamicIssuer::new(Arc::new(ca))))
}

/// Logs each intercepted request with its response status at info.
#[derive(Debug, Clone, Copy)]
pub(super) struct LogIntercepted;

impl Inspector for LogIntercepted {
    async fn on_response(&self, method: &Method, uri: &Uri, res: &mut Response<Body>) {
        tracing::info!(%method, %uri, status = res.status().as_u16(), "mitm: intercepted");
    }
}
