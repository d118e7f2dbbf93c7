//! Addresses: [`Domain`], [`Host`], [`Authority`], [`SocketAddress`] and
//! [`HostWithOptPort`], with strict parsers and printers that round-trip.
//!
//! | type | holds | parses |
//! |---|---|---|
//! | [`Domain`] | a validated DNS name, ASCII (punycode) and lowercase | `example.com`, `bücher.example` |
//! | [`Host`] | a domain or an IP address | `example.com`, `1.2.3.4`, `::1`, `[::1]` |
//! | [`Authority`] | host and port | `example.com:443`, `[::1]:8080` |
//! | [`HostWithOptPort`] | host and optional port (HTTP `Host` header) | `example.com`, `[::1]:8080` |
//! | [`SocketAddress`] | IP address and port | `127.0.0.1:80`, `[::1]:443` |
//! | [`IpClass`] | which network an IP address belongs to | (from an `IpAddr`) |
//!
//! Every parser returns an [`AddressParseError`] naming the input and the reason; none
//! panics. For every value `x`, `x.to_string().parse() == Ok(x)`.
//!
//! ```
//! use rama_net::address::{Authority, Host, SocketAddress};
//!
//! let target: Authority = "example.com:443".parse()?;
//! assert!(matches!(target.host(), Host::Name(_)));
//!
//! let bind = SocketAddress::local_ipv4(8080);
//! assert_eq!(Authority::from(bind).to_string(), "127.0.0.1:8080");
//! # Ok::<(), rama_net::address::AddressParseError>(())
//! ```

mod authority;
mod domain;
mod error;
mod host;
mod host_with_opt_port;
mod ip_class;
mod parse;
mod proxy_address;
mod socket_address;

pub use authority::Authority;
pub use domain::{Domain, MAX_DOMAIN_LEN, MAX_LABEL_LEN};
pub use error::{AddressKind, AddressParseError, AddressParseErrorKind, DomainParseError};
pub use host::Host;
pub use host_with_opt_port::HostWithOptPort;
pub use ip_class::IpClass;
pub use proxy_address::{ProxyAddress, ProxyAddressParseError};
pub use socket_address::SocketAddress;
