//! An upstream proxy database: [`MemoryProxyDB`] holds the proxies a proxy may forward
//! through (loaded from JSON or CSV), [`ProxyFilter`] says which ones a request may use
//! (usually read from its proxy-username labels), and [`ProxyDBLayer`] picks one per
//! request or connection and hands its address to the client stack: proxy chaining.
//!
//! ```text
//! client ──(user-country-us-session-7)──> rama proxy ──> upstream proxy (us) ──> target
//!                                         │ ProxyAuthLayer: labels into extensions
//!                                         │ ProxyDBLayer: filter → Proxy → ProxyAddress
//!                                         └ ProxyConnector / EasyHttpWebClient: connect via it
//! ```
//!
//! Start with [`MemoryProxyDB`] for the file formats and selection, [`filter`] for the
//! username label grammar and [`layer`] for where the answer goes.

mod csv;
mod db;
mod error;
pub mod filter;
pub mod layer;
mod record;

pub use db::{MemoryProxyDB, Selection};
pub use error::{LoadError, ProxyDBError};
pub use filter::ProxyFilter;
pub use layer::{ProxyDBLayer, ProxyDBService};
pub use record::{CSV_COLUMNS, Proxy};
