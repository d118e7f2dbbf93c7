//! [`ClientHello`]: a parsed ClientHello with the raw bytes it came from.

use super::extension::{ClientHelloExtension, ExtensionData, KeyShareEntry, StatusRequest};
use super::{ClientHelloParseError, ClientHelloParser, ParseStatus};
use crate::types::{
    AlpnList, CertificateCompressionAlgorithm, CipherSuite, CompressionMethod, ECPointFormat,
    ExtensionId, ProtocolVersion, PskKeyExchangeMode, SignatureScheme, SupportedGroup,
};
use bytes::Bytes;

/// A ClientHello as the client sent it: every field, every extension in order with its raw
/// bytes and typed decode, GREASE values included, and the raw record bytes it was read from.
///
/// Made by [`ClientHelloParser`] (or [`ClientHello::parse`]); the peek service inserts it
/// into the stream's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub(super) record_version: ProtocolVersion,
    pub(super) legacy_version: ProtocolVersion,
    pub(super) random: [u8; 32],
    pub(super) session_id: Bytes,
    pub(super) cipher_suites: Vec<CipherSuite>,
    pub(super) compression_methods: Vec<CompressionMethod>,
    pub(super) extensions: Vec<ClientHelloExtension>,
    pub(super) raw_records: Bytes,
    pub(super) handshake_message: Bytes,
}

impl ClientHello {
    /// Parses a complete ClientHello from its TLS record(s) with the default size limit.
    ///
    /// # Errors
    ///
    /// When `records` is not a complete, valid ClientHello (an incomplete one is
    /// [`ClientHelloParseError::is_truncated`]). Bytes after the ClientHello's last record
    /// are ignored.
    pub fn parse(records: &[u8]) -> Result<Self, ClientHelloParseError> {
        match ClientHelloParser::new().parse(records)? {
            ParseStatus::Complete { client_hello, .. } => Ok(client_hello),
            ParseStatus::NeedMore(_) => Err(ClientHelloParseError::truncated(records.len())),
        }
    }

    /// The protocol version in the first record header (`0x0301` for most clients).
    #[must_use]
    pub const fn record_version(&self) -> ProtocolVersion {
        self.record_version
    }

    /// The `legacy_version` field (`TLSv1.2` for TLS 1.3 clients, which put their real
    /// versions in `supported_versions`).
    #[must_use]
    pub const fn legacy_version(&self) -> ProtocolVersion {
        self.legacy_version
    }

    /// The highest version offered: the largest non-GREASE `supported_versions` entry, or
    /// `legacy_version` when that extension is absent.
    #[must_use]
    pub fn max_version(&self) -> ProtocolVersion {
        self.supported_versions()
            .and_then(|v| v.iter().filter(|v| !v.is_grease()).max().copied())
            .unwrap_or(self.legacy_version)
    }

    /// The 32 random bytes.
    #[must_use]
    pub const fn random(&self) -> &[u8; 32] {
        &self.random
    }

    /// The legacy session id (0 to 32 bytes).
    #[must_use]
    pub fn session_id(&self) -> &[u8] {
        &self.session_id
    }

    /// The cipher suites, in the client's order, GREASE included.
    #[must_use]
    pub fn cipher_suites(&self) -> &[CipherSuite] {
        &self.cipher_suites
    }

    /// The compression methods (`null` only, for any modern client).
    #[must_use]
    pub fn compression_methods(&self) -> &[CompressionMethod] {
        &self.compression_methods
    }

    /// The extensions in the order they were sent.
    #[must_use]
    pub fn extensions(&self) -> &[ClientHelloExtension] {
        &self.extensions
    }

    /// The extension ids in the order they were sent.
    pub fn extension_ids(&self) -> impl ExactSizeIterator<Item = ExtensionId> + '_ {
        self.extensions.iter().map(ClientHelloExtension::id)
    }

    /// The extension with id `id`, if sent.
    #[must_use]
    pub fn extension(&self, id: ExtensionId) -> Option<&ClientHelloExtension> {
        self.extensions.iter().find(|e| e.id() == id)
    }

    fn parsed(&self, id: ExtensionId) -> Option<&ExtensionData> {
        self.extension(id).map(ClientHelloExtension::parsed)
    }

    /// The SNI host name, as sent (not lower-cased).
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        match self.parsed(ExtensionId::SERVER_NAME)? {
            ExtensionData::ServerName(name) => name.as_deref(),
            _ => None,
        }
    }

    /// The ALPN protocols offered, most preferred first.
    #[must_use]
    pub fn alpn(&self) -> Option<&AlpnList> {
        match self.parsed(ExtensionId::APPLICATION_LAYER_PROTOCOL_NEGOTIATION)? {
            ExtensionData::Alpn(list) => Some(list),
            _ => None,
        }
    }

    /// The ALPS (`application_settings`) protocols, from either codepoint.
    #[must_use]
    pub fn application_settings(&self) -> Option<&AlpnList> {
        self.extensions.iter().find_map(|e| match e.parsed() {
            ExtensionData::ApplicationSettings(list) => Some(list),
            _ => None,
        })
    }

    /// The `supported_versions` list.
    #[must_use]
    pub fn supported_versions(&self) -> Option<&[ProtocolVersion]> {
        match self.parsed(ExtensionId::SUPPORTED_VERSIONS)? {
            ExtensionData::SupportedVersions(v) => Some(v),
            _ => None,
        }
    }

    /// The `supported_groups` list.
    #[must_use]
    pub fn supported_groups(&self) -> Option<&[SupportedGroup]> {
        match self.parsed(ExtensionId::SUPPORTED_GROUPS)? {
            ExtensionData::SupportedGroups(v) => Some(v),
            _ => None,
        }
    }

    /// The `ec_point_formats` list.
    #[must_use]
    pub fn ec_point_formats(&self) -> Option<&[ECPointFormat]> {
        match self.parsed(ExtensionId::EC_POINT_FORMATS)? {
            ExtensionData::EcPointFormats(v) => Some(v),
            _ => None,
        }
    }

    /// The `signature_algorithms` list.
    #[must_use]
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        match self.parsed(ExtensionId::SIGNATURE_ALGORITHMS)? {
            ExtensionData::SignatureAlgorithms(v) => Some(v),
            _ => None,
        }
    }

    /// The `signature_algorithms_cert` list.
    #[must_use]
    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        match self.parsed(ExtensionId::SIGNATURE_ALGORITHMS_CERT)? {
            ExtensionData::SignatureAlgorithmsCert(v) => Some(v),
            _ => None,
        }
    }

    /// The offered key shares (group and key length).
    #[must_use]
    pub fn key_shares(&self) -> Option<&[KeyShareEntry]> {
        match self.parsed(ExtensionId::KEY_SHARE)? {
            ExtensionData::KeyShare(v) => Some(v),
            _ => None,
        }
    }

    /// The `psk_key_exchange_modes` list.
    #[must_use]
    pub fn psk_key_exchange_modes(&self) -> Option<&[PskKeyExchangeMode]> {
        match self.parsed(ExtensionId::PSK_KEY_EXCHANGE_MODES)? {
            ExtensionData::PskKeyExchangeModes(v) => Some(v),
            _ => None,
        }
    }

    /// The certificate compression algorithms (`compress_certificate`).
    #[must_use]
    pub fn certificate_compression_algorithms(&self) -> Option<&[CertificateCompressionAlgorithm]> {
        match self.parsed(ExtensionId::COMPRESS_CERTIFICATE)? {
            ExtensionData::CompressCertificate(v) => Some(v),
            _ => None,
        }
    }

    /// The number of `padding` bytes.
    #[must_use]
    pub fn padding_len(&self) -> Option<usize> {
        match self.parsed(ExtensionId::PADDING)? {
            ExtensionData::Padding(n) => Some(*n),
            _ => None,
        }
    }

    /// The `status_request` (OCSP stapling) request.
    #[must_use]
    pub fn status_request(&self) -> Option<&StatusRequest> {
        match self.parsed(ExtensionId::STATUS_REQUEST)? {
            ExtensionData::StatusRequest(r) => Some(r),
            _ => None,
        }
    }

    /// The `record_size_limit`.
    #[must_use]
    pub fn record_size_limit(&self) -> Option<u16> {
        match self.parsed(ExtensionId::RECORD_SIZE_LIMIT)? {
            ExtensionData::RecordSizeLimit(n) => Some(*n),
            _ => None,
        }
    }

    /// The TLS record(s) that carried the ClientHello, headers included, exactly as read.
    #[must_use]
    pub const fn raw_records(&self) -> &Bytes {
        &self.raw_records
    }

    /// The ClientHello handshake message (type, length and body), reassembled from the
    /// records: the input of ClientHello hashes and fingerprints.
    #[must_use]
    pub const fn handshake_message(&self) -> &Bytes {
        &self.handshake_message
    }
}
