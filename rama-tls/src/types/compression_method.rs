//! Record compression methods of the ClientHello (RFC 5246 section 7.4.1.2, RFC 3749).

tls_id! {
    /// A compression method listed in the ClientHello; TLS 1.3 clients send only `null`.
    pub struct CompressionMethod(u8);
    NULL = 0 as "null";
    DEFLATE = 1 as "DEFLATE";
    LZS = 64 as "LZS";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (value, name) in [
            (0, "null"),
            (1, "DEFLATE"),
            (64, "LZS"),
            (2, "Unknown(0x02)"),
        ] {
            assert_eq!(CompressionMethod::from(value).to_string(), name);
        }
    }
}
