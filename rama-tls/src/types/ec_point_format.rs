//! EC point formats (RFC 8422 section 5.1.2).

tls_id! {
    /// An elliptic curve point format offered in `ec_point_formats`.
    pub struct ECPointFormat(u8);
    UNCOMPRESSED = 0 as "uncompressed";
    ANSIX962_COMPRESSED_PRIME = 1 as "ansiX962_compressed_prime";
    ANSIX962_COMPRESSED_CHAR2 = 2 as "ansiX962_compressed_char2";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (value, name) in [
            (0, "uncompressed"),
            (1, "ansiX962_compressed_prime"),
            (9, "Unknown(0x09)"),
        ] {
            assert_eq!(ECPointFormat::from(value).to_string(), name);
            assert_eq!(u8::from(ECPointFormat::from(value)), value);
        }
    }
}
