//! Helpers shared by the crate's unit tests.

use http::{HeaderMap, HeaderName, HeaderValue};

/// A header map with `pairs` appended in order (a name may repeat).
pub(crate) fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("a test's header name"),
            HeaderValue::from_str(value).expect("a test's header value"),
        );
    }
    map
}
