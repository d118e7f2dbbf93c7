//! What the fields of a message about to be written say about its framing and its
//! connection, read in one walk over its map.
//!
//! Writing a head used to ask the map one question at a time: is there a
//! `Transfer-Encoding`, what is the `Content-Length`, does `Connection` say `close`, is there
//! a `Date` (responses) or a `Host` (requests). Each is a hashed lookup of about 100-200
//! instructions (callgrind), and a proxy asks them for every request and every response.
//! The maps of written heads are small (a handful of fields), so one walk over the entries,
//! comparing each name with the few that matter, answers all of them for less.

use super::facts::ConnectionOptions;
use super::framing::LengthFold;
use http::{HeaderMap, Version, header};

/// The `Content-Length` of a message to write, as [`content_length`](super::content_length)
/// reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LengthField {
    /// No `Content-Length` field.
    Absent,
    /// One value (or several equal ones).
    Valid(u64),
    /// A value that is not a number, or values that differ.
    Invalid,
}

/// See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutgoingFields {
    /// A `Transfer-Encoding` field is present.
    pub(crate) transfer_encoding: bool,
    /// What the `Content-Length` fields say.
    pub(crate) content_length: LengthField,
    /// What the `Connection` fields list.
    pub(crate) connection: ConnectionOptions,
    /// A `Date` field is present.
    pub(crate) date: bool,
    /// A `Host` field is present.
    pub(crate) host: bool,
}

impl OutgoingFields {
    /// Reads `headers` in one walk.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let mut fields = Self {
            transfer_encoding: false,
            content_length: LengthField::Absent,
            connection: ConnectionOptions::default(),
            date: false,
            host: false,
        };
        let mut length: Option<LengthFold> = None;
        for (name, value) in headers {
            if name == header::CONTENT_LENGTH {
                let fold = length.get_or_insert_with(LengthFold::default);
                if fold.add(value.as_bytes()).is_err() {
                    fields.content_length = LengthField::Invalid;
                }
            } else if name == header::CONNECTION {
                fields.connection = fields
                    .connection
                    .and(ConnectionOptions::of(value.as_bytes()));
            } else {
                fields.date |= name == header::DATE;
                fields.host |= name == header::HOST;
                fields.transfer_encoding |= name == header::TRANSFER_ENCODING;
            }
        }
        if let (LengthField::Absent, Some(fold)) = (fields.content_length, length) {
            fields.content_length = fold
                .found()
                .map_or(LengthField::Invalid, LengthField::Valid);
        }
        fields
    }

    /// Whether the message lets the connection stay open, as
    /// [`wants_keep_alive`](super::wants_keep_alive) decides it.
    pub(crate) fn keep_alive(&self, version: Version) -> bool {
        self.connection.keep_alive(version)
    }

    /// Whether a `Connection` field lists `close`.
    pub(crate) const fn says_close(&self) -> bool {
        self.connection.close
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::h1::{content_length, wants_keep_alive};
    use crate::test_util::header_map;

    /// The walk answers what the lookups it replaces answer, on maps with and without each
    /// field, repeated fields and lists among them.
    #[test]
    fn the_walk_agrees_with_the_lookups() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("host", "a"), ("date", "d")],
            &[("content-length", "5")],
            &[("content-length", "5"), ("content-length", "5")],
            &[("content-length", "5, 5")],
            &[("content-length", "5"), ("content-length", "6")],
            &[("content-length", "x")],
            &[("content-length", "")],
            &[("content-length", "99999999999999999999999")],
            &[("transfer-encoding", "chunked"), ("content-length", "3")],
            &[("connection", "close")],
            &[("connection", "Keep-Alive")],
            &[("connection", "upgrade, CLOSE")],
            &[("connection", "keep-alive"), ("connection", "close")],
            &[("connection", "x-close, keep-alivex")],
            &[("x-a", "1"), ("Date", "d"), ("Host", "h"), ("x-b", "2")],
        ];
        for fields in cases {
            let headers = header_map(fields);
            let got = OutgoingFields::of(&headers);
            let want_length = match content_length(&headers) {
                Ok(None) => LengthField::Absent,
                Ok(Some(n)) => LengthField::Valid(n),
                Err(_) => LengthField::Invalid,
            };
            assert_eq!(got.content_length, want_length, "{fields:?}");
            assert_eq!(
                got.transfer_encoding,
                headers.contains_key(header::TRANSFER_ENCODING),
                "{fields:?}"
            );
            assert_eq!(got.date, headers.contains_key(header::DATE), "{fields:?}");
            assert_eq!(got.host, headers.contains_key(header::HOST), "{fields:?}");
            for version in [Version::HTTP_10, Version::HTTP_11, Version::HTTP_2] {
                assert_eq!(
                    got.keep_alive(version),
                    wants_keep_alive(version, &headers),
                    "{fields:?} {version:?}"
                );
            }
        }
    }
}
