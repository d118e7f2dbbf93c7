//! [`ClientHelloExtension`]: one extension as received (id and raw bytes) and its typed
//! decode ([`ExtensionData`]) for the extensions this crate understands.

use super::ClientHelloParseError;
use super::cursor::Cursor;
use crate::types::{
    AlpnList, CertificateCompressionAlgorithm, ECPointFormat, ExtensionId, ProtocolVersion,
    PskKeyExchangeMode, SignatureScheme, SupportedGroup,
};
use bytes::Bytes;

/// One ClientHello extension: its id, its raw data exactly as received, and its decoded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHelloExtension {
    id: ExtensionId,
    data: Bytes,
    parsed: ExtensionData,
}

impl ClientHelloExtension {
    /// Decodes the data of an extension with id `id`; fails when a known extension's data is
    /// malformed (an unknown extension is kept as [`ExtensionData::Opaque`]).
    pub fn decode(id: ExtensionId, data: Bytes) -> Result<Self, ClientHelloParseError> {
        let parsed = ExtensionData::decode(id, &data)
            .map_err(|e| e.within(format_args!("extension {id}")))?;
        Ok(Self { id, data, parsed })
    }

    /// The extension type.
    #[must_use]
    pub const fn id(&self) -> ExtensionId {
        self.id
    }

    /// The extension data as received (without the type and length header).
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The extension data as received, as cheaply clonable [`Bytes`].
    #[must_use]
    pub const fn data_bytes(&self) -> &Bytes {
        &self.data
    }

    /// The decoded data.
    #[must_use]
    pub const fn parsed(&self) -> &ExtensionData {
        &self.parsed
    }
}

/// The decoded data of a ClientHello extension. Lists keep the order and every value the
/// client sent, GREASE included.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionData {
    /// `server_name`: the `host_name` entry, as sent (name types other than `host_name`
    /// are skipped; an empty extension, as servers send it, decodes to `None`).
    ServerName(Option<String>),
    /// `application_layer_protocol_negotiation`.
    Alpn(AlpnList),
    /// `supported_versions` (the client form: a list).
    SupportedVersions(Vec<ProtocolVersion>),
    /// `supported_groups`.
    SupportedGroups(Vec<SupportedGroup>),
    /// `ec_point_formats`.
    EcPointFormats(Vec<ECPointFormat>),
    /// `signature_algorithms`.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// `signature_algorithms_cert`.
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// `key_share`: one entry per share offered.
    KeyShare(Vec<KeyShareEntry>),
    /// `psk_key_exchange_modes`.
    PskKeyExchangeModes(Vec<PskKeyExchangeMode>),
    /// ALPS (`application_settings`, either codepoint): the protocols the client has
    /// settings for.
    ApplicationSettings(AlpnList),
    /// `compress_certificate`: the algorithms the client can decompress.
    CompressCertificate(Vec<CertificateCompressionAlgorithm>),
    /// `padding`: the number of padding bytes.
    Padding(usize),
    /// `status_request`: the status type (1 is OCSP).
    StatusRequest(StatusRequest),
    /// `record_size_limit`: the largest record plaintext the client accepts.
    RecordSizeLimit(u16),
    /// Any other extension (including GREASE ones): see [`ClientHelloExtension::data`].
    Opaque,
}

/// One offered key share: its group and the length of its public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyShareEntry {
    /// The group of the key.
    pub group: SupportedGroup,
    /// The length of the key exchange data in bytes (32 for x25519, 1216 for
    /// X25519MLKEM768, 1 for a GREASE share).
    pub key_len: usize,
}

/// The decoded `status_request` extension (RFC 6066 section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusRequest {
    /// The status type: 1 is `ocsp`.
    pub status_type: u8,
    /// Number of bytes of the OCSP responder id list (0: the server knows its responders).
    pub responder_id_list_len: usize,
    /// Number of bytes of the OCSP request extensions.
    pub request_extensions_len: usize,
}

impl ExtensionData {
    fn decode(id: ExtensionId, data: &[u8]) -> Result<Self, ClientHelloParseError> {
        let decoded = match id {
            ExtensionId::SERVER_NAME => Self::ServerName(decode_server_name(data)?),
            ExtensionId::APPLICATION_LAYER_PROTOCOL_NEGOTIATION => Self::Alpn(
                AlpnList::from_extension_data(data)
                    .map_err(|e| ClientHelloParseError::malformed(e.to_string()))?,
            ),
            ExtensionId::APPLICATION_SETTINGS | ExtensionId::APPLICATION_SETTINGS_OLD => {
                Self::ApplicationSettings(
                    AlpnList::from_extension_data(data)
                        .map_err(|e| ClientHelloParseError::malformed(e.to_string()))?,
                )
            }
            ExtensionId::SUPPORTED_VERSIONS => {
                Self::SupportedVersions(u16_list(data, Prefix::U8, "versions")?)
            }
            ExtensionId::SUPPORTED_GROUPS => {
                Self::SupportedGroups(u16_list(data, Prefix::U16, "named_group_list")?)
            }
            ExtensionId::EC_POINT_FORMATS => {
                Self::EcPointFormats(u8_list(data, "ec_point_format_list")?)
            }
            ExtensionId::SIGNATURE_ALGORITHMS => Self::SignatureAlgorithms(u16_list(
                data,
                Prefix::U16,
                "supported_signature_algorithms",
            )?),
            ExtensionId::SIGNATURE_ALGORITHMS_CERT => Self::SignatureAlgorithmsCert(u16_list(
                data,
                Prefix::U16,
                "supported_signature_algorithms",
            )?),
            ExtensionId::KEY_SHARE => Self::KeyShare(decode_key_share(data)?),
            ExtensionId::PSK_KEY_EXCHANGE_MODES => {
                Self::PskKeyExchangeModes(u8_list(data, "ke_modes")?)
            }
            ExtensionId::COMPRESS_CERTIFICATE => {
                Self::CompressCertificate(u16_list(data, Prefix::U8, "algorithms")?)
            }
            ExtensionId::PADDING => Self::Padding(data.len()),
            ExtensionId::STATUS_REQUEST => Self::StatusRequest(decode_status_request(data)?),
            ExtensionId::RECORD_SIZE_LIMIT => {
                let mut c = Cursor::new(data, "record_size_limit");
                let limit = c.u16("limit")?;
                c.finish()?;
                if limit < 64 {
                    return Err(ClientHelloParseError::malformed(format!(
                        "record size limit {limit} is below the minimum of 64"
                    )));
                }
                Self::RecordSizeLimit(limit)
            }
            _ => Self::Opaque,
        };
        Ok(decoded)
    }
}

#[derive(Clone, Copy)]
enum Prefix {
    U8,
    U16,
}

/// A non-empty list of two-byte ids behind a length prefix that covers `data` exactly.
fn u16_list<T: From<u16>>(
    data: &[u8],
    prefix: Prefix,
    field: &'static str,
) -> Result<Vec<T>, ClientHelloParseError> {
    let mut c = Cursor::new(data, field);
    let list = match prefix {
        Prefix::U8 => c.vec8("list")?,
        Prefix::U16 => c.vec16("list")?,
    };
    c.finish()?;
    if list.is_empty() || list.len() % 2 != 0 {
        return Err(ClientHelloParseError::malformed(format!(
            "{field}: list length {} is not a positive even number",
            list.len()
        )));
    }
    Ok(list
        .chunks_exact(2)
        .map(|pair| T::from(u16::from_be_bytes([pair[0], pair[1]])))
        .collect())
}

/// A non-empty list of one-byte ids behind a one-byte length that covers `data` exactly.
fn u8_list<T: From<u8>>(data: &[u8], field: &'static str) -> Result<Vec<T>, ClientHelloParseError> {
    let mut c = Cursor::new(data, field);
    let list = c.vec8("list")?;
    c.finish()?;
    if list.is_empty() {
        return Err(ClientHelloParseError::malformed(format!(
            "{field}: empty list"
        )));
    }
    Ok(list.iter().copied().map(T::from).collect())
}

const HOST_NAME: u8 = 0;

fn decode_server_name(data: &[u8]) -> Result<Option<String>, ClientHelloParseError> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut outer = Cursor::new(data, "server_name_list");
    let list = outer.vec16("list")?;
    outer.finish()?;
    if list.is_empty() {
        return Err(ClientHelloParseError::malformed(
            "server_name_list: empty list",
        ));
    }
    let mut c = Cursor::new(list, "server_name_list");
    let mut host = None;
    while !c.is_empty() {
        let name_type = c.u8("name_type")?;
        let name = c.vec16("name")?;
        if name_type != HOST_NAME {
            continue;
        }
        if host.is_some() {
            return Err(ClientHelloParseError::malformed(
                "server_name_list: more than one host_name",
            ));
        }
        host = Some(validate_host_name(name)?);
    }
    Ok(host)
}

/// RFC 6066: a host name is ASCII, without a trailing dot; we also refuse empty names and
/// characters that never appear in a DNS name (control characters, spaces, `/`, ...).
fn validate_host_name(name: &[u8]) -> Result<String, ClientHelloParseError> {
    let valid = !name.is_empty()
        && name.len() <= 255
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*'));
    if !valid {
        return Err(ClientHelloParseError::malformed(format!(
            "server_name: host_name {:?} is not a DNS name",
            String::from_utf8_lossy(name)
        )));
    }
    // only ASCII bytes passed the check above
    Ok(name.iter().map(|b| char::from(*b)).collect())
}

fn decode_key_share(data: &[u8]) -> Result<Vec<KeyShareEntry>, ClientHelloParseError> {
    let mut outer = Cursor::new(data, "client_shares");
    let shares = outer.vec16("list")?;
    outer.finish()?;
    let mut c = Cursor::new(shares, "client_shares");
    let mut entries = Vec::new();
    while !c.is_empty() {
        let group = SupportedGroup::from(c.u16("group")?);
        let key = c.vec16("key_exchange")?;
        if key.is_empty() {
            return Err(ClientHelloParseError::malformed(format!(
                "client_shares: empty key for group {group}"
            )));
        }
        entries.push(KeyShareEntry {
            group,
            key_len: key.len(),
        });
    }
    Ok(entries)
}

fn decode_status_request(data: &[u8]) -> Result<StatusRequest, ClientHelloParseError> {
    let mut c = Cursor::new(data, "status_request");
    let status_type = c.u8("status_type")?;
    let request = if status_type == 1 {
        let responders = c.vec16("responder_id_list")?;
        let extensions = c.vec16("request_extensions")?;
        StatusRequest {
            status_type,
            responder_id_list_len: responders.len(),
            request_extensions_len: extensions.len(),
        }
    } else {
        // an unknown status type: its body is opaque
        c.bytes(c.remaining(), "request")?;
        StatusRequest {
            status_type,
            responder_id_list_len: 0,
            request_extensions_len: 0,
        }
    };
    c.finish()?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ApplicationProtocol;

    fn decode(id: u16, data: &[u8]) -> Result<ExtensionData, ClientHelloParseError> {
        ClientHelloExtension::decode(ExtensionId::from(id), Bytes::copy_from_slice(data))
            .map(|e| e.parsed().clone())
    }

    #[test]
    fn typed_decodes() {
        use ExtensionData as D;
        let cases: Vec<(u16, &[u8], D)> = vec![
            (
                0,
                b"\x00\x0e\x00\x00\x0bexample.com",
                D::ServerName(Some("example.com".into())),
            ),
            (0, b"", D::ServerName(None)),
            (0, b"\x00\x06\x01\x00\x03abc", D::ServerName(None)),
            (
                16,
                b"\x00\x0c\x02h2\x08http/1.1",
                D::Alpn(AlpnList::from_iter([
                    ApplicationProtocol::H2,
                    ApplicationProtocol::HTTP_11,
                ])),
            ),
            (
                0x44cd,
                b"\x00\x03\x02h2",
                D::ApplicationSettings(AlpnList::from_iter([ApplicationProtocol::H2])),
            ),
            (
                43,
                b"\x06\x3a\x3a\x03\x04\x03\x03",
                D::SupportedVersions(vec![
                    0x3a3a.into(),
                    ProtocolVersion::TLS_V1_3,
                    ProtocolVersion::TLS_V1_2,
                ]),
            ),
            (
                10,
                b"\x00\x04\x11\xec\x00\x1d",
                D::SupportedGroups(vec![
                    SupportedGroup::X25519_MLKEM768,
                    SupportedGroup::X25519,
                ]),
            ),
            (
                11,
                b"\x01\x00",
                D::EcPointFormats(vec![ECPointFormat::UNCOMPRESSED]),
            ),
            (
                13,
                b"\x00\x02\x04\x03",
                D::SignatureAlgorithms(vec![SignatureScheme::ECDSA_SECP256R1_SHA256]),
            ),
            (
                51,
                b"\x00\x0a\x2a\x2a\x00\x01\x00\x00\x1d\x00\x01\x07",
                D::KeyShare(vec![
                    KeyShareEntry {
                        group: 0x2a2a.into(),
                        key_len: 1,
                    },
                    KeyShareEntry {
                        group: SupportedGroup::X25519,
                        key_len: 1,
                    },
                ]),
            ),
            (51, b"\x00\x00", D::KeyShare(vec![])),
            (
                45,
                b"\x01\x01",
                D::PskKeyExchangeModes(vec![PskKeyExchangeMode::PSK_DHE_KE]),
            ),
            (
                27,
                b"\x02\x00\x02",
                D::CompressCertificate(vec![CertificateCompressionAlgorithm::BROTLI]),
            ),
            (21, &[0; 7], D::Padding(7)),
            (
                5,
                b"\x01\x00\x00\x00\x00",
                D::StatusRequest(StatusRequest {
                    status_type: 1,
                    responder_id_list_len: 0,
                    request_extensions_len: 0,
                }),
            ),
            (28, b"\x40\x01", D::RecordSizeLimit(0x4001)),
            (0xfe0d, b"\x00\x01\x02", D::Opaque),
            (0x0a0a, b"", D::Opaque),
        ];
        for (id, data, expected) in cases {
            assert_eq!(decode(id, data).unwrap(), expected, "extension {id:#06x}");
        }
    }

    #[test]
    fn malformed_data_is_an_error() {
        let cases: [(u16, &[u8]); 17] = [
            (0, b"\x00\x0f\x00\x00\x0bexample.com"), // list length too long
            (0, b"\x00\x0e\x00\x00\x0cexample.com"), // name length too long
            (0, b"\x00\x00"),                        // empty list
            (0, b"\x00\x06\x00\x00\x03a b"),         // not a DNS name
            (0, b"\x00\x0a\x00\x00\x01a\x00\x00\x01b"), // two host names
            (16, b"\x00\x03\x00h2"),                 // empty protocol
            (43, b"\x03\x03\x04\x03"),               // odd length
            (43, b"\x00"),                           // empty
            (10, b"\x00\x04\x00\x1d"),               // short
            (11, b"\x00"),                           // empty
            (13, b"\x00\x02\x04\x03\x00"),           // trailing byte
            (51, b"\x00\x04\x00\x1d\x00\x00"),       // empty key
            (51, b"\x00\x06\x00\x1d\x00\x05\x01\x02"), // key runs past the end
            (45, b"\x02\x01"),                       // short
            (5, b"\x01\x00\x01"),                    // responder list runs past the end
            (28, b"\x00\x10"),                       // below 64
            (28, b"\x40\x00\x00"),                   // trailing
        ];
        for (id, data) in cases {
            let err = decode(id, data).unwrap_err();
            assert!(err.is_malformed(), "{id}: {err}");
            assert!(err.to_string().contains("extension "), "{err}");
        }
    }
}
