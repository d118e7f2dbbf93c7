//! When the process runs out of file descriptors, the accept loop backs off (and says so)
//! instead of dying or spinning, and serves the waiting connection once fds are free again.
//!
//! The test lowers `RLIMIT_NOFILE`, which is per process, so it runs itself again as a child
//! process: `accept_errors_back_off_and_recover` starts this test binary with only
//! `emfile_child` selected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::service_fn;
use rama_tcp::{TcpStream, server::TcpListener};
use std::{io, process::Command, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHILD_ENV: &str = "RAMA_TCP_EMFILE_CHILD";

#[test]
fn accept_errors_back_off_and_recover() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "emfile_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        stdout.contains("CHILD-OK"),
        "child did not finish:\n{stdout}\n{stderr}"
    );
    let logs = format!("{stdout}{stderr}");
    assert!(
        logs.contains("accept: out of resources, pausing"),
        "the backoff was not logged:\n{logs}"
    );
    assert!(logs.contains("Too many open files"), "{logs}");
    // backing off means a handful of retries in ~300 ms, not thousands
    let retries = logs.matches("accept: out of resources, pausing").count();
    assert!(
        retries < 20,
        "{retries} retries: the loop spins instead of backing off"
    );
}

fn nofile() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the valid struct we pass.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim
}

fn set_nofile(soft: u64) {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: nofile().rlim_max,
    };
    // SAFETY: setrlimit reads one valid rlimit; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
}

#[test]
#[ignore = "run by accept_errors_back_off_and_recover in a child process"]
fn emfile_child() {
    assert_eq!(
        std::env::var(CHILD_ENV).as_deref(),
        Ok("1"),
        "only meant to run as the child of accept_errors_back_off_and_recover"
    );
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter("warn")
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(listener.serve(service_fn(async |mut s: TcpStream| {
                s.write_all(b"ok").await
            })));

            let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
            set_nofile(open + 16);
            // use up every fd but one
            let mut filler = Vec::new();
            loop {
                match std::fs::File::open("/dev/null") {
                    Ok(f) => filler.push(f),
                    Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            drop(filler.pop());
            // the client takes the last fd; the listener has none left to accept it with
            let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(filler);

            let mut answer = Vec::new();
            tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut answer))
                .await
                .expect("served once fds were free again")
                .unwrap();
            assert_eq!(answer, b"ok");
            assert!(!server.is_finished(), "the accept loop must survive");
            server.abort();
            Ok::<_, io::Error>(())
        })
        .unwrap();
    println!("CHILD-OK");
}
