//! [`Domain`]: a validated DNS name in its ASCII form.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use super::error::{AddressKind, AddressParseError, AddressParseErrorKind};

/// The longest domain, in ASCII bytes, without a trailing dot (RFC 1035 section 2.3.4).
pub const MAX_DOMAIN_LEN: usize = 253;
/// The longest label, in ASCII bytes (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// The longest raw input [`Domain::from_str`] looks at before IDNA conversion; anything
/// longer is rejected up front so that a hostile input costs no work.
const MAX_RAW_INPUT_LEN: usize = 1024;

/// A validated DNS name, stored in its ASCII form: lowercase, internationalised labels as
/// punycode (`xn--...`), without a trailing dot.
///
/// # Accepted input
///
/// Parsing ([`FromStr`], [`TryFrom<&str>`], [`TryFrom<String>`]) runs the UTS 46 ToASCII
/// mapping from the `idna` crate (so `Bücher.Example` becomes `xn--bcher-kva.example`), then
/// checks the result:
///
/// - at most 253 bytes in total and 1 to 63 bytes per label;
/// - labels hold only `a-z`, `0-9`, `-` and `_` (the underscore appears in real names such as
///   `_dmarc.example.com` and SRV records), and do not start or end with `-`;
/// - the last label is not numeric (`127.1`, `0x7f.1`): system resolvers read such names as
///   IPv4 addresses, which would let a name slip past an IP deny list. IP addresses are
///   [`Host::Address`](super::Host::Address), never a `Domain`;
/// - one trailing dot (the DNS root, `example.com.`) is accepted and dropped: `example.com.`
///   and `example.com` are the same `Domain`. A lone `.` is rejected.
///
/// Comparison, hashing and ordering use the ASCII form, so they are case-insensitive with
/// respect to the input. A `Domain` also compares equal to a `str` holding the same ASCII
/// name in any case, with or without trailing dot (no IDNA mapping is applied to the `str`).
///
/// ```
/// use rama_net::address::Domain;
///
/// let d: Domain = "WWW.Bücher.Example.".parse()?;
/// assert_eq!(d.as_str(), "www.xn--bcher-kva.example");
/// assert!(d.is_subdomain_of(&Domain::from_static("xn--bcher-kva.example")));
///
/// assert!("exa mple.com".parse::<Domain>().is_err());
/// assert!("127.1".parse::<Domain>().is_err());
/// # Ok::<(), rama_net::address::AddressParseError>(())
/// ```
#[derive(Clone)]
pub struct Domain(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Domain {
    /// Creates a domain from a literal already in normalised ASCII form (lowercase `a-z`,
    /// `0-9`, `-`, `_`, dots between labels, no trailing dot), checked by the same rules as
    /// parsing except IDNA mapping.
    ///
    /// This is a `const fn`: in a `const` or `static` an invalid literal is a compile error.
    ///
    /// ```
    /// use rama_net::address::Domain;
    ///
    /// const EXAMPLE: Domain = Domain::from_static("example.com");
    /// assert_eq!(EXAMPLE.as_str(), "example.com");
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when `s` is not a valid normalised domain. Use it only with literals; parse
    /// run-time input with [`str::parse`] or [`Domain::try_from`], which return an error.
    #[must_use]
    #[expect(
        clippy::panic,
        reason = "a const constructor for literals; in const context the panic is a compile error"
    )]
    pub const fn from_static(s: &'static str) -> Self {
        match check_ascii_domain(s.as_bytes()) {
            Ok(()) => Self(Repr::Static(s)),
            Err(_) => panic!("Domain::from_static: invalid or non-normalised domain literal"),
        }
    }

    /// The domain in ASCII form, without a trailing dot.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// The labels from left to right: `www.example.com` gives `www`, `example`, `com`.
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.as_str().split('.')
    }

    /// Whether `self` equals `parent` or lies below it: `a.example.com` and `example.com` are
    /// subdomains of `example.com`; `badexample.com` is not.
    #[must_use]
    pub fn is_subdomain_of(&self, parent: &Domain) -> bool {
        self.has_suffix(parent.as_str())
    }

    /// Whether `self` is strictly below `parent` (a subdomain that is not `parent` itself).
    #[must_use]
    pub fn is_strict_subdomain_of(&self, parent: &Domain) -> bool {
        self.as_str().len() > parent.as_str().len() && self.is_subdomain_of(parent)
    }

    /// Whether the domain ends with the labels of `suffix`, compared label by label and
    /// ASCII case-insensitively: `www.example.com` has the suffixes `com`, `example.com` and
    /// `www.example.com`, but not `ample.com`. A leading or trailing dot in `suffix` is
    /// ignored; an empty suffix matches nothing.
    #[must_use]
    pub fn has_suffix(&self, suffix: &str) -> bool {
        let suffix = suffix.strip_prefix('.').unwrap_or(suffix);
        let suffix = suffix.strip_suffix('.').unwrap_or(suffix);
        if suffix.is_empty() {
            return false;
        }
        let name = self.as_str().as_bytes();
        let suffix = suffix.as_bytes();
        if suffix.len() > name.len() {
            return false;
        }
        let start = name.len() - suffix.len();
        name[start..].eq_ignore_ascii_case(suffix) && (start == 0 || name[start - 1] == b'.')
    }

    /// The parent domain, one label up: `www.example.com` gives `example.com`; a single-label
    /// domain gives `None`.
    #[must_use]
    pub fn parent(&self) -> Option<Domain> {
        let (_, rest) = self.as_str().split_once('.')?;
        Some(Self(Repr::Shared(Arc::from(rest))))
    }

    /// Whether the name is `localhost` or below it (`app.localhost`), names that RFC 6761
    /// reserves for the loopback interface.
    #[must_use]
    pub fn is_localhost(&self) -> bool {
        self.has_suffix("localhost")
    }
}

/// Validates `input` and converts it to a [`Domain`]; see the type docs for the rules.
fn parse_domain(input: &str) -> Result<Domain, AddressParseError> {
    let err = |kind| AddressParseError::new(AddressKind::Domain, kind, input);
    if input.is_empty() {
        return Err(err(AddressParseErrorKind::Empty));
    }
    if input.len() > MAX_RAW_INPUT_LEN {
        return Err(err(AddressParseErrorKind::TooLong));
    }
    let ascii = Uts46::new()
        .to_ascii(
            input.as_bytes(),
            // ASCII is checked below, with a precise error, by `check_ascii_domain`.
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| err(AddressParseErrorKind::Idna))?;
    let trimmed = ascii.strip_suffix('.').unwrap_or(&ascii);
    if trimmed.is_empty() {
        return Err(err(AddressParseErrorKind::EmptyLabel));
    }
    check_ascii_domain(trimmed.as_bytes()).map_err(err)?;
    Ok(Domain(Repr::Shared(Arc::from(trimmed))))
}

/// Checks the rules of a normalised ASCII domain (see [`Domain`]); `const` so that
/// [`Domain::from_static`] can run it at compile time.
const fn check_ascii_domain(s: &[u8]) -> Result<(), AddressParseErrorKind> {
    if s.is_empty() {
        return Err(AddressParseErrorKind::Empty);
    }
    if s.len() > MAX_DOMAIN_LEN {
        return Err(AddressParseErrorKind::TooLong);
    }
    let mut label_start = 0;
    let mut i = 0;
    while i <= s.len() {
        if i == s.len() || s[i] == b'.' {
            let len = i - label_start;
            if len == 0 {
                return Err(AddressParseErrorKind::EmptyLabel);
            }
            if len > MAX_LABEL_LEN {
                return Err(AddressParseErrorKind::LabelTooLong);
            }
            if s[label_start] == b'-' || s[i - 1] == b'-' {
                return Err(AddressParseErrorKind::InvalidHyphen);
            }
            if i == s.len() && is_numeric_label(s, label_start) {
                return Err(AddressParseErrorKind::NumericName);
            }
            label_start = i + 1;
        } else {
            let c = s[i];
            if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_') {
                return Err(AddressParseErrorKind::InvalidCharacter);
            }
        }
        i += 1;
    }
    Ok(())
}

/// Whether the label from `start` to the end of `s` is a number as IPv4 parsers read it:
/// decimal or octal digits, or `0x` followed by hex digits (also a bare `0x`).
const fn is_numeric_label(s: &[u8], start: usize) -> bool {
    let mut i = start;
    let hex = s.len() - start >= 2 && s[start] == b'0' && s[start + 1] == b'x';
    if hex {
        i += 2;
    }
    while i < s.len() {
        let c = s[i];
        let ok = if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

impl FromStr for Domain {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_domain(s)
    }
}

impl TryFrom<&str> for Domain {
    type Error = AddressParseError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        parse_domain(s)
    }
}

impl TryFrom<String> for Domain {
    type Error = AddressParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse_domain(&s)
    }
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Domain {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Domain").field(&self.as_str()).finish()
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Domain {}

impl PartialEq<str> for Domain {
    fn eq(&self, other: &str) -> bool {
        self.as_str()
            .eq_ignore_ascii_case(other.strip_suffix('.').unwrap_or(other))
    }
}

impl PartialEq<&str> for Domain {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Hash for Domain {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Domain {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Domain {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressParseErrorKind as K;

    #[test]
    fn parses_good_table() {
        let label63 = "a".repeat(63);
        // 4 labels of 63 plus 3 dots = 255 > 253, so build exactly 253: 63+1+63+1+63+1+61
        let max_len = format!("{label63}.{label63}.{label63}.{}", "b".repeat(61));
        assert_eq!(max_len.len(), MAX_DOMAIN_LEN);
        let max_len_dot = format!("{max_len}.");
        let cases: &[(&str, &str)] = &[
            ("example.com", "example.com"),
            ("EXAMPLE.Com", "example.com"),
            ("example.com.", "example.com"),
            ("localhost", "localhost"),
            ("a", "a"),
            ("_dmarc.example.com", "_dmarc.example.com"),
            ("r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"),
            ("123.example", "123.example"),
            ("a.0xg", "a.0xg"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.example", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("☃.net", "xn--n3h.net"),
            ("example。com", "example.com"),
            ("ｅｘａｍｐｌｅ.com", "example.com"),
            (&label63, &label63),
            (&max_len, &max_len),
            (&max_len_dot, &max_len),
        ];
        for (input, want) in cases {
            let d: Domain = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(d.as_str(), *want, "{input}");
            assert_eq!(d.to_string().parse::<Domain>().unwrap(), d, "{input}");
            assert_eq!(Domain::try_from(*input).unwrap(), d);
            assert_eq!(Domain::try_from(input.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn rejects_bad_table() {
        let label64 = "a".repeat(64);
        let too_long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "b".repeat(62)
        );
        assert_eq!(too_long.len(), MAX_DOMAIN_LEN + 1);
        let huge = "a".repeat(100_000);
        let cases: &[(&str, AddressParseErrorKind)] = &[
            ("", K::Empty),
            (".", K::EmptyLabel),
            ("..", K::EmptyLabel),
            (".example.com", K::EmptyLabel),
            ("example..com", K::EmptyLabel),
            ("example.com..", K::EmptyLabel),
            (&label64, K::LabelTooLong),
            (&too_long, K::TooLong),
            (&huge, K::TooLong),
            ("exa mple.com", K::InvalidCharacter),
            (" example.com", K::InvalidCharacter),
            ("example.com/", K::InvalidCharacter),
            ("user@example.com", K::InvalidCharacter),
            ("example.com:80", K::InvalidCharacter),
            ("*.example.com", K::InvalidCharacter),
            ("exa%mple.com", K::InvalidCharacter),
            ("a\0b", K::InvalidCharacter),
            ("ｅｘａｍｐｌｅ／com", K::InvalidCharacter),
            ("-example.com", K::InvalidHyphen),
            ("example-.com", K::InvalidHyphen),
            ("1.2.3.4", K::NumericName),
            ("127.1", K::NumericName),
            ("2130706433", K::NumericName),
            ("0x7f.1", K::NumericName),
            ("0X7F.0X1", K::NumericName),
            ("example.0x", K::NumericName),
            ("01.02.03.04", K::NumericName),
            ("xn--a.example", K::Idna),
        ];
        for (input, kind) in cases {
            let err = input.parse::<Domain>().unwrap_err();
            assert_eq!(err.kind(), *kind, "{input:?}: {err}");
        }
    }

    #[test]
    fn from_static_matches_parse() {
        const D: Domain = Domain::from_static("www.example.com");
        assert_eq!(D, "www.example.com".parse::<Domain>().unwrap());
        assert_eq!(D, "WWW.example.com.");
        assert_ne!(D, "example.com");
        for bad in ["", "A.com", "a..b", "-a", "1.2.3.4", "a b", "a.com."] {
            assert!(check_ascii_domain(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    #[should_panic(expected = "invalid or non-normalised")]
    fn from_static_panics_at_run_time_on_bad_literal() {
        let s: &'static str = Box::leak(String::from("Bad..Domain").into_boxed_str());
        let _ = Domain::from_static(s);
    }

    #[test]
    fn suffix_and_subdomain() {
        let d: Domain = "www.example.com".parse().unwrap();
        let parent: Domain = "example.com".parse().unwrap();
        assert!(d.is_subdomain_of(&parent));
        assert!(d.is_strict_subdomain_of(&parent));
        assert!(parent.is_subdomain_of(&parent));
        assert!(!parent.is_strict_subdomain_of(&parent));
        assert!(
            !"badexample.com"
                .parse::<Domain>()
                .unwrap()
                .is_subdomain_of(&parent)
        );
        assert!(!parent.is_subdomain_of(&d));
        for (suffix, want) in [
            ("com", true),
            ("example.com", true),
            (".example.com", true),
            ("Example.COM.", true),
            ("www.example.com", true),
            ("ample.com", false),
            ("", false),
            (".", false),
            ("xwww.example.com", false),
        ] {
            assert_eq!(d.has_suffix(suffix), want, "{suffix}");
        }
        assert_eq!(d.parent(), Some(parent.clone()));
        assert_eq!(parent.parent().unwrap().as_str(), "com");
        assert_eq!(parent.parent().unwrap().parent(), None);
        assert_eq!(d.labels().collect::<Vec<_>>(), ["www", "example", "com"]);
    }

    #[test]
    fn localhost() {
        for (input, want) in [
            ("localhost", true),
            ("LOCALHOST.", true),
            ("app.localhost", true),
            ("localhost.example.com", false),
            ("notlocalhost", false),
        ] {
            assert_eq!(
                input.parse::<Domain>().unwrap().is_localhost(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn eq_hash_ord_use_ascii_form() {
        use std::collections::HashSet;
        let a: Domain = "Bücher.example".parse().unwrap();
        let b: Domain = "xn--bcher-kva.example.".parse().unwrap();
        assert_eq!(a, b);
        let set: HashSet<Domain> = [a.clone(), b].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains("xn--bcher-kva.example"));
        let mut v: Vec<Domain> = ["b.com", "a.com", "c.com"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        assert_eq!(
            v.iter().map(Domain::as_str).collect::<Vec<_>>(),
            ["a.com", "b.com", "c.com"]
        );
        assert_eq!(format!("{a:?}"), "Domain(\"xn--bcher-kva.example\")");
    }
}
