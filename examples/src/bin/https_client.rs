//! An HTTPS client: `EasyHttpWebClient` over TLS, h2 or HTTP/1.1 as the server picks by
//! ALPN, one pooled connection for several requests.
//!
//! Shows: `with_tls_config` with a custom CA (like `curl --cacert`) or without verification
//! (like `curl -k`), `ClientVersion::Auto` (ALPN `h2` + `http/1.1`) and
//! `ClientVersion::Http1` (ALPN `http/1.1` only), and the pool's counters.
//!
//! ```text
//! cargo run -p rama-examples --bin https_server        # in another terminal
//! cargo run -p rama-examples --bin https_client [URL] [CA_FILE | --insecure]
//! #   URL defaults to https://127.0.0.1:62061/
//! #   CA_FILE defaults to https-demo/ca.pem (what https_server wrote)
//! ```
//!
//! Prints one line per request (`VERSION STATUS BODY`) and the connections each client
//! opened.

use rama::{
    error::{BoxError, ErrorContext},
    http::client::{ClientVersion, EasyHttpWebClient, HttpClientExt, ResponseExt},
    tls::config::{ClientConfig, ServerVerification},
};

const DEFAULT_URL: &str = "https://127.0.0.1:62061/";
const DEFAULT_CA: &str = "https-demo/ca.pem";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    rama::telemetry::init_tracing()?;
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| DEFAULT_URL.to_owned());
    let trust = args.next().unwrap_or_else(|| DEFAULT_CA.to_owned());
    let verification = if trust == "--insecure" {
        ServerVerification::Insecure
    } else {
        let pem = std::fs::read_to_string(&trust)
            .with_context(|| format!("read the CA certificate {trust}"))?;
        ServerVerification::custom_pem(&pem)?
    };
    let tls = ClientConfig::new().with_verification(verification);

    for (label, version) in [
        ("auto", ClientVersion::Auto),
        ("http1", ClientVersion::Http1),
    ] {
        let client = EasyHttpWebClient::new()
            .with_version(version)
            .with_tls_config(tls.clone())?;
        for _ in 0..3 {
            let res = client.get(&url).send().await?;
            let line = format!("{:?} {}", res.version(), res.status().as_u16());
            let body = res.text().await?;
            println!("{label}: {line} {}", body.trim_end());
        }
        println!(
            "{label}: connections opened: {}",
            client.pool().counters().created()
        );
    }
    Ok(())
}
