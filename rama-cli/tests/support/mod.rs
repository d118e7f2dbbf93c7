//! Run the real `rama` binary in tests, on top of the shared `rama-test-support` helpers.

#![allow(
    dead_code,
    unused_imports,
    reason = "each test file uses a different subset of these helpers"
)]

pub(crate) mod curl;
pub(crate) mod tls_echo;

pub(crate) use rama_test_support::{
    ChildServer, IO_TIMEOUT, KillOnDrop, START_TIMEOUT, STOP_TIMEOUT, free_port,
    parse_listening_line, pattern, run_client, tool_available,
};
use std::{
    ops::{Deref, DerefMut},
    process::ExitStatus,
    time::Duration,
};

/// The path of the `rama` binary built for these tests.
pub(crate) const RAMA: &str = env!("CARGO_BIN_EXE_rama");

/// A running `rama` child process. Killed on drop if still running.
pub(crate) struct Rama(ChildServer);

impl Rama {
    /// Start `rama ARGS...` and wait for its `listening on ADDR` line.
    pub(crate) fn start(args: &[&str]) -> Self {
        Self(ChildServer::start(RAMA, args))
    }

    /// SIGTERM, then assert a clean exit within [`STOP_TIMEOUT`].
    pub(crate) fn stop_cleanly(self) {
        self.0.stop_cleanly();
    }

    /// Send the signal `name`, then assert a clean exit within [`STOP_TIMEOUT`].
    pub(crate) fn stop_cleanly_with(self, name: &str) {
        self.0.stop_cleanly_with(name);
    }
}

impl Deref for Rama {
    type Target = ChildServer;
    fn deref(&self) -> &ChildServer {
        &self.0
    }
}

impl DerefMut for Rama {
    fn deref_mut(&mut self) -> &mut ChildServer {
        &mut self.0
    }
}

/// Run `rama ARGS...` to completion, killed after `timeout`; its status and stderr.
pub(crate) fn run_to_exit(args: &[&str], timeout: Duration) -> (ExitStatus, String) {
    rama_test_support::run_to_exit(RAMA, args, timeout)
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("rama-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `program ARGS...` (killed after 20 s); its exit code and stdout.
pub(crate) fn run_program(program: &str, args: &[&str]) -> (i32, Vec<u8>) {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            if !status.success() {
                eprintln!(
                    "{program} {args:?}: {status}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            return (status.code().unwrap_or(-1), out.stdout);
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
