//! What `rama send` writes: response heads for `-i` (`HTTP/1.1 200 OK` + headers, CRLF
//! line ends as on the wire), `> `/`< ` lines for `-v` on stderr, and the body to stdout or
//! `-o FILE`.

use super::exit::{Failure, WRITE_ERROR};
use rama::http::wire::{OriginalHeaderNames, ReasonPhrase, ordered_headers};
use rama::http::{HeaderMap, Request, Response, Version};
use std::io::Write;

/// How a version is written in a status or request line (`HTTP/2` like curl).
pub(crate) fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

fn header_lines(headers: &HeaderMap, record: Option<&OriginalHeaderNames>) -> Vec<String> {
    ordered_headers(headers, record)
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())))
        .collect()
}

/// The request head lines (no line ends): request line, then headers.
pub(crate) fn request_head<B>(req: &Request<B>) -> Vec<String> {
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut lines = vec![format!(
        "{} {target} {}",
        req.method(),
        version_str(req.version())
    )];
    lines.extend(header_lines(
        req.headers(),
        req.extensions().get::<OriginalHeaderNames>(),
    ));
    lines
}

/// The response head lines (no line ends): status line (with the reason phrase as
/// received), then headers as received. h2 has
/// no reason phrase and lowercase names; curl writes `HTTP/2 200 ` (with the space) and
/// the names as they came, and so does this.
pub(crate) fn response_head<B>(res: &Response<B>) -> Vec<String> {
    let status = res.status();
    if res.version() == Version::HTTP_2 {
        let mut lines = vec![format!("HTTP/2 {} ", status.as_u16())];
        lines.extend(
            res.headers().iter().map(|(name, value)| {
                format!("{name}: {}", String::from_utf8_lossy(value.as_bytes()))
            }),
        );
        return lines;
    }
    // the reason as received (HTTP/1), else the canonical one
    let reason = res.extensions().get::<ReasonPhrase>().map_or_else(
        || status.canonical_reason().unwrap_or_default().to_owned(),
        |r| String::from_utf8_lossy(r.as_bytes()).into_owned(),
    );
    let status_line = format!(
        "{} {} {reason}",
        version_str(res.version()),
        status.as_u16()
    );
    let mut lines = vec![status_line];
    lines.extend(header_lines(
        res.headers(),
        res.extensions().get::<OriginalHeaderNames>(),
    ));
    lines
}

/// Print `lines` on stderr with `prefix` (`> ` or `< `) and a closing empty line, as curl
/// `-v` does.
pub(crate) fn trace(prefix: &str, lines: &[String]) {
    let mut err = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(err, "{prefix}{line}");
    }
    let _ = writeln!(err, "{prefix}");
}

/// Where the body (and the `-i` heads) go.
pub(crate) enum Sink {
    /// stdout.
    Stdout(std::io::Stdout),
    /// `-o FILE`.
    File(std::fs::File, String),
}

impl Sink {
    /// Open stdout, or create (truncate) `path`.
    pub(crate) fn open(path: Option<&str>) -> Result<Self, Failure> {
        match path {
            None | Some("-") => Ok(Self::Stdout(std::io::stdout())),
            Some(p) => std::fs::File::create(p)
                .map(|f| Self::File(f, p.to_owned()))
                .map_err(|e| Failure::new(WRITE_ERROR, format!("create `{p}`: {e}"))),
        }
    }

    /// Whether the output is a file (a progress bar may then show on stderr).
    pub(crate) const fn is_file(&self) -> bool {
        matches!(self, Self::File(..))
    }

    /// Write `bytes` fully.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let r = match self {
            Self::Stdout(out) => out.lock().write_all(bytes),
            Self::File(f, _) => f.write_all(bytes),
        };
        r.map_err(|e| Failure::new(WRITE_ERROR, format!("write {}: {e}", self.name())))
    }

    /// Write a head: each line with CRLF, then an empty line.
    pub(crate) fn write_head(&mut self, lines: &[String]) -> Result<(), Failure> {
        let mut buf = String::new();
        for line in lines {
            buf.push_str(line);
            buf.push_str("\r\n");
        }
        buf.push_str("\r\n");
        self.write(buf.as_bytes())
    }

    /// Flush what was written.
    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        let r = match self {
            Self::Stdout(out) => out.lock().flush(),
            Self::File(f, _) => f.flush(),
        };
        r.map_err(|e| Failure::new(WRITE_ERROR, format!("flush {}: {e}", self.name())))
    }

    fn name(&self) -> String {
        match self {
            Self::Stdout(_) => "stdout".to_owned(),
            Self::File(_, p) => format!("`{p}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama::http::StatusCode;

    #[test]
    fn heads_are_formatted_like_curl() {
        let req = Request::builder()
            .method("POST")
            .uri("http://a.test/x?y=1")
            .header("host", "a.test")
            .header("accept", "*/*")
            .body(())
            .unwrap();
        assert_eq!(
            request_head(&req),
            ["POST /x?y=1 HTTP/1.1", "Host: a.test", "Accept: */*"]
        );

        let res = Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-length", "0")
            .body(())
            .unwrap();
        assert_eq!(
            response_head(&res),
            ["HTTP/1.1 404 Not Found", "Content-Length: 0"]
        );
        let mut own = Response::new(());
        own.extensions_mut()
            .insert(ReasonPhrase::try_from_bytes(&b"Gone Fishing"[..]).unwrap());
        assert_eq!(response_head(&own)[0], "HTTP/1.1 200 Gone Fishing");
        let mut h2 = res;
        *h2.version_mut() = Version::HTTP_2;
        assert_eq!(response_head(&h2), ["HTTP/2 404 ", "content-length: 0"]);
    }
}
