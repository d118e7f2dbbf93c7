//! `rama send` side by side with curl against small loopback origins: same body bytes on
//! stdout and the same exit code for 200, 404 (with and without --fail), redirect chains,
//! connection refused, timeout, a body cut short, unresolvable host, and the request flags.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use support::{KillOnDrop, RAMA, Rama, run_to_exit, tool_available};

const RUN_TIMEOUT: Duration = Duration::from_secs(10);

/// A loopback origin answering by path; stopped on drop.
struct Origin {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Origin {
    /// Answer every connection with [`routes`].
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                        if let Some(s) = handle(stream, addr) {
                            held.push(s);
                        }
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

/// Serve one request on `stream`; returns the stream if it is to be held open unanswered.
fn handle(stream: TcpStream, addr: SocketAddr) -> Option<TcpStream> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    let len = headers
        .iter()
        .find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    match routes(&method, &path, &headers, &body, addr) {
        Some(response) => {
            let mut stream = stream;
            let _ = stream.write_all(&response);
            None
        }
        None => Some(stream),
    }
}

fn response(status: &str, extra: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for h in extra {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The response to (method, path, header lines as received, body); `None` keeps the
/// connection open without answering (`/silent`).
///
/// `/ok`, `/missing` (404), `/hop/N` (a chain of N redirects with 302, 301, 307 mixed,
/// relative and absolute), `/loop`, `/echo` (method, path, headers but User-Agent, body).
fn routes(
    method: &str,
    path: &str,
    headers: &[String],
    body: &[u8],
    addr: SocketAddr,
) -> Option<Vec<u8>> {
    if path == "/ok" {
        return Some(response(
            "200 OK",
            &["Content-Type: text/plain", "X-Custom: yes"],
            b"hello\n",
        ));
    }
    if path == "/fishing" {
        return Some(response("404 Gone Fishing", &[], b"back later\n"));
    }
    if path == "/missing" {
        return Some(response("404 Not Found", &[], b"not here\n"));
    }
    if path == "/loop" {
        return Some(response("302 Found", &["Location: /loop"], b"again\n"));
    }
    if path == "/big" {
        return Some(response(
            "200 OK",
            &[],
            &support::pattern(3 * 1024 * 1024 + 7),
        ));
    }
    if path == "/silent" {
        return None;
    }
    if path == "/short" {
        // announces more than it sends, then closes
        let mut out = response("200 OK", &[], b"only this");
        let head_end = out.len() - b"only this".len();
        let head = String::from_utf8(out[..head_end].to_vec()).unwrap();
        out.splice(
            ..head_end,
            head.replace("Content-Length: 9", "Content-Length: 100")
                .into_bytes(),
        );
        return Some(out);
    }
    if let Some(n) = path.strip_prefix("/hop/") {
        let n: u32 = n.parse().unwrap_or(0);
        if n == 0 {
            let text = format!("end of chain via {method}\n");
            return Some(response("200 OK", &[], text.as_bytes()));
        }
        let (status, location) = match n % 3 {
            0 => ("302 Found", format!("/hop/{}", n - 1)),
            1 => (
                "301 Moved Permanently",
                format!("http://{addr}/hop/{}", n - 1),
            ),
            _ => ("307 Temporary Redirect", format!("{}", n - 1)),
        };
        let location = format!("Location: {location}");
        return Some(response(status, &[&location], b"redirecting\n"));
    }
    if path.starts_with("/echo") {
        let mut text = format!("{method} {path}\n");
        for h in headers {
            if !h.to_ascii_lowercase().starts_with("user-agent:") {
                text.push_str(&h.to_ascii_lowercase());
                text.push('\n');
            }
        }
        text.push('\n');
        let mut out = text.into_bytes();
        out.extend_from_slice(body);
        return Some(response("200 OK", &[], &out));
    }
    Some(response("500 Internal Server Error", &[], b"no route\n"))
}

/// Run `program ARGS`, killed after [`RUN_TIMEOUT`]: exit code and stdout.
fn run(program: &str, args: &[&str]) -> (i32, Vec<u8>) {
    let mut child = KillOnDrop(
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
            "{program} {args:?} did not finish in time"
        );
        thread::sleep(Duration::from_millis(10));
    };
    (status.code().unwrap_or(-1), reader.join().unwrap())
}

/// `rama send ARGS` and `curl -s ARGS`: both exit codes and stdouts, asserted equal; the
/// result for further checks.
fn same_as_curl(args: &[&str]) -> Option<(i32, Vec<u8>)> {
    if !tool_available("curl") {
        return None;
    }
    let mut rama_args = vec!["send", "-s"];
    rama_args.extend_from_slice(args);
    let mut curl_args = vec!["-s"];
    curl_args.extend_from_slice(args);
    let rama = run(RAMA, &rama_args);
    let curl = run("curl", &curl_args);
    assert_eq!(
        rama.0, curl.0,
        "exit code for {args:?}: rama {} curl {}",
        rama.0, curl.0
    );
    assert_eq!(
        String::from_utf8_lossy(&rama.1),
        String::from_utf8_lossy(&curl.1),
        "stdout for {args:?}"
    );
    Some(rama)
}

#[test]
fn ok_200_body_and_exit_0() {
    let origin = Origin::start();
    let Some((code, out)) = same_as_curl(&[&origin.url("/ok")]) else {
        return;
    };
    assert_eq!((code, &out[..]), (0, &b"hello\n"[..]));
}

#[test]
fn not_found_with_and_without_fail() {
    let origin = Origin::start();
    let url = origin.url("/missing");
    if let Some((code, out)) = same_as_curl(&[&url]) {
        assert_eq!((code, &out[..]), (0, &b"not here\n"[..]));
    }
    if let Some((code, out)) = same_as_curl(&["--fail", &url]) {
        assert_eq!((code, out.len()), (22, 0));
    }
    // -i with --fail: the head, no body; the reason phrase as the server sent it
    if let Some((code, out)) = same_as_curl(&["-i", "--fail", &origin.url("/fishing")]) {
        assert_eq!(code, 22);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Gone Fishing\r\n"), "{text}");
        assert!(!text.contains("back later"), "{text}");
    }
}

#[test]
fn redirect_chain_with_and_without_location() {
    let origin = Origin::start();
    let url = origin.url("/hop/3");
    if let Some((code, out)) = same_as_curl(&["-L", &url]) {
        assert_eq!((code, &out[..]), (0, &b"end of chain via GET\n"[..]));
    }
    if let Some((code, out)) = same_as_curl(&[&url]) {
        assert_eq!((code, &out[..]), (0, &b"redirecting\n"[..]));
    }
    // 302 and 301 turn POST into GET
    if let Some((code, out)) = same_as_curl(&["-L", "-d", "x=1", &url]) {
        assert_eq!((code, &out[..]), (0, &b"end of chain via GET\n"[..]));
    }
    // more hops than --max-redirs
    if let Some((code, _)) = same_as_curl(&["-L", "--max-redirs", "2", &url]) {
        assert_eq!(code, 47);
    }
    if let Some((code, _)) = same_as_curl(&["-L", "--max-redirs", "5", &origin.url("/loop")]) {
        assert_eq!(code, 47);
    }
}

#[test]
fn include_prints_the_same_head_lines() {
    let origin = Origin::start();
    let Some((code, out)) = same_as_curl(&["-i", &origin.url("/ok")]) else {
        return;
    };
    assert_eq!(code, 0);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Custom: yes\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\nhello\n"), "{text}");
}

#[test]
fn include_with_location_prints_every_head() {
    let origin = Origin::start();
    let Some((code, out)) = same_as_curl(&["-i", "-L", &origin.url("/hop/2")]) else {
        return;
    };
    assert_eq!(code, 0);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("HTTP/1.1 ").count(), 3, "{text}");
}

#[test]
fn connection_refused_is_7() {
    // bind then drop: nothing listens on that port now
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    if let Some((code, out)) = same_as_curl(&[&url]) {
        assert_eq!((code, out.len()), (7, 0));
    }
}

#[test]
fn max_time_against_a_silent_server_is_28() {
    let origin = Origin::start();
    let start = Instant::now();
    if let Some((code, _)) = same_as_curl(&["-m", "1", &origin.url("/silent")]) {
        assert_eq!(code, 28);
        // two runs of about a second each
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "{:?}",
            start.elapsed()
        );
    }
}

#[test]
fn body_cut_short_is_18_like_curl() {
    if !tool_available("curl") {
        return;
    }
    let origin = Origin::start();
    let url = origin.url("/short");
    let (code, out) = run("curl", &["-s", &url]);
    assert_eq!((code, &out[..]), (18, &b"only this"[..]));
    let (code, out) = run(RAMA, &["send", "-s", &url]);
    // the bytes that arrived before the close are written out, as curl does
    assert_eq!((code, &out[..]), (18, &b"only this"[..]));
}

#[test]
fn unresolvable_host_is_6_and_resolve_overrides() {
    if let Some((code, _)) = same_as_curl(&["http://x.invalid/ok"]) {
        assert_eq!(code, 6);
    }
    let origin = Origin::start();
    let port = origin.addr.port();
    let resolve = format!("origin.test:{port}:127.0.0.1");
    let url = format!("http://origin.test:{port}/echo");
    if let Some((code, out)) = same_as_curl(&["--resolve", &resolve, &url]) {
        assert_eq!(code, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(&format!("host: origin.test:{port}\n")),
            "{text}"
        );
    }
}

#[test]
fn request_flags_reach_the_origin_like_curls() {
    let origin = Origin::start();
    let url = origin.url("/echo?q=1");
    let cases: [&[&str]; 6] = [
        &["-X", "POST", "-d", "a=1", "-d", "b=2"],
        &["--json", r#"{"k":"v"}"#],
        &["-H", "X-One: 1", "-H", "Accept:", "-H", "X-Empty;"],
        &["-u", "user:secret"],
        &["-X", "DELETE"],
        &["--http1.1", "-H", "User-Agent: same"],
    ];
    for flags in cases {
        let mut args = flags.to_vec();
        args.push(&url);
        if let Some((code, _)) = same_as_curl(&args) {
            assert_eq!(code, 0, "{flags:?}");
        }
    }
}

#[test]
fn output_file_gets_the_body() {
    let origin = Origin::start();
    let dir = std::env::temp_dir().join(format!("rama-send-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.txt");
    let file_str = file.to_str().unwrap();
    let (code, out) = run(RAMA, &["send", "-o", file_str, &origin.url("/ok")]);
    assert_eq!((code, out.len()), (0, 0));
    assert_eq!(std::fs::read(&file).unwrap(), b"hello\n");
    // a directory that does not exist: write error 23, as curl
    let bad = dir.join("no/such/dir/file");
    let (code, _) = run(
        RAMA,
        &[
            "send",
            "-s",
            "-o",
            bad.to_str().unwrap(),
            &origin.url("/ok"),
        ],
    );
    assert_eq!(code, 23);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_url_is_send_and_bad_input_has_curl_codes() {
    let origin = Origin::start();
    let (code, out) = run(RAMA, &[&origin.url("/ok"), "-s"]);
    assert_eq!((code, &out[..]), (0, &b"hello\n"[..]));
    let (code, _) = run(RAMA, &["send", "-s", "ftp://127.0.0.1:1/"]);
    assert_eq!(code, 1);
    let (code, _) = run(RAMA, &["send", "-s", "http://exa mple/"]);
    assert_eq!(code, 3);
    // neither a command nor a URL: a usage error
    let (code, _) = run(RAMA, &["nonsense"]);
    assert_eq!(code, 2);
}

#[test]
fn verbose_shows_both_heads_on_stderr() {
    let origin = Origin::start();
    let url = origin.url("/ok");
    let (status, stderr) = run_to_exit(&["send", "-v", "-u", "u:p", &url], RUN_TIMEOUT);
    assert!(status.success(), "{stderr}");
    let port = origin.addr.port();
    let want = [
        "> GET /ok HTTP/1.1".to_owned(),
        format!("> Host: 127.0.0.1:{port}"),
        // not redacted, as in curl
        "> Authorization: Basic dTpw".to_owned(),
        "> Accept: */*".to_owned(),
        "< HTTP/1.1 200 OK".to_owned(),
        "< Content-Type: text/plain".to_owned(),
        "< X-Custom: yes".to_owned(),
    ];
    for line in want {
        assert!(
            stderr.lines().any(|l| l == line),
            "missing `{line}` in:\n{stderr}"
        );
    }
}

#[test]
fn h2_prior_knowledge_head_like_curls() {
    if !tool_available("curl") {
        return;
    }
    let echo = Rama::start(&["serve", "echo", "--bind", "127.0.0.1:0"]);
    let url = format!("http://{}/x", echo.addr());
    let head = |out: Vec<u8>| -> Vec<String> {
        let text = String::from_utf8(out).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap().to_owned();
        // the echo's body (and so its length) names the client
        head.lines()
            .filter(|l| !l.starts_with("content-length"))
            .map(str::to_owned)
            .collect()
    };
    let (code, rama) = run(RAMA, &["send", "-i", "--http2-prior-knowledge", &url]);
    assert_eq!(code, 0);
    let rama_text = String::from_utf8_lossy(&rama).into_owned();
    assert!(rama_text.contains("\"version\": \"HTTP/2\""), "{rama_text}");
    let (code, curl) = run("curl", &["-s", "-i", "--http2-prior-knowledge", &url]);
    assert_eq!(code, 0);
    assert_eq!(head(rama), head(curl));
    echo.stop_cleanly();
}

#[test]
fn large_download_to_stdout_and_file_is_byte_exact() {
    let origin = Origin::start();
    let want = support::pattern(3 * 1024 * 1024 + 7);
    if let Some((code, out)) = same_as_curl(&[&origin.url("/big")]) {
        assert_eq!(code, 0);
        assert!(out == want, "stdout differs ({} bytes)", out.len());
    }
    let file = std::env::temp_dir().join(format!("rama-send-big-{}", std::process::id()));
    let (code, _) = run(
        RAMA,
        &["send", "-o", file.to_str().unwrap(), &origin.url("/big")],
    );
    assert_eq!(code, 0);
    let got = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(got == want, "file differs ({} bytes)", got.len());
}
