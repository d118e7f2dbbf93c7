//! Protocol versions (the `ProtocolVersion` of RFC 8446, also used by DTLS).

tls_id! {
    /// A TLS, SSL or DTLS protocol version as it appears on the wire (`0x0303` is TLS 1.2).
    ///
    /// Named after the versions OpenSSL prints (`TLSv1.3`), since the IANA registry has no
    /// names for them.
    pub struct ProtocolVersion(u16) grease(super::is_grease_u16);
    /// SSL 2.0 (only ever seen in ancient compatibility hellos).
    SSL_V2 = 0x0002 as "SSLv2";
    /// SSL 3.0.
    SSL_V3 = 0x0300 as "SSLv3";
    /// TLS 1.0.
    TLS_V1_0 = 0x0301 as "TLSv1.0";
    /// TLS 1.1.
    TLS_V1_1 = 0x0302 as "TLSv1.1";
    /// TLS 1.2.
    TLS_V1_2 = 0x0303 as "TLSv1.2";
    /// TLS 1.3.
    TLS_V1_3 = 0x0304 as "TLSv1.3";
    /// DTLS 1.0.
    DTLS_V1_0 = 0xfeff as "DTLSv1.0";
    /// DTLS 1.2.
    DTLS_V1_2 = 0xfefd as "DTLSv1.2";
    /// DTLS 1.3.
    DTLS_V1_3 = 0xfefc as "DTLSv1.3";
}

impl ProtocolVersion {
    /// Whether this is a DTLS version.
    #[must_use]
    pub const fn is_dtls(self) -> bool {
        matches!(self.0, 0xfeff | 0xfefd | 0xfefc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        let cases = [
            (0x0300, "SSLv3"),
            (0x0301, "TLSv1.0"),
            (0x0302, "TLSv1.1"),
            (0x0303, "TLSv1.2"),
            (0x0304, "TLSv1.3"),
            (0xfefd, "DTLSv1.2"),
            (0x7a7a, "GREASE(0x7a7a)"),
            (0x7f1c, "Unknown(0x7f1c)"),
        ];
        for (value, name) in cases {
            let version = ProtocolVersion::from(value);
            assert_eq!(version.to_string(), name, "{value:#06x}");
            assert_eq!(u16::from(version), value);
        }
        assert!(ProtocolVersion::DTLS_V1_3.is_dtls());
        assert!(!ProtocolVersion::TLS_V1_3.is_dtls());
        assert_eq!(
            ProtocolVersion::from_name("tlsv1.3"),
            Some(ProtocolVersion::TLS_V1_3)
        );
        assert_eq!(
            format!("{:?}", ProtocolVersion::TLS_V1_2),
            "ProtocolVersion(TLSv1.2)"
        );
    }
}
