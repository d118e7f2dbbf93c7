//! The progress bar of `rama send -o FILE`: drawn on stderr when that is a terminal, absent
//! otherwise, and the file byte-identical either way.
//!
//! The terminal is a pseudo-terminal made by `script -qfec CMD /dev/null` (util-linux; on
//! Debian in `bsdutils`, an Essential package, so `.ci/run` needs nothing more). Inside it
//! the command's stdout goes to /dev/null, so what `script` copies out is exactly what
//! `rama` drew on stderr.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use support::{KillOnDrop, RAMA, pattern, run_to_exit, tool_available};

/// The size of the downloads: big enough for several reads and redraws.
const SIZE: usize = 8 * 1024 * 1024;
const RUN_TIMEOUT: Duration = Duration::from_secs(20);

/// A loopback origin: `/big` (SIZE bytes with Content-Length), `/big-unknown` (the same
/// without a length, ended by closing), `/cut` (announces SIZE, sends 1 MiB, closes),
/// `/stall` (announces SIZE, sends 1 MiB, then nothing for 3 s). One request at a time.
/// Stopped on drop.
struct Origin {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Origin {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let body = pattern(SIZE);
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                        stream
                            .set_write_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                        let _ = serve(stream, &body);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answer one request on `stream`.
fn serve(mut stream: TcpStream, body: &[u8]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or_default();
    match path {
        "/big" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body)?;
        }
        "/big-unknown" => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
            stream.write_all(body)?;
        }
        "/cut" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body[..1024 * 1024])?;
            stream.flush()?;
            // let the client draw what it got before the connection ends short
            thread::sleep(Duration::from_millis(300));
        }
        "/stall" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body[..1024 * 1024])?;
            stream.flush()?;
            // longer than the client's --max-time
            thread::sleep(Duration::from_secs(3));
        }
        _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?,
    }
    Ok(())
}

/// A fresh path in the temp dir for this test; removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("rama-send-progress-{}-{name}", std::process::id())))
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn read(&self) -> Vec<u8> {
        std::fs::read(&self.0).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Quote `word` for `sh`.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Run `rama ARGS >/dev/null` with a pseudo-terminal as stdin and stderr (through
/// `script`); its exit code and what it drew on the terminal. `None` if `script` is
/// missing (outside CI).
fn run_on_terminal(args: &[&str]) -> Option<(i32, String)> {
    if !tool_available("script") {
        return None;
    }
    let command = std::iter::once(RAMA)
        .chain(args.iter().copied())
        .map(sh_quote)
        .collect::<Vec<_>>()
        .join(" ");
    // a fixed size, so the bar's width does not depend on the terminal running the tests
    let command = format!("stty cols 120 rows 40; exec {command} >/dev/null");
    let mut child = KillOnDrop(
        Command::new("script")
            .args(["-qfec", &command, "/dev/null"])
            // indicatif draws nothing when TERM is unset or `dumb`
            .env("TERM", "xterm")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < RUN_TIMEOUT,
            "rama {args:?} on a terminal did not finish in time"
        );
        thread::sleep(Duration::from_millis(10));
    };
    let out = reader.join().unwrap();
    Some((
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out).into_owned(),
    ))
}

/// The text left on a terminal line after `\r` redraws and erase-line sequences.
fn last_drawn_line(terminal: &str) -> String {
    let text = terminal.replace("\x1b[2K", "");
    text.split(['\r', '\n'])
        .map(str::trim_end)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn bar_with_total_rate_and_eta_on_a_terminal_and_the_file_is_exact() {
    let origin = Origin::start();
    let file = TempFile::new("known");
    let Some((code, terminal)) = run_on_terminal(&["send", "-o", file.path(), &origin.url("/big")])
    else {
        return;
    };
    assert_eq!(code, 0, "{terminal}");
    assert!(file.read() == pattern(SIZE), "the file differs");
    let last = last_drawn_line(&terminal);
    assert!(
        last.contains("100%") && last.contains("8.00 MiB/8.00 MiB"),
        "final bar: {last:?} in {terminal:?}"
    );
    assert!(
        last.contains("/s") && last.contains("ETA"),
        "rate and ETA: {last:?}"
    );
}

#[test]
fn spinner_with_bytes_and_rate_when_the_length_is_unknown() {
    let origin = Origin::start();
    let file = TempFile::new("unknown");
    let Some((code, terminal)) =
        run_on_terminal(&["send", "-o", file.path(), &origin.url("/big-unknown")])
    else {
        return;
    };
    assert_eq!(code, 0, "{terminal}");
    assert!(file.read() == pattern(SIZE), "the file differs");
    let last = last_drawn_line(&terminal);
    assert!(
        last.contains("8.00 MiB") && last.contains("/s") && !last.contains('%'),
        "final spinner: {last:?} in {terminal:?}"
    );
}

#[test]
fn no_progress_without_a_terminal_with_silent_or_without_a_file() {
    let origin = Origin::start();
    let url = origin.url("/big");

    // stderr a pipe
    let file = TempFile::new("pipe");
    let (status, stderr) = run_to_exit(&["send", "-o", file.path(), &url], RUN_TIMEOUT);
    assert!(status.success(), "{stderr}");
    assert!(file.read() == pattern(SIZE), "the file differs");
    assert!(
        !stderr.contains("MiB") && !stderr.contains('\r') && !stderr.contains('\x1b'),
        "progress output without a terminal: {stderr:?}"
    );

    // a terminal, but -s
    let file = TempFile::new("silent");
    if let Some((code, terminal)) = run_on_terminal(&["send", "-s", "-o", file.path(), &url]) {
        assert_eq!(code, 0, "{terminal}");
        assert!(file.read() == pattern(SIZE), "the file differs");
        assert!(terminal.is_empty(), "drawn despite -s: {terminal:?}");
    }

    // a terminal, but the body goes to stdout
    if let Some((code, terminal)) = run_on_terminal(&["send", &url]) {
        assert_eq!(code, 0, "{terminal}");
        assert!(terminal.is_empty(), "drawn without -o: {terminal:?}");
    }
}

/// Assert that `terminal` shows a bar, then an error line `rama: (CODE) ...` that starts on
/// a line the bar was erased from.
fn assert_bar_cleared_before_error(terminal: &str, code: u8) {
    let marker = format!("rama: ({code}) ");
    let (before, error) = terminal
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no `{marker}` line in {terminal:?}"));
    assert!(
        before.contains("MiB"),
        "no bar before the error: {terminal:?}"
    );
    // the bar's line was erased: after the last line start only erase sequences remain
    let tail = before.rsplit(['\r', '\n']).next().unwrap_or_default();
    assert!(
        tail.replace("\x1b[2K", "").is_empty(),
        "the error line does not start on a clear line: {tail:?} in {terminal:?}"
    );
    assert!(
        !error.contains("MiB"),
        "drawn after the error: {terminal:?}"
    );
}

#[test]
fn a_download_cut_short_clears_the_bar_before_the_error_line() {
    let origin = Origin::start();
    let file = TempFile::new("cut");
    let Some((code, terminal)) = run_on_terminal(&["send", "-o", file.path(), &origin.url("/cut")])
    else {
        return;
    };
    // curl's 18: partial file
    assert_eq!(code, 18, "{terminal}");
    assert_bar_cleared_before_error(&terminal, 18);
}

#[test]
fn max_time_during_a_download_clears_the_bar_before_the_error_line() {
    let origin = Origin::start();
    let file = TempFile::new("stall");
    let start = Instant::now();
    let Some((code, terminal)) =
        run_on_terminal(&["send", "-m", "1", "-o", file.path(), &origin.url("/stall")])
    else {
        return;
    };
    assert_eq!(code, 28, "{terminal}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_bar_cleared_before_error(&terminal, 28);
}
