//! The `Date` header value (RFC 9110 §6.6.1, IMF-fixdate), formatted here and cached per
//! thread so a busy server formats it at most once per second per worker thread.

use http::HeaderValue;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats `secs` seconds after the Unix epoch as an IMF-fixdate,
/// e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
#[must_use]
pub fn imf_fixdate(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (hour, min, sec) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // 1970-01-01 was a Thursday (index 0 of DAYS)
    let weekday = DAYS[(days % 7) as usize];
    let (year, month, day) = civil_from_days(days);
    format!(
        "{weekday}, {day:02} {} {year:04} {hour:02}:{min:02}:{sec:02} GMT",
        MONTHS[(month - 1) as usize]
    )
}

/// Year, month (1..=12) and day (1..=31) of a day count since 1970-01-01, for the
/// proleptic Gregorian calendar, computed in 400-year eras of 146,097 days.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // shift the epoch to 0000-03-01 so that leap days fall at the end of a year
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

thread_local! {
    static CACHE: RefCell<(u64, Option<HeaderValue>)> = const { RefCell::new((0, None)) };
}

/// The current time as a `Date` header value, reformatted at most once per second per
/// thread.
#[must_use]
pub fn now() -> HeaderValue {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        match &cache.1 {
            Some(value) if cache.0 == secs => value.clone(),
            _ => {
                let value = HeaderValue::try_from(imf_fixdate(secs))
                    .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
                *cache = (secs, Some(value.clone()));
                value
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_timestamps() {
        let table: &[(u64, &str)] = &[
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"), // RFC 9110's example
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), // leap day of a 400-year
            (1_709_164_799, "Wed, 28 Feb 2024 23:59:59 GMT"),
            (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
            (1_709_251_200, "Fri, 01 Mar 2024 00:00:00 GMT"),
            (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"), // 2100 is not a leap year
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (1_234_567_890, "Fri, 13 Feb 2009 23:31:30 GMT"),
        ];
        for (secs, want) in table {
            assert_eq!(imf_fixdate(*secs), *want, "{secs}");
        }
    }

    #[test]
    fn now_matches_the_clock() {
        let secs = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let before = secs();
        let value = now();
        let again = now();
        let after = secs();
        let value = value.to_str().unwrap();
        assert!((before..=after).any(|s| imf_fixdate(s) == value), "{value}");
        assert!((before..=after).any(|s| imf_fixdate(s) == again.to_str().unwrap()));
    }
}
