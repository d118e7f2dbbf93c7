//! Body decoders: chunked (RFC 9112 §7.1), fixed length, and close-delimited.
//!
//! [`BodyDecoder::decode`] takes bytes off the front of the connection's read buffer and
//! returns the next [`Decoded`] item, or `None` when it needs more bytes. Data is split off
//! the buffer without copying. What stays in the buffer after [`Decoded::End`] belongs to the
//! next message.
//!
//! The chunked decoder is strict where framing is at stake: hex sizes without sign or
//! prefix, overflow rejected, whitespace only before a `;` extension, CRLF required after the
//! size line and after each chunk's data (a bare LF is an error), extensions bounded per line
//! and per body, trailers parsed with the same field rules as headers and bounded in bytes
//! and count.

use super::fields::{SpareMap, parse_fields};
use super::framing::BodyFraming;
use super::{DecodeError, Http1Limits};
use bytes::{Buf, Bytes, BytesMut};
use http::HeaderMap;

/// One step of a decoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Body data.
    Data(Bytes),
    /// The trailers of a chunked body; [`End`](Self::End) follows.
    Trailers(HeaderMap),
    /// The body is complete.
    End,
}

/// Decodes one message body of a given [`BodyFraming`].
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Length(u64),
    Chunked(Box<Chunked>),
    Eof,
    Done,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`. [`BodyFraming::Empty`] and
    /// [`BodyFraming::Tunnel`] give a decoder that ends at once (a tunnel's bytes are not a
    /// body: the engine hands the IO over instead).
    #[must_use]
    pub fn new(framing: BodyFraming, limits: &Http1Limits) -> Self {
        let kind = match framing {
            BodyFraming::Empty | BodyFraming::Tunnel | BodyFraming::Length(0) => Kind::Done,
            BodyFraming::Length(n) => Kind::Length(n),
            BodyFraming::Chunked => Kind::Chunked(Box::new(Chunked::new(limits))),
            BodyFraming::CloseDelimited => Kind::Eof,
        };
        Self { kind }
    }

    /// Whether the body is complete (after [`Decoded::End`] was returned, or at once for an
    /// empty body).
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self.kind, Kind::Done)
    }

    /// For a fixed-length body: how many bytes are still to come.
    #[must_use]
    pub fn remaining(&self) -> Option<u64> {
        match self.kind {
            Kind::Length(n) => Some(n),
            Kind::Done => Some(0),
            _ => None,
        }
    }

    /// Takes the next item off the front of `buf`; `Ok(None)`: more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, DecodeError> {
        match &mut self.kind {
            Kind::Done => Ok(Some(Decoded::End)),
            Kind::Length(remaining) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let take = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                *remaining -= take as u64;
                if *remaining == 0 {
                    self.kind = Kind::Done;
                }
                Ok(Some(Decoded::Data(buf.split_to(take).freeze())))
            }
            Kind::Eof => {
                if buf.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(Decoded::Data(buf.split().freeze())))
                }
            }
            Kind::Chunked(c) => {
                let out = c.decode(buf)?;
                if c.state == State::Done && out == Some(Decoded::End) {
                    self.kind = Kind::Done;
                }
                Ok(out)
            }
        }
    }

    /// Like [`decode`](Self::decode), once the peer closed the connection: a close-delimited
    /// body ends here; any other body that is not complete is
    /// [`DecodeError::IncompleteBody`].
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Decoded, DecodeError> {
        match self.decode(buf)? {
            Some(item) => Ok(item),
            None if matches!(self.kind, Kind::Eof) => {
                self.kind = Kind::Done;
                Ok(Decoded::End)
            }
            None => Err(DecodeError::IncompleteBody),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// hex digits of the chunk size
    Size,
    /// whitespace after the size, which must lead to `;`
    SizeWs,
    /// a chunk extension, up to CR
    Ext,
    /// the LF after the size line's CR
    SizeLf,
    /// chunk data, this many bytes to go
    Data(u64),
    /// the CR after chunk data
    DataCr,
    /// the LF after chunk data
    DataLf,
    /// the trailer section after the last chunk
    Trailers,
    Done,
}

#[derive(Debug, Clone)]
struct Chunked {
    state: State,
    size: u64,
    digits: usize,
    line_len: usize,
    ext_total: usize,
    trailers: Vec<u8>,
    trailer_lines: usize,
    max_line: usize,
    max_ext: usize,
    max_trailer_bytes: usize,
    max_trailers: usize,
}

impl Chunked {
    fn new(limits: &Http1Limits) -> Self {
        Self {
            state: State::Size,
            size: 0,
            digits: 0,
            line_len: 0,
            ext_total: 0,
            trailers: Vec::new(),
            trailer_lines: 0,
            max_line: limits.max_chunk_line_bytes(),
            max_ext: limits.max_chunk_extensions_bytes(),
            max_trailer_bytes: limits.max_trailer_bytes(),
            max_trailers: limits.max_trailers(),
        }
    }

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, DecodeError> {
        loop {
            if self.state == State::Done {
                return Ok(Some(Decoded::End));
            }
            if let State::Data(remaining) = self.state {
                if buf.is_empty() {
                    return Ok(None);
                }
                let take = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                let left = remaining - take as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data(left)
                };
                return Ok(Some(Decoded::Data(buf.split_to(take).freeze())));
            }
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            buf.advance(1);
            if let Some(item) = self.step(b)? {
                return Ok(Some(item));
            }
        }
    }

    /// One byte of a size line, a data CRLF or the trailer section.
    fn step(&mut self, b: u8) -> Result<Option<Decoded>, DecodeError> {
        if matches!(self.state, State::Size | State::SizeWs | State::Ext) {
            self.line_len += 1;
            // the CR is not part of the line
            if b != b'\r' && self.line_len > self.max_line {
                return Err(DecodeError::ChunkLineTooLong {
                    limit: self.max_line,
                });
            }
        }
        match self.state {
            State::Size => match b {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                    let digit = u64::from(hex_value(b));
                    self.size = self
                        .size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(digit))
                        .ok_or(DecodeError::ChunkSizeOverflow)?;
                    self.digits += 1;
                }
                _ if self.digits == 0 => return Err(DecodeError::InvalidChunkSize),
                b' ' | b'\t' => self.state = State::SizeWs,
                b';' => self.start_extension()?,
                b'\r' => self.state = State::SizeLf,
                _ => return Err(DecodeError::InvalidChunkSize),
            },
            State::SizeWs => match b {
                b' ' | b'\t' => {}
                b';' => self.start_extension()?,
                _ => return Err(DecodeError::InvalidChunkFraming),
            },
            State::Ext => match b {
                b'\r' => self.state = State::SizeLf,
                b'\t' | 0x20..=0x7e | 0x80..=0xff => self.count_extension_byte()?,
                _ => return Err(DecodeError::InvalidChunkFraming),
            },
            State::SizeLf => {
                if b != b'\n' {
                    return Err(DecodeError::InvalidChunkFraming);
                }
                self.state = if self.size == 0 {
                    State::Trailers
                } else {
                    State::Data(self.size)
                };
                self.size = 0;
                self.digits = 0;
                self.line_len = 0;
            }
            State::DataCr if b == b'\r' => self.state = State::DataLf,
            State::DataLf if b == b'\n' => self.state = State::Size,
            State::DataCr | State::DataLf => return Err(DecodeError::InvalidChunkFraming),
            State::Trailers => return self.trailer_byte(b),
            State::Data(_) | State::Done => {}
        }
        Ok(None)
    }

    /// The `;` that starts the extensions (counted with them).
    fn start_extension(&mut self) -> Result<(), DecodeError> {
        self.state = State::Ext;
        self.count_extension_byte()
    }

    fn count_extension_byte(&mut self) -> Result<(), DecodeError> {
        self.ext_total += 1;
        if self.ext_total > self.max_ext {
            return Err(DecodeError::ChunkExtensionsTooLarge {
                limit: self.max_ext,
            });
        }
        Ok(())
    }

    fn trailer_byte(&mut self, b: u8) -> Result<Option<Decoded>, DecodeError> {
        self.trailers.push(b);
        if self.trailers.len() > self.max_trailer_bytes {
            return Err(DecodeError::TrailersTooLarge {
                limit: self.max_trailer_bytes,
            });
        }
        if b != b'\n' {
            return Ok(None);
        }
        let t = &self.trailers;
        if t.len() < 2 || t[t.len() - 2] != b'\r' {
            return Err(DecodeError::InvalidChunkFraming);
        }
        let line_start = t[..t.len() - 2]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        if line_start + 2 < t.len() {
            // a field line
            self.trailer_lines += 1;
            if self.trailer_lines > self.max_trailers {
                return Err(DecodeError::TrailersTooLarge {
                    limit: self.max_trailers,
                });
            }
            return Ok(None);
        }
        // the empty line: end of the trailer section
        self.state = State::Done;
        if self.trailer_lines == 0 {
            return Ok(Some(Decoded::End));
        }
        let block = Bytes::from(std::mem::take(&mut self.trailers));
        let (fields, _names, _) =
            parse_fields(&block, self.trailer_lines, None, &mut SpareMap::default())
                .map_err(DecodeError::InvalidTrailer)?;
        Ok(Some(Decoded::Trailers(fields)))
    }
}

const fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

#[cfg(test)]
mod tests;
