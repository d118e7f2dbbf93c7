//! Connection pooling of the [`EasyHttpWebClient`]: many requests, few connections.
//!
//! Sends N sequential HTTP/1.1 requests (one connection is reused), then N concurrent ones
//! (a few connections, parked for the next round), then N concurrent h2 requests with prior
//! knowledge (one connection, multiplexed). Prints the pool's counters after each phase and,
//! when the server is `http_echo`, how many distinct client ports the server saw (its
//! `# peer:` lines).
//!
//! ```text
//! cargo run -p rama-examples --bin http_echo 127.0.0.1:62022 &
//! cargo run -p rama-examples --bin http_pooled_client http://127.0.0.1:62022/ 100
//! ```

use rama::{
    error::{BoxError, ErrorContext},
    http::client::{ClientVersion, EasyHttpWebClient, HttpClientExt, ResponseExt},
};
use std::collections::HashSet;

/// The `# peer: ADDR` line of an `http_echo` answer, if any.
fn peer_of(answer: &str) -> Option<String> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("# peer: "))
        .map(str::to_owned)
}

fn report(phase: &str, client: &EasyHttpWebClient, peers: &HashSet<String>) {
    let c = client.pool().counters();
    println!(
        "{phase}: created={} reused={} evicted={} idle={} distinct_peers={}",
        c.created(),
        c.reused(),
        c.evicted(),
        client.pool().idle_count(),
        peers.len()
    );
}

async fn concurrent(
    client: &EasyHttpWebClient,
    url: &str,
    n: usize,
) -> Result<HashSet<String>, BoxError> {
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let client = client.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let text = client
                .get(&url)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            Ok::<_, BoxError>(peer_of(&text))
        }));
    }
    let mut peers = HashSet::new();
    for task in tasks {
        if let Some(peer) = task.await.context("request task")?? {
            peers.insert(peer);
        }
    }
    Ok(peers)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .context("usage: http_pooled_client URL [N] (e.g. http://127.0.0.1:62022/ 100)")?;
    let n: usize = args
        .next()
        .map_or(Ok(100), |s| s.parse())
        .context("parse N (the second argument)")?;

    let client = EasyHttpWebClient::new();
    let mut peers = HashSet::new();
    for _ in 0..n {
        let text = client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        peers.extend(peer_of(&text));
    }
    report("http1 sequential", &client, &peers);

    let peers = concurrent(&client, &url, n).await?;
    report("http1 concurrent", &client, &peers);

    let h2 = EasyHttpWebClient::new().with_version(ClientVersion::H2PriorKnowledge);
    let peers = concurrent(&h2, &url, n).await?;
    report("h2 concurrent", &h2, &peers);
    Ok(())
}
