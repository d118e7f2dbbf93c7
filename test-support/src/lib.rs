//! rama-test-support: helpers for rama's own integration tests, shared by `rama-cli` and
//! `rama-examples`: start a server binary, read the `listening on ADDR` line it prints, talk
//! to it with real clients (curl, nc, socat, nghttp), stop it with a signal and check a clean
//! exit. Every child is killed when its guard drops, whatever happens.
//!
//! Not published. A failed expectation panics: these run inside `#[test]`s.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support: a failed expectation fails the test"
)]

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

/// How long a started binary may take to print `listening on ADDR`.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a binary may take to exit after SIGTERM (no connection open).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// A bound for one network exchange in a test.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server process that announced `listening on ADDR` as its first stdout line.
/// Killed on drop if still running.
pub struct ChildServer {
    name: String,
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    /// stdout lines after the first (the announcement); there should be none.
    extra_stdout: Arc<Mutex<Vec<String>>>,
}

impl ChildServer {
    /// Start `program ARGS...` (with `RUST_LOG=info`) and wait for its `listening on ADDR`
    /// line.
    pub fn start(program: &str, args: &[&str]) -> Self {
        let name = program_name(program);
        let mut child = command(program, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {program}: {err}"));
        let stderr = drain_stderr(&mut child, &name);
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let extra_stdout = Arc::new(Mutex::new(Vec::new()));
        let extra = extra_stdout.clone();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // keep draining so the child never blocks on a full pipe
            for line in lines.map_while(Result::ok) {
                if let Ok(mut extra) = extra.lock() {
                    extra.push(line);
                }
            }
        });
        let mut server = Self {
            name,
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            stderr,
            extra_stdout,
        };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => panic!(
                "{} {args:?} printed no address within {START_TIMEOUT:?}; stderr:\n{}",
                server.name,
                server.stderr()
            ),
        };
        server.addr = parse_listening_line(&line)
            .unwrap_or_else(|| panic!("unexpected first stdout line: {line:?}"));
        server
    }

    /// The address the binary printed.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the binary wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Wait until stderr contains `needle`, or `timeout` passes; returns whether it did.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.stderr().contains(needle)
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Send SIGTERM.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Send the signal `name` (`TERM`, `INT`, ...) with `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// Wait for the process to exit within `timeout`; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_timeout(&mut self.child, timeout)
    }

    /// SIGTERM, then assert a clean exit (status 0) within [`STOP_TIMEOUT`].
    pub fn stop_cleanly(self) {
        self.stop_cleanly_with("TERM");
    }

    /// Send the signal `name`, then assert a clean exit (status 0) within
    /// [`STOP_TIMEOUT`], and that stdout held nothing but the `listening on` line.
    pub fn stop_cleanly_with(mut self, name: &str) {
        self.signal(name);
        match self.wait_timeout(STOP_TIMEOUT) {
            Some(status) => assert!(
                status.success(),
                "{} exited with {status} after SIG{name}; stderr:\n{}",
                self.name,
                self.stderr()
            ),
            None => panic!(
                "{} still running {STOP_TIMEOUT:?} after SIG{name}; stderr:\n{}",
                self.name,
                self.stderr()
            ),
        }
        // the pipe closes with the process; let the reader thread see the last lines
        thread::sleep(Duration::from_millis(50));
        let extra = self
            .extra_stdout
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default();
        assert!(
            extra.is_empty(),
            "stdout must hold only the `listening on` line; also got {extra:?}"
        );
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Run `program ARGS...` to completion (it is expected to fail fast), killed after
/// `timeout`; returns its status and stderr.
pub fn run_to_exit(program: &str, args: &[&str], timeout: Duration) -> (ExitStatus, String) {
    let name = program_name(program);
    let mut child = KillOnDrop(
        command(program, args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {program}: {err}")),
    );
    let stderr = drain_stderr(&mut child.0, &name);
    let status = wait_timeout(&mut child.0, timeout)
        .unwrap_or_else(|| panic!("{name} {args:?} did not exit within {timeout:?}"));
    // the pipe closes with the process; give the reader thread a moment to finish
    thread::sleep(Duration::from_millis(50));
    let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
    (status, text)
}

/// A child process killed (and reaped) when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Start `program args` (a peer such as tinyproxy, microsocks or haproxy; its output
    /// discarded) and wait until something accepts connections on 127.0.0.1:`port`,
    /// failing the test if it exits first or does not listen within [`START_TIMEOUT`].
    pub fn spawn_listening(program: &str, args: &[&str], port: u16) -> Self {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let mut process = Self(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = process.0.try_wait() {
                panic!("{program} {args:?} exited with {status} before listening on {port}");
            }
            assert!(
                Instant::now() < deadline,
                "{program} listens on {port} in time"
            );
            thread::sleep(Duration::from_millis(20));
        }
        // something answers; if our peer is gone already, that is another process's
        // listener (our peer failed to bind), and the test would talk to the wrong server
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("{program} {args:?} exited with {status}, yet something listens on {port}");
        }
        process
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Whether the external tool `name` is installed. Under `CI=true` a missing tool fails the
/// test; elsewhere the caller skips, and this prints why.
pub fn tool_available(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("`{name}` is not installed, and CI=true requires it (.ci/run installs it)");
        }
        eprintln!("skipped: `{name}` is not installed (install it to run this test)");
    }
    found
}

/// Run an external client with `input` on stdin; return its stdout, killed after `timeout`.
pub fn run_client(program: &str, args: &[&str], input: &[u8], timeout: Duration) -> Vec<u8> {
    let mut child = KillOnDrop(
        Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {program}: {err}")),
    );
    let mut stdin = child.0.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
        // dropping stdin closes it: the client sees EOF
    });
    let mut stdout = child.0.stdout.take().expect("piped stdout");
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let status = wait_timeout(&mut child.0, timeout)
        .unwrap_or_else(|| panic!("{program} {args:?} did not finish within {timeout:?}"));
    let _ = writer.join();
    let out = reader.join().expect("stdout reader");
    assert!(status.success(), "{program} {args:?} exited with {status}");
    out
}

/// Parse `listening on ADDR`.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    line.strip_prefix("listening on ")?.trim().parse().ok()
}

/// A loopback port that was free a moment ago (bound, then released), for a peer process
/// (haproxy, tinyproxy, ...) that binds it itself, or for a port that must refuse.
///
/// The port comes from below the kernel's ephemeral range and from a counter shared by the
/// whole test binary. A port the kernel picked (`bind` to port 0 asked that, and so does
/// every outgoing connection) could be handed to a concurrent test between the check here
/// and the peer's own `bind`; the peer then fails to bind, and the readiness probe finds the
/// other test's listener instead. Ports from this pool are never chosen by the kernel, and
/// never twice by one binary.
pub fn free_port() -> u16 {
    let (low, high) = port_pool();
    let span = u32::from(high - low);
    for _ in 0..span {
        let step = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        // the process id spreads concurrent binaries over the pool
        let offset = (std::process::id().wrapping_mul(7_919).wrapping_add(step)) % span;
        let port = low + u16::try_from(offset).expect("offset below the span");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {low}..{high}");
}

/// Ports handed out by [`free_port`] so far, in this test binary.
static NEXT_PORT: AtomicU32 = AtomicU32::new(0);

/// `[low, high)`: the 12,000 ports below the kernel's ephemeral range (Linux's
/// `ip_local_port_range`, 32768 by default; elsewhere that default).
fn port_pool() -> (u16, u16) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let high = ephemeral_low.max(13_024);
    (high - 12_000, high)
}

/// Deterministic pseudo-random bytes, so a corrupted or reordered byte cannot hide.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The file name of `program`, for messages and log prefixes.
fn program_name(program: &str) -> String {
    std::path::Path::new(program)
        .file_name()
        .map_or_else(|| program.to_owned(), |n| n.to_string_lossy().into_owned())
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR");
    cmd
}

fn drain_stderr(child: &mut Child, name: &str) -> Arc<Mutex<String>> {
    let prefix = format!("[{name}]");
    let text = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = child.stderr.take() {
        let sink = text.clone();
        let prefix = prefix.clone();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                eprintln!("{prefix} {line}");
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
    }
    text
}

fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{free_port, port_pool};
    use std::collections::HashSet;

    #[test]
    fn free_ports_are_distinct_bindable_and_never_kernel_chosen() {
        let (low, high) = port_pool();
        let kernel_chosen = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(
            !(low..high).contains(&kernel_chosen),
            "{kernel_chosen} in {low}..{high}"
        );
        let ports: Vec<u16> = (0..500).map(|_| free_port()).collect();
        let distinct: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len(), "a port handed out twice");
        for port in ports {
            assert!((low..high).contains(&port), "{port} outside {low}..{high}");
            std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        }
    }
}
