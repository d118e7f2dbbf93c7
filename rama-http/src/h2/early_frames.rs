//! [`EarlyFrames`]: what a client sent first on an h2 connection, and the parser that reads it
//! ([`EarlyFrameParser`]) from the bytes `h2` reads.
//!
//! The record is the raw material of h2 fingerprints (Akamai's: SETTINGS order and values,
//! WINDOW_UPDATE increment, PRIORITY frames, pseudo-header order), which `h2` does not expose.
//!
//! ```
//! use rama_http::h2::{EarlyFrameParser, PseudoHeader, TapOutcome};
//!
//! let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
//! // SETTINGS: ENABLE_PUSH = 0, INITIAL_WINDOW_SIZE = 6291456
//! wire.extend_from_slice(&[0, 0, 12, 4, 0, 0, 0, 0, 0]);
//! wire.extend_from_slice(&[0, 2, 0, 0, 0, 0, 0, 4, 0, 0x60, 0, 0]);
//! // HEADERS on stream 1, END_STREAM | END_HEADERS: :method GET, :scheme https, :path /
//! wire.extend_from_slice(&[0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x87, 0x84]);
//!
//! let mut parser = EarlyFrameParser::new(64 * 1024, 32, 4096);
//! assert!(parser.feed(&wire));
//! let record = parser.finish();
//! assert_eq!(record.outcome(), TapOutcome::Complete);
//! assert_eq!(record.settings()[1].id, 4);
//! assert_eq!(record.settings()[1].value, 6_291_456);
//! assert_eq!(
//!     record.pseudo_header_order(),
//!     [PseudoHeader::Method, PseudoHeader::Scheme, PseudoHeader::Path]
//! );
//! ```

use super::hpack;
use http::HeaderName;
use std::{fmt, sync::Arc};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

const FRAME_HEADER_LEN: usize = 9;

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const PRIORITY: u8 = 0x2;
const SETTINGS: u8 = 0x4;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;

const FLAG_ACK: u8 = 0x1;
const FLAG_END_HEADERS: u8 = 0x4;
const FLAG_PADDED: u8 = 0x8;
const FLAG_PRIORITY: u8 = 0x20;

/// One SETTINGS parameter as sent (RFC 9113 §6.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Setting {
    /// The identifier (1 `HEADER_TABLE_SIZE` ... 8 `ENABLE_CONNECT_PROTOCOL`, or unknown).
    pub id: u16,
    /// The value.
    pub value: u32,
}

impl Setting {
    /// The registered name of this setting's identifier, if known.
    #[must_use]
    pub const fn name(&self) -> Option<&'static str> {
        Some(match self.id {
            1 => "HEADER_TABLE_SIZE",
            2 => "ENABLE_PUSH",
            3 => "MAX_CONCURRENT_STREAMS",
            4 => "INITIAL_WINDOW_SIZE",
            5 => "MAX_FRAME_SIZE",
            6 => "MAX_HEADER_LIST_SIZE",
            8 => "ENABLE_CONNECT_PROTOCOL",
            9 => "NO_RFC7540_PRIORITIES",
            _ => return None,
        })
    }
}

/// A WINDOW_UPDATE frame (RFC 9113 §6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowUpdate {
    /// 0 for the connection window.
    pub stream_id: u32,
    /// The window size increment.
    pub increment: u32,
}

/// A priority: from a PRIORITY frame or a HEADERS frame's priority block (RFC 9113 §5.3.2,
/// §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Priority {
    /// The stream the priority is for.
    pub stream_id: u32,
    /// The stream it depends on.
    pub dependency: u32,
    /// The weight as sent (0..=255; the effective weight is one more).
    pub weight: u8,
    /// The exclusive flag.
    pub exclusive: bool,
}

/// A request pseudo-header field (RFC 9113 §8.3.1, RFC 8441 `:protocol`) or `:status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    /// `:method`
    Method,
    /// `:scheme`
    Scheme,
    /// `:authority`
    Authority,
    /// `:path`
    Path,
    /// `:protocol` (extended CONNECT)
    Protocol,
    /// `:status` (responses only; recorded if a client sends it)
    Status,
}

impl PseudoHeader {
    /// The field name, colon included.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Method => ":method",
            Self::Scheme => ":scheme",
            Self::Authority => ":authority",
            Self::Path => ":path",
            Self::Protocol => ":protocol",
            Self::Status => ":status",
        }
    }

    fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b":method" => Self::Method,
            b":scheme" => Self::Scheme,
            b":authority" => Self::Authority,
            b":path" => Self::Path,
            b":protocol" => Self::Protocol,
            b":status" => Self::Status,
            _ => return None,
        })
    }
}

impl fmt::Display for PseudoHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 9-byte header of one frame as it was read (RFC 9113 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Frame type (0 DATA, 1 HEADERS, 2 PRIORITY, 4 SETTINGS, 8 WINDOW_UPDATE, ...).
    pub kind: u8,
    /// Flags.
    pub flags: u8,
    /// Stream identifier (reserved bit cleared).
    pub stream_id: u32,
    /// Payload length.
    pub length: u32,
}

/// The first header block of the connection: its HEADERS frame and what its fields were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstHeaders {
    /// The stream it opened.
    pub stream_id: u32,
    /// The HEADERS frame's flags (END_STREAM 0x1, END_HEADERS 0x4, PADDED 0x8, PRIORITY 0x20).
    pub flags: u8,
    /// The priority block, when the PRIORITY flag was set.
    pub priority: Option<Priority>,
    /// How many CONTINUATION frames completed the block.
    pub continuations: u32,
    /// Pseudo-header fields in the order sent (unknown pseudo-headers are left out).
    pub pseudo_header_order: Vec<PseudoHeader>,
    /// Regular field names in the order sent, duplicates included (names that are no valid
    /// header name are left out).
    pub header_names: Vec<HeaderName>,
    /// Why the block could not be decoded, if it could not (the orders are then empty).
    pub hpack_error: Option<hpack::DecodeError>,
}

/// How the tap ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TapOutcome {
    /// The first header block was read and decoded.
    Complete,
    /// The connection ended (or the record was taken) before the first header block.
    Incomplete,
    /// The byte limit was reached before the first header block was complete.
    ByteLimit,
    /// The frame limit was reached before the first header block was complete.
    FrameLimit,
    /// The bytes were not HTTP/2 as the tap understands it (bad preface, malformed frame,
    /// undecodable header block); `h2` rejects such connections on its own.
    Invalid,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Record {
    settings: Vec<Setting>,
    window_updates: Vec<WindowUpdate>,
    priorities: Vec<Priority>,
    frames: Vec<FrameHeader>,
    headers: Option<FirstHeaders>,
}

/// What a client sent first on an h2 connection: its first SETTINGS frame with the settings
/// in wire order, the WINDOW_UPDATE and PRIORITY frames before its first request, and that
/// request's HEADERS (pseudo-header order included).
///
/// The h2 server puts it in the extensions of every request of the connection
/// (`req.connection_get::<EarlyFrames>()`, see [`crate::connection`]). Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct EarlyFrames {
    record: Arc<Record>,
    outcome: TapOutcome,
}

impl EarlyFrames {
    /// The settings of the first SETTINGS frame (the one of the connection preface), in wire
    /// order, duplicates included. Later SETTINGS frames appear in [`frames`](Self::frames).
    #[must_use]
    pub fn settings(&self) -> &[Setting] {
        &self.record.settings
    }

    /// WINDOW_UPDATE frames before the first request completed, in order (stream 0 is the
    /// connection window).
    #[must_use]
    pub fn window_updates(&self) -> &[WindowUpdate] {
        &self.record.window_updates
    }

    /// PRIORITY frames before the first request completed, in order (a HEADERS frame's own
    /// priority is in [`first_headers`](Self::first_headers)).
    #[must_use]
    pub fn priorities(&self) -> &[Priority] {
        &self.record.priorities
    }

    /// Every frame header read, in order, up to and including the first header block.
    #[must_use]
    pub fn frames(&self) -> &[FrameHeader] {
        &self.record.frames
    }

    /// The first request's header block, if it was read.
    #[must_use]
    pub fn first_headers(&self) -> Option<&FirstHeaders> {
        self.record.headers.as_ref()
    }

    /// The first request's pseudo-header order (empty if it was not read).
    #[must_use]
    pub fn pseudo_header_order(&self) -> &[PseudoHeader] {
        self.record
            .headers
            .as_ref()
            .map_or(&[][..], |h| &h.pseudo_header_order)
    }

    /// How the tap ended; anything but [`TapOutcome::Complete`] means the record is partial.
    #[must_use]
    pub const fn outcome(&self) -> TapOutcome {
        self.outcome
    }
}

impl fmt::Debug for EarlyFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EarlyFrames")
            .field("outcome", &self.outcome)
            .field("settings", &self.record.settings)
            .field("window_updates", &self.record.window_updates)
            .field("priorities", &self.record.priorities)
            .field("first_headers", &self.record.headers)
            .field("frames", &self.record.frames.len())
            .finish()
    }
}

/// A pending header block: HEADERS seen, waiting for CONTINUATION.
#[derive(Debug)]
struct PendingBlock {
    headers: FirstHeaders,
    fragment: Vec<u8>,
}

/// Reads the start of an h2 connection from the client side's bytes, fed in any split, and
/// builds an [`EarlyFrames`] record.
///
/// It stops at the end of the first header block, or at a limit, or at the first thing that
/// is not HTTP/2; it never panics and buffers at most `max_bytes`.
#[derive(Debug)]
pub struct EarlyFrameParser {
    max_bytes: usize,
    max_frames: usize,
    header_table_size: usize,
    max_header_list_size: usize,
    buf: Vec<u8>,
    /// bytes accepted into `buf` so far (consumed or not)
    taken: usize,
    preface_done: bool,
    seen_settings: bool,
    pending: Option<PendingBlock>,
    record: Record,
    outcome: Option<TapOutcome>,
}

impl EarlyFrameParser {
    /// A parser that reads at most `max_bytes` bytes and `max_frames` frames, decoding the
    /// header block with an HPACK table of `header_table_size` (what the server announced).
    #[must_use]
    pub const fn new(max_bytes: usize, max_frames: usize, header_table_size: usize) -> Self {
        Self {
            max_bytes,
            max_frames,
            header_table_size,
            max_header_list_size: hpack::DEFAULT_MAX_HEADER_LIST_SIZE,
            buf: Vec::new(),
            taken: 0,
            preface_done: false,
            seen_settings: false,
            pending: None,
            record: Record {
                settings: Vec::new(),
                window_updates: Vec::new(),
                priorities: Vec::new(),
                frames: Vec::new(),
                headers: None,
            },
            outcome: None,
        }
    }

    /// Caps the decoded size of the first header block (default
    /// [`hpack::DEFAULT_MAX_HEADER_LIST_SIZE`]).
    #[must_use]
    pub const fn with_max_header_list_size(mut self, max: usize) -> Self {
        self.max_header_list_size = max;
        self
    }

    /// Whether the parser has stopped (record complete, limit hit or bad input).
    #[must_use]
    pub const fn is_done(&self) -> bool {
        self.outcome.is_some()
    }

    /// Feeds the next bytes the client sent; returns `true` once the parser has stopped
    /// (further input is ignored).
    pub fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while self.outcome.is_none() && !bytes.is_empty() {
            let budget = self.max_bytes.saturating_sub(self.taken);
            if budget == 0 {
                self.outcome = Some(TapOutcome::ByteLimit);
                break;
            }
            let n = budget.min(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            self.taken += n;
            bytes = &bytes[n..];
            self.parse_buffered();
            if self.outcome.is_none() && self.taken >= self.max_bytes {
                self.outcome = Some(TapOutcome::ByteLimit);
            }
        }
        if self.outcome.is_some() {
            self.buf = Vec::new();
        }
        self.outcome.is_some()
    }

    /// The record so far; [`TapOutcome::Incomplete`] if the parser had not stopped.
    #[must_use]
    pub fn finish(self) -> EarlyFrames {
        EarlyFrames {
            outcome: self.outcome.unwrap_or(TapOutcome::Incomplete),
            record: Arc::new(self.record),
        }
    }

    fn parse_buffered(&mut self) {
        let mut pos = 0;
        if !self.preface_done {
            let have = self.buf.len().min(PREFACE.len());
            if self.buf[..have] != PREFACE[..have] {
                self.outcome = Some(TapOutcome::Invalid);
                return;
            }
            if have < PREFACE.len() {
                return;
            }
            self.preface_done = true;
            pos = PREFACE.len();
        }
        while self.outcome.is_none() {
            let Some(header) = self.buf.get(pos..pos + FRAME_HEADER_LEN) else {
                break;
            };
            let length = u32::from_be_bytes([0, header[0], header[1], header[2]]);
            let frame = FrameHeader {
                kind: header[3],
                flags: header[4],
                stream_id: u32::from_be_bytes([header[5], header[6], header[7], header[8]])
                    & 0x7fff_ffff,
                length,
            };
            let end = pos + FRAME_HEADER_LEN + length as usize;
            // `buf` starts at stream offset `taken - buf.len()`
            if self.taken - self.buf.len() + end > self.max_bytes {
                // cannot be complete within the byte budget
                self.outcome = Some(TapOutcome::ByteLimit);
                break;
            }
            let Some(payload) = self.buf.get(pos + FRAME_HEADER_LEN..end) else {
                break;
            };
            let payload = payload.to_vec();
            pos = end;
            if self.record.frames.len() >= self.max_frames {
                self.outcome = Some(TapOutcome::FrameLimit);
                break;
            }
            self.record.frames.push(frame);
            self.on_frame(frame, &payload);
        }
        self.buf.drain(..pos.min(self.buf.len()));
    }

    fn on_frame(&mut self, frame: FrameHeader, payload: &[u8]) {
        if let Some(pending) = &mut self.pending {
            // RFC 9113 §6.10: only CONTINUATION on the same stream may follow
            if frame.kind != CONTINUATION || frame.stream_id != pending.headers.stream_id {
                self.outcome = Some(TapOutcome::Invalid);
                return;
            }
            pending.fragment.extend_from_slice(payload);
            pending.headers.continuations += 1;
            if frame.flags & FLAG_END_HEADERS != 0 {
                self.complete_block();
            }
            return;
        }
        if !self.seen_settings && frame.kind != SETTINGS {
            // RFC 9113 §3.4: the preface ends with a SETTINGS frame
            self.outcome = Some(TapOutcome::Invalid);
            return;
        }
        match frame.kind {
            SETTINGS => self.on_settings(frame, payload),
            WINDOW_UPDATE => match payload {
                [a, b, c, d] => self.record.window_updates.push(WindowUpdate {
                    stream_id: frame.stream_id,
                    increment: u32::from_be_bytes([*a, *b, *c, *d]) & 0x7fff_ffff,
                }),
                _ => self.outcome = Some(TapOutcome::Invalid),
            },
            PRIORITY => match parse_priority(frame.stream_id, payload) {
                Some(p) if payload.len() == 5 => self.record.priorities.push(p),
                _ => self.outcome = Some(TapOutcome::Invalid),
            },
            HEADERS => self.on_headers(frame, payload),
            CONTINUATION | DATA => self.outcome = Some(TapOutcome::Invalid),
            // PING, RST_STREAM, GOAWAY, unknown types: in `frames` only
            _ => {}
        }
    }

    fn on_settings(&mut self, frame: FrameHeader, payload: &[u8]) {
        if frame.stream_id != 0 || !payload.len().is_multiple_of(6) {
            self.outcome = Some(TapOutcome::Invalid);
            return;
        }
        if frame.flags & FLAG_ACK != 0 {
            if self.seen_settings && payload.is_empty() {
                return;
            }
            self.outcome = Some(TapOutcome::Invalid);
            return;
        }
        if self.seen_settings {
            return;
        }
        self.seen_settings = true;
        self.record.settings = payload
            .chunks_exact(6)
            .map(|c| Setting {
                id: u16::from_be_bytes([c[0], c[1]]),
                value: u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            })
            .collect();
    }

    fn on_headers(&mut self, frame: FrameHeader, payload: &[u8]) {
        if frame.stream_id == 0 {
            self.outcome = Some(TapOutcome::Invalid);
            return;
        }
        let mut rest = payload;
        let mut pad = 0usize;
        if frame.flags & FLAG_PADDED != 0 {
            let Some((&p, r)) = rest.split_first() else {
                self.outcome = Some(TapOutcome::Invalid);
                return;
            };
            pad = usize::from(p);
            rest = r;
        }
        let mut priority = None;
        if frame.flags & FLAG_PRIORITY != 0 {
            let Some(p) = parse_priority(frame.stream_id, rest) else {
                self.outcome = Some(TapOutcome::Invalid);
                return;
            };
            priority = Some(p);
            rest = &rest[5..];
        }
        let Some(fragment) = rest.len().checked_sub(pad).map(|n| &rest[..n]) else {
            self.outcome = Some(TapOutcome::Invalid);
            return;
        };
        self.pending = Some(PendingBlock {
            headers: FirstHeaders {
                stream_id: frame.stream_id,
                flags: frame.flags,
                priority,
                continuations: 0,
                pseudo_header_order: Vec::new(),
                header_names: Vec::new(),
                hpack_error: None,
            },
            fragment: fragment.to_vec(),
        });
        if frame.flags & FLAG_END_HEADERS != 0 {
            self.complete_block();
        }
    }

    fn complete_block(&mut self) {
        let Some(PendingBlock {
            mut headers,
            fragment,
        }) = self.pending.take()
        else {
            return;
        };
        let mut decoder = hpack::Decoder::new(self.header_table_size)
            .with_max_header_list_size(self.max_header_list_size);
        match decoder.decode(&fragment) {
            Ok(fields) => {
                for field in fields {
                    if field.name.first() == Some(&b':') {
                        if let Some(p) = PseudoHeader::from_name(&field.name) {
                            headers.pseudo_header_order.push(p);
                        }
                    } else if let Ok(name) = HeaderName::from_bytes(&field.name) {
                        headers.header_names.push(name);
                    }
                }
                self.outcome = Some(TapOutcome::Complete);
            }
            Err(e) => {
                headers.hpack_error = Some(e);
                self.outcome = Some(TapOutcome::Invalid);
            }
        }
        self.record.headers = Some(headers);
    }
}

/// The 5-byte priority block (E bit + 31-bit dependency, weight).
fn parse_priority(stream_id: u32, payload: &[u8]) -> Option<Priority> {
    let [a, b, c, d, weight, ..] = *payload else {
        return None;
    };
    let dep = u32::from_be_bytes([a, b, c, d]);
    Some(Priority {
        stream_id,
        dependency: dep & 0x7fff_ffff,
        weight,
        exclusive: dep & 0x8000_0000 != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut v = len.to_be_bytes()[1..].to_vec();
        v.push(kind);
        v.push(flags);
        v.extend_from_slice(&stream.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
        let payload: Vec<u8> = pairs
            .iter()
            .flat_map(|(id, v)| id.to_be_bytes().into_iter().chain(v.to_be_bytes()))
            .collect();
        frame(SETTINGS, 0, 0, &payload)
    }

    /// A Chrome-like start: SETTINGS, WINDOW_UPDATE, HEADERS with priority.
    fn chrome_like() -> Vec<u8> {
        let mut v = PREFACE.to_vec();
        v.extend(settings(&[
            (1, 65536),
            (2, 0),
            (4, 6_291_456),
            (6, 262_144),
        ]));
        v.extend(frame(WINDOW_UPDATE, 0, 0, &15_663_105u32.to_be_bytes()));
        // priority: exclusive, depends on 0, weight 255; then :method GET, :authority
        // "a" (literal, indexed name 1), :scheme https, :path /
        let mut payload = vec![0x80, 0, 0, 0, 255];
        payload.extend_from_slice(&[0x82, 0x41, 0x01, b'a', 0x87, 0x84]);
        // a regular header: user-agent (static index 58) "x", without indexing
        payload.extend_from_slice(&[0x0f, 0x2b, 0x01, b'x']);
        v.extend(frame(HEADERS, 0x25, 1, &payload));
        v
    }

    fn parse_split(input: &[u8], split: usize) -> EarlyFrames {
        let mut p = EarlyFrameParser::new(64 * 1024, 32, 4096);
        for chunk in input.chunks(split.max(1)) {
            if p.feed(chunk) {
                break;
            }
        }
        p.finish()
    }

    #[test]
    fn chrome_like_record_in_any_split() {
        let input = chrome_like();
        for split in [1, 2, 3, 7, 9, 24, 25, 100, input.len()] {
            let r = parse_split(&input, split);
            assert_eq!(r.outcome(), TapOutcome::Complete, "split {split}");
            let ids: Vec<_> = r.settings().iter().map(|s| (s.id, s.value)).collect();
            assert_eq!(ids, [(1, 65536), (2, 0), (4, 6_291_456), (6, 262_144)]);
            assert_eq!(
                r.window_updates(),
                [WindowUpdate {
                    stream_id: 0,
                    increment: 15_663_105
                }]
            );
            assert!(r.priorities().is_empty());
            assert_eq!(
                r.pseudo_header_order(),
                [
                    PseudoHeader::Method,
                    PseudoHeader::Authority,
                    PseudoHeader::Scheme,
                    PseudoHeader::Path
                ]
            );
            let h = r.first_headers().unwrap();
            assert_eq!(h.stream_id, 1);
            assert_eq!(h.flags, 0x25);
            assert_eq!(
                h.priority,
                Some(Priority {
                    stream_id: 1,
                    dependency: 0,
                    weight: 255,
                    exclusive: true
                })
            );
            assert_eq!(h.header_names, [http::header::USER_AGENT]);
            assert_eq!(r.frames().len(), 3);
        }
    }

    #[test]
    fn priority_frames_padding_and_continuation() {
        let mut v = PREFACE.to_vec();
        v.extend(settings(&[(3, 100)]));
        v.extend(frame(SETTINGS, FLAG_ACK, 0, &[]));
        v.extend(frame(PRIORITY, 0, 3, &[0, 0, 0, 0, 200]));
        v.extend(frame(PRIORITY, 0, 5, &[0x80, 0, 0, 3, 100]));
        // HEADERS, padded (2 bytes), no END_HEADERS: :path / then CONTINUATION: :method GET
        v.extend(frame(HEADERS, FLAG_PADDED, 7, &[2, 0x84, 0, 0]));
        v.extend(frame(CONTINUATION, FLAG_END_HEADERS, 7, &[0x82]));
        // whatever follows is ignored
        v.extend(frame(DATA, 0, 7, b"body"));
        let r = parse_split(&v, 5);
        assert_eq!(r.outcome(), TapOutcome::Complete);
        assert_eq!(
            r.priorities(),
            [
                Priority {
                    stream_id: 3,
                    dependency: 0,
                    weight: 200,
                    exclusive: false
                },
                Priority {
                    stream_id: 5,
                    dependency: 3,
                    weight: 100,
                    exclusive: true
                }
            ]
        );
        let h = r.first_headers().unwrap();
        assert_eq!(h.continuations, 1);
        assert_eq!(
            r.pseudo_header_order(),
            [PseudoHeader::Path, PseudoHeader::Method]
        );
        assert_eq!(r.frames().len(), 6);
    }

    #[test]
    fn bad_and_limited_input() {
        let mut bad_preface = b"GET / HTTP/1.1\r\n".to_vec();
        bad_preface.extend_from_slice(&[0; 16]);
        let mut no_settings_first = PREFACE.to_vec();
        no_settings_first.extend(frame(WINDOW_UPDATE, 0, 0, &[0, 0, 0, 1]));
        let mut bad_settings_len = PREFACE.to_vec();
        bad_settings_len.extend(frame(SETTINGS, 0, 0, &[0, 1, 0]));
        let mut bad_hpack = PREFACE.to_vec();
        bad_hpack.extend(settings(&[]));
        bad_hpack.extend(frame(HEADERS, FLAG_END_HEADERS, 1, &[0x80]));
        let mut interleaved = PREFACE.to_vec();
        interleaved.extend(settings(&[]));
        interleaved.extend(frame(HEADERS, 0, 1, &[0x82]));
        interleaved.extend(frame(PRIORITY, 0, 3, &[0, 0, 0, 0, 1]));
        let mut pad_too_long = PREFACE.to_vec();
        pad_too_long.extend(settings(&[]));
        pad_too_long.extend(frame(
            HEADERS,
            FLAG_PADDED | FLAG_END_HEADERS,
            1,
            &[5, 0x82],
        ));
        let mut many_frames = PREFACE.to_vec();
        many_frames.extend(settings(&[]));
        for _ in 0..40 {
            many_frames.extend(frame(0x6, 0, 0, &[0; 8])); // PING
        }
        let mut huge_frame = PREFACE.to_vec();
        huge_frame.extend(settings(&[]));
        huge_frame.extend(frame(0x6, 0, 0, &[0; 70_000]));
        let rows: Vec<(&str, Vec<u8>, TapOutcome)> = vec![
            ("empty", vec![], TapOutcome::Incomplete),
            (
                "half preface",
                PREFACE[..10].to_vec(),
                TapOutcome::Incomplete,
            ),
            ("bad preface", bad_preface, TapOutcome::Invalid),
            (
                "window update first",
                no_settings_first,
                TapOutcome::Invalid,
            ),
            ("settings length", bad_settings_len, TapOutcome::Invalid),
            ("hpack error", bad_hpack, TapOutcome::Invalid),
            (
                "frame inside header block",
                interleaved,
                TapOutcome::Invalid,
            ),
            (
                "padding longer than payload",
                pad_too_long,
                TapOutcome::Invalid,
            ),
            ("frame limit", many_frames, TapOutcome::FrameLimit),
            ("byte limit", huge_frame, TapOutcome::ByteLimit),
        ];
        for (name, input, want) in rows {
            for split in [1, 13, 4096] {
                let r = parse_split(&input, split);
                assert_eq!(r.outcome(), want, "{name} split {split}");
            }
        }
    }
}
