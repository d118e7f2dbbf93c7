//! The TLS echo helpers shared by `serve_echo_tls*.rs`: a recording TCP proxy, running curl
//! or `openssl s_client` to completion, and the check that the echoed ClientHello matches
//! the bytes on the wire (and tshark's dissection of them, when installed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use super::tool_available;
use rama::tls::client_hello::ClientHello;
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to `upstream` that records what clients send (all connections, in order).
pub(crate) struct Recorder {
    pub(crate) addr: SocketAddr,
    pub(crate) sent: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let server = TcpStream::connect(upstream).await.unwrap();
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async move {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = cr.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            record.lock().unwrap().extend_from_slice(&buf[..n]);
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = sw.shutdown().await;
                    };
                    let down = async move {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                        let _ = cw.shutdown().await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        Self { addr, sent, task }
    }

    /// The ClientHello at the start of what was recorded, and clears the record.
    pub(crate) fn take_client_hello(&self) -> ClientHello {
        let bytes = std::mem::take(&mut *self.sent.lock().unwrap());
        ClientHello::parse(&bytes).unwrap()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Run `program ARGS...` with `stdin` (killed after 20 s); its stdout, asserting success.
pub(crate) async fn run_ok(program: &str, args: Vec<String>, stdin: &'static [u8]) -> Vec<u8> {
    let program = program.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = super::KillOnDrop(
            Command::new(&program)
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut input = child.0.stdin.take().unwrap();
        std::io::Write::write_all(&mut input, stdin).unwrap();
        // keep stdin open briefly: s_client quits on EOF before the answer arrives
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            drop(input);
        });
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut child.0.stdout.take().unwrap(), &mut out).unwrap();
                let mut err = String::new();
                std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err)
                    .unwrap();
                assert!(status.success(), "{program} {args:?}: {status}: {err}");
                return out;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{program} {args:?} did not finish in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap()
}

/// The JSON object in `out` (s_client prints the HTTP head before it).
pub(crate) fn echo_json(out: &[u8]) -> Value {
    let text = String::from_utf8_lossy(out);
    let start = text
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in {text}"));
    let end = text.rfind('}').unwrap();
    serde_json::from_str(&text[start..=end]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// What Wireshark's TLS dissector reads from `records` (the ClientHello's TLS records): the
/// cipher suites and the extension types, in order. The bytes go into a pcap as one TCP
/// segment to port 443 (`text2pcap -T`), which `tshark` dissects as TLS.
pub(crate) fn tshark_dissection(records: &[u8]) -> (Vec<u64>, Vec<u64>) {
    let dir = std::env::temp_dir().join(format!(
        "rama-tshark-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let hex_path = dir.join("hello.txt");
    let pcap_path = dir.join("hello.pcap");
    // text2pcap's input: an offset, then hex bytes, 16 per line
    let mut dump = String::new();
    for (i, chunk) in records.chunks(16).enumerate() {
        dump.push_str(&format!("{:06x}", i * 16));
        for b in chunk {
            dump.push_str(&format!(" {b:02x}"));
        }
        dump.push('\n');
    }
    std::fs::write(&hex_path, dump).unwrap();
    let status = Command::new("text2pcap")
        .args(["-q", "-T", "50000,443"])
        .arg(&hex_path)
        .arg(&pcap_path)
        .status()
        .unwrap();
    assert!(status.success(), "text2pcap: {status}");
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(&pcap_path)
        .args([
            "-Y",
            "tls.handshake.type == 1",
            "-T",
            "fields",
            "-e",
            "tls.handshake.ciphersuite",
            "-e",
            "tls.handshake.extension.type",
            "-E",
            "aggregator=,",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("tshark saw no ClientHello"));
    let mut fields = line.split('\t');
    let numbers = |field: Option<&str>| -> Vec<u64> {
        field
            .unwrap_or_default()
            .split(',')
            .filter(|v| !v.is_empty())
            .map(|v| {
                let v = v.trim();
                v.strip_prefix("0x")
                    .map_or_else(|| v.parse(), |hex| u64::from_str_radix(hex, 16))
                    .unwrap_or_else(|e| panic!("{v}: {e}"))
            })
            .collect()
    };
    (numbers(fields.next()), numbers(fields.next()))
}

/// Asserts that the echo's ClientHello lists what the parser read from the raw bytes, and
/// (when `tshark` is installed) what Wireshark's dissector reads from them.
pub(crate) fn assert_same_hello(echo: &Value, raw: &ClientHello) {
    let hello = &echo["tls"]["client_hello"];
    let ids = |key: &str| -> Vec<u64> {
        hello[key]
            .as_array()
            .unwrap_or_else(|| panic!("no {key} in {hello}"))
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect()
    };
    let suites: Vec<u64> = raw
        .cipher_suites()
        .iter()
        .map(|s| u64::from(s.value()))
        .collect();
    let extensions: Vec<u64> = raw.extension_ids().map(|e| u64::from(e.value())).collect();
    assert!(!suites.is_empty() && !extensions.is_empty());
    assert_eq!(ids("cipher_suites"), suites);
    assert_eq!(ids("extensions"), extensions);
    if tool_available("tshark") && tool_available("text2pcap") {
        let (tshark_suites, tshark_extensions) = tshark_dissection(raw.raw_records());
        assert_eq!(
            ids("cipher_suites"),
            tshark_suites,
            "cipher suites as tshark reads them"
        );
        assert_eq!(
            ids("extensions"),
            tshark_extensions,
            "extensions as tshark reads them"
        );
    }
    let groups: Option<Vec<u64>> = raw
        .supported_groups()
        .map(|g| g.iter().map(|g| u64::from(g.value())).collect());
    if let Some(groups) = groups {
        assert_eq!(ids("supported_groups"), groups);
    }
    let alpn: Option<Vec<String>> = raw
        .alpn()
        .map(|l| l.iter().map(ToString::to_string).collect());
    assert_eq!(
        hello["alpn"],
        serde_json::to_value(alpn).unwrap(),
        "ALPN offered"
    );
}
