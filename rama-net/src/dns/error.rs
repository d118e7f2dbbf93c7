//! [`DnsError`]: why a name could not be resolved, naming the name.

use crate::address::Domain;
use rama_core::error::BoxError;
use std::fmt;
use std::time::Duration;

/// Why a lookup of a [`Domain`] failed. Returned by every resolver in this module.
///
/// The [`Display`](fmt::Display) text names the domain (it is not API: match on the `is_*`
/// predicates or [`kind`](DnsError::kind) instead); the cause, if any, is the
/// [`source`](std::error::Error::source).
///
/// ```
/// use rama_net::address::Domain;
/// use rama_net::dns::DnsError;
///
/// let err = DnsError::denied(Domain::from_static("ads.example"));
/// assert!(err.is_denied());
/// assert_eq!(err.domain().as_str(), "ads.example");
/// assert!(err.to_string().contains("ads.example"));
/// ```
#[derive(Debug)]
pub struct DnsError {
    domain: Domain,
    kind: DnsErrorKind,
    source: Option<BoxError>,
}

/// The kind of a [`DnsError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DnsErrorKind {
    /// The name does not exist, or has no address of the asked family.
    NotFound,
    /// A resolver policy (deny list, deny all) refused to resolve the name.
    Denied,
    /// The lookup did not finish in time.
    Timeout(Duration),
    /// The resolver failed otherwise (network error, bad response, ...); see the source.
    Failed,
}

impl DnsError {
    /// The name has no address (of the asked family).
    #[must_use]
    pub const fn not_found(domain: Domain) -> Self {
        Self::new(domain, DnsErrorKind::NotFound, None)
    }

    /// A resolver policy refused to resolve the name.
    #[must_use]
    pub const fn denied(domain: Domain) -> Self {
        Self::new(domain, DnsErrorKind::Denied, None)
    }

    /// The lookup did not finish within `after`.
    #[must_use]
    pub const fn timeout(domain: Domain, after: Duration) -> Self {
        Self::new(domain, DnsErrorKind::Timeout(after), None)
    }

    /// The resolver failed with `cause`.
    #[must_use]
    pub fn failed(domain: Domain, cause: impl Into<BoxError>) -> Self {
        Self::new(domain, DnsErrorKind::Failed, Some(cause.into()))
    }

    /// Convert the error of another resolver: a [`DnsError`] is kept as it is (so its kind
    /// survives a wrapping resolver), anything else becomes [`DnsErrorKind::Failed`].
    #[must_use]
    pub fn from_resolver_error(domain: Domain, err: impl Into<BoxError>) -> Self {
        match err.into().downcast::<Self>() {
            Ok(dns) => *dns,
            Err(other) => Self::new(domain, DnsErrorKind::Failed, Some(other)),
        }
    }

    /// Attach the underlying cause.
    #[must_use]
    pub fn with_source(mut self, cause: impl Into<BoxError>) -> Self {
        self.source = Some(cause.into());
        self
    }

    const fn new(domain: Domain, kind: DnsErrorKind, source: Option<BoxError>) -> Self {
        Self {
            domain,
            kind,
            source,
        }
    }

    /// The name that was looked up.
    #[must_use]
    pub const fn domain(&self) -> &Domain {
        &self.domain
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> DnsErrorKind {
        self.kind
    }

    /// The name does not exist or has no address of the asked family.
    #[must_use]
    pub const fn is_not_found(&self) -> bool {
        matches!(self.kind, DnsErrorKind::NotFound)
    }

    /// A resolver policy refused the name.
    #[must_use]
    pub const fn is_denied(&self) -> bool {
        matches!(self.kind, DnsErrorKind::Denied)
    }

    /// The lookup timed out.
    #[must_use]
    pub const fn is_timeout(&self) -> bool {
        matches!(self.kind, DnsErrorKind::Timeout(_))
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.domain.as_str();
        match self.kind {
            DnsErrorKind::NotFound => write!(f, "dns: no address found for {domain}"),
            DnsErrorKind::Denied => write!(f, "dns: resolving {domain} is denied"),
            DnsErrorKind::Timeout(after) => {
                write!(f, "dns: lookup of {domain} timed out after {after:?}")
            }
            DnsErrorKind::Failed => write!(f, "dns: lookup of {domain} failed"),
        }
    }
}

impl std::error::Error for DnsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Domain = Domain::from_static("example.com");

    #[test]
    fn from_resolver_error_keeps_dns_errors() {
        let err = DnsError::from_resolver_error(D, DnsError::denied(D));
        assert!(err.is_denied());
        let io = std::io::Error::other("boom");
        let err = DnsError::from_resolver_error(D, io);
        assert_eq!(err.kind(), DnsErrorKind::Failed);
        assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "boom");
    }

    #[test]
    fn display_names_domain_and_kind() {
        let cases = [
            (DnsError::not_found(D), "no address found for example.com"),
            (DnsError::denied(D), "resolving example.com is denied"),
            (
                DnsError::timeout(D, Duration::from_secs(2)),
                "lookup of example.com timed out after 2s",
            ),
            (DnsError::failed(D, "x"), "lookup of example.com failed"),
        ];
        for (err, want) in cases {
            assert!(err.to_string().contains(want), "{err} lacks {want}");
        }
    }
}
