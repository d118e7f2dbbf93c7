//! A bounds-checked reader over a byte slice: every read checks the remaining length, so a
//! lying length field becomes an error, never a panic or an over-read.

use super::ClientHelloParseError;

/// Reads big-endian integers and length-prefixed vectors from a slice.
#[derive(Debug, Clone)]
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    /// What is being read, for error messages (`cipher_suites`, `extension key_share`).
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(super) const fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, what }
    }

    pub(super) const fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(super) const fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn short(&self, field: &str, need: usize) -> ClientHelloParseError {
        ClientHelloParseError::malformed(format!(
            "{}: {field} needs {need} bytes, only {} left",
            self.what,
            self.buf.len()
        ))
    }

    pub(super) fn bytes(
        &mut self,
        n: usize,
        field: &str,
    ) -> Result<&'a [u8], ClientHelloParseError> {
        let Some((head, rest)) = self.buf.split_at_checked(n) else {
            return Err(self.short(field, n));
        };
        self.buf = rest;
        Ok(head)
    }

    pub(super) fn u8(&mut self, field: &str) -> Result<u8, ClientHelloParseError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(super) fn u16(&mut self, field: &str) -> Result<u16, ClientHelloParseError> {
        self.array::<2>(field).map(u16::from_be_bytes)
    }

    pub(super) fn array<const N: usize>(
        &mut self,
        field: &str,
    ) -> Result<[u8; N], ClientHelloParseError> {
        let bytes = self.bytes(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// A vector behind a one-byte length.
    pub(super) fn vec8(&mut self, field: &str) -> Result<&'a [u8], ClientHelloParseError> {
        let len = self.u8(field)?;
        self.bytes(usize::from(len), field)
    }

    /// A vector behind a two-byte length.
    pub(super) fn vec16(&mut self, field: &str) -> Result<&'a [u8], ClientHelloParseError> {
        let len = self.u16(field)?;
        self.bytes(usize::from(len), field)
    }

    /// Fails unless everything was read.
    pub(super) fn finish(&self) -> Result<(), ClientHelloParseError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(ClientHelloParseError::malformed(format!(
                "{}: {} unexpected trailing bytes",
                self.what,
                self.buf.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let mut c = Cursor::new(&[0x01, 0x00, 0x02, 0xaa, 0xbb, 0x05], "test");
        assert_eq!(c.u8("a").unwrap(), 1);
        assert_eq!(c.vec16("b").unwrap(), &[0xaa, 0xbb]);
        assert!(c.finish().is_err());
        let err = c.vec8("c").unwrap_err();
        assert!(err.is_malformed());
        assert!(
            err.to_string().contains("c needs 5 bytes, only 0 left"),
            "{err}"
        );
        assert!(c.is_empty());
        assert!(c.u16("d").is_err());
    }
}
