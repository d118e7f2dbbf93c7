//! HTTP middleware layers.
//!
//! | layer | does |
//! |---|---|
//! | [`error_handler::ErrorHandlerLayer`] | turns service errors into responses (default `500`) |
//! | [`set_header::SetRequestHeaderLayer`], [`set_header::SetResponseHeaderLayer`] | set a header: overriding, if not present, or appending |
//! | [`remove_header::RemoveRequestHeaderLayer`], [`remove_header::RemoveResponseHeaderLayer`] | remove headers by name, or the hop-by-hop set |
//! | [`propagate_header::PropagateHeaderLayer`] | copy a request header onto the response |
//! | [`request_id::RequestIdLayer`] | set `x-request-id` when absent, record it, put it on the response |
//! | [`map_body::MapRequestBodyLayer`], [`map_body::MapResponseBodyLayer`] | transform request / response bodies with a function |
//! | [`normalize_path::NormalizePathLayer`] | collapse `//`, trim or append a trailing `/` |

pub mod error_handler;
pub mod map_body;
pub mod normalize_path;
pub mod propagate_header;
pub mod remove_header;
pub mod request_id;
pub mod set_header;
