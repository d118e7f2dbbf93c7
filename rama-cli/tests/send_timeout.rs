//! `rama send --connect-timeout` and `-m/--max-time` against a connect that hangs, side by
//! side with curl: both must exit 28 after about the time given.
//!
//! How a loopback connect is made to hang: a listener with backlog 0 whose accept queue is
//! filled by one connection that is never accepted. Linux then drops every further SYN
//! (`tcp_conn_request` checks `sk_acceptq_is_full` and drops, with or without
//! `net.ipv4.tcp_syncookies`; cookies only help against a full SYN queue), so the client
//! sees no SYN-ACK and no RST and keeps retransmitting its SYN until its own timeout. The
//! test proves the hang first with a probe connect of its own and fails, saying so, if the
//! kernel answers instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use socket2::{Domain, Socket, Type};
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::{KillOnDrop, RAMA, tool_available};

/// How long the probe waits before calling a connect hung.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// A run still going after this is killed and fails the test (the default connect timeout
/// is 30 s, the kernel's SYN retries take over two minutes).
const RUN_LIMIT: Duration = Duration::from_secs(15);
/// The slack allowed above a timeout of one second (process start, a loaded machine).
const ONE_SECOND_AT_MOST: Duration = Duration::from_secs(4);

/// A loopback listener on which every new connect hangs; kept (with the connection that
/// fills its accept queue) until dropped.
struct HangingListener {
    addr: SocketAddr,
    _listener: Socket,
    _fillers: Vec<TcpStream>,
}

impl HangingListener {
    fn start() -> Self {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
        listener.bind(&bind.into()).unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        // fill the accept queue until a connect no longer completes; backlog 0 admits one
        // connection on Linux, a few more are allowed for other accounting
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) {
                Ok(stream) => fillers.push(stream),
                Err(err)
                    if err.kind() == ErrorKind::TimedOut || err.kind() == ErrorKind::WouldBlock =>
                {
                    return Self {
                        addr,
                        _listener: listener,
                        _fillers: fillers,
                    };
                }
                Err(err) => panic!("probe connect to {addr} failed instead of hanging: {err}"),
            }
        }
        panic!(
            "a full accept queue did not make a loopback connect hang on this kernel \
             ({} connects completed); the connect timeout cannot be tested this way here",
            fillers.len()
        );
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// The outcome of one run: exit code, stderr, wall time.
struct Outcome {
    code: i32,
    stderr: String,
    elapsed: Duration,
}

/// Start `program ARGS` now; the outcome once it exits (killed after [`RUN_LIMIT`] plus a
/// margin, which fails the test).
fn spawn(program: &'static str, args: Vec<String>) -> thread::JoinHandle<Outcome> {
    thread::spawn(move || {
        let start = Instant::now();
        let mut child = KillOnDrop(
            Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut stderr = child.0.stderr.take().unwrap();
        let reader = thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let status = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < RUN_LIMIT,
                "{program} {args:?} is still running after {:?}",
                start.elapsed()
            );
            thread::sleep(Duration::from_millis(10));
        };
        let elapsed = start.elapsed();
        Outcome {
            code: status.code().unwrap_or(-1),
            stderr: reader.join().unwrap(),
            elapsed,
        }
    })
}

/// Run `rama send FLAGS URL` and `curl -s FLAGS URL` at the same time against a hanging
/// connect; assert both exit 28 after between `least` and `most`.
fn both_time_out(flags: &[&str], least: Duration, most: Duration) {
    if !tool_available("curl") {
        return;
    }
    let hang = HangingListener::start();
    let url = hang.url();
    let with = |first: &[&str]| -> Vec<String> {
        first
            .iter()
            .chain(flags)
            .map(|s| (*s).to_owned())
            .chain([url.clone()])
            .collect()
    };
    let rama = spawn(RAMA, with(&["send"]));
    let curl = spawn("curl", with(&["-s"]));
    let rama = rama.join().unwrap();
    let curl = curl.join().unwrap();
    for (name, out) in [("rama", &rama), ("curl", &curl)] {
        assert_eq!(
            out.code, 28,
            "{name} {flags:?}: exit code (stderr: {})",
            out.stderr
        );
        assert!(
            out.elapsed >= least && out.elapsed <= most,
            "{name} {flags:?}: took {:?}, expected {least:?}..={most:?}",
            out.elapsed
        );
    }
    let line = rama.stderr.trim_end();
    assert!(
        line.starts_with("rama: (28) ") && !line.contains('\n'),
        "one `rama: (28) ...` line expected, got: {line}"
    );
}

#[test]
fn connect_timeout_on_a_hanging_connect_is_28_like_curl() {
    both_time_out(
        &["--connect-timeout", "1"],
        Duration::from_millis(900),
        ONE_SECOND_AT_MOST,
    );
}

#[test]
fn fractional_connect_timeout_is_honoured_like_curl() {
    both_time_out(
        &["--connect-timeout", "0.5"],
        Duration::from_millis(400),
        Duration::from_secs(3),
    );
}

#[test]
fn max_time_on_a_hanging_connect_is_28_like_curl() {
    both_time_out(&["-m", "1"], Duration::from_millis(900), ONE_SECOND_AT_MOST);
    both_time_out(
        &["--max-time", "1"],
        Duration::from_millis(900),
        ONE_SECOND_AT_MOST,
    );
}

#[test]
fn the_shorter_of_both_timeouts_wins_like_curl() {
    both_time_out(
        &["--connect-timeout", "8", "--max-time", "1"],
        Duration::from_millis(900),
        ONE_SECOND_AT_MOST,
    );
    both_time_out(
        &["--connect-timeout", "1", "--max-time", "8"],
        Duration::from_millis(900),
        ONE_SECOND_AT_MOST,
    );
}

#[test]
fn the_listener_really_hangs_a_connect() {
    // the premise of the tests above, on its own: a connect neither completes nor is
    // refused within a second
    let hang = HangingListener::start();
    let start = Instant::now();
    let err = TcpStream::connect_timeout(&hang.addr, Duration::from_secs(1)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock),
        "{err}"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}
