//! Proxy-username labels: `john-country-us-residential-session-abc` is the user `john` asking,
//! through the labels after the first separator, for an upstream in the US, residential, kept
//! for the session `abc`.
//!
//! Proxy providers carry routing choices in the username because it is the one field every
//! client can set (curl `-U`, browsers, SOCKS5). [`UsernameLabels::parse`] splits the username
//! at the separator (`-` by default): the first part is the account name that is
//! authenticated, the rest are labels, kept in order. What the labels mean (which take a
//! value) is the reader's business: [`proxydb`](crate::proxydb) reads them as filters.
//!
//! ```
//! use rama_proxy::username::UsernameLabels;
//!
//! let parsed = UsernameLabels::parse("john-country-us-residential", '-')?;
//! assert_eq!(parsed.base(), "john");
//! assert_eq!(parsed.labels(), ["country", "us", "residential"]);
//!
//! let plain = UsernameLabels::parse("john", '-')?;
//! assert!(plain.labels().is_empty());
//! # Ok::<(), rama_proxy::username::UsernameLabelsError>(())
//! ```

use std::fmt;

/// The default label separator.
pub const DEFAULT_SEPARATOR: char = '-';

/// Usernames longer than this are refused (a SOCKS5 username is at most 255 bytes; HTTP
/// Basic usernames are bounded the same way here).
pub const MAX_USERNAME_LEN: usize = 255;

/// At most this many labels are read from one username.
pub const MAX_LABELS: usize = 32;

/// A proxy username split into its account name and labels; see the [module docs](self).
///
/// It rides in the request's (or stream's) extensions once the proxy authenticated the
/// user, for the layers that pick an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameLabels {
    base: String,
    labels: Vec<String>,
}

impl UsernameLabels {
    /// Splits `username` at `separator`.
    ///
    /// # Errors
    ///
    /// When the username is empty, longer than [`MAX_USERNAME_LEN`], starts with the
    /// separator (no account name), has an empty label (`john--us`, `john-`), or more than
    /// [`MAX_LABELS`] labels.
    pub fn parse(username: &str, separator: char) -> Result<Self, UsernameLabelsError> {
        if username.is_empty() {
            return Err(UsernameLabelsError::new("the username is empty"));
        }
        if username.len() > MAX_USERNAME_LEN {
            return Err(UsernameLabelsError::new(format!(
                "the username is longer than {MAX_USERNAME_LEN} bytes"
            )));
        }
        let mut parts = username.split(separator);
        let base = parts.next().unwrap_or_default();
        if base.is_empty() {
            return Err(UsernameLabelsError::new(format!(
                "the username starts with the label separator {separator:?}"
            )));
        }
        let mut labels = Vec::new();
        for label in parts {
            if label.is_empty() {
                return Err(UsernameLabelsError::new(format!(
                    "empty label in the username (two {separator:?} in a row, or one at the end)"
                )));
            }
            if labels.len() == MAX_LABELS {
                return Err(UsernameLabelsError::new(format!(
                    "more than {MAX_LABELS} labels in the username"
                )));
            }
            labels.push(label.to_owned());
        }
        Ok(Self {
            base: base.to_owned(),
            labels,
        })
    }

    /// The account name: what is authenticated.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The labels after the account name, in order.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
}

/// Why a username could not be split into labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameLabelsError {
    reason: String,
}

impl UsernameLabelsError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for UsernameLabelsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid proxy username: {}", self.reason)
    }
}

impl std::error::Error for UsernameLabelsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok: [(&str, char, &str, &[&str]); 5] = [
            ("john", '-', "john", &[]),
            ("john-country-us", '-', "john", &["country", "us"]),
            (
                "john-country-us-residential-session-abc",
                '-',
                "john",
                &["country", "us", "residential", "session", "abc"],
            ),
            ("john_pool_a", '_', "john", &["pool", "a"]),
            ("jo-hn", '_', "jo-hn", &[]),
        ];
        for (input, sep, base, labels) in ok {
            let parsed = UsernameLabels::parse(input, sep).unwrap();
            assert_eq!(parsed.base(), base, "{input}");
            assert_eq!(parsed.labels(), labels, "{input}");
        }
        let long = "a".repeat(MAX_USERNAME_LEN + 1);
        let many = format!("a{}", "-x".repeat(MAX_LABELS + 1));
        let bad = [
            ("", "empty"),
            ("-us", "starts with"),
            ("john--us", "empty label"),
            ("john-", "empty label"),
            (long.as_str(), "longer than"),
            (many.as_str(), "more than"),
        ];
        for (input, msg) in bad {
            let err = UsernameLabels::parse(input, '-').unwrap_err();
            assert!(err.to_string().contains(msg), "{input}: {err}");
        }
        assert!(UsernameLabels::parse(&"a-x".repeat(MAX_LABELS / 2), '-').is_ok());
    }
}
