//! Run the real `rama` binary in tests: start it, read the address it prints, talk to it,
//! stop it with SIGTERM. Every child is killed when its guard drops, whatever happens.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of these helpers"
)]

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::{Duration, Instant},
};

/// How long a started binary may take to print `listening on ADDR`.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a binary may take to exit after SIGTERM (no connection open).
pub(crate) const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// A bound for one network exchange in a test.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `rama` child process. Killed on drop if still running.
pub(crate) struct Rama {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    /// stdout lines after the first (the announcement); there should be none.
    extra_stdout: Arc<Mutex<Vec<String>>>,
}

impl Rama {
    /// Start `rama ARGS...` and wait for its `listening on ADDR` line.
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut child = command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the rama binary");
        let stderr = drain_stderr(&mut child);
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
        let mut rama = Self {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            stderr,
            extra_stdout,
        };
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => panic!(
                "rama {args:?} printed no address within {START_TIMEOUT:?}; stderr:\n{}",
                rama.stderr()
            ),
        };
        rama.addr = parse_listening_line(&line)
            .unwrap_or_else(|| panic!("unexpected first stdout line: {line:?}"));
        rama
    }

    /// The address the binary printed.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the binary wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Wait until stderr contains `needle`, or `timeout` passes; returns whether it did.
    pub(crate) fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.stderr().contains(needle)
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Send SIGTERM.
    pub(crate) fn terminate(&self) {
        self.signal("TERM");
    }

    /// Send the signal `name` (`TERM`, `INT`, ...) with `kill`.
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// Wait for the process to exit within `timeout`; `None` if it is still running.
    pub(crate) fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_timeout(&mut self.child, timeout)
    }

    /// SIGTERM, then assert a clean exit (status 0) within [`STOP_TIMEOUT`].
    pub(crate) fn stop_cleanly(self) {
        self.stop_cleanly_with("TERM");
    }

    /// Send the signal `name`, then assert a clean exit (status 0) within
    /// [`STOP_TIMEOUT`], and that stdout held nothing but the `listening on` line.
    pub(crate) fn stop_cleanly_with(mut self, name: &str) {
        self.signal(name);
        match self.wait_timeout(STOP_TIMEOUT) {
            Some(status) => assert!(
                status.success(),
                "rama exited with {status} after SIG{name}; stderr:\n{}",
                self.stderr()
            ),
            None => panic!(
                "rama still running {STOP_TIMEOUT:?} after SIG{name}; stderr:\n{}",
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

impl Drop for Rama {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Run `rama ARGS...` to completion (it is expected to fail fast), killed after
/// `timeout`; returns its status and stderr.
pub(crate) fn run_to_exit(args: &[&str], timeout: Duration) -> (ExitStatus, String) {
    let mut child = KillOnDrop(
        command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the rama binary"),
    );
    let stderr = drain_stderr(&mut child.0);
    let status = wait_timeout(&mut child.0, timeout)
        .unwrap_or_else(|| panic!("rama {args:?} did not exit within {timeout:?}"));
    // the pipe closes with the process; give the reader thread a moment to finish
    thread::sleep(Duration::from_millis(50));
    let text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
    (status, text)
}

/// A child process killed (and reaped) when dropped.
pub(crate) struct KillOnDrop(pub(crate) Child);

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
pub(crate) fn tool_available(name: &str) -> bool {
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
pub(crate) fn run_client(program: &str, args: &[&str], input: &[u8], timeout: Duration) -> Vec<u8> {
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
pub(crate) fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    line.strip_prefix("listening on ")?.trim().parse().ok()
}

/// A loopback port that was free a moment ago (bound, then released).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Deterministic pseudo-random bytes, so a corrupted or reordered byte cannot hide.
pub(crate) fn pattern(len: usize) -> Vec<u8> {
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

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rama"));
    cmd.args(args)
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR");
    cmd
}

fn drain_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = child.stderr.take() {
        let sink = text.clone();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                eprintln!("[rama] {line}");
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
