//! The `tls` section of the HTTP echo's JSON (`rama serve echo --tls`): what the handshake
//! agreed on and the ClientHello exactly as the client sent it.
//!
//! ```text
//! "tls": {
//!   "version": "TLSv1.3", "cipher_suite": "TLS_AES_128_GCM_SHA256", "alpn": "h2",
//!   "server_name": "localhost",
//!   "client_hello": {
//!     "record_version": {"id": 769, "name": "TLSv1.0"}, "legacy_version": {...},
//!     "cipher_suites": [{"id": 4866, "name": "TLS_AES_256_GCM_SHA384"}, ...],
//!     "compression_methods": [0],
//!     "extensions": [{"id": 0, "name": "server_name", "len": 14}, ...],
//!     "server_name": "localhost", "alpn": ["h2", "http/1.1"],
//!     "supported_versions": [...], "supported_groups": [...],
//!     "signature_algorithms": [...], "ec_point_formats": [...], "key_shares": [...]
//!   }
//! }
//! ```
//!
//! Every list is in the client's order, GREASE values included (named `GREASE(0x..)`);
//! ids are the wire values, names the IANA ones (`Unknown(0x..)` when this build knows
//! none).

use rama::extensions::Extensions;
use rama::tls::{client_hello::ClientHello, negotiated::NegotiatedTlsParameters};
use serde::Serialize;
use std::fmt::Display;

/// What the echo reports about the connection's TLS.
#[derive(Debug, Serialize)]
pub(super) struct TlsReport {
    version: String,
    cipher_suite: String,
    key_exchange_group: Option<String>,
    alpn: Option<String>,
    server_name: Option<String>,
    client_hello: Option<ClientHelloReport>,
}

impl TlsReport {
    /// The report for a connection's extensions; `None` without TLS.
    pub(super) fn from_connection(conn: &Extensions) -> Option<Self> {
        let params = conn.get::<NegotiatedTlsParameters>()?;
        Some(Self {
            version: params.version.to_string(),
            cipher_suite: params.cipher_suite.to_string(),
            key_exchange_group: params.key_exchange_group.map(|g| g.to_string()),
            alpn: params.alpn.as_ref().map(ToString::to_string),
            server_name: params.server_name.clone(),
            client_hello: conn.get::<ClientHello>().map(ClientHelloReport::from),
        })
    }
}

/// A protocol id: its wire value and its name.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(super) struct Id {
    id: u16,
    name: String,
}

impl Id {
    fn new(id: impl Into<u16>, name: impl Display) -> Self {
        Self {
            id: id.into(),
            name: name.to_string(),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct ExtensionReport {
    id: u16,
    name: String,
    /// length of the extension data in bytes
    len: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct KeyShareReport {
    group: Id,
    key_len: usize,
}

/// The ClientHello as received, every list in the client's order.
#[derive(Debug, Serialize)]
pub(super) struct ClientHelloReport {
    record_version: Id,
    legacy_version: Id,
    session_id_len: usize,
    cipher_suites: Vec<Id>,
    compression_methods: Vec<u8>,
    extensions: Vec<ExtensionReport>,
    server_name: Option<String>,
    alpn: Option<Vec<String>>,
    supported_versions: Option<Vec<Id>>,
    supported_groups: Option<Vec<Id>>,
    signature_algorithms: Option<Vec<Id>>,
    ec_point_formats: Option<Vec<u8>>,
    key_shares: Option<Vec<KeyShareReport>>,
    psk_key_exchange_modes: Option<Vec<u8>>,
    /// the size of the ClientHello's TLS record(s) in bytes
    raw_len: usize,
}

fn ids<T: Copy + Into<u16> + Display>(list: Option<&[T]>) -> Option<Vec<Id>> {
    list.map(|l| l.iter().map(|v| Id::new(*v, v)).collect())
}

impl From<&ClientHello> for ClientHelloReport {
    fn from(hello: &ClientHello) -> Self {
        Self {
            record_version: Id::new(hello.record_version(), hello.record_version()),
            legacy_version: Id::new(hello.legacy_version(), hello.legacy_version()),
            session_id_len: hello.session_id().len(),
            cipher_suites: hello
                .cipher_suites()
                .iter()
                .map(|s| Id::new(*s, s))
                .collect(),
            compression_methods: hello
                .compression_methods()
                .iter()
                .map(|m| u8::from(*m))
                .collect(),
            extensions: hello
                .extensions()
                .iter()
                .map(|e| ExtensionReport {
                    id: e.id().into(),
                    name: e.id().to_string(),
                    len: e.data().len(),
                })
                .collect(),
            server_name: hello.server_name().map(str::to_owned),
            alpn: hello
                .alpn()
                .map(|l| l.iter().map(ToString::to_string).collect()),
            supported_versions: ids(hello.supported_versions()),
            supported_groups: ids(hello.supported_groups()),
            signature_algorithms: ids(hello.signature_algorithms()),
            ec_point_formats: hello
                .ec_point_formats()
                .map(|l| l.iter().map(|f| u8::from(*f)).collect()),
            key_shares: hello.key_shares().map(|l| {
                l.iter()
                    .map(|k| KeyShareReport {
                        group: Id::new(k.group, k.group),
                        key_len: k.key_len,
                    })
                    .collect()
            }),
            psk_key_exchange_modes: hello
                .psk_key_exchange_modes()
                .map(|l| l.iter().map(|m| u8::from(*m)).collect()),
            raw_len: hello.raw_records().len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama::tls::types::{ApplicationProtocol, CipherSuite, ProtocolVersion};

    /// A minimal TLS 1.3 ClientHello: a GREASE suite then TLS_AES_128_GCM_SHA256, SNI
    /// "a.test", ALPN h2, supported_versions [TLS 1.3].
    fn hello() -> ClientHello {
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.push(0);
        body.extend([0x00, 0x04, 0x0a, 0x0a, 0x13, 0x01]);
        body.extend([0x01, 0x00]);
        let extensions: &[u8] = &[
            0x00, 0x00, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x00, 0x06, b'a', b'.', b't', b'e', b's',
            b't', 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2', 0x00, 0x2b, 0x00, 0x03,
            0x02, 0x03, 0x04,
        ];
        body.extend(u16::try_from(extensions.len()).unwrap().to_be_bytes());
        body.extend(extensions);
        let mut record = vec![0x16, 0x03, 0x01];
        record.extend((u16::try_from(body.len()).unwrap() + 4).to_be_bytes());
        record.extend([0x01, 0x00]);
        record.extend(u16::try_from(body.len()).unwrap().to_be_bytes());
        record.extend(&body);
        ClientHello::parse(&record).unwrap()
    }

    #[test]
    fn reports_negotiated_parameters_and_the_hello_in_order() {
        let mut conn = Extensions::new();
        assert!(TlsReport::from_connection(&conn).is_none());
        conn.insert(
            NegotiatedTlsParameters::new(
                ProtocolVersion::TLS_V1_3,
                CipherSuite::TLS_AES_128_GCM_SHA256,
            )
            .with_alpn(Some(ApplicationProtocol::H2))
            .with_server_name(Some("a.test".into())),
        );
        conn.insert(hello());
        let v = serde_json::to_value(TlsReport::from_connection(&conn).unwrap()).unwrap();
        assert_eq!(v["version"], "TLSv1.3");
        assert_eq!(v["cipher_suite"], "TLS_AES_128_GCM_SHA256");
        assert_eq!(v["alpn"], "h2");
        assert_eq!(v["server_name"], "a.test");
        let ch = &v["client_hello"];
        assert_eq!(ch["cipher_suites"][0]["id"], 0x0a0a);
        assert_eq!(ch["cipher_suites"][0]["name"], "GREASE(0x0a0a)");
        assert_eq!(ch["cipher_suites"][1]["name"], "TLS_AES_128_GCM_SHA256");
        let ext_ids: Vec<u64> = ch["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ext_ids, [0, 16, 43]);
        assert_eq!(ch["extensions"][0]["name"], "server_name");
        assert_eq!(ch["alpn"], serde_json::json!(["h2"]));
        assert_eq!(ch["supported_versions"][0]["name"], "TLSv1.3");
        assert!(ch["supported_groups"].is_null());
        assert_eq!(ch["compression_methods"], serde_json::json!([0]));
    }
}
