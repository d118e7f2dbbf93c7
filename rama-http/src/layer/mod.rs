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
//! | [`body_limit::BodyLimitLayer`] | caps request body size: `413` at once or when reading past the limit |
//! | [`catch_panic::CatchPanicLayer`] | turns a panic in the inner service into `500` |
//! | [`sensitive_headers::SetSensitiveRequestHeadersLayer`], [`sensitive_headers::SetSensitiveResponseHeadersLayer`] | mark header values sensitive (default: auth and cookies) |
//! | [`timeout::TimeoutLayer`] | answers `408` when the inner service is too slow |
//! | [`compression::CompressionLayer`], [`compression::RequestCompressionLayer`] | compresses responses (or, client side, requests) (gzip, deflate, br, zstd) per `Accept-Encoding` |
//! | [`cors::CorsLayer`] | CORS: answers preflights with `204`, adds `Access-Control-*` headers |
//! | [`decompression::RequestDecompressionLayer`], [`decompression::DecompressionLayer`] | decode request / response bodies, with a size guard |
//! | [`trace::TraceLayer`] | a `tracing` span per request with OpenTelemetry field names |
//! | [`add_authorization::AddAuthorizationLayer`] | put `Basic` / `Bearer` credentials on requests (sensitive header) |
//! | [`validate_authorization::ValidateAuthorizationLayer`] | `401` + `WWW-Authenticate` unless credentials match (constant time) |
//! | [`retry::HttpRetryPolicy`] (with `rama_core`'s `RetryLayer`) | retry idempotent requests on errors and `502`/`503`/`504`, replaying buffered bodies |
//! | [`follow_redirect::FollowRedirectLayer`] | client: follow `301`-`308` (method rules, credentials stripped across origins, max count) |
//! | [`forwarded::GetForwardedLayer`], [`forwarded::SetForwardedLayer`] | read `Forwarded` / `X-Forwarded-*` from trusted proxies; append this hop |

pub mod add_authorization;
pub mod body_limit;
pub mod catch_panic;
pub mod compression;
pub mod cors;
pub mod decompression;
pub mod error_handler;
pub mod follow_redirect;
pub mod forwarded;
pub mod map_body;
pub mod normalize_path;
pub mod propagate_header;
pub mod remove_header;
pub mod request_id;
pub mod retry;
pub mod sensitive_headers;
pub mod set_header;
pub mod timeout;
pub mod trace;
pub mod validate_authorization;
