//! Supported groups (IANA "TLS Supported Groups" registry, formerly "named curves").

tls_id! {
    /// A key exchange group offered in `supported_groups` and used in `key_share`.
    pub struct SupportedGroup(u16) grease(super::is_grease_u16);
    SECT163K1 = 0x0001 as "sect163k1";
    SECT163R2 = 0x0003 as "sect163r2";
    SECT233K1 = 0x0006 as "sect233k1";
    SECT233R1 = 0x0007 as "sect233r1";
    SECT283K1 = 0x0009 as "sect283k1";
    SECT283R1 = 0x000a as "sect283r1";
    SECT409K1 = 0x000b as "sect409k1";
    SECT409R1 = 0x000c as "sect409r1";
    SECT571K1 = 0x000d as "sect571k1";
    SECT571R1 = 0x000e as "sect571r1";
    SECP160K1 = 0x000f as "secp160k1";
    SECP160R1 = 0x0010 as "secp160r1";
    SECP160R2 = 0x0011 as "secp160r2";
    SECP192K1 = 0x0012 as "secp192k1";
    SECP192R1 = 0x0013 as "secp192r1";
    SECP224K1 = 0x0014 as "secp224k1";
    SECP224R1 = 0x0015 as "secp224r1";
    SECP256K1 = 0x0016 as "secp256k1";
    /// NIST P-256.
    SECP256R1 = 0x0017 as "secp256r1";
    /// NIST P-384.
    SECP384R1 = 0x0018 as "secp384r1";
    /// NIST P-521.
    SECP521R1 = 0x0019 as "secp521r1";
    BRAINPOOLP256R1 = 0x001a as "brainpoolP256r1";
    BRAINPOOLP384R1 = 0x001b as "brainpoolP384r1";
    BRAINPOOLP512R1 = 0x001c as "brainpoolP512r1";
    /// Curve25519 ECDH (RFC 7748).
    X25519 = 0x001d as "x25519";
    /// Curve448 ECDH (RFC 7748).
    X448 = 0x001e as "x448";
    BRAINPOOLP256R1TLS13 = 0x001f as "brainpoolP256r1tls13";
    BRAINPOOLP384R1TLS13 = 0x0020 as "brainpoolP384r1tls13";
    BRAINPOOLP512R1TLS13 = 0x0021 as "brainpoolP512r1tls13";
    GC256A = 0x0022 as "GC256A";
    GC256B = 0x0023 as "GC256B";
    GC256C = 0x0024 as "GC256C";
    GC256D = 0x0025 as "GC256D";
    GC512A = 0x0026 as "GC512A";
    GC512B = 0x0027 as "GC512B";
    GC512C = 0x0028 as "GC512C";
    CURVE_SM2 = 0x0029 as "curveSM2";
    /// Finite field Diffie-Hellman (RFC 7919).
    FFDHE2048 = 0x0100 as "ffdhe2048";
    FFDHE3072 = 0x0101 as "ffdhe3072";
    FFDHE4096 = 0x0102 as "ffdhe4096";
    FFDHE6144 = 0x0103 as "ffdhe6144";
    FFDHE8192 = 0x0104 as "ffdhe8192";
    /// Pure ML-KEM (FIPS 203).
    MLKEM512 = 0x0200 as "MLKEM512";
    MLKEM768 = 0x0201 as "MLKEM768";
    MLKEM1024 = 0x0202 as "MLKEM1024";
    /// Hybrid P-256 + ML-KEM-768.
    SECP256R1_MLKEM768 = 0x11eb as "SecP256r1MLKEM768";
    /// Hybrid X25519 + ML-KEM-768, the post-quantum default of current browsers.
    X25519_MLKEM768 = 0x11ec as "X25519MLKEM768";
    /// Hybrid P-384 + ML-KEM-1024.
    SECP384R1_MLKEM1024 = 0x11ed as "SecP384r1MLKEM1024";
    /// Pre-standard hybrid X25519 + Kyber768 (draft 00), sent by older Chrome releases.
    X25519_KYBER768_DRAFT00 = 0x6399 as "X25519Kyber768Draft00";
    /// Pre-standard hybrid P-256 + Kyber768 (draft 00).
    SECP256R1_KYBER768_DRAFT00 = 0x639a as "SecP256r1Kyber768Draft00";
    ARBITRARY_EXPLICIT_PRIME_CURVES = 0xff01 as "arbitrary_explicit_prime_curves";
    ARBITRARY_EXPLICIT_CHAR2_CURVES = 0xff02 as "arbitrary_explicit_char2_curves";
}

impl SupportedGroup {
    /// Whether this is a finite field Diffie-Hellman group (`ffdhe*`, RFC 7919).
    #[must_use]
    pub const fn is_ffdhe(self) -> bool {
        matches!(self.0, 0x0100..=0x01ff)
    }

    /// Whether this group includes a post-quantum KEM (pure ML-KEM or a hybrid).
    #[must_use]
    pub const fn is_post_quantum(self) -> bool {
        matches!(self.0, 0x0200..=0x0202 | 0x11eb..=0x11ed | 0x6399 | 0x639a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds() {
        // (value, display, ffdhe, post quantum)
        let cases = [
            (0x11ec, "X25519MLKEM768", false, true),
            (0x001d, "x25519", false, false),
            (0x0017, "secp256r1", false, false),
            (0x0018, "secp384r1", false, false),
            (0x0019, "secp521r1", false, false),
            (0x0100, "ffdhe2048", true, false),
            (0x0104, "ffdhe8192", true, false),
            (0x6399, "X25519Kyber768Draft00", false, true),
            (0x2a2a, "GREASE(0x2a2a)", false, false),
            (0x1234, "Unknown(0x1234)", false, false),
        ];
        for (value, name, ffdhe, pq) in cases {
            let group = SupportedGroup::from(value);
            assert_eq!(group.to_string(), name);
            assert_eq!(u16::from(group), value);
            assert_eq!(group.is_ffdhe(), ffdhe, "{name}");
            assert_eq!(group.is_post_quantum(), pq, "{name}");
        }
        assert_eq!(
            SupportedGroup::from_name("X25519"),
            Some(SupportedGroup::X25519)
        );
    }
}
