//! GREASE values (RFC 8701, "Generate Random Extensions And Sustain Extensibility").

/// Whether a two-byte id is one of the sixteen GREASE values `0x0a0a`, `0x1a1a`, ..., `0xfafa`
/// reserved for cipher suites, extensions, named groups, signature algorithms and versions.
///
/// ```
/// use rama_tls::types::is_grease_u16;
///
/// assert!(is_grease_u16(0x0a0a));
/// assert!(is_grease_u16(0xfafa));
/// assert!(!is_grease_u16(0x0a1a));
/// assert!(!is_grease_u16(0x1301));
/// ```
#[must_use]
pub const fn is_grease_u16(value: u16) -> bool {
    let [hi, lo] = value.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// Whether a one-byte id is one of the GREASE values `0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6,
/// 0xc5, 0xe4` reserved for PSK key exchange modes (RFC 8701 section 2).
///
/// ```
/// use rama_tls::types::is_grease_u8;
///
/// assert!(is_grease_u8(0x2a));
/// assert!(!is_grease_u8(0x01));
/// ```
#[must_use]
pub const fn is_grease_u8(value: u8) -> bool {
    matches!(value, 0x0b | 0x2a | 0x49 | 0x68 | 0x87 | 0xa6 | 0xc5 | 0xe4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_sixteen_u16_grease_values_and_nothing_else() {
        let grease: Vec<u16> = (0..=u16::MAX).filter(|v| is_grease_u16(*v)).collect();
        let expected: Vec<u16> = (0..16u16).map(|n| 0x0a0a + n * 0x1010).collect();
        assert_eq!(grease, expected);
    }

    #[test]
    fn all_eight_u8_grease_values_and_nothing_else() {
        let grease: Vec<u8> = (0..=u8::MAX).filter(|v| is_grease_u8(*v)).collect();
        assert_eq!(grease, [0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6, 0xc5, 0xe4]);
    }
}
