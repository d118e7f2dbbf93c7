//! Cipher suites (IANA "TLS Cipher Suites" registry).

tls_id! {
    /// A TLS cipher suite id, named as in the IANA registry.
    ///
    /// The constants cover the TLS 1.3 suites and the TLS 1.2 and older suites that real
    /// clients (browsers, curl, OpenSSL, Go, Java) still offer; any other value is kept as is.
    pub struct CipherSuite(u16) grease(super::is_grease_u16);
    TLS_NULL_WITH_NULL_NULL = 0x0000;
    TLS_RSA_WITH_NULL_MD5 = 0x0001;
    TLS_RSA_WITH_NULL_SHA = 0x0002;
    TLS_RSA_WITH_RC4_128_MD5 = 0x0004;
    TLS_RSA_WITH_RC4_128_SHA = 0x0005;
    TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000a;
    TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA = 0x0016;
    TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f;
    TLS_DHE_DSS_WITH_AES_128_CBC_SHA = 0x0032;
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033;
    TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035;
    TLS_DHE_DSS_WITH_AES_256_CBC_SHA = 0x0038;
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039;
    TLS_RSA_WITH_NULL_SHA256 = 0x003b;
    TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c;
    TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d;
    TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 = 0x0040;
    TLS_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0041;
    TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0045;
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067;
    TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 = 0x006a;
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006b;
    TLS_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0084;
    TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0088;
    TLS_PSK_WITH_AES_128_CBC_SHA = 0x008c;
    TLS_PSK_WITH_AES_256_CBC_SHA = 0x008d;
    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c;
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d;
    TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e;
    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f;
    TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 = 0x00a2;
    TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 = 0x00a3;
    TLS_PSK_WITH_AES_128_GCM_SHA256 = 0x00a8;
    TLS_PSK_WITH_AES_256_GCM_SHA384 = 0x00a9;
    /// Signalling value (RFC 5746): the client supports secure renegotiation.
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
    /// TLS 1.3 (RFC 8446).
    TLS_AES_128_GCM_SHA256 = 0x1301;
    /// TLS 1.3 (RFC 8446).
    TLS_AES_256_GCM_SHA384 = 0x1302;
    /// TLS 1.3 (RFC 8446).
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303;
    /// TLS 1.3 (RFC 8446).
    TLS_AES_128_CCM_SHA256 = 0x1304;
    /// TLS 1.3 (RFC 8446).
    TLS_AES_128_CCM_8_SHA256 = 0x1305;
    /// Signalling value (RFC 7507): this is a downgraded retry.
    TLS_FALLBACK_SCSV = 0x5600;
    TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA = 0xc004;
    TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA = 0xc005;
    TLS_ECDHE_ECDSA_WITH_RC4_128_SHA = 0xc007;
    TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc008;
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009;
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a;
    TLS_ECDH_RSA_WITH_AES_128_CBC_SHA = 0xc00e;
    TLS_ECDH_RSA_WITH_AES_256_CBC_SHA = 0xc00f;
    TLS_ECDHE_RSA_WITH_RC4_128_SHA = 0xc011;
    TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA = 0xc012;
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013;
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014;
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023;
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024;
    TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc025;
    TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc026;
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027;
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028;
    TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256 = 0xc029;
    TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384 = 0xc02a;
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b;
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c;
    TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02d;
    TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02e;
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f;
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030;
    TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 = 0xc031;
    TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384 = 0xc032;
    TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA = 0xc035;
    TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA = 0xc036;
    TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xc072;
    TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xc073;
    TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xc076;
    TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xc077;
    TLS_RSA_WITH_AES_128_CCM = 0xc09c;
    TLS_RSA_WITH_AES_256_CCM = 0xc09d;
    TLS_DHE_RSA_WITH_AES_128_CCM = 0xc09e;
    TLS_DHE_RSA_WITH_AES_256_CCM = 0xc09f;
    TLS_RSA_WITH_AES_128_CCM_8 = 0xc0a0;
    TLS_RSA_WITH_AES_256_CCM_8 = 0xc0a1;
    TLS_DHE_RSA_WITH_AES_128_CCM_8 = 0xc0a2;
    TLS_DHE_RSA_WITH_AES_256_CCM_8 = 0xc0a3;
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xc0ac;
    TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xc0ad;
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xc0ae;
    TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xc0af;
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8;
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9;
    TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa;
    TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccab;
    TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccac;
    TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccad;
    TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccae;
    TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256 = 0xd001;
    TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384 = 0xd002;
    TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256 = 0xd005;
}

impl CipherSuite {
    /// Whether this is one of the TLS 1.3 suites (`0x1301..=0x1305`), which fix only the
    /// AEAD and hash and leave key exchange and authentication to extensions.
    #[must_use]
    pub const fn is_tls13(self) -> bool {
        matches!(self.0, 0x1301..=0x1305)
    }

    /// Whether this is a signalling value (SCSV) rather than a real suite.
    #[must_use]
    pub const fn is_signalling(self) -> bool {
        matches!(self.0, 0x00ff | 0x5600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_and_kinds() {
        // (value, display, tls13, signalling, grease)
        let cases = [
            (0x1301, "TLS_AES_128_GCM_SHA256", true, false, false),
            (0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, false, false),
            (
                0xc02f,
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                false,
                false,
                false,
            ),
            (
                0xcca9,
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                false,
                false,
                false,
            ),
            (
                0x00ff,
                "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
                false,
                true,
                false,
            ),
            (0x5600, "TLS_FALLBACK_SCSV", false, true, false),
            (0xdada, "GREASE(0xdada)", false, false, true),
            (0x0a0b, "Unknown(0x0a0b)", false, false, false),
        ];
        for (value, name, tls13, scsv, grease) in cases {
            let suite = CipherSuite::from(value);
            assert_eq!(suite.to_string(), name, "{value:#06x}");
            assert_eq!(suite.value(), value);
            assert_eq!(suite.is_tls13(), tls13, "{name}");
            assert_eq!(suite.is_signalling(), scsv, "{name}");
            assert_eq!(suite.is_grease(), grease, "{name}");
        }
    }

    #[test]
    fn known_values_are_unique_and_round_trip_by_name() {
        let mut values: Vec<u16> = CipherSuite::KNOWN.iter().map(|s| s.value()).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), CipherSuite::KNOWN.len());
        for suite in CipherSuite::KNOWN {
            let name = suite.name().unwrap();
            assert_eq!(CipherSuite::from_name(name), Some(*suite));
            assert!(!suite.is_grease());
        }
    }
}
