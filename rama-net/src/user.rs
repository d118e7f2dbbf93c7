//! User credentials: [`Basic`] (RFC 7617) and [`Bearer`] (RFC 6750) as sent in an
//! `Authorization` or `Proxy-Authorization` header, [`Credentials`] for either, and
//! [`UserId`], who a request was authenticated as.
//!
//! Secrets never leak through formatting: the [`Debug`](fmt::Debug) output of [`Basic`],
//! [`Bearer`], [`Credentials`] and [`UserId::Token`] redacts passwords and tokens, none of
//! them implements [`Display`](fmt::Display), and a [`CredentialsError`] never repeats the
//! input. Compare credentials with [`Basic::ct_eq`], [`Bearer::ct_eq`] or
//! [`constant_time_eq`], not `==`, when one side is a secret an attacker may probe.
//!
//! ```
//! use rama_net::user::{Basic, Credentials};
//!
//! let basic = Basic::new("aladdin", "open sesame")?;
//! assert_eq!(basic.to_header_value(), "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//!
//! let parsed: Credentials = "basic  YWxhZGRpbjpvcGVuIHNlc2FtZQ==".parse()?;
//! let Credentials::Basic(parsed) = parsed else { unreachable!() };
//! assert!(parsed.ct_eq(&basic));
//! assert_eq!(format!("{parsed:?}"), r#"Basic { username: "aladdin", password: "<redacted>" }"#);
//! # Ok::<(), rama_net::user::CredentialsError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use subtle::ConstantTimeEq as _;

/// The longest header value the parsers look at, in bytes.
pub const MAX_HEADER_VALUE_LEN: usize = 4096;

const REDACTED: &str = "<redacted>";

/// Compares two byte strings in time that depends only on their lengths, not on where they
/// differ (through the `subtle` crate). Whether the lengths are equal is not hidden.
///
/// Use it to check a secret (password, token) received from a peer against the expected one.
///
/// ```
/// use rama_net::user::constant_time_eq;
///
/// assert!(constant_time_eq(b"secret", b"secret"));
/// assert!(!constant_time_eq(b"secret", b"secreT"));
/// assert!(!constant_time_eq(b"secret", b"secret!"));
/// ```
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Why credentials were rejected. The input is deliberately not part of the error, so that a
/// logged error never holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsErrorKind {
    /// The header value is empty or has no credentials after the scheme.
    Empty,
    /// The header value is longer than [`MAX_HEADER_VALUE_LEN`].
    TooLong,
    /// The scheme is neither `Basic` nor `Bearer` (or not the one expected).
    UnsupportedScheme,
    /// The `Basic` payload is not valid padded base64.
    InvalidBase64,
    /// The decoded `Basic` payload is not UTF-8.
    InvalidUtf8,
    /// The decoded `Basic` payload has no `:` between user-id and password.
    MissingColon,
    /// The user-id holds a `:` or a control character.
    InvalidUsername,
    /// The password holds a control character.
    InvalidPassword,
    /// The bearer token is not `token68` (`A-Z a-z 0-9 - . _ ~ + /`, then optional `=`).
    InvalidToken,
}

/// The error returned when credentials do not parse or are not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    kind: CredentialsErrorKind,
}

impl CredentialsError {
    const fn new(kind: CredentialsErrorKind) -> Self {
        Self { kind }
    }

    /// Why the credentials were rejected.
    #[must_use]
    pub const fn kind(&self) -> CredentialsErrorKind {
        self.kind
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.kind {
            CredentialsErrorKind::Empty => "no credentials",
            CredentialsErrorKind::TooLong => "header value too long",
            CredentialsErrorKind::UnsupportedScheme => "unsupported authentication scheme",
            CredentialsErrorKind::InvalidBase64 => "Basic credentials are not valid base64",
            CredentialsErrorKind::InvalidUtf8 => "Basic credentials are not UTF-8",
            CredentialsErrorKind::MissingColon => "Basic credentials lack the ':' separator",
            CredentialsErrorKind::InvalidUsername => "user-id holds a ':' or a control character",
            CredentialsErrorKind::InvalidPassword => "password holds a control character",
            CredentialsErrorKind::InvalidToken => "bearer token is not token68",
        };
        write!(f, "invalid credentials: {reason}")
    }
}

impl std::error::Error for CredentialsError {}

/// Splits `Scheme credentials` and checks the scheme against `want` (case-insensitively).
fn strip_scheme<'a>(value: &'a str, want: &str) -> Result<&'a str, CredentialsError> {
    if value.len() > MAX_HEADER_VALUE_LEN {
        return Err(CredentialsError::new(CredentialsErrorKind::TooLong));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(CredentialsError::new(CredentialsErrorKind::Empty));
    }
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case(want) {
        return Err(CredentialsError::new(
            CredentialsErrorKind::UnsupportedScheme,
        ));
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err(CredentialsError::new(CredentialsErrorKind::Empty));
    }
    Ok(rest)
}

/// HTTP Basic credentials (RFC 7617): a user-id without `:` and a password, both UTF-8
/// without control characters. Either may be empty.
///
/// [`Debug`](fmt::Debug) shows the user-id and redacts the password.
#[derive(Clone)]
pub struct Basic {
    username: String,
    password: String,
}

impl Basic {
    /// Creates Basic credentials, rejecting a user-id with `:` or control characters, a
    /// password with control characters, and credentials whose header value would exceed
    /// [`MAX_HEADER_VALUE_LEN`].
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, CredentialsError> {
        let username = username.into();
        let password = password.into();
        if username.contains(':') || username.chars().any(char::is_control) {
            return Err(CredentialsError::new(CredentialsErrorKind::InvalidUsername));
        }
        if password.chars().any(char::is_control) {
            return Err(CredentialsError::new(CredentialsErrorKind::InvalidPassword));
        }
        let encoded_len = "Basic ".len() + 4 * (username.len() + 1 + password.len()).div_ceil(3);
        if encoded_len > MAX_HEADER_VALUE_LEN {
            return Err(CredentialsError::new(CredentialsErrorKind::TooLong));
        }
        Ok(Self { username, password })
    }

    /// Parses the decoded form `user-id:password`, split at the first `:` (as in a URL's
    /// user info or curl's `-u`).
    pub fn from_user_pass(decoded: &str) -> Result<Self, CredentialsError> {
        let (username, password) = decoded
            .split_once(':')
            .ok_or(CredentialsError::new(CredentialsErrorKind::MissingColon))?;
        Self::new(username, password)
    }

    /// Parses a header value `Basic <base64(user-id:password)>`; the scheme is
    /// case-insensitive and spaces or tabs around the parts are skipped.
    pub fn from_header_value(value: &str) -> Result<Self, CredentialsError> {
        let encoded = strip_scheme(value, "Basic")?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| CredentialsError::new(CredentialsErrorKind::InvalidBase64))?;
        let decoded = String::from_utf8(bytes)
            .map_err(|_| CredentialsError::new(CredentialsErrorKind::InvalidUtf8))?;
        Self::from_user_pass(&decoded)
    }

    /// The header value: `Basic ` and the base64 of `user-id:password`.
    #[must_use]
    pub fn to_header_value(&self) -> String {
        let mut plain = String::with_capacity(self.username.len() + 1 + self.password.len());
        plain.push_str(&self.username);
        plain.push(':');
        plain.push_str(&self.password);
        format!("Basic {}", BASE64.encode(plain))
    }

    /// The user-id.
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    #[must_use]
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Compares user-id and password with [`constant_time_eq`]; both are always compared.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        let user = self.username.as_bytes().ct_eq(other.username.as_bytes());
        let pass = self.password.as_bytes().ct_eq(other.password.as_bytes());
        (user & pass).into()
    }
}

impl FromStr for Basic {
    type Err = CredentialsError;

    /// Same as [`Basic::from_header_value`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_header_value(s)
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .finish()
    }
}

/// A bearer token (RFC 6750), validated as `token68`: one or more of
/// `A-Z a-z 0-9 - . _ ~ + /`, followed by any number of `=`.
///
/// [`Debug`](fmt::Debug) redacts the token.
#[derive(Clone)]
pub struct Bearer(String);

impl Bearer {
    /// Creates a bearer token after checking the `token68` syntax and that its header value
    /// fits in [`MAX_HEADER_VALUE_LEN`].
    pub fn new(token: impl Into<String>) -> Result<Self, CredentialsError> {
        let token = token.into();
        if "Bearer ".len() + token.len() > MAX_HEADER_VALUE_LEN {
            return Err(CredentialsError::new(CredentialsErrorKind::TooLong));
        }
        if !is_token68(&token) {
            return Err(CredentialsError::new(CredentialsErrorKind::InvalidToken));
        }
        Ok(Self(token))
    }

    /// Parses a header value `Bearer <token68>`; the scheme is case-insensitive.
    pub fn from_header_value(value: &str) -> Result<Self, CredentialsError> {
        Self::new(strip_scheme(value, "Bearer")?)
    }

    /// The header value: `Bearer <token>`.
    #[must_use]
    pub fn to_header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// The token.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.0
    }

    /// Compares the tokens with [`constant_time_eq`].
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

impl FromStr for Bearer {
    type Err = CredentialsError;

    /// Same as [`Bearer::from_header_value`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_header_value(s)
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Bearer").field(&REDACTED).finish()
    }
}

/// Either kind of credentials, as found in an `Authorization` or `Proxy-Authorization`
/// header; [`FromStr`] picks by scheme.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `Basic` credentials.
    Basic(Basic),
    /// A `Bearer` token.
    Bearer(Bearer),
}

impl Credentials {
    /// The header value.
    #[must_use]
    pub fn to_header_value(&self) -> String {
        match self {
            Self::Basic(b) => b.to_header_value(),
            Self::Bearer(b) => b.to_header_value(),
        }
    }

    /// Compares in constant time ([`Basic::ct_eq`], [`Bearer::ct_eq`]); different kinds are
    /// never equal.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Basic(a), Self::Basic(b)) => a.ct_eq(b),
            (Self::Bearer(a), Self::Bearer(b)) => a.ct_eq(b),
            _ => false,
        }
    }

    /// Who these credentials name: the user-id for `Basic`, the token for `Bearer`.
    #[must_use]
    pub fn user_id(&self) -> UserId {
        match self {
            Self::Basic(b) => UserId::Username(b.username.clone()),
            Self::Bearer(b) => UserId::Token(b.0.clone()),
        }
    }
}

impl FromStr for Credentials {
    type Err = CredentialsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Basic::from_header_value(s) {
            Err(e) if e.kind() == CredentialsErrorKind::UnsupportedScheme => {
                Bearer::from_header_value(s).map(Self::Bearer)
            }
            other => other.map(Self::Basic),
        }
    }
}

impl From<Basic> for Credentials {
    fn from(b: Basic) -> Self {
        Self::Basic(b)
    }
}

impl From<Bearer> for Credentials {
    fn from(b: Bearer) -> Self {
        Self::Bearer(b)
    }
}

/// Who a request was authenticated as; an authentication layer stores it in the request's
/// extensions for the services after it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum UserId {
    /// A user name (a `Basic` user-id, a SOCKS5 user name).
    Username(String),
    /// A token; [`Debug`](fmt::Debug) redacts it.
    Token(String),
    /// No credentials were required or given.
    Anonymous,
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Username(name) => f.debug_tuple("Username").field(name).finish(),
            Self::Token(_) => f.debug_tuple("Token").field(&REDACTED).finish(),
            Self::Anonymous => f.write_str("Anonymous"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialsErrorKind as K;

    #[test]
    fn basic_header_table() {
        let good: &[(&str, &str, &str)] = &[
            // RFC 7617 section 2 example
            (
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
                "Aladdin",
                "open sesame",
            ),
            (
                "basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
                "Aladdin",
                "open sesame",
            ),
            (
                "  BASIC \t QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ",
                "Aladdin",
                "open sesame",
            ),
            // "user:" and ":pass" and "a:b:c" (password may hold ':')
            ("Basic dXNlcjo=", "user", ""),
            ("Basic OnBhc3M=", "", "pass"),
            ("Basic YTpiOmM=", "a", "b:c"),
            // RFC 7617 section 2.1 UTF-8 example: "test:123£"
            ("Basic dGVzdDoxMjPCow==", "test", "123£"),
        ];
        for (value, user, pass) in good {
            let b = Basic::from_header_value(value).unwrap();
            assert_eq!((b.username(), b.password()), (*user, *pass), "{value}");
            let again = Basic::from_header_value(&b.to_header_value()).unwrap();
            assert!(again.ct_eq(&b));
        }

        let long = format!("Basic {}", "A".repeat(MAX_HEADER_VALUE_LEN));
        let bad: &[(&str, CredentialsErrorKind)] = &[
            ("", K::Empty),
            ("   ", K::Empty),
            ("Basic", K::Empty),
            ("Basic   ", K::Empty),
            ("Bearer abc", K::UnsupportedScheme),
            ("Basically QWxh", K::UnsupportedScheme),
            ("Basic !!!!", K::InvalidBase64),
            ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", K::InvalidBase64),
            ("Basic QWxh ZGRp", K::InvalidBase64),
            ("Basic /w==", K::InvalidUtf8),
            ("Basic dXNlcg==", K::MissingColon),
            ("Basic dQp4Onk=", K::InvalidUsername),
            ("Basic dTpwCg==", K::InvalidPassword),
            (&long, K::TooLong),
        ];
        for (value, kind) in bad {
            let err = Basic::from_header_value(value).unwrap_err();
            assert_eq!(err.kind(), *kind, "{value:?}");
        }
    }

    #[test]
    fn basic_new_validates() {
        assert_eq!(
            Basic::new("a:b", "c").unwrap_err().kind(),
            K::InvalidUsername
        );
        assert_eq!(
            Basic::new("a\0", "c").unwrap_err().kind(),
            K::InvalidUsername
        );
        assert_eq!(
            Basic::new("a", "c\r\n").unwrap_err().kind(),
            K::InvalidPassword
        );
        assert!(Basic::new("", "").is_ok());
    }

    #[test]
    fn basic_round_trip_loop() {
        let pieces = ["", "a", "user", "p@ss word", "ünï", "x:y", "==", "+/"];
        for user in pieces.iter().filter(|u| !u.contains(':')) {
            for pass in pieces {
                let b = Basic::new(*user, pass).unwrap();
                let back = Basic::from_header_value(&b.to_header_value()).unwrap();
                assert_eq!((back.username(), back.password()), (*user, pass));
            }
        }
    }

    #[test]
    fn length_limit_is_the_same_for_new_and_parse() {
        // "Basic " + base64 of 3071 bytes (4096 - 6 = 4090 -> 1022 groups of 4 -> 3066 bytes)
        let fits = Basic::new("u", "p".repeat(3066 - 2)).unwrap();
        assert_eq!(fits.to_header_value().len(), 6 + 4088);
        assert!(Basic::from_header_value(&fits.to_header_value()).is_ok());
        let err = Basic::new("u", "p".repeat(3066 + 1)).unwrap_err();
        assert_eq!(err.kind(), K::TooLong);

        let token = "t".repeat(MAX_HEADER_VALUE_LEN - "Bearer ".len());
        let b = Bearer::new(token.clone()).unwrap();
        assert!(Bearer::from_header_value(&b.to_header_value()).is_ok());
        assert_eq!(Bearer::new(token + "t").unwrap_err().kind(), K::TooLong);
    }

    #[test]
    fn bearer_table() {
        for token in ["abc", "a-b.c_d~e+f/g", "abc==", "A1="] {
            let b = Bearer::from_header_value(&format!("Bearer {token}")).unwrap();
            assert_eq!(b.token(), token);
            assert!(
                Bearer::from_header_value(&b.to_header_value())
                    .unwrap()
                    .ct_eq(&b)
            );
        }
        assert_eq!(
            Bearer::from_header_value("bearer xyz").unwrap().token(),
            "xyz"
        );
        let bad: &[(&str, CredentialsErrorKind)] = &[
            ("Bearer", K::Empty),
            ("Bearer =", K::InvalidToken),
            ("Bearer a=b", K::InvalidToken),
            ("Bearer a b", K::InvalidToken),
            ("Bearer a,b", K::InvalidToken),
            ("Bearer ä", K::InvalidToken),
            ("Basic abc", K::UnsupportedScheme),
        ];
        for (value, kind) in bad {
            assert_eq!(
                Bearer::from_header_value(value).unwrap_err().kind(),
                *kind,
                "{value}"
            );
        }
    }

    #[test]
    fn credentials_dispatch_by_scheme() {
        let c: Credentials = "Bearer tok".parse().unwrap();
        assert!(matches!(&c, Credentials::Bearer(b) if b.token() == "tok"));
        assert_eq!(c.user_id(), UserId::Token("tok".into()));
        let c: Credentials = "Basic dXNlcjpwYXNz".parse().unwrap();
        assert_eq!(c.user_id(), UserId::Username("user".into()));
        assert!(!c.ct_eq(&"Bearer tok".parse().unwrap()));
        let err = "Digest abc".parse::<Credentials>().unwrap_err();
        assert_eq!(err.kind(), K::UnsupportedScheme);
        let err = "Basic !".parse::<Credentials>().unwrap_err();
        assert_eq!(err.kind(), K::InvalidBase64);
    }

    #[test]
    fn debug_redacts_secrets() {
        let basic = Basic::new("alice", "hunter2").unwrap();
        let bearer = Bearer::new("s3cr3t").unwrap();
        let outputs = [
            format!("{basic:?}"),
            format!("{bearer:?}"),
            format!("{:?}", Credentials::Basic(basic.clone())),
            format!("{:?}", Credentials::Bearer(bearer.clone())),
            format!("{:?}", UserId::Token("s3cr3t".into())),
        ];
        for out in &outputs {
            assert!(!out.contains("hunter2") && !out.contains("s3cr3t"), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
        assert!(outputs[0].contains("alice"));
    }

    #[test]
    fn ct_eq_compares_everything() {
        let a = Basic::new("alice", "pw").unwrap();
        assert!(a.ct_eq(&Basic::new("alice", "pw").unwrap()));
        assert!(!a.ct_eq(&Basic::new("alice", "pW").unwrap()));
        assert!(!a.ct_eq(&Basic::new("alicE", "pw").unwrap()));
        assert!(!a.ct_eq(&Basic::new("alice", "pw2").unwrap()));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"a", b""));
    }
}
