//! Who may use the server: [`Socks5Auth`] (no authentication, or username/password users
//! compared in constant time, optionally with username labels).

use crate::socks5::proto::{AuthMethod, UsernamePasswordRequest};
use crate::username::UsernameLabels;
use rama_net::user::{Basic, UserId};
use std::sync::Arc;

/// The authentication a [`Socks5Acceptor`](super::Socks5Acceptor) requires.
///
/// ```
/// use rama_net::user::Basic;
/// use rama_proxy::socks5::server::Socks5Auth;
///
/// let open = Socks5Auth::none();
/// let users = Socks5Auth::users([Basic::new("john", "secret")?])
///     .with_username_labels('-'); // "john-country-us" logs in as john
/// # Ok::<(), rama_net::user::CredentialsError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Socks5Auth {
    users: Option<Arc<[Basic]>>,
    label_separator: Option<char>,
}

/// What a successful login established; goes into the `TcpRequest`'s extensions.
#[derive(Debug, Clone)]
pub(crate) struct Login {
    pub(crate) user: UserId,
    pub(crate) labels: Option<UsernameLabels>,
}

impl Socks5Auth {
    /// No authentication (method `0x00`).
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Username/password (RFC 1929, method `0x02`) against these users.
    #[must_use]
    pub fn users(users: impl IntoIterator<Item = Basic>) -> Self {
        Self {
            users: Some(users.into_iter().collect()),
            label_separator: None,
        }
    }

    /// Label mode: the username `john-country-us` authenticates `john` and carries the
    /// [`UsernameLabels`] `country`, `us` into the connect request's extensions (for a
    /// proxy-database layer in the connector). A username that does not split (empty
    /// label) is rejected.
    #[must_use]
    pub const fn with_username_labels(mut self, separator: char) -> Self {
        self.label_separator = Some(separator);
        self
    }

    /// Whether a username and password are required.
    #[must_use]
    pub fn requires_password(&self) -> bool {
        self.users.is_some()
    }

    /// The method to choose among the client's offer (`NoAcceptable` when none fits).
    pub(crate) fn choose(&self, offered: &[AuthMethod]) -> AuthMethod {
        let want = if self.requires_password() {
            AuthMethod::UsernamePassword
        } else {
            AuthMethod::NoAuth
        };
        if offered.contains(&want) {
            want
        } else {
            AuthMethod::NoAcceptable
        }
    }

    /// Checks the client's credentials; every configured user is compared, in constant
    /// time, so the time taken does not tell which user matched.
    pub(crate) fn check(&self, request: &UsernamePasswordRequest) -> Option<Login> {
        let users = self.users.as_ref()?;
        let labels = match self.label_separator {
            Some(sep) => Some(UsernameLabels::parse(&request.username, sep).ok()?),
            None => None,
        };
        let name = labels
            .as_ref()
            .map_or(request.username.as_str(), UsernameLabels::base)
            .to_owned();
        let given = Basic::new(name.as_str(), request.password.as_str()).ok()?;
        let mut matched = false;
        for user in users.iter() {
            matched |= user.ct_eq(&given);
        }
        matched.then_some(Login {
            user: UserId::Username(name),
            labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(u: &str, p: &str) -> UsernamePasswordRequest {
        UsernamePasswordRequest {
            username: u.to_owned(),
            password: p.to_owned(),
        }
    }

    #[test]
    fn choose_table() {
        use AuthMethod::*;
        let open = Socks5Auth::none();
        let users = Socks5Auth::users([Basic::new("a", "b").unwrap()]);
        let cases = [
            (&open, vec![NoAuth], NoAuth),
            (&open, vec![UsernamePassword, NoAuth], NoAuth),
            (&open, vec![UsernamePassword], NoAcceptable),
            (&users, vec![NoAuth], NoAcceptable),
            (&users, vec![NoAuth, UsernamePassword], UsernamePassword),
            (&users, vec![Gssapi], NoAcceptable),
        ];
        for (auth, offer, want) in cases {
            assert_eq!(auth.choose(&offer), want, "{offer:?}");
        }
    }

    #[test]
    fn check_table() {
        let plain = Socks5Auth::users([
            Basic::new("john", "secret").unwrap(),
            Basic::new("mary", "other").unwrap(),
        ]);
        let labels = plain.clone().with_username_labels('-');
        let cases = [
            (&plain, "john", "secret", Some("john")),
            (&plain, "mary", "other", Some("mary")),
            (&plain, "john", "other", None),
            (&plain, "john-us", "secret", None),
            (&plain, "", "", None),
            (&labels, "john-country-us", "secret", Some("john")),
            (&labels, "john", "secret", Some("john")),
            (&labels, "john--us", "secret", None),
            (&labels, "john-us", "wrong", None),
        ];
        for (auth, u, p, want) in cases {
            let got = auth.check(&req(u, p));
            let name = got.as_ref().map(|l| match &l.user {
                UserId::Username(n) => n.clone(),
                other => format!("{other:?}"),
            });
            assert_eq!(name.as_deref(), want, "{u}:{p}");
        }
        let login = labels.check(&req("john-country-us", "secret")).unwrap();
        assert_eq!(login.labels.unwrap().labels(), ["country", "us"]);
        assert!(Socks5Auth::none().check(&req("a", "b")).is_none());
    }
}
