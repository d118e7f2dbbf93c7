//! HTTP middleware layers.
//!
//! | layer | does |
//! |---|---|
//! | [`error_handler::ErrorHandlerLayer`] | turns service errors into responses (default `500`) |
//! | [`set_header::SetRequestHeaderLayer`], [`set_header::SetResponseHeaderLayer`] | set a header: overriding, if not present, or appending |
//! | [`remove_header::RemoveRequestHeaderLayer`], [`remove_header::RemoveResponseHeaderLayer`] | remove headers by name, or the hop-by-hop set |
//! | [`propagate_header::PropagateHeaderLayer`] | copy a request header onto the response |

pub mod error_handler;
pub mod propagate_header;
pub mod remove_header;
pub mod set_header;
