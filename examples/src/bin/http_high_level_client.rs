//! The high-level HTTP client: `client.get(url).query(..).header(..).send()` with the
//! [`HttpClientExt`] builders on the pooled [`EasyHttpWebClient`], and the [`ResponseExt`]
//! helpers to read the answer.
//!
//! Shows: query pairs, headers with a caller-chosen order and spelling on the wire
//! (`header_order`), bearer auth, a JSON body, a timeout, `error_for_status`, `text()`.
//!
//! ```text
//! cargo run -p rama-examples --bin http_echo 127.0.0.1:62022 &
//! cargo run -p rama-examples --bin http_high_level_client http://127.0.0.1:62022/
//! ```
//!
//! Against `http_echo` the first answer starts like this (the echo writes the request head
//! as it arrived):
//!
//! ```text
//! GET /?lang=en&q=rama+client HTTP/1.1
//! X-Example: high-level
//! Host: 127.0.0.1:62022
//! Authorization: Bearer demo-token
//! ```

use rama::{
    error::{BoxError, ErrorContext},
    http::client::{EasyHttpWebClient, HttpClientExt, ResponseExt},
};
use std::{collections::BTreeMap, time::Duration};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let url = std::env::args()
        .nth(1)
        .context("usage: http_high_level_client URL (e.g. http://127.0.0.1:62022/)")?;
    let client = EasyHttpWebClient::new();

    // a GET with a query, headers in the order and spelling we choose, and a bearer token
    let text = client
        .get(&url)
        .query(&[("lang", "en"), ("q", "rama client")])
        .header("authorization", "placeholder") // replaced by bearer_auth below
        .header("x-example", "high-level")
        .header_order(["X-Example", "Host", "Authorization"])
        .bearer_auth("demo-token")
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .context("GET")?
        .error_for_status()?
        .text()
        .await?;
    println!("== GET\n{text}");

    // a POST with a JSON body (any `serde::Serialize` value)
    let mut doc = BTreeMap::new();
    doc.insert("name", "rama");
    doc.insert("kind", "framework");
    let text = client
        .post(&url)
        .json(&doc)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .context("POST")?
        .error_for_status()?
        .text()
        .await?;
    println!("== POST\n{text}");

    let pool = client.pool().counters();
    println!(
        "== pool: {} connection(s) created, {} reuse(s)",
        pool.created(),
        pool.reused()
    );
    Ok(())
}
