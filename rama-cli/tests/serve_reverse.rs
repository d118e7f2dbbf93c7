//! `rama serve reverse`: the real binary in front of real `rama serve echo` upstreams, driven
//! with curl. The echo answers with the request it received as JSON, so its `Host` (the
//! upstream's own authority unless `--preserve-host`) says which upstream served.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod support;

use std::time::Duration;
use support::curl::echo;
use support::{IO_TIMEOUT, Rama, free_port, run_client, run_to_exit, tool_available};

fn reverse(extra: &[&str]) -> Rama {
    let mut args = vec!["serve", "reverse", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Rama::start(&args)
}

/// curl `url` with `headers`; the JSON the echo answered.
fn curl_json(url: &str, headers: &[&str]) -> serde_json::Value {
    let args: Vec<&str> = headers.iter().flat_map(|h| ["-H", h]).collect();
    curl_json_with(url, &args)
}

/// curl `url` with the extra curl arguments `extra`; the JSON the echo answered.
fn curl_json_with(url: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["-sS", "--fail", "--max-time", "10"];
    args.extend_from_slice(extra);
    args.push(url);
    let out = run_client("curl", &args, b"", IO_TIMEOUT);
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

/// The value of header `name` (case-insensitive) in the echo's JSON.
fn header<'a>(json: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    json["headers"].as_array()?.iter().find(|h| {
        h["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?["value"]
        .as_str()
}

/// curl's status code for `url`.
fn curl_status(url: &str) -> String {
    let out = run_client(
        "curl",
        &[
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
            url,
        ],
        b"",
        IO_TIMEOUT,
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn round_robin_over_two_echo_upstreams() {
    if !tool_available("curl") {
        return;
    }
    let (a, b) = (echo(), echo());
    let (ua, ub) = (
        format!("http://{}", a.addr()),
        format!("http://{}", b.addr()),
    );
    let proxy = reverse(&["--upstream", &ua, "--upstream", &ub]);
    let url = format!("http://{}/path?q=1", proxy.addr());
    let mut hosts = Vec::new();
    for _ in 0..6 {
        let json = curl_json(&url, &["X-MiXeD-CaSe: 1"]);
        assert_eq!(json["uri"], "/path?q=1");
        assert!(
            header(&json, "forwarded")
                .unwrap()
                .starts_with("for=127.0.0.1;"),
            "{json}"
        );
        // the header keeps its spelling through the proxy
        assert!(
            json["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["name"] == "X-MiXeD-CaSe"),
            "{json}"
        );
        hosts.push(header(&json, "host").unwrap().to_owned());
    }
    let to_a = hosts.iter().filter(|h| **h == a.addr().to_string()).count();
    let to_b = hosts.iter().filter(|h| **h == b.addr().to_string()).count();
    assert_eq!((to_a, to_b), (3, 3), "{hosts:?}");
    proxy.stop_cleanly();
    a.stop_cleanly();
    b.stop_cleanly();
}

#[test]
fn preserve_host_and_x_forwarded() {
    if !tool_available("curl") {
        return;
    }
    let a = echo();
    let ua = format!("http://{}", a.addr());
    let proxy = reverse(&[
        "--upstream",
        &ua,
        "--preserve-host",
        "--forwarded",
        "x-forwarded",
    ]);
    let url = format!("http://{}/", proxy.addr());
    let json = curl_json(&url, &["Host: site.example"]);
    assert_eq!(header(&json, "host"), Some("site.example"));
    assert_eq!(header(&json, "x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(header(&json, "x-forwarded-host"), Some("site.example"));
    assert_eq!(header(&json, "x-forwarded-proto"), Some("http"));
    assert_eq!(header(&json, "forwarded"), None);
    proxy.stop_cleanly();
    a.stop_cleanly();
}

/// `--upstream-version 2`: h2 with prior knowledge to an `http://` upstream, bodies
/// included, every request of a worker thread on one upstream connection; the default
/// stays HTTP/1.1.
#[test]
fn upstream_version_2_multiplexes_h2_to_the_upstream() {
    if !tool_available("curl") {
        return;
    }
    let a = echo();
    let ua = format!("http://{}", a.addr());
    let h2 = reverse(&[
        "--upstream",
        &ua,
        "--upstream-version",
        "2",
        "--threads",
        "1",
    ]);
    let url = format!("http://{}/up", h2.addr());
    let mut peers = Vec::new();
    for i in 0..4 {
        let body = format!("body {i}");
        let json = curl_json_with(&url, &["--data-binary", &body]);
        assert_eq!(json["version"], "HTTP/2", "{json}");
        assert_eq!(json["body"]["data"], body.as_str(), "{json}");
        peers.push(json["peer_addr"].as_str().unwrap().to_owned());
    }
    peers.dedup();
    assert_eq!(peers.len(), 1, "one upstream connection: {peers:?}");
    h2.stop_cleanly();

    let h1 = reverse(&["--upstream", &ua]);
    let json = curl_json(&format!("http://{}/", h1.addr()), &[]);
    assert_eq!(json["version"], "HTTP/1.1", "{json}");
    h1.stop_cleanly();
    a.stop_cleanly();
}

#[test]
fn hash_balance_is_sticky_per_key() {
    if !tool_available("curl") {
        return;
    }
    let (a, b, c) = (echo(), echo(), echo());
    let urls: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|e| format!("http://{}", e.addr()))
        .collect();
    let proxy = reverse(&[
        "--upstream",
        &urls[0],
        "--upstream",
        &urls[1],
        "--upstream",
        &urls[2],
        "--balance",
        "hash:header:X-User",
    ]);
    let url = format!("http://{}/", proxy.addr());
    // the upstream's own authority is the Host it sees: it names the upstream
    let served_by = |user: &str| {
        let json = curl_json(&url, &[&format!("X-User: {user}")]);
        header(&json, "host").unwrap().to_owned()
    };
    let mut owners = std::collections::HashSet::new();
    for k in 0..12 {
        let user = format!("user-{k}");
        let first = served_by(&user);
        assert_eq!(served_by(&user), first, "{user} sticks");
        assert_eq!(served_by(&user), first, "{user} sticks");
        owners.insert(first);
    }
    assert!(
        owners.len() >= 2,
        "keys spread over the upstreams: {owners:?}"
    );
    proxy.stop_cleanly();
    a.stop_cleanly();
    b.stop_cleanly();
    c.stop_cleanly();
}

/// An upstream that takes the request and never answers: `--timeout 1` answers 504 about a
/// second after the request went out, and the proxy goes on serving.
#[test]
fn a_silent_upstream_is_504_after_the_timeout() {
    if !tool_available("curl") {
        return;
    }
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", silent.local_addr().unwrap());
    // holds the accepted connections open, unanswered, until the test ends
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming() {
            match conn {
                Ok(conn) => held.push(conn),
                Err(_) => return,
            }
        }
    });
    let proxy = reverse(&[
        "--upstream",
        &upstream,
        "--timeout",
        "1",
        "--max-fails",
        "0",
    ]);
    let url = format!("http://{}/", proxy.addr());
    for _ in 0..2 {
        let started = std::time::Instant::now();
        assert_eq!(curl_status(&url), "504");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
            "answered after {waited:?}"
        );
    }
    proxy.stop_cleanly();
}

#[test]
fn dead_upstream_is_502_and_bad_flags_are_refused() {
    if !tool_available("curl") {
        return;
    }
    let dead = format!("http://127.0.0.1:{}", free_port());
    let proxy = reverse(&["--upstream", &dead, "--max-fails", "0"]);
    let url = format!("http://{}/", proxy.addr());
    assert_eq!(curl_status(&url), "502");
    assert_eq!(curl_status(&url), "502");
    proxy.stop_cleanly();

    let cases: &[(&[&str], &str)] = &[
        (&["serve", "reverse"], "--upstream"),
        (
            &["serve", "reverse", "--upstream", "ftp://127.0.0.1:1"],
            "http or https",
        ),
        (
            &[
                "serve",
                "reverse",
                "--upstream",
                "http://127.0.0.1:1",
                "--balance",
                "random",
            ],
            "unknown balancing strategy",
        ),
        (
            &[
                "serve",
                "reverse",
                "--upstream",
                "http://127.0.0.1:1",
                "--forwarded",
                "xff",
            ],
            "x-forwarded",
        ),
        (
            &[
                "serve",
                "reverse",
                "--upstream",
                "http://127.0.0.1:1",
                "--upstream-version",
                "3",
            ],
            "auto, 1.1, 2",
        ),
    ];
    for (args, message) in cases {
        let (status, stderr) = run_to_exit(args, Duration::from_secs(10));
        assert!(!status.success(), "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
