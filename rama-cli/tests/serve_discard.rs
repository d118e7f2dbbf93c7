//! `rama serve discard`: the real binary on loopback.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use support::{IO_TIMEOUT, Rama, pattern, run_client, tool_available};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

#[tokio::test]
async fn discard_reads_everything_and_answers_nothing() {
    let rama = Rama::start(&["serve", "discard", "--bind", "127.0.0.1:0"]);
    let mut stream = TcpStream::connect(rama.addr()).await.unwrap();
    // more than the socket buffers hold: the server must really read it
    timeout(IO_TIMEOUT, stream.write_all(&pattern(8 << 20)))
        .await
        .expect("discard stopped reading")
        .unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    timeout(IO_TIMEOUT, stream.read_to_end(&mut answer))
        .await
        .expect("discard did not close after EOF")
        .unwrap();
    assert!(answer.is_empty(), "discard answered {} bytes", answer.len());
    rama.stop_cleanly();
}

#[tokio::test]
async fn discard_with_nc() {
    if !tool_available("nc") {
        return;
    }
    let rama = Rama::start(&["serve", "discard", "--bind", "127.0.0.1:0"]);
    let port = rama.addr().port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        run_client(
            "nc",
            &["-N", "127.0.0.1", &port],
            &pattern(100_000),
            IO_TIMEOUT,
        )
    })
    .await
    .unwrap();
    assert!(out.is_empty());
    rama.stop_cleanly();
}
