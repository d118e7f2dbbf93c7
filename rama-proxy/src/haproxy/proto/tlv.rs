//! [`Tlv`]: the type-length-value fields after a v2 header's addresses, and the SSL TLV's
//! contents ([`SslInfo`]).

use super::HeaderError;

/// TLV kinds defined by the PROXY protocol specification (section 2.2).
pub mod kind {
    /// The application protocol negotiated by the client (ALPN), e.g. `h2`.
    pub const ALPN: u8 = 0x01;
    /// The host name the client asked for (e.g. its SNI), UTF-8.
    pub const AUTHORITY: u8 = 0x02;
    /// A CRC32c of the whole header, computed with this field zeroed (4 bytes).
    pub const CRC32C: u8 = 0x03;
    /// Padding, to be ignored.
    pub const NOOP: u8 = 0x04;
    /// An opaque connection id chosen by the proxy (at most 128 bytes).
    pub const UNIQUE_ID: u8 = 0x05;
    /// Facts about the client's TLS connection, with sub-TLVs (see [`SslInfo`](super::SslInfo)).
    pub const SSL: u8 = 0x20;
    /// SSL sub-TLV: the TLS version, e.g. `TLSv1.3`.
    pub const SSL_VERSION: u8 = 0x21;
    /// SSL sub-TLV: the common name of the client certificate.
    pub const SSL_CN: u8 = 0x22;
    /// SSL sub-TLV: the cipher, e.g. `ECDHE-RSA-AES128-GCM-SHA256`.
    pub const SSL_CIPHER: u8 = 0x23;
    /// SSL sub-TLV: the signature algorithm of the client certificate.
    pub const SSL_SIG_ALG: u8 = 0x24;
    /// SSL sub-TLV: the key algorithm of the client certificate.
    pub const SSL_KEY_ALG: u8 = 0x25;
    /// The network namespace the connection was accepted in, UTF-8.
    pub const NETNS: u8 = 0x30;
}

/// The most bytes a UNIQUE_ID TLV may hold.
pub const MAX_UNIQUE_ID_LEN: usize = 128;

/// One TLV: a kind byte and its value (at most 65535 bytes). Kinds this crate does not know
/// are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    /// The kind, one of [`kind`] or any other byte.
    pub kind: u8,
    /// The value.
    pub value: Vec<u8>,
}

impl Tlv {
    /// A TLV of `kind` holding `value`.
    #[must_use]
    pub fn new(kind: u8, value: impl Into<Vec<u8>>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// Parse a sequence of TLVs filling `buf` exactly.
pub(crate) fn parse_tlvs(mut buf: &[u8]) -> Result<Vec<Tlv>, HeaderError> {
    let mut tlvs = Vec::new();
    while !buf.is_empty() {
        let [kind, hi, lo, rest @ ..] = buf else {
            return Err(HeaderError::malformed(format!(
                "{} stray byte(s) where a TLV (3-byte head) was expected",
                buf.len()
            )));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if rest.len() < len {
            return Err(HeaderError::malformed(format!(
                "TLV 0x{kind:02x} says {len} bytes but only {} remain",
                rest.len()
            )));
        }
        let (value, tail) = rest.split_at(len);
        check_value(*kind, value)?;
        tlvs.push(Tlv::new(*kind, value));
        buf = tail;
    }
    Ok(tlvs)
}

/// Checks the TLVs whose size or contents the specification fixes.
fn check_value(kind: u8, value: &[u8]) -> Result<(), HeaderError> {
    match kind {
        kind::CRC32C if value.len() != 4 => Err(HeaderError::malformed(format!(
            "CRC32C TLV of {} bytes (must be 4)",
            value.len()
        ))),
        kind::UNIQUE_ID if value.len() > MAX_UNIQUE_ID_LEN => Err(HeaderError::malformed(format!(
            "UNIQUE_ID TLV of {} bytes (at most {MAX_UNIQUE_ID_LEN})",
            value.len()
        ))),
        kind::SSL => SslInfo::parse(value).map(drop),
        _ => Ok(()),
    }
}

/// Append `tlvs` in wire form to `out`.
pub(crate) fn write_tlvs(tlvs: &[Tlv], out: &mut Vec<u8>) -> Result<(), HeaderError> {
    for tlv in tlvs {
        let len = u16::try_from(tlv.value.len()).map_err(|_| {
            HeaderError::too_large(format!(
                "TLV 0x{:02x} of {} bytes (at most 65535)",
                tlv.kind,
                tlv.value.len()
            ))
        })?;
        check_value(tlv.kind, &tlv.value)?;
        out.push(tlv.kind);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&tlv.value);
    }
    Ok(())
}

/// The SSL TLV (`0x20`): whether and how the client spoke TLS to the proxy.
///
/// ```
/// use rama_proxy::haproxy::proto::{SslInfo, Tlv, kind};
///
/// let info = SslInfo {
///     client: SslInfo::CLIENT_SSL,
///     verify: 0,
///     sub_tlvs: vec![Tlv::new(kind::SSL_VERSION, b"TLSv1.3".to_vec())],
/// };
/// let parsed = SslInfo::parse(&info.to_bytes()?)?;
/// assert!(parsed.is_tls());
/// assert!(parsed.verified());
/// assert_eq!(parsed.version(), Some("TLSv1.3"));
/// # Ok::<(), rama_proxy::haproxy::proto::HeaderError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SslInfo {
    /// Bit field: [`CLIENT_SSL`](Self::CLIENT_SSL), [`CLIENT_CERT_CONN`](Self::CLIENT_CERT_CONN),
    /// [`CLIENT_CERT_SESS`](Self::CLIENT_CERT_SESS).
    pub client: u8,
    /// Zero when the client presented a certificate that was verified.
    pub verify: u32,
    /// The sub-TLVs ([`kind::SSL_VERSION`] and friends).
    pub sub_tlvs: Vec<Tlv>,
}

impl SslInfo {
    /// `client` bit: the client connected over TLS.
    pub const CLIENT_SSL: u8 = 0x01;
    /// `client` bit: the client sent a certificate on this connection.
    pub const CLIENT_CERT_CONN: u8 = 0x02;
    /// `client` bit: the client sent a certificate in this TLS session (maybe resumed).
    pub const CLIENT_CERT_SESS: u8 = 0x04;

    /// Parse an SSL TLV's value.
    ///
    /// # Errors
    ///
    /// When it is shorter than 5 bytes or its sub-TLVs are malformed.
    pub fn parse(value: &[u8]) -> Result<Self, HeaderError> {
        let [client, a, b, c, d, rest @ ..] = value else {
            return Err(HeaderError::malformed(format!(
                "SSL TLV of {} bytes (at least 5)",
                value.len()
            )));
        };
        Ok(Self {
            client: *client,
            verify: u32::from_be_bytes([*a, *b, *c, *d]),
            sub_tlvs: parse_tlvs(rest)?,
        })
    }

    /// The TLV value in wire form.
    ///
    /// # Errors
    ///
    /// When a sub-TLV is longer than 65535 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, HeaderError> {
        let mut out = vec![self.client];
        out.extend_from_slice(&self.verify.to_be_bytes());
        write_tlvs(&self.sub_tlvs, &mut out)?;
        Ok(out)
    }

    /// The client spoke TLS to the proxy.
    #[must_use]
    pub const fn is_tls(&self) -> bool {
        self.client & Self::CLIENT_SSL != 0
    }

    /// No certificate verification failed (`verify == 0`).
    #[must_use]
    pub const fn verified(&self) -> bool {
        self.verify == 0
    }

    fn sub_str(&self, kind: u8) -> Option<&str> {
        self.sub_tlvs
            .iter()
            .find(|tlv| tlv.kind == kind)
            .and_then(|tlv| std::str::from_utf8(&tlv.value).ok())
    }

    /// The TLS version sub-TLV.
    #[must_use]
    pub fn version(&self) -> Option<&str> {
        self.sub_str(kind::SSL_VERSION)
    }

    /// The client certificate's common name sub-TLV.
    #[must_use]
    pub fn common_name(&self) -> Option<&str> {
        self.sub_str(kind::SSL_CN)
    }

    /// The cipher sub-TLV.
    #[must_use]
    pub fn cipher(&self) -> Option<&str> {
        self.sub_str(kind::SSL_CIPHER)
    }
}
