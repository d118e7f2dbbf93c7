//! rama-http: HTTP for rama, with wire fidelity (in progress).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
pub mod wire;

pub use body::Body;
pub use http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header,
};
