//! The h2 server with nghttp (Debian nghttp2-client) as the client: the early-frame record
//! must equal what nghttp says it sent, and nghttp's known defaults.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_core::{extensions::Extensions, service_fn};
use rama_http::connection::ConnectionExtensions;
use rama_http::{
    Body, Request, Response,
    h2::{EarlyFrames, H2ServerConfig, PseudoHeader, TapOutcome, serve_connection},
};
use std::{convert::Infallible, process::Stdio, time::Duration};
use tokio::{net::TcpListener, process::Command, sync::mpsc};

/// Whether nghttp can be run; under `CI=true` its absence fails the test.
fn nghttp_available() -> bool {
    let found = std::process::Command::new("nghttp")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nghttp (Debian nghttp2-client) is required under CI=true"
        );
        eprintln!("skipped: nghttp not found (apt-get install nghttp2-client)");
    }
    found
}

/// The settings nghttp printed in its `send SETTINGS frame` block (`-v`), in order.
fn sent_settings(verbose: &str) -> Vec<(u16, u32)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in verbose.lines() {
        if line.contains("send SETTINGS frame") && !line.contains("flags=0x01") {
            in_block = out.is_empty();
            continue;
        }
        if in_block {
            let line = line.trim();
            if line.starts_with("(niv=") {
                continue;
            }
            // [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]
            let Some(rest) = line.strip_prefix("[SETTINGS_") else {
                break;
            };
            let (id, value) = rest
                .split_once("(0x")
                .and_then(|(_, r)| r.split_once("):"))
                .unwrap();
            let value = value.trim_end_matches(']');
            out.push((u16::from_str_radix(id, 16).unwrap(), value.parse().unwrap()));
        }
    }
    out
}

/// The PRIORITY frames nghttp printed as sent: (stream, dependency, weight as printed
/// (1..=256), exclusive).
fn sent_priorities(verbose: &str) -> Vec<(u32, u32, u32, bool)> {
    let mut out = Vec::new();
    let mut lines = verbose.lines();
    while let Some(line) = lines.next() {
        let Some((_, stream)) = line.split_once("send PRIORITY frame <") else {
            continue;
        };
        let stream = field(stream, "stream_id=");
        let detail = lines.next().unwrap();
        out.push((
            stream,
            field(detail, "dep_stream_id="),
            field(detail, "weight="),
            field(detail, "exclusive=") == 1,
        ));
    }
    out
}

/// The number after `key` in `line`.
fn field(line: &str, key: &str) -> u32 {
    let (_, rest) = line.split_once(key).unwrap();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn nghttp_early_frames() {
    if !nghttp_available() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<EarlyFrames>();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(move |req: Request<Body>| {
            let tx = tx.clone();
            async move {
                tx.send(req.connection_get::<EarlyFrames>().cloned().unwrap())
                    .unwrap();
                Ok::<_, Infallible>(Response::new(Body::from("hello from rama")))
            }
        });
        serve_connection(
            stream,
            &H2ServerConfig::new(),
            service,
            Extensions::new(),
            None,
        )
        .await
    });
    let output = tokio::time::timeout(
        Duration::from_secs(10),
        Command::new("nghttp")
            .args(["-nv", &format!("http://{addr}/path")])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("nghttp timed out")
    .unwrap();
    let verbose = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "nghttp failed: {verbose}");
    assert!(verbose.contains(":status: 200"), "{verbose}");
    let early = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    assert_eq!(early.outcome(), TapOutcome::Complete);
    let recorded: Vec<_> = early.settings().iter().map(|s| (s.id, s.value)).collect();
    // what nghttp says it sent ...
    assert_eq!(recorded, sent_settings(&verbose), "{verbose}");
    // ... and nghttp's known defaults: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 65535
    // (its -w 16), in that order
    assert_eq!(recorded, [(3, 100), (4, 65_535)]);
    // its PRIORITY frames (nghttp prints the effective weight, one more than the wire value)
    let priorities: Vec<_> = early
        .priorities()
        .iter()
        .map(|p| {
            (
                p.stream_id,
                p.dependency,
                u32::from(p.weight) + 1,
                p.exclusive,
            )
        })
        .collect();
    assert_eq!(priorities, sent_priorities(&verbose), "{verbose}");
    assert!(early.window_updates().is_empty());
    // the HEADERS frame's flags and priority block as nghttp printed them
    let headers = early.first_headers().unwrap();
    let (_, sent) = verbose.split_once("send HEADERS frame <").unwrap();
    let mut sent = sent.lines();
    let head = sent.next().unwrap();
    let flags = head.split_once("flags=0x").unwrap().1;
    assert_eq!(u8::from_str_radix(&flags[..2], 16).unwrap(), headers.flags);
    assert_eq!(field(head, "stream_id="), headers.stream_id);
    let block = sent.find(|l| l.contains("padlen=")).unwrap();
    match headers.priority {
        Some(p) => {
            assert_eq!(field(block, "dep_stream_id="), p.dependency);
            assert_eq!(field(block, "weight="), u32::from(p.weight) + 1);
        }
        None => assert!(!block.contains("dep_stream_id="), "{block}"),
    }
    // nghttp writes :method, :path, :scheme, :authority
    assert_eq!(
        early.pseudo_header_order(),
        [
            PseudoHeader::Method,
            PseudoHeader::Path,
            PseudoHeader::Scheme,
            PseudoHeader::Authority
        ],
        "{verbose}"
    );
}
