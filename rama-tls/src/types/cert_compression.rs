//! Certificate compression algorithms (RFC 8879).

tls_id! {
    /// A certificate compression algorithm offered in `compress_certificate`.
    pub struct CertificateCompressionAlgorithm(u16) grease(super::is_grease_u16);
    ZLIB = 1 as "zlib";
    BROTLI = 2 as "brotli";
    ZSTD = 3 as "zstd";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (value, name) in [
            (1, "zlib"),
            (2, "brotli"),
            (3, "zstd"),
            (0x0a0a, "GREASE(0x0a0a)"),
            (4, "Unknown(0x0004)"),
        ] {
            assert_eq!(
                CertificateCompressionAlgorithm::from(value).to_string(),
                name
            );
        }
    }
}
