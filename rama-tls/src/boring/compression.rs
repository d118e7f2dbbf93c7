//! Certificate decompression (RFC 8879) for the client: zlib and brotli, registered with
//! BoringSSL so it offers them in the `compress_certificate` extension.

use super::client_ext::CertCompression;
use crate::config::ConfigError;
use boring::ssl::{CertificateCompressionAlgorithm, CertificateCompressor, SslContextBuilder};
use std::io::{self, Read, Write};

/// Registers `algorithm` (decompression only) on a client context.
pub(crate) fn register(
    ctx: &mut SslContextBuilder,
    algorithm: CertCompression,
) -> Result<(), ConfigError> {
    let registered = match algorithm {
        CertCompression::Zlib => ctx.add_certificate_compression_algorithm(Zlib),
        CertCompression::Brotli => ctx.add_certificate_compression_algorithm(Brotli),
    };
    registered.map_err(|e| {
        ConfigError::with_source(
            format!("offer certificate compression {algorithm:?} (listed twice?)"),
            e,
        )
    })
}

struct Zlib;

impl CertificateCompressor for Zlib {
    const ALGORITHM: CertificateCompressionAlgorithm = CertificateCompressionAlgorithm::ZLIB;
    const CAN_COMPRESS: bool = false;
    const CAN_DECOMPRESS: bool = true;

    fn decompress<W: Write>(&self, input: &[u8], output: &mut W) -> io::Result<()> {
        copy_all(flate2::read::ZlibDecoder::new(input), output)
    }
}

struct Brotli;

impl CertificateCompressor for Brotli {
    const ALGORITHM: CertificateCompressionAlgorithm = CertificateCompressionAlgorithm::BROTLI;
    const CAN_COMPRESS: bool = false;
    const CAN_DECOMPRESS: bool = true;

    fn decompress<W: Write>(&self, input: &[u8], output: &mut W) -> io::Result<()> {
        copy_all(brotli_decompressor::Decompressor::new(input, 4096), output)
    }
}

/// Copies all of `reader` into `output`. The output is BoringSSL's buffer of the announced
/// uncompressed length: writing past it fails, which bounds a decompression bomb.
fn copy_all(mut reader: impl Read, output: &mut impl Write) -> io::Result<()> {
    io::copy(&mut reader, output).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_round_trip_and_garbage() {
        let data = b"certificate bytes ".repeat(50);
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&data).unwrap();
        let compressed = enc.finish().unwrap();
        let mut out = Vec::new();
        Zlib.decompress(&compressed, &mut out).unwrap();
        assert_eq!(out, data);
        assert!(Zlib.decompress(b"not zlib", &mut Vec::new()).is_err());
    }

    #[test]
    fn brotli_garbage_is_refused() {
        // a valid empty brotli stream (one byte: ISLAST, ISEMPTY) and junk
        let mut out = Vec::new();
        Brotli.decompress(&[0x06], &mut out).unwrap();
        assert!(out.is_empty());
        assert!(Brotli.decompress(&[0xff; 16], &mut Vec::new()).is_err());
    }

    #[test]
    fn output_is_bounded_by_the_buffer() {
        let data = vec![0u8; 4096];
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&data).unwrap();
        let compressed = enc.finish().unwrap();
        let mut small = [0u8; 100];
        assert!(Zlib.decompress(&compressed, &mut &mut small[..]).is_err());
    }
}
