//! The field names most heads carry, recognised by their exact spelling.
//!
//! `HeaderName::from_bytes` lowercases a name through a table into a buffer, then looks it
//! up among all standard names: about 110 instructions for a short name. The names here,
//! spelled in Title-Case (what browsers, curl and servers send) or in lowercase (h2-minded
//! clients), are matched as they are, about 20 instructions, and the answer also says whether
//! the spelling is the default form (see [`crate::wire`]), which spares that check. Anything
//! else (mixed case, other names) goes the general way.

use http::{HeaderName, header};

/// Defines [`known_name`] and, for the tests, the list of the table's lowercase spellings
/// (so that the test walks the table itself, not a copy of it).
macro_rules! known_names {
    ($($title:literal $lower:literal => $name:expr,)*) => {
        /// The name spelled `spelling`, and whether the spelling is Title-Case, for the
        /// names of the table; `None` for any other spelling.
        pub(crate) fn known_name(spelling: &[u8]) -> Option<(HeaderName, bool)> {
            match spelling {
                $($title => Some(($name, true)), $lower => Some(($name, false)),)*
                _ => None,
            }
        }

        /// The lowercase spelling of every name of the table.
        #[cfg(test)]
        const LOWERCASE: &[&[u8]] = &[$($lower),*];
    };
}

known_names! {
    b"Host" b"host" => header::HOST,
    b"Date" b"date" => header::DATE,
    b"Server" b"server" => header::SERVER,
    b"Content-Type" b"content-type" => header::CONTENT_TYPE,
    b"Content-Length" b"content-length" => header::CONTENT_LENGTH,
    b"Connection" b"connection" => header::CONNECTION,
    b"Accept" b"accept" => header::ACCEPT,
    b"User-Agent" b"user-agent" => header::USER_AGENT,
    b"Accept-Encoding" b"accept-encoding" => header::ACCEPT_ENCODING,
    b"Accept-Language" b"accept-language" => header::ACCEPT_LANGUAGE,
    b"Cache-Control" b"cache-control" => header::CACHE_CONTROL,
    b"Cookie" b"cookie" => header::COOKIE,
    b"Set-Cookie" b"set-cookie" => header::SET_COOKIE,
    b"Referer" b"referer" => header::REFERER,
    b"Origin" b"origin" => header::ORIGIN,
    b"Location" b"location" => header::LOCATION,
    b"Vary" b"vary" => header::VARY,
    b"Last-Modified" b"last-modified" => header::LAST_MODIFIED,
    b"Etag" b"etag" => header::ETAG,
    b"Transfer-Encoding" b"transfer-encoding" => header::TRANSFER_ENCODING,
    b"Content-Encoding" b"content-encoding" => header::CONTENT_ENCODING,
    b"Authorization" b"authorization" => header::AUTHORIZATION,
    b"Proxy-Authorization" b"proxy-authorization" => header::PROXY_AUTHORIZATION,
    b"Upgrade" b"upgrade" => header::UPGRADE,
    b"Expect" b"expect" => header::EXPECT,
    b"Upgrade-Insecure-Requests" b"upgrade-insecure-requests" => header::UPGRADE_INSECURE_REQUESTS,
    b"If-None-Match" b"if-none-match" => header::IF_NONE_MATCH,
    b"If-Modified-Since" b"if-modified-since" => header::IF_MODIFIED_SINCE,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling the table knows gives what `from_bytes` gives, and says Title-Case
    /// exactly when the field parser's rule does; other spellings are not known.
    #[test]
    fn agrees_with_from_bytes_and_the_default_form_rule() {
        for &lower in LOWERCASE {
            // the spelling the field writer makes of the name
            let mut title = lower.to_vec();
            crate::wire::title_case_in_place(&mut title, true);
            let (title, lower) = (
                std::str::from_utf8(&title).unwrap(),
                std::str::from_utf8(lower).unwrap(),
            );
            let want = HeaderName::from_bytes(lower.as_bytes()).unwrap();
            for (spelling, default_form) in [(title, true), (lower, false)] {
                let (name, title_case) = known_name(spelling.as_bytes())
                    .unwrap_or_else(|| panic!("{spelling} not known"));
                assert_eq!(name, want, "{spelling}");
                assert_eq!(title_case, default_form, "{spelling}");
                assert_eq!(
                    title_case,
                    super::super::fields::is_default_form(spelling.as_bytes()),
                    "{spelling}"
                );
            }
            assert!(
                known_name(lower.to_ascii_uppercase().as_bytes()).is_none(),
                "{lower}"
            );
        }
        assert!(known_name(b"X-Request-Id").is_none());
        assert!(known_name(b"ETag").is_none());
    }
}
