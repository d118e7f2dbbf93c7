//! [`ProxyFilter`]: which upstream proxies a request may use, built in code or read from
//! proxy-username labels.
//!
//! # Label grammar
//!
//! The labels after the account name (`john-country-us-residential-session-abc`, see
//! [`UsernameLabels`]) are read left to right:
//!
//! | label | value | selects proxies |
//! |---|---|---|
//! | `country` | a country code: `country-us` | in that country |
//! | `city` | `city-new_york` (a space is written `_`) | in that city |
//! | `state` | `state-ny` | in that state or region |
//! | `pool` | `pool-p1` | of that pool |
//! | `id` | `id-px7` | with that id |
//! | `asn` | `asn-7922` | announced by that AS |
//! | `carrier` | `carrier-vodafone` | of that mobile carrier |
//! | `session` | `session-abc` | any, but the same one for every request of the session |
//! | `datacenter`, `residential`, `mobile` | none | of that kind (several: any of them) |
//!
//! Values compare case-insensitively. An unknown label, a key without its value, or a key
//! given twice is an error: a proxy refuses the credentials (`407`) instead of silently
//! routing somewhere the client did not ask for.
//!
//! ```
//! use rama_proxy::proxydb::ProxyFilter;
//! use rama_proxy::username::UsernameLabels;
//!
//! let labels = UsernameLabels::parse("john-country-US-residential-session-abc", '-')?;
//! let filter = ProxyFilter::from_labels(&labels)?;
//! assert_eq!(filter.country.as_deref(), Some("us"));
//! assert!(filter.residential);
//! assert_eq!(filter.session.as_deref(), Some("abc"));
//!
//! let bad = UsernameLabels::parse("john-planet-mars", '-')?;
//! assert!(ProxyFilter::from_labels(&bad).unwrap_err().is_bad_filter());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::error::ProxyDBError;
use super::record::{Proxy, normalize};
use crate::username::UsernameLabels;

/// What a request asks of its upstream proxy; every field set must match. See the
/// [module docs](self) for the label form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyFilter {
    /// The proxy with this id.
    pub id: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Pool.
    pub pool: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Mobile carrier.
    pub carrier: Option<String>,
    /// Sticky session: the same value picks the same proxy while it still matches.
    pub session: Option<String>,
    /// Ask for a datacenter proxy.
    pub datacenter: bool,
    /// Ask for a residential proxy.
    pub residential: bool,
    /// Ask for a mobile proxy.
    pub mobile: bool,
}

impl ProxyFilter {
    /// Read the labels of a proxy username.
    ///
    /// # Errors
    ///
    /// [`ProxyDBError::is_bad_filter`]: an unknown label, a key without value, a key twice.
    pub fn from_labels(labels: &UsernameLabels) -> Result<Self, ProxyDBError> {
        Self::from_label_list(labels.labels())
    }

    /// Read a list of labels (the part of a username after the account name).
    ///
    /// # Errors
    ///
    /// As [`from_labels`](Self::from_labels).
    pub fn from_label_list<S: AsRef<str>>(labels: &[S]) -> Result<Self, ProxyDBError> {
        let mut filter = Self::default();
        let mut iter = labels.iter().map(AsRef::as_ref);
        while let Some(label) = iter.next() {
            let key = label.to_ascii_lowercase();
            let flag = match key.as_str() {
                "datacenter" => Some(&mut filter.datacenter),
                "residential" => Some(&mut filter.residential),
                "mobile" => Some(&mut filter.mobile),
                _ => None,
            };
            if let Some(flag) = flag {
                if *flag {
                    return Err(twice(&key));
                }
                *flag = true;
                continue;
            }
            let slot = match key.as_str() {
                "id" => &mut filter.id,
                "country" => &mut filter.country,
                "city" => &mut filter.city,
                "state" => &mut filter.state,
                "pool" => &mut filter.pool,
                "carrier" => &mut filter.carrier,
                "session" => &mut filter.session,
                "asn" => {
                    let value = iter.next().ok_or_else(|| no_value(&key))?;
                    if filter.asn.is_some() {
                        return Err(twice(&key));
                    }
                    filter.asn = Some(value.parse().map_err(|_| {
                        ProxyDBError::bad_filter(format!(
                            "username label asn-{value}: the AS number is not a number"
                        ))
                    })?);
                    continue;
                }
                _ => {
                    return Err(ProxyDBError::bad_filter(format!(
                        "unknown username label {label:?} (known: country, city, state, pool, id, asn, carrier, session, datacenter, residential, mobile)"
                    )));
                }
            };
            let value = iter.next().ok_or_else(|| no_value(&key))?;
            if slot.is_some() {
                return Err(twice(&key));
            }
            // ids and sessions are opaque; attributes compare in normalised form
            *slot = Some(if key == "id" || key == "session" {
                value.to_owned()
            } else {
                normalize(value)
            });
        }
        Ok(filter)
    }

    /// Whether `proxy` satisfies every attribute of the filter (the session does not
    /// restrict which proxies match, only which one of them is picked).
    #[must_use]
    pub fn matches(&self, proxy: &Proxy) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| match want {
            None => true,
            Some(want) => have.as_deref() == Some(want.as_str()),
        };
        let kinds_asked = self.datacenter || self.residential || self.mobile;
        let kind_ok = !kinds_asked
            || (self.datacenter && proxy.datacenter)
            || (self.residential && proxy.residential)
            || (self.mobile && proxy.mobile);
        self.id.as_ref().is_none_or(|id| *id == proxy.id)
            && same(&self.country, &proxy.country)
            && same(&self.city, &proxy.city)
            && same(&self.state, &proxy.state)
            && same(&self.pool, &proxy.pool)
            && same(&self.carrier, &proxy.carrier)
            && self.asn.is_none_or(|asn| proxy.asn == Some(asn))
            && kind_ok
    }
}

fn twice(key: &str) -> ProxyDBError {
    ProxyDBError::bad_filter(format!("username label {key} given twice"))
}

fn no_value(key: &str) -> ProxyDBError {
    ProxyDBError::bad_filter(format!("username label {key} needs a value ({key}-VALUE)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_table() {
        let us_res = ProxyFilter {
            country: Some("us".into()),
            residential: true,
            ..ProxyFilter::default()
        };
        let all = ProxyFilter {
            id: Some("Px1".into()),
            country: Some("de".into()),
            city: Some("berlin".into()),
            state: Some("be".into()),
            pool: Some("p2".into()),
            asn: Some(3320),
            carrier: Some("vodafone".into()),
            session: Some("S1".into()),
            datacenter: true,
            residential: false,
            mobile: true,
        };
        let rows: &[(&[&str], Result<ProxyFilter, &str>)] = &[
            (&[], Ok(ProxyFilter::default())),
            (&["country", "US", "residential"], Ok(us_res)),
            (
                &[
                    "id",
                    "Px1",
                    "country",
                    "de",
                    "city",
                    "Berlin",
                    "state",
                    "BE",
                    "pool",
                    "p2",
                    "asn",
                    "3320",
                    "carrier",
                    "Vodafone",
                    "session",
                    "S1",
                    "datacenter",
                    "MOBILE",
                ],
                Ok(all),
            ),
            (
                &["planet", "mars"],
                Err("unknown username label \"planet\""),
            ),
            (&["country"], Err("country needs a value")),
            (
                &["country", "us", "country", "de"],
                Err("country given twice"),
            ),
            (&["mobile", "mobile"], Err("mobile given twice")),
            (&["asn", "x"], Err("not a number")),
            (&["asn"], Err("asn needs a value")),
            (
                &["session", "a", "session", "b"],
                Err("session given twice"),
            ),
        ];
        for (labels, want) in rows {
            match (want, ProxyFilter::from_label_list(labels)) {
                (Ok(want), Ok(got)) => assert_eq!(&got, want, "{labels:?}"),
                (Err(want), Err(err)) => {
                    assert!(err.is_bad_filter(), "{labels:?}");
                    assert!(err.to_string().contains(want), "{labels:?}: {err}");
                }
                (want, got) => panic!("{labels:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    fn proxy(id: &str, country: &str, residential: bool, mobile: bool) -> Proxy {
        Proxy {
            id: id.into(),
            address: "http://127.0.0.1:1".parse().unwrap(),
            country: Some(country.into()),
            city: None,
            state: None,
            pool: Some("p1".into()),
            datacenter: !residential && !mobile,
            residential,
            mobile,
            asn: Some(7),
            carrier: None,
        }
    }

    #[test]
    fn matching_table() {
        let p = proxy("a", "us", true, false);
        let rows: &[(&[&str], bool)] = &[
            (&[], true),
            (&["country", "us"], true),
            (&["country", "de"], false),
            (&["residential"], true),
            (&["datacenter"], false),
            (&["datacenter", "residential"], true),
            (&["mobile"], false),
            (&["pool", "p1", "asn", "7"], true),
            (&["asn", "8"], false),
            (&["city", "x"], false),
            (&["id", "a"], true),
            (&["id", "A"], false),
            (&["session", "anything"], true),
        ];
        for (labels, want) in rows {
            let filter = ProxyFilter::from_label_list(labels).unwrap();
            assert_eq!(filter.matches(&p), *want, "{labels:?}");
        }
    }
}
