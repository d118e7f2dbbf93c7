//! Start `haproxy_client_ip` on `127.0.0.1:0` and talk to it with curl
//! `--haproxy-protocol` (and with a hand-written v2 header naming another client), then stop
//! it with SIGTERM and check it exits cleanly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama::proxy::haproxy::proto::{Header, Version};
use rama_test_support::{ChildServer, IO_TIMEOUT, tool_available};
use std::io::{Read, Write};
use std::process::Command;

fn curl(args: &[&str]) -> Option<String> {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

#[test]
fn haproxy_client_ip_answers_with_the_header_address() {
    if !tool_available("curl") {
        return;
    }
    let server = ChildServer::start(env!("CARGO_BIN_EXE_haproxy_client_ip"), &["127.0.0.1:0"]);
    let url = format!("http://{}/", server.addr());

    assert_eq!(
        curl(&["--haproxy-protocol", &url]).as_deref(),
        Some("127.0.0.1\n")
    );
    assert_eq!(curl(&[&url]), None, "no PROXY header: refused");

    // a v2 header from a "load balancer" speaking for 203.0.113.9
    let header = Header::proxy("203.0.113.9:4000".parse().unwrap(), server.addr())
        .encode(Version::V2)
        .unwrap();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(&header).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n203.0.113.9\n"), "{answer}");

    server.stop_cleanly();
}
