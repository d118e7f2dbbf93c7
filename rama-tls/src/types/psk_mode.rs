//! PSK key exchange modes (RFC 8446 section 4.2.9).

tls_id! {
    /// A pre-shared key exchange mode offered in `psk_key_exchange_modes`.
    pub struct PskKeyExchangeMode(u8) grease(super::is_grease_u8);
    /// PSK-only key establishment.
    PSK_KE = 0 as "psk_ke";
    /// PSK with (EC)DHE key establishment.
    PSK_DHE_KE = 1 as "psk_dhe_ke";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for (value, name) in [
            (0, "psk_ke"),
            (1, "psk_dhe_ke"),
            (0x2a, "GREASE(0x2a)"),
            (7, "Unknown(0x07)"),
        ] {
            assert_eq!(PskKeyExchangeMode::from(value).to_string(), name);
            assert_eq!(u8::from(PskKeyExchangeMode::from(value)), value);
        }
    }
}
