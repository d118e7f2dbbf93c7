//! 10,000 connect/drop cycles against a running listener leave no task and no file
//! descriptor behind. Its own test binary, so that no other test opens fds meanwhile.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{graceful::Shutdown, service_fn};
use rama_tcp::{TcpStream, server::TcpListener};
use std::{io, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_drop_cycles_leak_no_task_and_no_fd() {
    const CYCLES: usize = 10_000;
    let metrics = tokio::runtime::Handle::current().metrics();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::manual();
    let svc = service_fn(async |mut stream: TcpStream| {
        // read until the client goes away, answer one byte on the way
        let mut buf = [0u8; 64];
        if stream.read(&mut buf).await? > 0 {
            stream.write_all(b"!").await?;
            while stream.read(&mut buf).await? > 0 {}
        }
        Ok::<_, io::Error>(())
    });
    shutdown.spawn_task_fn(async move |guard| listener.serve_graceful(guard, svc).await);

    // warm up (runtime threads, lazily opened fds such as the epoll's), then measure
    for _ in 0..50 {
        drop(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fds_before = open_fds();
    let tasks_before = metrics.num_alive_tasks();

    let run = async {
        for i in 0..CYCLES {
            let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
            if i.is_multiple_of(2) {
                // half of them exchange a byte, half connect and drop at once
                client.write_all(b"?").await.unwrap();
                let mut one = [0u8; 1];
                client.read_exact(&mut one).await.unwrap();
            }
            drop(client);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("10,000 cycles in time");

    // the server side notices each close shortly after; wait for it to settle
    let settled = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if open_fds() <= fds_before + 2 && metrics.num_alive_tasks() <= tasks_before + 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "leak: fds {} -> {}, tasks {} -> {}",
        fds_before,
        open_fds(),
        tasks_before,
        metrics.num_alive_tasks()
    );

    shutdown.trigger().trigger();
    shutdown
        .shutdown_with_limit(Duration::from_secs(10))
        .await
        .expect("no connection task left");
    assert!(
        open_fds() < fds_before,
        "the listening socket is closed too"
    );
}
