//! ALPN protocol ids (RFC 7301) and the wire encoding of ALPN lists.

use bytes::Bytes;
use std::fmt;
use std::str::FromStr;

/// An ALPN protocol id such as `h2` or `http/1.1`: 1 to 255 opaque bytes.
///
/// ```
/// use rama_tls::types::ApplicationProtocol;
///
/// let h2 = ApplicationProtocol::try_from("h2").unwrap();
/// assert_eq!(h2, ApplicationProtocol::H2);
/// assert_eq!(h2.as_bytes(), b"h2");
/// assert_eq!(ApplicationProtocol::HTTP_11.to_string(), "http/1.1");
/// assert!(ApplicationProtocol::try_from("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationProtocol(Bytes);

impl ApplicationProtocol {
    /// `http/0.9`.
    pub const HTTP_09: Self = Self(Bytes::from_static(b"http/0.9"));
    /// `http/1.0`.
    pub const HTTP_10: Self = Self(Bytes::from_static(b"http/1.0"));
    /// `http/1.1`.
    pub const HTTP_11: Self = Self(Bytes::from_static(b"http/1.1"));
    /// `h2`: HTTP/2 over TLS.
    pub const H2: Self = Self(Bytes::from_static(b"h2"));
    /// `h2c`: HTTP/2 over cleartext TCP (registered, never sent in a TLS handshake).
    pub const H2C: Self = Self(Bytes::from_static(b"h2c"));
    /// `h3`: HTTP/3 (QUIC).
    pub const H3: Self = Self(Bytes::from_static(b"h3"));
    /// `spdy/3`.
    pub const SPDY_3: Self = Self(Bytes::from_static(b"spdy/3"));
    /// `acme-tls/1`: the ACME TLS-ALPN-01 challenge (RFC 8737).
    pub const ACME_TLS_1: Self = Self(Bytes::from_static(b"acme-tls/1"));

    /// Wraps a protocol id; fails when it is empty or longer than 255 bytes.
    pub fn new(id: impl Into<Bytes>) -> Result<Self, AlpnError> {
        let id = id.into();
        match id.len() {
            0 => Err(AlpnError::new("an ALPN protocol id is empty")),
            1..=255 => Ok(Self(id)),
            _ => Err(AlpnError::new(
                "an ALPN protocol id is longer than 255 bytes",
            )),
        }
    }

    /// The protocol id's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The protocol id as text, when it is UTF-8 (all registered ids are ASCII).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Whether this is a GREASE id (RFC 8701): the two bytes `0x?a 0x?a`, e.g. `0x1a 0x1a`.
    #[must_use]
    pub fn is_grease(&self) -> bool {
        match *self.0 {
            [a, b] => super::is_grease_u16(u16::from_be_bytes([a, b])),
            _ => false,
        }
    }
}

impl AsRef<[u8]> for ApplicationProtocol {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl TryFrom<&[u8]> for ApplicationProtocol {
    type Error = AlpnError;

    fn try_from(id: &[u8]) -> Result<Self, Self::Error> {
        Self::new(Bytes::copy_from_slice(id))
    }
}

impl TryFrom<&str> for ApplicationProtocol {
    type Error = AlpnError;

    fn try_from(id: &str) -> Result<Self, Self::Error> {
        Self::try_from(id.as_bytes())
    }
}

impl TryFrom<Vec<u8>> for ApplicationProtocol {
    type Error = AlpnError;

    fn try_from(id: Vec<u8>) -> Result<Self, Self::Error> {
        Self::new(id)
    }
}

impl TryFrom<Bytes> for ApplicationProtocol {
    type Error = AlpnError;

    fn try_from(id: Bytes) -> Result<Self, Self::Error> {
        Self::new(id)
    }
}

impl FromStr for ApplicationProtocol {
    type Err = AlpnError;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        Self::try_from(id)
    }
}

impl PartialEq<[u8]> for ApplicationProtocol {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<str> for ApplicationProtocol {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for ApplicationProtocol {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Display for ApplicationProtocol {
    /// Printable ASCII ids as text; anything else (GREASE, binary) as hex like `0x1a1a`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| b.is_ascii_graphic()) {
            // all bytes are ASCII, so this is valid UTF-8
            f.write_str(self.as_str().unwrap_or_default())
        } else {
            f.write_str("0x")?;
            self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
        }
    }
}

impl fmt::Debug for ApplicationProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApplicationProtocol({self})")
    }
}

/// An ordered ALPN list, most preferred first, with the wire encodings backends need.
///
/// Two encodings exist: the *protocol list* (each id prefixed by its one-byte length, what
/// OpenSSL/BoringSSL's `set_alpn_protos` take) and the *extension data* (that list prefixed
/// by its two-byte length, the body of the ALPN extension).
///
/// ```
/// use rama_tls::types::{AlpnList, ApplicationProtocol};
///
/// let list = AlpnList::from_iter([ApplicationProtocol::H2, ApplicationProtocol::HTTP_11]);
/// assert_eq!(list.to_wire(), b"\x02h2\x08http/1.1");
/// assert_eq!(AlpnList::from_wire(b"\x02h2\x08http/1.1").unwrap(), list);
/// assert_eq!(list.to_extension_data().unwrap(), b"\x00\x0c\x02h2\x08http/1.1");
/// assert!(AlpnList::from_wire(b"\x05h2").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlpnList(Vec<ApplicationProtocol>);

impl AlpnList {
    /// An empty list.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// `h2`, then `http/1.1`: what an HTTP client or server that speaks both offers.
    #[must_use]
    pub fn h2_http11() -> Self {
        Self(vec![ApplicationProtocol::H2, ApplicationProtocol::HTTP_11])
    }

    /// Appends a protocol (least preferred so far).
    pub fn push(&mut self, protocol: ApplicationProtocol) {
        self.0.push(protocol);
    }

    /// The protocols, most preferred first.
    #[must_use]
    pub fn as_slice(&self) -> &[ApplicationProtocol] {
        &self.0
    }

    /// Iterates over the protocols, most preferred first.
    pub fn iter(&self) -> std::slice::Iter<'_, ApplicationProtocol> {
        self.0.iter()
    }

    /// Number of protocols.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the list contains `protocol`.
    #[must_use]
    pub fn contains(&self, protocol: &ApplicationProtocol) -> bool {
        self.0.contains(protocol)
    }

    /// The first protocol of ours (in our order) that the peer also offers: how a server
    /// picks from a client's list.
    #[must_use]
    pub fn select(&self, offered: &Self) -> Option<&ApplicationProtocol> {
        self.0.iter().find(|p| offered.contains(p))
    }

    /// The protocols as owned byte vectors (what rustls's `alpn_protocols` takes).
    #[must_use]
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.0.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    /// The protocol list: each id prefixed by its one-byte length.
    #[must_use]
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.iter().map(|p| p.0.len() + 1).sum());
        for p in &self.0 {
            // `ApplicationProtocol` guarantees 1..=255 bytes
            out.push(u8::try_from(p.0.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&p.0);
        }
        out
    }

    /// Parses a protocol list (one-byte length prefixes, no outer length). Empty ids and
    /// lengths that run past the end are errors; an empty input is an empty list.
    pub fn from_wire(mut wire: &[u8]) -> Result<Self, AlpnError> {
        let mut list = Vec::new();
        while let [len, rest @ ..] = wire {
            let len = usize::from(*len);
            if len == 0 {
                return Err(AlpnError::new("an ALPN protocol id is empty"));
            }
            let Some((id, rest)) = rest.split_at_checked(len) else {
                return Err(AlpnError::new(
                    "an ALPN protocol id runs past the end of the list",
                ));
            };
            list.push(ApplicationProtocol(Bytes::copy_from_slice(id)));
            wire = rest;
        }
        Ok(Self(list))
    }

    /// The body of the ALPN extension: the protocol list behind its two-byte length. Fails
    /// when the list is empty (RFC 7301 requires at least one id) or longer than 65535 bytes.
    pub fn to_extension_data(&self) -> Result<Vec<u8>, AlpnError> {
        if self.0.is_empty() {
            return Err(AlpnError::new(
                "an ALPN extension needs at least one protocol",
            ));
        }
        let list = self.to_wire();
        let len = u16::try_from(list.len())
            .map_err(|_| AlpnError::new("an ALPN list is longer than 65535 bytes"))?;
        let mut out = Vec::with_capacity(list.len() + 2);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&list);
        Ok(out)
    }

    /// Parses the body of an ALPN extension (two-byte length, then the protocol list); the
    /// length must cover the data exactly and the list must not be empty.
    pub fn from_extension_data(data: &[u8]) -> Result<Self, AlpnError> {
        let [hi, lo, list @ ..] = data else {
            return Err(AlpnError::new(
                "an ALPN extension is shorter than its length field",
            ));
        };
        if usize::from(u16::from_be_bytes([*hi, *lo])) != list.len() {
            return Err(AlpnError::new(
                "an ALPN list length does not match the extension length",
            ));
        }
        let list = Self::from_wire(list)?;
        if list.is_empty() {
            return Err(AlpnError::new("an ALPN extension lists no protocol"));
        }
        Ok(list)
    }
}

impl FromIterator<ApplicationProtocol> for AlpnList {
    fn from_iter<I: IntoIterator<Item = ApplicationProtocol>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl From<Vec<ApplicationProtocol>> for AlpnList {
    fn from(list: Vec<ApplicationProtocol>) -> Self {
        Self(list)
    }
}

impl IntoIterator for AlpnList {
    type Item = ApplicationProtocol;
    type IntoIter = std::vec::IntoIter<ApplicationProtocol>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a AlpnList {
    type Item = &'a ApplicationProtocol;
    type IntoIter = std::slice::Iter<'a, ApplicationProtocol>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// An ALPN id or list that cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlpnError {
    reason: &'static str,
}

impl AlpnError {
    const fn new(reason: &'static str) -> Self {
        Self { reason }
    }
}

impl fmt::Display for AlpnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for AlpnError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_ids() {
        // (input, valid, display)
        let long = "x".repeat(256);
        let max = "x".repeat(255);
        let cases: [(&[u8], bool, &str); 6] = [
            (b"h2", true, "h2"),
            (b"http/1.1", true, "http/1.1"),
            (b"\x1a\x1a", true, "0x1a1a"),
            (b"", false, ""),
            (long.as_bytes(), false, ""),
            (max.as_bytes(), true, max.as_str()),
        ];
        for (input, valid, display) in cases {
            let parsed = ApplicationProtocol::try_from(input);
            assert_eq!(parsed.is_ok(), valid, "{input:?}");
            if let Ok(p) = parsed {
                assert_eq!(p.to_string(), display);
                assert_eq!(p.as_bytes(), input);
            }
        }
        assert!(
            ApplicationProtocol::try_from(&b"\x1a\x1a"[..])
                .unwrap()
                .is_grease()
        );
        assert!(!ApplicationProtocol::H2.is_grease());
        assert_eq!(ApplicationProtocol::HTTP_10, "http/1.0");
    }

    #[test]
    fn wire_lists() {
        // (protocol list bytes, parsed ids or None for an error)
        let cases: [(&[u8], Option<&[&str]>); 6] = [
            (b"", Some(&[])),
            (b"\x02h2", Some(&["h2"])),
            (b"\x02h2\x08http/1.1", Some(&["h2", "http/1.1"])),
            (b"\x00", None),
            (b"\x03h2", None),
            (b"\x02h2\x08http/1.", None),
        ];
        for (wire, expected) in cases {
            let parsed = AlpnList::from_wire(wire);
            match expected {
                Some(ids) => {
                    let list = parsed.unwrap();
                    let got: Vec<_> = list.iter().map(|p| p.to_string()).collect();
                    assert_eq!(got, ids);
                    assert_eq!(list.to_wire(), wire);
                }
                None => assert!(parsed.is_err(), "{wire:?}"),
            }
        }
    }

    #[test]
    fn extension_data() {
        let cases: [(&[u8], bool); 5] = [
            (b"\x00\x03\x02h2", true),
            (b"\x00\x04\x02h2", false),
            (b"\x00\x00", false),
            (b"\x00", false),
            (b"", false),
        ];
        for (data, ok) in cases {
            let parsed = AlpnList::from_extension_data(data);
            assert_eq!(parsed.is_ok(), ok, "{data:?}");
            if let Ok(list) = parsed {
                assert_eq!(list.to_extension_data().unwrap(), data);
            }
        }
        assert!(AlpnList::new().to_extension_data().is_err());
    }

    #[test]
    fn server_selection_follows_our_order() {
        let ours = AlpnList::h2_http11();
        let offered = AlpnList::from_iter([ApplicationProtocol::HTTP_11, ApplicationProtocol::H2]);
        assert_eq!(ours.select(&offered), Some(&ApplicationProtocol::H2));
        let only_h1 = AlpnList::from_iter([ApplicationProtocol::HTTP_11]);
        assert_eq!(ours.select(&only_h1), Some(&ApplicationProtocol::HTTP_11));
        assert_eq!(ours.select(&AlpnList::new()), None);
    }
}
