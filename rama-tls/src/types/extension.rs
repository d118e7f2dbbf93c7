//! Extension types (IANA "TLS ExtensionType Values" registry).

tls_id! {
    /// The type of a hello extension, named as in the IANA registry.
    pub struct ExtensionId(u16) grease(super::is_grease_u16);
    /// Server Name Indication (RFC 6066).
    SERVER_NAME = 0 as "server_name";
    MAX_FRAGMENT_LENGTH = 1 as "max_fragment_length";
    CLIENT_CERTIFICATE_URL = 2 as "client_certificate_url";
    TRUSTED_CA_KEYS = 3 as "trusted_ca_keys";
    TRUNCATED_HMAC = 4 as "truncated_hmac";
    /// OCSP stapling request (RFC 6066).
    STATUS_REQUEST = 5 as "status_request";
    USER_MAPPING = 6 as "user_mapping";
    CLIENT_AUTHZ = 7 as "client_authz";
    SERVER_AUTHZ = 8 as "server_authz";
    CERT_TYPE = 9 as "cert_type";
    /// Key exchange groups (RFC 8422, RFC 8446), formerly `elliptic_curves`.
    SUPPORTED_GROUPS = 10 as "supported_groups";
    EC_POINT_FORMATS = 11 as "ec_point_formats";
    SRP = 12 as "srp";
    SIGNATURE_ALGORITHMS = 13 as "signature_algorithms";
    USE_SRTP = 14 as "use_srtp";
    HEARTBEAT = 15 as "heartbeat";
    /// ALPN (RFC 7301).
    APPLICATION_LAYER_PROTOCOL_NEGOTIATION = 16 as "application_layer_protocol_negotiation";
    STATUS_REQUEST_V2 = 17 as "status_request_v2";
    SIGNED_CERTIFICATE_TIMESTAMP = 18 as "signed_certificate_timestamp";
    CLIENT_CERTIFICATE_TYPE = 19 as "client_certificate_type";
    SERVER_CERTIFICATE_TYPE = 20 as "server_certificate_type";
    PADDING = 21 as "padding";
    ENCRYPT_THEN_MAC = 22 as "encrypt_then_mac";
    EXTENDED_MASTER_SECRET = 23 as "extended_master_secret";
    TOKEN_BINDING = 24 as "token_binding";
    CACHED_INFO = 25 as "cached_info";
    TLS_LTS = 26 as "tls_lts";
    /// Certificate compression (RFC 8879).
    COMPRESS_CERTIFICATE = 27 as "compress_certificate";
    /// Record size limit (RFC 8449).
    RECORD_SIZE_LIMIT = 28 as "record_size_limit";
    PWD_PROTECT = 29 as "pwd_protect";
    PWD_CLEAR = 30 as "pwd_clear";
    PASSWORD_SALT = 31 as "password_salt";
    TICKET_PINNING = 32 as "ticket_pinning";
    TLS_CERT_WITH_EXTERN_PSK = 33 as "tls_cert_with_extern_psk";
    /// Delegated credentials (RFC 9345).
    DELEGATED_CREDENTIAL = 34 as "delegated_credential";
    /// Session tickets (RFC 5077), formerly `SessionTicket TLS`.
    SESSION_TICKET = 35 as "session_ticket";
    TLMSP = 36 as "TLMSP";
    TLMSP_PROXYING = 37 as "TLMSP_proxying";
    TLMSP_DELEGATE = 38 as "TLMSP_delegate";
    SUPPORTED_EKT_CIPHERS = 39 as "supported_ekt_ciphers";
    PRE_SHARED_KEY = 41 as "pre_shared_key";
    EARLY_DATA = 42 as "early_data";
    SUPPORTED_VERSIONS = 43 as "supported_versions";
    COOKIE = 44 as "cookie";
    PSK_KEY_EXCHANGE_MODES = 45 as "psk_key_exchange_modes";
    CERTIFICATE_AUTHORITIES = 47 as "certificate_authorities";
    OID_FILTERS = 48 as "oid_filters";
    POST_HANDSHAKE_AUTH = 49 as "post_handshake_auth";
    SIGNATURE_ALGORITHMS_CERT = 50 as "signature_algorithms_cert";
    KEY_SHARE = 51 as "key_share";
    TRANSPARENCY_INFO = 52 as "transparency_info";
    CONNECTION_ID_DEPRECATED = 53 as "connection_id_deprecated";
    CONNECTION_ID = 54 as "connection_id";
    EXTERNAL_ID_HASH = 55 as "external_id_hash";
    EXTERNAL_SESSION_ID = 56 as "external_session_id";
    QUIC_TRANSPORT_PARAMETERS = 57 as "quic_transport_parameters";
    TICKET_REQUEST = 58 as "ticket_request";
    DNSSEC_CHAIN = 59 as "dnssec_chain";
    SEQUENCE_NUMBER_ENCRYPTION_ALGORITHMS = 60 as "sequence_number_encryption_algorithms";
    RRC = 61 as "rrc";
    /// Next Protocol Negotiation (pre-ALPN draft, still sent by some old clients).
    NEXT_PROTOCOL_NEGOTIATION = 13172 as "next_protocol_negotiation";
    /// ALPS, the original codepoint (`0x4469`) sent by Chrome before 2024.
    APPLICATION_SETTINGS_OLD = 0x4469 as "application_settings_old";
    /// ALPS, the current codepoint (`0x44cd`).
    APPLICATION_SETTINGS = 0x44cd as "application_settings";
    /// Encrypted ClientHello: outer extensions compressed into the inner hello.
    ECH_OUTER_EXTENSIONS = 0xfd00 as "ech_outer_extensions";
    /// Encrypted ClientHello (draft-ietf-tls-esni).
    ENCRYPTED_CLIENT_HELLO = 0xfe0d as "encrypted_client_hello";
    /// Secure renegotiation (RFC 5746).
    RENEGOTIATION_INFO = 0xff01 as "renegotiation_info";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_common_extensions() {
        let cases = [
            (0, "server_name"),
            (5, "status_request"),
            (10, "supported_groups"),
            (11, "ec_point_formats"),
            (16, "application_layer_protocol_negotiation"),
            (18, "signed_certificate_timestamp"),
            (21, "padding"),
            (27, "compress_certificate"),
            (28, "record_size_limit"),
            (34, "delegated_credential"),
            (35, "session_ticket"),
            (41, "pre_shared_key"),
            (42, "early_data"),
            (45, "psk_key_exchange_modes"),
            (49, "post_handshake_auth"),
            (51, "key_share"),
            (0x4469, "application_settings_old"),
            (0x44cd, "application_settings"),
            (0xfe0d, "encrypted_client_hello"),
            (0xff01, "renegotiation_info"),
            (0xbaba, "GREASE(0xbaba)"),
            (0x00ff, "Unknown(0x00ff)"),
        ];
        for (value, name) in cases {
            let id = ExtensionId::from(value);
            assert_eq!(id.to_string(), name);
            assert_eq!(u16::from(id), value);
        }
    }
}
