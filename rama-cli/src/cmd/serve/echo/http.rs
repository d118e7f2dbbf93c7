//! The HTTP mode of `rama serve echo`: [`HttpEcho`] answers every request with a JSON
//! document describing what it received.
//!
//! ```text
//! {
//!   "method": "GET", "uri": "/", "version": "HTTP/1.1",
//!   "peer_addr": "127.0.0.1:50312",
//!   "headers": [{"name": "User-Agent", "value": "curl/8"}, {"name": "X-MiXeD-cAsE", "value": "1"}],
//!   "body": {"size": 0, "truncated": false, "encoding": "utf8", "data": ""},
//!   "trailers": [],
//!   "h2": null,
//!   "tls": null
//! }
//! ```
//!
//! - `headers`: HTTP/1 requests list the names in wire order and spelling, from the
//!   [`OriginalHeaderNames`] record the parser stores (duplicates in place). h2 names are
//!   lowercase by the protocol; they are listed in the order `h2` received them, except that
//!   repeated names are grouped at their first occurrence.
//! - `body`: the first [`BODY_CAPTURE_LIMIT`] bytes, as text when they are UTF-8, else
//!   base64 (`encoding`); `size` counts every byte read, `truncated` says that not all of
//!   them are in `data`. The rest of a large body is read and dropped, up to
//!   [`BODY_DRAIN_LIMIT`]; past that reading stops and `complete` is false.
//! - `h2` (h2 only): the connection's early frames recorded by the tap: SETTINGS in order,
//!   WINDOW_UPDATE and PRIORITY frames, the first request's pseudo-header order.
//! - `tls` (with `--tls`): version, cipher, ALPN, SNI and the ClientHello as received (see
//!   [`super::tls`]).
//! - `proxy_protocol` (with `--proxy-protocol`, absent otherwise): the PROXY header's version,
//!   command, addresses (`source` is also `peer_addr`), the balancer's own address (`proxy`)
//!   and the ALPN, AUTHORITY and UNIQUE_ID TLVs when sent.

use base64::Engine as _;
use rama::http::connection::ConnectionExtensions;
use rama::proxy::haproxy::{
    ProxyProtocolInfo,
    proto::{Command, Version as PpVersion},
};
use rama::{
    Service,
    error::{ErrorContext, OpaqueError},
    extensions::Extensions,
    http::{
        Body, HeaderMap, Request, Response, StatusCode, Version,
        h2::{EarlyFrames, TapOutcome},
        header,
        server::{HttpServer, HttpService},
        wire::{OriginalHeaderNames, ordered_headers},
    },
    net::stream::SocketInfo,
};
use serde::Serialize;
use std::net::SocketAddr;

/// How many body bytes the echo includes in its answer.
pub(crate) const BODY_CAPTURE_LIMIT: usize = 64 * 1024;
/// How many body bytes are read at most (the rest of the capture is counted and dropped).
pub(crate) const BODY_DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// The connection service of the HTTP echo: serves [`HttpEcho`] on each stream with the
/// chosen HTTP versions.
pub(super) fn server(version: super::HttpVersion) -> HttpService<HttpEcho> {
    let server = match version {
        super::HttpVersion::Auto => HttpServer::auto(),
        super::HttpVersion::Http1 => HttpServer::http1(),
        super::HttpVersion::H2 => HttpServer::h2(),
    };
    server.service(HttpEcho)
}

/// Answers every request with JSON describing it; see the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HttpEcho;

impl Service<Request<Body>> for HttpEcho {
    type Output = Response<Body>;
    type Error = OpaqueError;

    async fn serve(&self, req: Request<Body>) -> Result<Response<Body>, OpaqueError> {
        let (parts, body) = req.into_parts();
        let (body, trailers) = read_body(body).await?;
        let report = EchoReport {
            method: parts.method.as_str(),
            uri: parts.uri.to_string(),
            version: version_str(parts.version),
            peer_addr: peer_addr(&parts.extensions),
            headers: wire_headers(parts.version, &parts.headers, parts.extensions.get()),
            body,
            trailers: trailers
                .as_ref()
                .map_or_else(Vec::new, |t| wire_headers(parts.version, t, None)),
            h2: parts.connection_get::<EarlyFrames>().map(H2Report::from),
            tls: parts
                .extensions
                .get::<Extensions>()
                .and_then(super::tls::TlsReport::from_connection),
            proxy_protocol: parts
                .connection_get::<ProxyProtocolInfo>()
                .map(ProxyProtocolReport::from),
        };
        let mut json = serde_json::to_vec_pretty(&report).context("encode the echo as JSON")?;
        json.push(b'\n');
        let mut res = Response::new(Body::from(json));
        *res.status_mut() = StatusCode::OK;
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        Ok(res)
    }
}

#[derive(Debug, Serialize)]
struct EchoReport<'a> {
    method: &'a str,
    uri: String,
    version: &'static str,
    peer_addr: Option<SocketAddr>,
    headers: Vec<HeaderEntry>,
    body: BodyReport,
    trailers: Vec<HeaderEntry>,
    h2: Option<H2Report>,
    /// With `--tls`: the handshake's parameters and the ClientHello as received.
    tls: Option<super::tls::TlsReport>,
    /// With `--proxy-protocol`: what the PROXY protocol header said.
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy_protocol: Option<ProxyProtocolReport>,
}

/// The `proxy_protocol` section: the header a balancer sent in front of the connection.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct ProxyProtocolReport {
    version: &'static str,
    command: &'static str,
    source: Option<SocketAddr>,
    destination: Option<SocketAddr>,
    /// The balancer: the socket's real peer.
    proxy: Option<SocketAddr>,
    alpn: Option<String>,
    authority: Option<String>,
    unique_id: Option<String>,
}

impl From<&ProxyProtocolInfo> for ProxyProtocolReport {
    fn from(info: &ProxyProtocolInfo) -> Self {
        let header = info.header();
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        Self {
            version: match header.version {
                PpVersion::V1 => "v1",
                PpVersion::V2 => "v2",
            },
            command: match header.command {
                Command::Local => "LOCAL",
                Command::Proxy => "PROXY",
            },
            source: header.source(),
            destination: header.destination(),
            proxy: info.proxy().map(SocketInfo::peer_addr),
            alpn: header.alpn().map(text),
            authority: header.authority().map(str::to_owned),
            unique_id: header.unique_id().map(text),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct HeaderEntry {
    name: String,
    value: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct BodyReport {
    /// Body bytes read.
    size: u64,
    /// Whether `data` holds fewer bytes than `size`.
    truncated: bool,
    /// Whether the body was read to its end (false past [`BODY_DRAIN_LIMIT`]).
    complete: bool,
    /// `utf8` or `base64`.
    encoding: &'static str,
    data: String,
}

#[derive(Debug, Serialize)]
struct H2Report {
    /// `complete`, or why the tap stopped early.
    outcome: &'static str,
    settings: Vec<SettingEntry>,
    window_updates: Vec<WindowUpdateEntry>,
    priorities: Vec<PriorityEntry>,
    pseudo_header_order: Vec<&'static str>,
    /// The first request's regular header names in received order (duplicates in place).
    first_header_names: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SettingEntry {
    id: u16,
    name: Option<&'static str>,
    value: u32,
}

#[derive(Debug, Serialize)]
struct WindowUpdateEntry {
    stream_id: u32,
    increment: u32,
}

#[derive(Debug, Serialize)]
struct PriorityEntry {
    stream_id: u32,
    dependency: u32,
    weight: u8,
    exclusive: bool,
}

impl From<&EarlyFrames> for H2Report {
    fn from(early: &EarlyFrames) -> Self {
        Self {
            outcome: match early.outcome() {
                TapOutcome::Complete => "complete",
                TapOutcome::Incomplete => "incomplete",
                TapOutcome::ByteLimit => "byte_limit",
                TapOutcome::FrameLimit => "frame_limit",
                TapOutcome::Invalid => "invalid",
            },
            settings: early
                .settings()
                .iter()
                .map(|s| SettingEntry {
                    id: s.id,
                    name: s.name(),
                    value: s.value,
                })
                .collect(),
            window_updates: early
                .window_updates()
                .iter()
                .map(|w| WindowUpdateEntry {
                    stream_id: w.stream_id,
                    increment: w.increment,
                })
                .collect(),
            priorities: early
                .priorities()
                .iter()
                .map(|p| PriorityEntry {
                    stream_id: p.stream_id,
                    dependency: p.dependency,
                    weight: p.weight,
                    exclusive: p.exclusive,
                })
                .collect(),
            pseudo_header_order: early
                .pseudo_header_order()
                .iter()
                .map(|p| p.as_str())
                .collect(),
            first_header_names: early
                .first_headers()
                .map(|h| {
                    h.header_names
                        .iter()
                        .map(|n| n.as_str().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

const fn version_str(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "unknown",
    }
}

/// The peer address: a [`SocketInfo`] in the request's extensions, or in the connection's
/// extensions that the server put there.
fn peer_addr(ext: &::http::Extensions) -> Option<SocketAddr> {
    ext.connection_get::<SocketInfo>()
        .map(SocketInfo::peer_addr)
}

/// Headers in wire order and spelling. HTTP/1: the order and spelling of the record (see
/// [`ordered_headers`]), names it lacks in Title-Case. h2: the lowercase names in
/// [`HeaderMap`] order.
fn wire_headers(
    version: Version,
    headers: &HeaderMap,
    record: Option<&OriginalHeaderNames>,
) -> Vec<HeaderEntry> {
    let entry = |name: String, value: &header::HeaderValue| HeaderEntry {
        name,
        value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
    };
    if version == Version::HTTP_2 && record.is_none() {
        headers
            .iter()
            .map(|(name, value)| entry(name.as_str().to_owned(), value))
            .collect()
    } else {
        ordered_headers(headers, record)
            .map(|(name, value)| entry(name.to_string(), value))
            .collect()
    }
}

/// Reads the body: keeps the first [`BODY_CAPTURE_LIMIT`] bytes, counts and drops the rest up
/// to [`BODY_DRAIN_LIMIT`], and returns the trailers if any.
async fn read_body(mut body: Body) -> Result<(BodyReport, Option<HeaderMap>), OpaqueError> {
    let mut captured = Vec::new();
    let mut size: u64 = 0;
    let mut trailers = None;
    let mut complete = true;
    while let Some(frame) = body.frame().await {
        let frame = frame.context("read the request body")?;
        let frame = match frame.into_data() {
            Ok(data) => {
                let room = BODY_CAPTURE_LIMIT.saturating_sub(captured.len());
                captured.extend_from_slice(&data[..room.min(data.len())]);
                size += data.len() as u64;
                if size > BODY_DRAIN_LIMIT {
                    complete = false;
                    break;
                }
                continue;
            }
            Err(frame) => frame,
        };
        if let Ok(t) = frame.into_trailers() {
            trailers = Some(t);
        }
    }
    let truncated = (captured.len() as u64) < size;
    let (encoding, data) = match String::from_utf8(captured) {
        Ok(text) => ("utf8", text),
        // text cut by the capture limit inside a character stays text, without that character
        Err(err) if truncated && err.utf8_error().error_len().is_none() => {
            let valid = err.utf8_error().valid_up_to();
            let mut bytes = err.into_bytes();
            bytes.truncate(valid);
            ("utf8", String::from_utf8_lossy(&bytes).into_owned())
        }
        Err(err) => (
            "base64",
            base64::engine::general_purpose::STANDARD.encode(err.as_bytes()),
        ),
    };
    let report = BodyReport {
        size,
        truncated,
        complete,
        encoding,
        data,
    };
    Ok((report, trailers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama::http::h2::EarlyFrameParser;
    use serde_json::Value;

    async fn echo(req: Request<Body>) -> (Response<Body>, Value) {
        let res = HttpEcho.serve(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let json = body.collect_bytes(1 << 20).await.unwrap();
        let value = serde_json::from_slice(&json).unwrap();
        (Response::from_parts(parts, Body::empty()), value)
    }

    fn names(v: &Value) -> Vec<&str> {
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn describes_an_http1_request_in_wire_order_and_spelling() {
        let mut req = Request::builder()
            .method("POST")
            .uri("/path?q=1")
            .header("host", "example")
            .header("user-agent", "test/1")
            .header("x-mixed-case", "1")
            .header("accept", "a")
            .header("accept", "b")
            .body(Body::from("hello"))
            .unwrap();
        let mut record = OriginalHeaderNames::new();
        for n in ["Host", "ACCEPT", "User-Agent", "X-MiXeD-cAsE", "accept"] {
            record.push(n).unwrap();
        }
        req.extensions_mut().insert(record);
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        req.extensions_mut().insert(SocketInfo::new(None, peer));

        let (res, v) = echo(req).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(v["method"], "POST");
        assert_eq!(v["uri"], "/path?q=1");
        assert_eq!(v["version"], "HTTP/1.1");
        assert_eq!(v["peer_addr"], "127.0.0.1:4000");
        assert_eq!(
            names(&v),
            ["Host", "ACCEPT", "User-Agent", "X-MiXeD-cAsE", "accept"]
        );
        assert_eq!(v["headers"][1]["value"], "a");
        assert_eq!(v["headers"][4]["value"], "b");
        assert_eq!(v["body"]["data"], "hello");
        assert_eq!(v["body"]["size"], 5);
        assert_eq!(v["body"]["encoding"], "utf8");
        assert_eq!(v["body"]["truncated"], false);
        assert_eq!(v["body"]["complete"], true);
        assert!(v["h2"].is_null());
    }

    #[tokio::test]
    async fn peer_address_from_connection_extensions() {
        let mut req = Request::new(Body::empty());
        let mut conn = Extensions::new();
        let peer: SocketAddr = "[::1]:9".parse().unwrap();
        conn.insert(SocketInfo::new(None, peer));
        req.extensions_mut().insert(conn);
        let (_, v) = echo(req).await;
        assert_eq!(v["peer_addr"], "[::1]:9");
        let (_, v) = echo(Request::new(Body::empty())).await;
        assert!(v["peer_addr"].is_null());
    }

    #[tokio::test]
    async fn binary_bodies_are_base64_and_large_ones_truncated() {
        let cases: &[(Vec<u8>, &str, bool)] = &[
            (vec![0xff, 0x00, 0x80], "base64", false),
            (vec![], "utf8", false),
            (vec![b'a'; BODY_CAPTURE_LIMIT], "utf8", false),
            (vec![b'a'; BODY_CAPTURE_LIMIT + 1], "utf8", true),
            (
                [&[0xffu8][..], &[b'a'; BODY_CAPTURE_LIMIT]].concat(),
                "base64",
                true,
            ),
        ];
        for (body, encoding, truncated) in cases {
            let req = Request::new(Body::from(body.clone()));
            let (_, v) = echo(req).await;
            let b = &v["body"];
            assert_eq!(b["encoding"], *encoding, "{} bytes", body.len());
            assert_eq!(b["truncated"], *truncated, "{} bytes", body.len());
            assert_eq!(b["size"], body.len() as u64);
            let data = b["data"].as_str().unwrap();
            let decoded = if *encoding == "base64" {
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap()
            } else {
                data.as_bytes().to_vec()
            };
            let kept = body.len().min(BODY_CAPTURE_LIMIT);
            assert_eq!(decoded, body[..kept], "{} bytes", body.len());
        }
    }

    #[tokio::test]
    async fn text_cut_inside_a_character_stays_text() {
        // "a" then two-byte characters: the capture limit (even) falls inside one
        let body = format!("a{}", "é".repeat(40_000));
        let (_, v) = echo(Request::new(Body::from(body.clone()))).await;
        assert_eq!(v["body"]["encoding"], "utf8");
        assert_eq!(v["body"]["truncated"], true);
        let data = v["body"]["data"].as_str().unwrap();
        assert_eq!(data.len(), BODY_CAPTURE_LIMIT - 1);
        assert!(body.starts_with(data));
    }

    #[tokio::test]
    async fn trailers_are_listed() {
        let (tx, body) = Body::channel();
        tokio::spawn(async move {
            tx.send_data("part").await.unwrap();
            let mut t = HeaderMap::new();
            t.insert("x-checksum", "abc".parse().unwrap());
            tx.send_trailers(t).await.unwrap();
        });
        let (_, v) = echo(Request::new(body)).await;
        assert_eq!(v["body"]["data"], "part");
        assert_eq!(v["trailers"][0]["name"], "X-Checksum");
        assert_eq!(v["trailers"][0]["value"], "abc");
    }

    #[tokio::test]
    async fn h2_early_frames_are_reported() {
        let mut wire = rama::http::h2::PREFACE.to_vec();
        // SETTINGS: HEADER_TABLE_SIZE 65536, ENABLE_PUSH 0
        wire.extend_from_slice(&[0, 0, 12, 4, 0, 0, 0, 0, 0]);
        wire.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
        // WINDOW_UPDATE stream 0 increment 15663105
        wire.extend_from_slice(&[0, 0, 4, 8, 0, 0, 0, 0, 0, 0x00, 0xef, 0x00, 0x01]);
        // HEADERS stream 1: :method GET, :path /, :scheme https
        wire.extend_from_slice(&[0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x84, 0x87]);
        let mut parser = EarlyFrameParser::new(64 * 1024, 32, 4096);
        parser.feed(&wire);
        let early = parser.finish();

        let mut req = Request::new(Body::empty());
        *req.version_mut() = Version::HTTP_2;
        req.headers_mut().insert("x-b", "1".parse().unwrap());
        req.headers_mut().insert("x-a", "2".parse().unwrap());
        req.extensions_mut().insert(early);
        let (_, v) = echo(req).await;
        assert_eq!(v["version"], "HTTP/2");
        assert_eq!(names(&v), ["x-b", "x-a"]);
        let h2 = &v["h2"];
        assert_eq!(h2["outcome"], "complete");
        assert_eq!(h2["settings"][0]["name"], "HEADER_TABLE_SIZE");
        assert_eq!(h2["settings"][0]["value"], 65536);
        assert_eq!(h2["settings"][1]["id"], 2);
        assert_eq!(h2["window_updates"][0]["increment"], 15_663_105);
        assert_eq!(
            h2["pseudo_header_order"],
            serde_json::json!([":method", ":path", ":scheme"])
        );
    }
}
