//! `rama send URL` (and plain `rama URL`): one HTTP request, curl-compatible where the flags
//! overlap, with curl's exit codes.
//!
//! The request goes over a fresh connection per hop ([`connect::Connector`]: DNS with
//! `--resolve` overrides, TCP with Happy Eyeballs and `--connect-timeout`, TLS for
//! `https://` with curl's TLS flags, then HTTP/1.1 or h2 by ALPN or prior knowledge). `-L` follows redirects with curl's rules, in a loop here rather
//! than through the `FollowRedirect` layer, because `-i` and `-v` must show every hop's
//! head and curl's method rules differ from a browser's when `-X` is given:
//!
//! - 301, 302 turn POST into GET (body dropped); 303 turns anything but HEAD into GET;
//!   307, 308 keep method and body; with `-X` the method is kept on every hop.
//! - `Authorization` from `-u` is only sent to the first host (as curl without
//!   `--location-trusted`).
//! - more than `--max-redirs` (default 50, -1 unlimited) hops: exit 47.
//!
//! Proxies (`-x`, `-U`, `--noproxy`, the `*_proxy` variables) follow curl: see [`proxy`].
//!
//! Exit codes are curl's: see [`exit`]. On failure one line `rama: (CODE) REASON` goes to
//! stderr (unless `-s`), then the process exits with CODE.

pub(crate) mod connect;
pub(crate) mod exit;
pub(crate) mod output;
pub(crate) mod progress;
pub(crate) mod proxy;
pub(crate) mod request;
pub(crate) mod target;

use crate::cmd::args::parse_secs;
use crate::cmd::tls::TlsClientArgs;
use clap::{Args, Parser};
use exit::{
    Failure, HTTP_RETURNED_ERROR, OPERATION_TIMEDOUT, PARTIAL_FILE, RECV_ERROR, TOO_MANY_REDIRECTS,
};
use rama::error::{BoxError, OpaqueError};
use rama::http::{Body, Method, StatusCode, header};
use rama::tls::types::{AlpnList, ApplicationProtocol};
use std::process::ExitCode;
use std::time::Duration;

/// `rama send` flags (curl's names).
#[derive(Debug, Clone, Args)]
pub(crate) struct SendArgs {
    /// The URL: `http://host[:port]/path`; without a scheme `http://` is assumed.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The request method (default GET, or POST with -d/--json). Kept across redirects.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(crate) method: Option<String>,
    /// Add a header `Name: value`; `Name:` removes a default header, `Name;` sends it empty.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// Send DATA as a form body (POST); repeated values are joined with `&`; `@FILE` reads a
    /// file (CR/LF stripped), `@-` stdin.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub(crate) data: Vec<String>,
    /// Like --data, but `@FILE` is sent as is.
    #[arg(long = "data-binary", value_name = "DATA")]
    pub(crate) data_binary: Vec<String>,
    /// Send DATA as JSON (POST, Content-Type and Accept application/json); `@FILE` reads a
    /// file.
    #[arg(long = "json", value_name = "DATA")]
    pub(crate) json: Vec<String>,
    /// Basic authentication `USER:PASSWORD`.
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    pub(crate) user: Option<String>,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<String>,
    /// Include the response head (status line and headers) in the output.
    #[arg(short = 'i', long = "include")]
    pub(crate) include: bool,
    /// Show the request and response heads on stderr (`> ` and `< ` lines); not redacted,
    /// as in curl.
    #[arg(short = 'v', long = "verbose")]
    pub(crate) verbose: bool,
    /// Follow redirects (301, 302, 303, 307, 308 with a Location).
    #[arg(short = 'L', long = "location")]
    pub(crate) location: bool,
    /// With -L: the most redirects to follow (-1: no limit).
    #[arg(
        long = "max-redirs",
        value_name = "NUM",
        default_value = "50",
        allow_hyphen_values = true
    )]
    pub(crate) max_redirs: i64,
    /// Exit 22 without writing the body when the response status is 400 or above.
    #[arg(short = 'f', long = "fail")]
    pub(crate) fail: bool,
    /// Speak HTTP/1.1 (for https: offer only `http/1.1` by ALPN).
    #[arg(long = "http1.1", conflicts_with_all = ["http2_prior_knowledge", "http2"])]
    pub(crate) http1_1: bool,
    /// For https: offer h2 and HTTP/1.1 by ALPN and speak what the server picks (the
    /// default). http:// URLs stay HTTP/1.1 (no h2c upgrade).
    #[arg(long = "http2", conflicts_with = "http2_prior_knowledge")]
    pub(crate) http2: bool,
    /// Speak h2 right away (cleartext without upgrade; for https only `h2` is offered).
    #[arg(long = "http2-prior-knowledge")]
    pub(crate) http2_prior_knowledge: bool,
    /// The most seconds the whole transfer may take (exit 28).
    #[arg(short = 'm', long = "max-time", value_name = "SECS", value_parser = parse_secs)]
    pub(crate) max_time: Option<Duration>,
    /// The most seconds connecting may take (exit 28); default 30.
    #[arg(long = "connect-timeout", value_name = "SECS", value_parser = parse_secs)]
    pub(crate) connect_timeout: Option<Duration>,
    /// Use ADDR for HOST: `HOST:PORT:ADDR` (repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub(crate) resolve: Vec<String>,
    /// Print no error message (the exit code still tells).
    #[arg(short = 's', long = "silent")]
    pub(crate) silent: bool,
    /// TLS flags for https URLs.
    #[command(flatten)]
    pub(crate) tls: TlsClientArgs,
    /// Proxy flags (-x, -U, --noproxy, --proxy-insecure, --proxy-cacert).
    #[command(flatten)]
    pub(crate) proxy: proxy::ProxyArgs,
}

/// Parses `rama URL ...` as `rama send URL ...`.
#[derive(Debug, Parser)]
#[command(name = "rama")]
struct PlainUrl {
    #[command(flatten)]
    args: SendArgs,
}

/// Whether `arg` (the first word after `rama`) is a URL rather than a command name:
/// `scheme://...`, or a host with a dot or a `:port` (`example.com`, `localhost:8080/x`).
pub(crate) fn looks_like_url(arg: &str) -> bool {
    if arg.starts_with('-') {
        return false;
    }
    if arg.contains("://") {
        return true;
    }
    let host = arg.split('/').next().unwrap_or_default();
    host.contains('.')
        || host
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
}

/// Run `rama URL ARGS...` (an external subcommand whose name looks like a URL).
pub(crate) async fn run_plain(words: Vec<String>) -> Result<ExitCode, OpaqueError> {
    if !words.first().is_some_and(|w| looks_like_url(w)) {
        let name = words.first().cloned().unwrap_or_default();
        // a usage error: clap's message format and exit code 2
        clap::Error::raw(
            clap::error::ErrorKind::InvalidSubcommand,
            format!(
                "unrecognized command `{name}` (see `rama --help`; a URL starts with http:// or has a host:port)\n"
            ),
        )
        .exit();
    }
    let argv = std::iter::once("rama".to_owned()).chain(words);
    let parsed = PlainUrl::try_parse_from(argv).unwrap_or_else(|e| e.exit());
    parsed.args.run().await
}

impl SendArgs {
    /// Run the transfer; on failure print `rama: (CODE) REASON` and return CODE (curl's
    /// exit codes), so the process exits with it after every destructor (output files,
    /// stdout) has run.
    pub(crate) async fn run(self) -> Result<ExitCode, OpaqueError> {
        let result = match self.max_time {
            Some(limit) => tokio::time::timeout(limit, self.transfer())
                .await
                .unwrap_or_else(|_| {
                    Err(Failure::new(
                        OPERATION_TIMEDOUT,
                        format!("operation timed out after {} ms", limit.as_millis()),
                    ))
                }),
            None => self.transfer().await,
        };
        match result {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(failure) => {
                if !self.silent {
                    eprintln!("rama: {failure}");
                }
                Ok(ExitCode::from(failure.code))
            }
        }
    }

    async fn transfer(&self) -> Result<(), Failure> {
        let mut spec = request::RequestSpec::from_flags(&request::SpecInput {
            method: self.method.as_deref(),
            headers: &self.headers,
            data: &self.data,
            data_binary: &self.data_binary,
            json: &self.json,
            user: self.user.as_deref(),
            http2: self.http2_prior_knowledge,
        })?;
        let alpn: AlpnList = if self.http1_1 {
            [ApplicationProtocol::HTTP_11].into_iter().collect()
        } else if self.http2_prior_knowledge {
            [ApplicationProtocol::H2].into_iter().collect()
        } else {
            AlpnList::h2_http11()
        };
        let connector = connect::Connector::new(
            &self.resolve,
            self.connect_timeout,
            &self.proxy,
            self.tls.clone(),
            alpn,
        )?;
        let mut target = target::Target::parse(&self.url)?;
        let first_host = target.authority.host().clone();
        let mut sink = output::Sink::open(self.output.as_deref())?;
        let mut followed: i64 = 0;
        loop {
            let send_auth = *target.authority.host() == first_host;
            let req = spec.build(&target, send_auth);
            // the request head is shown once the connection (and for https its ALPN) is
            // known, in the version that is sent
            let res = connector.send(&target, req, self.verbose).await?;
            if self.verbose {
                output::trace("< ", &output::response_head(&res));
            }
            let status = res.status();
            let location = res
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let (true, true, Some(location)) = (self.location, is_followed(status), location) {
                if self.include {
                    sink.write_head(&output::response_head(&res))?;
                }
                drain(res.into_body()).await?;
                if self.max_redirs >= 0 && followed >= self.max_redirs {
                    return Err(Failure::new(
                        TOO_MANY_REDIRECTS,
                        format!("Maximum ({}) redirects followed", self.max_redirs),
                    ));
                }
                followed += 1;
                apply_redirect_method(&mut spec, status);
                target = target.join(&location)?;
                continue;
            }
            if self.include {
                sink.write_head(&output::response_head(&res))?;
            }
            if self.fail && status.as_u16() >= 400 {
                // the head (with -i) is written, the body is not, as curl does
                sink.flush()?;
                return Err(Failure::new(
                    HTTP_RETURNED_ERROR,
                    format!("The requested URL returned error: {}", status.as_u16()),
                ));
            }
            let total = res
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let progress = progress::Progress::new(total, sink.is_file(), self.silent);
            let mut body = res.into_body();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(body_failure)?;
                if let Ok(data) = frame.into_data() {
                    sink.write(&data)?;
                    progress.advance(data.len());
                }
            }
            progress.finish();
            return sink.flush();
        }
    }
}

const fn is_followed(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// curl's method rules for the next hop (see the module docs).
fn apply_redirect_method(spec: &mut request::RequestSpec, status: StatusCode) {
    if spec.method_forced {
        return;
    }
    let to_get = match status.as_u16() {
        301 | 302 => spec.method == Method::POST,
        303 => spec.method != Method::HEAD,
        _ => false,
    };
    if to_get {
        spec.method = Method::GET;
        spec.body = None;
    }
}

async fn drain(mut body: Body) -> Result<(), Failure> {
    while let Some(frame) = body.frame().await {
        frame.map_err(body_failure)?;
    }
    Ok(())
}

/// A body that failed: cut short (curl's 18, partial file) or otherwise unreadable (56).
fn body_failure(err: BoxError) -> Failure {
    let cut_short = err
        .downcast_ref::<rama::http::client::Error>()
        .is_some_and(rama::http::client::Error::is_incomplete_message);
    let code = if cut_short { PARTIAL_FILE } else { RECV_ERROR };
    Failure::new(code, format!("read body: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_url_table() {
        let cases = [
            ("http://x", true),
            ("https://x", true),
            ("example.com", true),
            ("localhost:8080/x", true),
            ("127.0.0.1", true),
            ("serve", false),
            ("send", false),
            ("-v", false),
            ("foo:bar", false),
        ];
        for (arg, want) in cases {
            assert_eq!(looks_like_url(arg), want, "{arg}");
        }
    }

    #[test]
    fn redirect_method_rules() {
        let cases = [
            (Method::POST, false, 302, Method::GET),
            (Method::POST, false, 301, Method::GET),
            (Method::PUT, false, 302, Method::PUT),
            (Method::PUT, false, 303, Method::GET),
            (Method::HEAD, false, 303, Method::HEAD),
            (Method::POST, false, 307, Method::POST),
            (Method::POST, true, 303, Method::POST),
        ];
        for (method, forced, status, want) in cases {
            let mut spec =
                request::RequestSpec::from_flags(&request::SpecInput::default()).unwrap();
            spec.method = method.clone();
            spec.method_forced = forced;
            apply_redirect_method(&mut spec, StatusCode::from_u16(status).unwrap());
            assert_eq!(spec.method, want, "{method} {status} forced={forced}");
        }
    }
}
