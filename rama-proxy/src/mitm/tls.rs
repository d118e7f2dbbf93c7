//! What the MITM does with a tunnel, decided from its first bytes: decrypt (TLS offering
//! HTTP or no ALPN at all), or relay the bytes untouched (not TLS, or TLS for another
//! protocol).

use rama_tls::client_hello::ClientHello;
use rama_tls::types::{AlpnList, ApplicationProtocol};

/// What the MITM does with one CONNECT tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interception {
    /// Terminate TLS with a leaf for `server_name` and serve HTTP on the decrypted stream.
    Decrypt {
        /// The name the leaf is minted for: the SNI, or the CONNECT host without one.
        server_name: String,
    },
    /// Relay the bytes to the target without decrypting, for the reason given.
    Tunnel(TunnelReason),
}

/// Why a tunnel is relayed without decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelReason {
    /// The first bytes are not a TLS ClientHello (plain HTTP, SSH, ...).
    NotTls,
    /// A TLS ClientHello whose ALPN offer names no HTTP version the MITM serves
    /// (`imap`, `xmpp-client`, or `h2` only while h2 is off): decrypting would end in a
    /// handshake failure or a protocol the MITM cannot inspect.
    NonHttpAlpn,
}

impl std::fmt::Display for TunnelReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotTls => "not TLS",
            Self::NonHttpAlpn => "TLS for a protocol other than HTTP (by ALPN)",
        })
    }
}

/// The ALPN list the MITM's acceptor answers with: `h2` (when on), `http/1.1`, `http/1.0`.
/// rustls picks the first of these the client offered, so the agreed protocol is always one
/// the client asked for.
pub(crate) fn server_alpn(h2: bool) -> AlpnList {
    let mut list = AlpnList::new();
    if h2 {
        list.push(ApplicationProtocol::H2);
    }
    list.push(ApplicationProtocol::HTTP_11);
    list.push(ApplicationProtocol::HTTP_10);
    list
}

/// Decide from the peeked ClientHello (`None`: the bytes were not TLS) and the CONNECT
/// host what to do: decrypt when the client offered no ALPN or an HTTP version in
/// the ALPN list the MITM serves (h2 when enabled, http/1.1, http/1.0); else tunnel.
#[must_use]
pub fn classify(hello: Option<&ClientHello>, connect_host: &str, h2: bool) -> Interception {
    let Some(hello) = hello else {
        return Interception::Tunnel(TunnelReason::NotTls);
    };
    if let Some(offer) = hello.alpn()
        && !offer.is_empty()
        && server_alpn(h2).select(offer).is_none()
    {
        return Interception::Tunnel(TunnelReason::NonHttpAlpn);
    }
    let server_name = hello
        .server_name()
        .filter(|name| !name.is_empty())
        .unwrap_or(connect_host)
        .to_owned();
    Interception::Decrypt { server_name }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal TLS 1.3 ClientHello record with an optional SNI and ALPN list.
    fn hello(sni: Option<&str>, alpn: &[&str]) -> ClientHello {
        let mut ext = Vec::new();
        if let Some(name) = sni {
            let n = name.len() as u16;
            ext.extend([0x00, 0x00]);
            ext.extend((n + 5).to_be_bytes());
            ext.extend((n + 3).to_be_bytes());
            ext.push(0);
            ext.extend(n.to_be_bytes());
            ext.extend(name.as_bytes());
        }
        if !alpn.is_empty() {
            let list: Vec<u8> = alpn
                .iter()
                .flat_map(|p| std::iter::once(p.len() as u8).chain(p.bytes()))
                .collect();
            ext.extend([0x00, 0x10]);
            ext.extend((list.len() as u16 + 2).to_be_bytes());
            ext.extend((list.len() as u16).to_be_bytes());
            ext.extend(list);
        }
        ext.extend([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]);
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.push(0);
        body.extend([0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(ext);
        let mut record = vec![0x16, 0x03, 0x01];
        record.extend((body.len() as u16 + 4).to_be_bytes());
        record.extend([0x01, 0x00]);
        record.extend((body.len() as u16).to_be_bytes());
        record.extend(body);
        ClientHello::parse(&record).unwrap()
    }

    #[test]
    fn classify_table() {
        let decrypt = |name: &str| Interception::Decrypt {
            server_name: name.to_owned(),
        };
        let tunnel = Interception::Tunnel;
        // (case, sni, alpn offer, h2 on, expected)
        type Case = (
            &'static str,
            Option<&'static str>,
            &'static [&'static str],
            bool,
            Interception,
        );
        let cases: [Case; 9] = [
            (
                "browser",
                Some("a.test"),
                &["h2", "http/1.1"],
                true,
                decrypt("a.test"),
            ),
            ("h2 only", Some("a.test"), &["h2"], true, decrypt("a.test")),
            (
                "h2 only, h2 off",
                Some("a.test"),
                &["h2"],
                false,
                tunnel(TunnelReason::NonHttpAlpn),
            ),
            (
                "http/1.1, h2 off",
                Some("a.test"),
                &["h2", "http/1.1"],
                false,
                decrypt("a.test"),
            ),
            (
                "http/1.0",
                Some("a.test"),
                &["http/1.0"],
                true,
                decrypt("a.test"),
            ),
            ("no alpn", Some("a.test"), &[], true, decrypt("a.test")),
            (
                "no sni: connect host",
                None,
                &["http/1.1"],
                true,
                decrypt("127.0.0.1"),
            ),
            (
                "imap",
                Some("mail.test"),
                &["imap"],
                true,
                tunnel(TunnelReason::NonHttpAlpn),
            ),
            (
                "h3 only",
                Some("a.test"),
                &["h3"],
                true,
                tunnel(TunnelReason::NonHttpAlpn),
            ),
        ];
        for (case, sni, alpn, h2, expected) in cases {
            let hello = hello(sni, alpn);
            assert_eq!(classify(Some(&hello), "127.0.0.1", h2), expected, "{case}");
        }
        assert_eq!(
            classify(None, "a.test", true),
            Interception::Tunnel(TunnelReason::NotTls)
        );
    }

    #[test]
    fn server_alpn_prefers_h2_when_on() {
        let on = server_alpn(true);
        assert_eq!(on.as_slice()[0], ApplicationProtocol::H2);
        assert!(!server_alpn(false).contains(&ApplicationProtocol::H2));
        assert!(server_alpn(false).contains(&ApplicationProtocol::HTTP_11));
    }
}
