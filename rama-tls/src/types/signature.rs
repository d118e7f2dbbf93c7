//! Signature schemes (IANA "TLS SignatureScheme" registry, RFC 8446 section 4.2.3).

tls_id! {
    /// A signature scheme offered in `signature_algorithms` / `signature_algorithms_cert`.
    ///
    /// The TLS 1.2 hash/signature pairs without a TLS 1.3 name (SHA-224, DSA) are named the
    /// way OpenSSL sends them (`rsa_pkcs1_sha224`, `dsa_sha256`, ...).
    pub struct SignatureScheme(u16) grease(super::is_grease_u16);
    RSA_PKCS1_SHA1 = 0x0201 as "rsa_pkcs1_sha1";
    DSA_SHA1 = 0x0202 as "dsa_sha1";
    ECDSA_SHA1 = 0x0203 as "ecdsa_sha1";
    RSA_PKCS1_SHA224 = 0x0301 as "rsa_pkcs1_sha224";
    DSA_SHA224 = 0x0302 as "dsa_sha224";
    ECDSA_SHA224 = 0x0303 as "ecdsa_sha224";
    RSA_PKCS1_SHA256 = 0x0401 as "rsa_pkcs1_sha256";
    DSA_SHA256 = 0x0402 as "dsa_sha256";
    ECDSA_SECP256R1_SHA256 = 0x0403 as "ecdsa_secp256r1_sha256";
    RSA_PKCS1_SHA384 = 0x0501 as "rsa_pkcs1_sha384";
    DSA_SHA384 = 0x0502 as "dsa_sha384";
    ECDSA_SECP384R1_SHA384 = 0x0503 as "ecdsa_secp384r1_sha384";
    RSA_PKCS1_SHA512 = 0x0601 as "rsa_pkcs1_sha512";
    DSA_SHA512 = 0x0602 as "dsa_sha512";
    ECDSA_SECP521R1_SHA512 = 0x0603 as "ecdsa_secp521r1_sha512";
    SM2SIG_SM3 = 0x0708 as "sm2sig_sm3";
    RSA_PSS_RSAE_SHA256 = 0x0804 as "rsa_pss_rsae_sha256";
    RSA_PSS_RSAE_SHA384 = 0x0805 as "rsa_pss_rsae_sha384";
    RSA_PSS_RSAE_SHA512 = 0x0806 as "rsa_pss_rsae_sha512";
    ED25519 = 0x0807 as "ed25519";
    ED448 = 0x0808 as "ed448";
    RSA_PSS_PSS_SHA256 = 0x0809 as "rsa_pss_pss_sha256";
    RSA_PSS_PSS_SHA384 = 0x080a as "rsa_pss_pss_sha384";
    RSA_PSS_PSS_SHA512 = 0x080b as "rsa_pss_pss_sha512";
    ECDSA_BRAINPOOLP256R1TLS13_SHA256 = 0x081a as "ecdsa_brainpoolP256r1tls13_sha256";
    ECDSA_BRAINPOOLP384R1TLS13_SHA384 = 0x081b as "ecdsa_brainpoolP384r1tls13_sha384";
    ECDSA_BRAINPOOLP512R1TLS13_SHA512 = 0x081c as "ecdsa_brainpoolP512r1tls13_sha512";
    MLDSA44 = 0x0904 as "mldsa44";
    MLDSA65 = 0x0905 as "mldsa65";
    MLDSA87 = 0x0906 as "mldsa87";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            (0x0403, "ecdsa_secp256r1_sha256"),
            (0x0804, "rsa_pss_rsae_sha256"),
            (0x0401, "rsa_pkcs1_sha256"),
            (0x0807, "ed25519"),
            (0x0201, "rsa_pkcs1_sha1"),
            (0x9a9a, "GREASE(0x9a9a)"),
            (0x0420, "Unknown(0x0420)"),
        ];
        for (value, name) in cases {
            let scheme = SignatureScheme::from(value);
            assert_eq!(scheme.to_string(), name);
            assert_eq!(u16::from(scheme), value);
        }
    }
}
