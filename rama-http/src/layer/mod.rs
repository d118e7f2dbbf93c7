//! HTTP middleware layers.
//!
//! | layer | does |
//! |---|---|
//! | [`error_handler::ErrorHandlerLayer`] | turns service errors into responses (default `500`) |

pub mod error_handler;
