//! [`Proxy`]: one upstream proxy in the database, and how records are read from JSON and
//! CSV and checked.

use super::csv;
use super::error::LoadError;
use rama_net::address::ProxyAddress;
use rama_net::protocol::Protocol;
use serde::Deserialize;

/// One upstream proxy: where it is and how to reach it, and the attributes filters select on.
///
/// Text attributes are stored normalised (ASCII lower case, spaces as `_`), the form a
/// username label can carry: `New York` is matched by `city-new_york`.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// Unique within the database; a filter may ask for it (`id-NAME`).
    pub id: String,
    /// How to reach it: `http://`, `https://`, `socks5://` or `socks5h://`, with credentials.
    pub address: ProxyAddress,
    /// ISO 3166 country code, e.g. `us`.
    pub country: Option<String>,
    /// City, e.g. `new_york`.
    pub city: Option<String>,
    /// State or region, e.g. `ny`.
    pub state: Option<String>,
    /// The pool (a group of proxies sold or managed together).
    pub pool: Option<String>,
    /// A datacenter address.
    pub datacenter: bool,
    /// A residential (ISP) address.
    pub residential: bool,
    /// A mobile carrier address.
    pub mobile: bool,
    /// The autonomous system number of its address.
    pub asn: Option<u32>,
    /// The mobile carrier, e.g. `vodafone`.
    pub carrier: Option<String>,
}

/// The columns of a CSV proxy database, in order; the first line must name them.
pub const CSV_COLUMNS: [&str; 11] = [
    "id",
    "address",
    "country",
    "city",
    "state",
    "pool",
    "datacenter",
    "residential",
    "mobile",
    "asn",
    "carrier",
];

/// A record as written in a file, before it is checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProxy {
    id: String,
    address: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    pool: Option<String>,
    #[serde(default)]
    datacenter: bool,
    #[serde(default)]
    residential: bool,
    #[serde(default)]
    mobile: bool,
    #[serde(default)]
    asn: Option<u32>,
    #[serde(default)]
    carrier: Option<String>,
}

/// ASCII lower case, spaces as `_`: the form labels can carry.
pub(crate) fn normalize(value: &str) -> String {
    value
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn attribute(name: &str, value: Option<String>) -> Result<Option<String>, String> {
    let Some(value) = value else { return Ok(None) };
    let value = normalize(&value);
    if value.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(format!(
            "{name} {value:?} holds {bad:?} (letters, digits, `_`, `.` only: it must fit in a username label)"
        ));
    }
    Ok(Some(value))
}

impl RawProxy {
    /// Check the record and build the [`Proxy`].
    pub(crate) fn check(self) -> Result<Proxy, String> {
        let id = self.id.trim().to_owned();
        if id.is_empty() {
            return Err("empty id".to_owned());
        }
        let address: ProxyAddress = self
            .address
            .trim()
            .parse()
            .map_err(|err| format!("proxy {id:?}: address {:?}: {err}", self.address))?;
        if !self.address.contains("://") {
            return Err(format!(
                "proxy {id:?}: address {:?} has no scheme (write http://, https://, socks5:// or socks5h://)",
                self.address
            ));
        }
        if !matches!(
            address.protocol,
            Protocol::Http | Protocol::Https | Protocol::Socks5 | Protocol::Socks5h
        ) {
            return Err(format!(
                "proxy {id:?}: unsupported proxy protocol in {address}"
            ));
        }
        let with_id = |e: String| format!("proxy {id:?}: {e}");
        Ok(Proxy {
            country: attribute("country", self.country).map_err(with_id)?,
            city: attribute("city", self.city).map_err(with_id)?,
            state: attribute("state", self.state).map_err(with_id)?,
            pool: attribute("pool", self.pool).map_err(with_id)?,
            carrier: attribute("carrier", self.carrier).map_err(with_id)?,
            datacenter: self.datacenter,
            residential: self.residential,
            mobile: self.mobile,
            asn: self.asn,
            address,
            id,
        })
    }
}

/// Parse a JSON array of records.
pub(crate) fn from_json(text: &str) -> Result<Vec<Proxy>, LoadError> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| LoadError::new(format!("not a JSON array of records: {err}")))?;
    let mut proxies = Vec::with_capacity(raw.len());
    for (index, value) in raw.into_iter().enumerate() {
        let record: RawProxy = serde_json::from_value(value)
            .map_err(|err| LoadError::new(format!("record #{}: {err}", index + 1)))?;
        let proxy = record
            .check()
            .map_err(|err| LoadError::new(format!("record #{}: {err}", index + 1)))?;
        proxies.push(proxy);
    }
    Ok(proxies)
}

/// Parse CSV with a header line naming [`CSV_COLUMNS`] in order.
pub(crate) fn from_csv(text: &str) -> Result<Vec<Proxy>, LoadError> {
    let mut records = csv::parse(text)?.into_iter();
    let Some(header) = records.next() else {
        return Err(LoadError::new(
            "empty CSV (the first line must name the columns)",
        ));
    };
    let names: Vec<String> = header.fields.iter().map(|f| f.trim().to_owned()).collect();
    if names != CSV_COLUMNS {
        return Err(LoadError::at_line(
            header.line,
            format!("columns {names:?}, want {CSV_COLUMNS:?}"),
        ));
    }
    let mut proxies = Vec::new();
    for record in records {
        let line = record.line;
        let fields: [String; 11] = record.fields.try_into().map_err(|fields: Vec<String>| {
            LoadError::at_line(
                line,
                format!("{} fields, want {}", fields.len(), CSV_COLUMNS.len()),
            )
        })?;
        let [
            id,
            address,
            country,
            city,
            state,
            pool,
            dc,
            res,
            mob,
            asn,
            carrier,
        ] = fields;
        let flag = |name: &str, v: &str| match v.trim() {
            "" | "false" | "0" => Ok(false),
            "true" | "1" => Ok(true),
            other => Err(LoadError::at_line(
                line,
                format!("{name} {other:?} is not true, false, 1, 0 or empty"),
            )),
        };
        let some = |v: String| (!v.trim().is_empty()).then_some(v);
        let raw = RawProxy {
            datacenter: flag("datacenter", &dc)?,
            residential: flag("residential", &res)?,
            mobile: flag("mobile", &mob)?,
            asn: match asn.trim() {
                "" => None,
                text => Some(text.parse().map_err(|_| {
                    LoadError::at_line(line, format!("asn {text:?} is not a number"))
                })?),
            },
            id,
            address,
            country: some(country),
            city: some(city),
            state: some(state),
            pool: some(pool),
            carrier: some(carrier),
        };
        proxies.push(raw.check().map_err(|err| LoadError::at_line(line, err))?);
    }
    Ok(proxies)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "id,address,country,city,state,pool,datacenter,residential,mobile,asn,carrier\n";

    #[test]
    fn csv_table() {
        let rows: &[(&str, Result<usize, &str>)] = &[
            (
                "a,http://127.0.0.1:3128,US,New York,NY,p1,true,,,123,\n",
                Ok(1),
            ),
            (
                "a,socks5h://u:p@127.0.0.1:1080,,,,,,1,,,\nb,\"https://127.0.0.1:443\",de,,,,0,0,1,,Vodafone\n",
                Ok(2),
            ),
            (
                "a,127.0.0.1:3128,,,,,,,,,\n",
                Err("line 2: proxy \"a\": address \"127.0.0.1:3128\" has no scheme"),
            ),
            (
                "a,ftp://127.0.0.1:21,,,,,,,,,\n",
                Err("line 2: proxy \"a\": address"),
            ),
            (
                "a,http://127.0.0.1:1,,,,,yes,,,,\n",
                Err("line 2: datacenter \"yes\""),
            ),
            ("a,http://127.0.0.1:1,,,,,,,,x,\n", Err("line 2: asn \"x\"")),
            (
                "a,http://127.0.0.1:1,,,,\n",
                Err("line 2: 6 fields, want 11"),
            ),
            (
                "\n\na,http://127.0.0.1:1,u-s,,,,,,,,\n",
                Err("line 4: proxy \"a\": country \"u-s\""),
            ),
            (",http://127.0.0.1:1,,,,,,,,,\n", Err("line 2: empty id")),
        ];
        for (body, want) in rows {
            let got = from_csv(&format!("{HEADER}{body}"));
            match (want, got) {
                (Ok(n), Ok(proxies)) => assert_eq!(proxies.len(), *n, "{body}"),
                (Err(want), Err(err)) => assert!(err.to_string().contains(want), "{body}: {err}"),
                (want, got) => panic!("{body}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn csv_values_are_normalised() {
        let proxies = from_csv(&format!(
            "{HEADER}a,http://u:p@127.0.0.1:3128,US,New York,NY,p1,true,,,123,\n"
        ))
        .unwrap();
        let p = &proxies[0];
        assert_eq!(p.country.as_deref(), Some("us"));
        assert_eq!(p.city.as_deref(), Some("new_york"));
        assert_eq!(p.asn, Some(123));
        assert!(p.datacenter && !p.residential);
        assert_eq!(p.address.credentials.as_ref().unwrap().username(), "u");
    }

    #[test]
    fn csv_header_must_match() {
        let err = from_csv("id,address\na,http://x:1\n").unwrap_err();
        assert!(err.to_string().contains("line 1: columns"), "{err}");
        assert!(from_csv("").unwrap_err().to_string().contains("empty CSV"));
    }

    #[test]
    fn json_table() {
        let rows: &[(&str, Result<usize, &str>)] = &[
            (
                r#"[{"id":"a","address":"http://127.0.0.1:1","country":"us","residential":true}]"#,
                Ok(1),
            ),
            ("[]", Ok(0)),
            (r#"{"id":"a"}"#, Err("not a JSON array")),
            (
                r#"[{"id":"a","address":"http://127.0.0.1:1","colour":"red"}]"#,
                Err("record #1: unknown field `colour`"),
            ),
            (
                r#"[{"id":"a","address":"http://127.0.0.1:1"},{"id":"b"}]"#,
                Err("record #2: missing field `address`"),
            ),
            (
                r#"[{"id":"a","address":"http://127.0.0.1:1","asn":-1}]"#,
                Err("record #1"),
            ),
            (
                r#"[{"id":"a","address":"nope://x"}]"#,
                Err("record #1: proxy \"a\": address"),
            ),
            ("[", Err("line 1")),
        ];
        for (text, want) in rows {
            match (want, from_json(text)) {
                (Ok(n), Ok(proxies)) => assert_eq!(proxies.len(), *n, "{text}"),
                (Err(want), Err(err)) => assert!(err.to_string().contains(want), "{text}: {err}"),
                (want, got) => panic!("{text}: want {want:?}, got {got:?}"),
            }
        }
    }
}
