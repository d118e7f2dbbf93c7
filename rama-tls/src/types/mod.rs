//! TLS protocol ids: versions, cipher suites, groups, signature schemes, extension types,
//! point formats, PSK modes, certificate compression, compression methods and ALPN ids.
//!
//! Every id is a small `Copy` newtype over its wire value (`u16`, or `u8` where the wire
//! field is one byte) with associated constants named after the IANA registry. Any value
//! converts in and out losslessly, so an id this crate does not know (a new codepoint, or a
//! GREASE value of [RFC 8701]) is kept exactly as it was received, never folded into another
//! value. `Display` prints the IANA name, `GREASE(0x1a1a)` or `Unknown(0x1234)`.
//!
//! ```
//! use rama_tls::types::{CipherSuite, ExtensionId, SupportedGroup};
//!
//! let suite = CipherSuite::from(0x1301);
//! assert_eq!(suite, CipherSuite::TLS_AES_128_GCM_SHA256);
//! assert_eq!(suite.to_string(), "TLS_AES_128_GCM_SHA256");
//! assert_eq!(u16::from(suite), 0x1301);
//!
//! let grease = SupportedGroup::from(0x3a3a);
//! assert!(grease.is_grease());
//! assert_eq!(grease.to_string(), "GREASE(0x3a3a)");
//! assert_eq!(u16::from(grease), 0x3a3a);
//!
//! assert_eq!(ExtensionId::from(0x44cd), ExtensionId::APPLICATION_SETTINGS);
//! assert_eq!(ExtensionId::from_name("server_name"), Some(ExtensionId::SERVER_NAME));
//! assert_eq!(ExtensionId::from(0x7777).to_string(), "Unknown(0x7777)");
//! ```
//!
//! [RFC 8701]: https://www.rfc-editor.org/rfc/rfc8701

/// Defines a protocol id newtype with IANA-named constants.
///
/// Each constant is `NAME = value` (its IANA name is `NAME`) or `NAME = value as "iana"`.
/// `grease(path)` after the struct (optional) names a `const fn(repr) -> bool` that recognises GREASE values.
macro_rules! tls_id {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty) $(grease($grease:path))?;
        $(
            $(#[$cmeta:meta])*
            $const:ident = $value:literal $(as $iana:literal)?;
        )*
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($repr);

        impl $name {
            $(
                $(#[$cmeta])*
                #[doc = concat!("Wire value `", stringify!($value), "`.")]
                pub const $const: Self = Self($value);
            )*

            /// Every value with a registered name that this crate knows, in registry order.
            pub const KNOWN: &'static [Self] = &[$(Self::$const),*];

            /// Wraps a raw wire value; any value is accepted and kept as is.
            #[must_use]
            pub const fn new(value: $repr) -> Self {
                Self(value)
            }

            /// The raw wire value.
            #[must_use]
            pub const fn value(self) -> $repr {
                self.0
            }

            /// The registered (IANA) name, `None` for an unknown or GREASE value.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(tls_id!(@name $const $($iana)?)),)*
                    _ => None,
                }
            }

            /// Whether this crate knows a registered name for this value.
            #[must_use]
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }

            /// Looks a value up by its registered name (ASCII case-insensitive).
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::KNOWN
                    .iter()
                    .copied()
                    .find(|id| id.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            }

            tls_id!(@grease $repr $(, $grease)?);
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $repr {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                const WIDTH: usize = 2 + 2 * ::std::mem::size_of::<$repr>();
                match self.name() {
                    Some(name) => f.write_str(name),
                    None if self.grease() => write!(f, "GREASE({:#0w$x})", self.0, w = WIDTH),
                    None => write!(f, "Unknown({:#0w$x})", self.0, w = WIDTH),
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
    };
    (@name $const:ident) => { stringify!($const) };
    (@name $const:ident $iana:literal) => { $iana };
    (@grease $repr:ty) => {
        const fn grease(self) -> bool {
            false
        }
    };
    (@grease $repr:ty, $grease:path) => {
        /// Whether this is a GREASE value (RFC 8701): reserved, sent to keep peers tolerant
        /// of unknown values, never negotiated.
        #[must_use]
        pub const fn is_grease(self) -> bool {
            $grease(self.0)
        }

        const fn grease(self) -> bool {
            self.is_grease()
        }
    };
}

mod alpn;
mod cert_compression;
mod cipher_suite;
mod compression_method;
mod ec_point_format;
mod extension;
mod grease;
mod group;
mod psk_mode;
mod signature;
mod version;

pub use alpn::{AlpnError, AlpnList, ApplicationProtocol};
pub use cert_compression::CertificateCompressionAlgorithm;
pub use cipher_suite::CipherSuite;
pub use compression_method::CompressionMethod;
pub use ec_point_format::ECPointFormat;
pub use extension::ExtensionId;
pub use grease::{is_grease_u8, is_grease_u16};
pub use group::SupportedGroup;
pub use psk_mode::PskKeyExchangeMode;
pub use signature::SignatureScheme;
pub use version::ProtocolVersion;
