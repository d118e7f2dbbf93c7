//! [`H2ServerConfig`]: every SETTINGS value and limit of the h2 server side, with safe defaults.

use std::time::Duration;

/// Largest flow-control window HTTP/2 allows (RFC 9113 §6.9.1): 2^31 - 1.
pub const MAX_WINDOW_SIZE: u32 = (1 << 31) - 1;
/// Smallest allowed `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §6.5.2): 16 KiB.
pub const MIN_MAX_FRAME_SIZE: u32 = 1 << 14;
/// Largest allowed `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §6.5.2): 2^24 - 1.
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// Configuration of the server side of an h2 connection.
///
/// Each setter documents its default and why it was chosen. Values outside what the protocol
/// allows are clamped into range (documented per setter), never a panic.
///
/// ```
/// use rama_http::h2::H2ServerConfig;
///
/// let config = H2ServerConfig::new()
///     .with_max_concurrent_streams(100)
///     .with_initial_stream_window_size(256 * 1024);
/// assert_eq!(config.max_concurrent_streams(), 100);
/// assert!(config.enable_connect_protocol());
/// ```
#[derive(Debug, Clone)]
pub struct H2ServerConfig {
    initial_stream_window_size: u32,
    initial_connection_window_size: u32,
    max_frame_size: u32,
    max_concurrent_streams: u32,
    max_header_list_size: u32,
    header_table_size: u32,
    max_send_buffer_size: u32,
    enable_connect_protocol: bool,
    max_pending_accept_reset_streams: usize,
    max_local_error_reset_streams: Option<usize>,
    max_concurrent_reset_streams: usize,
    reset_stream_duration: Duration,
    handshake_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    keep_alive: Option<(Duration, Duration)>,
    record_early_frames: bool,
    early_frames_max_bytes: usize,
    early_frames_max_frames: usize,
}

impl Default for H2ServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl H2ServerConfig {
    /// The defaults listed on each setter.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            initial_stream_window_size: 1024 * 1024,
            initial_connection_window_size: 1024 * 1024,
            max_frame_size: MIN_MAX_FRAME_SIZE,
            max_concurrent_streams: 250,
            max_header_list_size: 16 * 1024,
            header_table_size: 4096,
            max_send_buffer_size: 400 * 1024,
            enable_connect_protocol: true,
            max_pending_accept_reset_streams: 20,
            max_local_error_reset_streams: Some(1024),
            max_concurrent_reset_streams: 50,
            reset_stream_duration: Duration::from_secs(1),
            handshake_timeout: Some(Duration::from_secs(10)),
            idle_timeout: Some(Duration::from_secs(60)),
            keep_alive: None,
            record_early_frames: true,
            early_frames_max_bytes: 64 * 1024,
            early_frames_max_frames: 32,
        }
    }

    /// `SETTINGS_INITIAL_WINDOW_SIZE`: how many request body bytes a client may send on one
    /// stream before the service reads them. Default 1 MiB: large enough that one stream can
    /// fill a fast link (the protocol default of 64 KiB caps a stream at 64 KiB per round
    /// trip), bounded by the connection window below. Clamped to 2^31 - 1.
    #[must_use]
    pub const fn with_initial_stream_window_size(mut self, size: u32) -> Self {
        self.initial_stream_window_size = clamp_window(size);
        self
    }

    /// The connection-level receive window: the most unread request body data one connection
    /// can make the server hold, over all its streams. Default 1 MiB (memory per connection
    /// stays bounded however many streams are open). Clamped to 2^31 - 1.
    #[must_use]
    pub const fn with_initial_connection_window_size(mut self, size: u32) -> Self {
        self.initial_connection_window_size = clamp_window(size);
        self
    }

    /// `SETTINGS_MAX_FRAME_SIZE`: the largest frame payload the server accepts. Default 16 KiB,
    /// the protocol minimum: every peer supports it and it keeps per-frame buffering small.
    /// Clamped to 16 KiB ..= 2^24 - 1.
    #[must_use]
    pub const fn with_max_frame_size(mut self, size: u32) -> Self {
        self.max_frame_size = if size < MIN_MAX_FRAME_SIZE {
            MIN_MAX_FRAME_SIZE
        } else if size > MAX_MAX_FRAME_SIZE {
            MAX_MAX_FRAME_SIZE
        } else {
            size
        };
        self
    }

    /// `SETTINGS_MAX_CONCURRENT_STREAMS`: requests in flight per connection. Default 250:
    /// above the 100 that RFC 9113 §6.5.2 recommends as a floor, and it bounds the tasks and
    /// buffers one connection can claim.
    #[must_use]
    pub const fn with_max_concurrent_streams(mut self, max: u32) -> Self {
        self.max_concurrent_streams = max;
        self
    }

    /// `SETTINGS_MAX_HEADER_LIST_SIZE`: the decoded size of one header block (names + values +
    /// 32 per field). Default 16 KiB, like common servers: real requests stay far below it and
    /// it bounds the memory a HEADERS flood can claim. Larger blocks are refused.
    #[must_use]
    pub const fn with_max_header_list_size(mut self, max: u32) -> Self {
        self.max_header_list_size = max;
        self
    }

    /// `SETTINGS_HEADER_TABLE_SIZE`: the HPACK dynamic table the client may use towards the
    /// server. Default 4096, the protocol default (announcing it changes nothing on the wire).
    #[must_use]
    pub const fn with_header_table_size(mut self, size: u32) -> Self {
        self.header_table_size = size;
        self
    }

    /// Most response bytes buffered per stream before the body is polled again (back-pressure
    /// towards the service). Default 400 KiB, h2's own default.
    #[must_use]
    pub const fn with_max_send_buffer_size(mut self, max: u32) -> Self {
        self.max_send_buffer_size = max;
        self
    }

    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441): lets clients open WebSockets (and other
    /// protocols) over an h2 stream with an extended CONNECT. Default on.
    #[must_use]
    pub const fn with_enable_connect_protocol(mut self, enable: bool) -> Self {
        self.enable_connect_protocol = enable;
        self
    }

    /// Streams the client opened and reset before the service accepted them, allowed to sit
    /// in the accept queue; above it the connection ends with `ENHANCE_YOUR_CALM`. Default 20
    /// (h2's): the "rapid reset" defence (CVE-2023-44487).
    #[must_use]
    pub const fn with_max_pending_accept_reset_streams(mut self, max: usize) -> Self {
        self.max_pending_accept_reset_streams = max;
        self
    }

    /// Streams the server may reset because of the client's protocol errors before it ends the
    /// connection with `ENHANCE_YOUR_CALM`; `None` disables the limit (not recommended).
    /// Default 1024 (h2's): a defence against clients that provoke resets to burn CPU.
    #[must_use]
    pub const fn with_max_local_error_reset_streams(mut self, max: Option<usize>) -> Self {
        self.max_local_error_reset_streams = max;
        self
    }

    /// Locally reset streams whose state is kept to ignore late frames (RFC 9113 §5.4.2).
    /// Default 50 (h2's).
    #[must_use]
    pub const fn with_max_concurrent_reset_streams(mut self, max: usize) -> Self {
        self.max_concurrent_reset_streams = max;
        self
    }

    /// How long reset stream state is kept. Default 1 s (h2's).
    #[must_use]
    pub const fn with_reset_stream_duration(mut self, duration: Duration) -> Self {
        self.reset_stream_duration = duration;
        self
    }

    /// Time a client gets to send the connection preface and SETTINGS; `None` waits forever.
    /// Default 10 s: a connection that never speaks must not hold a task.
    #[must_use]
    pub const fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long a connection may stay open with no stream in flight before the server sends
    /// GOAWAY and closes it; `None` keeps it until the client closes it. Default 60 s, the
    /// HTTP/1 keep-alive idle timeout's order: an idle connection holds a socket, buffers
    /// and a task, and clients reconnect cheaply.
    #[must_use]
    pub const fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Keep-alive pings: every `interval` the server sends a PING and closes the connection
    /// (an error, [`is_keep_alive_timeout`](super::H2ConnectionError::is_keep_alive_timeout))
    /// when its acknowledgement does not arrive within `timeout`. It finds peers that
    /// vanished (a machine gone, a NAT entry dropped) while streams are still open, which the
    /// idle timeout does not (it waits for streams to end). `None` (the default, as hyper)
    /// sends no pings.
    #[must_use]
    pub const fn with_keep_alive(
        mut self,
        interval_and_timeout: Option<(Duration, Duration)>,
    ) -> Self {
        self.keep_alive = interval_and_timeout;
        self
    }

    /// Whether to record the connection's first frames ([`super::EarlyFrames`]). Default on:
    /// the cost is one small parse of the first few hundred bytes.
    #[must_use]
    pub const fn with_record_early_frames(mut self, record: bool) -> Self {
        self.record_early_frames = record;
        self
    }

    /// Limits of the early-frame tap: at most `max_bytes` bytes and `max_frames` frames are
    /// parsed before the first header block must be complete. Defaults 64 KiB and 32.
    #[must_use]
    pub const fn with_early_frames_limits(mut self, max_bytes: usize, max_frames: usize) -> Self {
        self.early_frames_max_bytes = max_bytes;
        self.early_frames_max_frames = max_frames;
        self
    }

    /// See [`with_initial_stream_window_size`](Self::with_initial_stream_window_size).
    #[must_use]
    pub const fn initial_stream_window_size(&self) -> u32 {
        self.initial_stream_window_size
    }

    /// See [`with_initial_connection_window_size`](Self::with_initial_connection_window_size).
    #[must_use]
    pub const fn initial_connection_window_size(&self) -> u32 {
        self.initial_connection_window_size
    }

    /// See [`with_max_frame_size`](Self::with_max_frame_size).
    #[must_use]
    pub const fn max_frame_size(&self) -> u32 {
        self.max_frame_size
    }

    /// See [`with_max_concurrent_streams`](Self::with_max_concurrent_streams).
    #[must_use]
    pub const fn max_concurrent_streams(&self) -> u32 {
        self.max_concurrent_streams
    }

    /// See [`with_max_header_list_size`](Self::with_max_header_list_size).
    #[must_use]
    pub const fn max_header_list_size(&self) -> u32 {
        self.max_header_list_size
    }

    /// See [`with_header_table_size`](Self::with_header_table_size).
    #[must_use]
    pub const fn header_table_size(&self) -> u32 {
        self.header_table_size
    }

    /// See [`with_max_send_buffer_size`](Self::with_max_send_buffer_size).
    #[must_use]
    pub const fn max_send_buffer_size(&self) -> u32 {
        self.max_send_buffer_size
    }

    /// See [`with_enable_connect_protocol`](Self::with_enable_connect_protocol).
    #[must_use]
    pub const fn enable_connect_protocol(&self) -> bool {
        self.enable_connect_protocol
    }

    /// See [`with_max_pending_accept_reset_streams`](Self::with_max_pending_accept_reset_streams).
    #[must_use]
    pub const fn max_pending_accept_reset_streams(&self) -> usize {
        self.max_pending_accept_reset_streams
    }

    /// See [`with_max_local_error_reset_streams`](Self::with_max_local_error_reset_streams).
    #[must_use]
    pub const fn max_local_error_reset_streams(&self) -> Option<usize> {
        self.max_local_error_reset_streams
    }

    /// See [`with_max_concurrent_reset_streams`](Self::with_max_concurrent_reset_streams).
    #[must_use]
    pub const fn max_concurrent_reset_streams(&self) -> usize {
        self.max_concurrent_reset_streams
    }

    /// See [`with_reset_stream_duration`](Self::with_reset_stream_duration).
    #[must_use]
    pub const fn reset_stream_duration(&self) -> Duration {
        self.reset_stream_duration
    }

    /// See [`with_keep_alive`](Self::with_keep_alive): the ping interval and the timeout.
    #[must_use]
    pub const fn keep_alive(&self) -> Option<(Duration, Duration)> {
        self.keep_alive
    }

    /// See [`with_idle_timeout`](Self::with_idle_timeout).
    #[must_use]
    pub const fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// See [`with_handshake_timeout`](Self::with_handshake_timeout).
    #[must_use]
    pub const fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// See [`with_record_early_frames`](Self::with_record_early_frames).
    #[must_use]
    pub const fn record_early_frames(&self) -> bool {
        self.record_early_frames
    }

    /// See [`with_early_frames_limits`](Self::with_early_frames_limits): `(max_bytes,
    /// max_frames)`.
    #[must_use]
    pub const fn early_frames_limits(&self) -> (usize, usize) {
        (self.early_frames_max_bytes, self.early_frames_max_frames)
    }

    /// The `h2` server builder these settings describe.
    pub(crate) fn builder(&self) -> h2::server::Builder {
        let mut b = h2::server::Builder::new();
        b.initial_window_size(self.initial_stream_window_size)
            .initial_connection_window_size(self.initial_connection_window_size)
            .max_frame_size(self.max_frame_size)
            .max_concurrent_streams(self.max_concurrent_streams)
            .max_header_list_size(self.max_header_list_size)
            .header_table_size(self.header_table_size)
            .max_send_buffer_size(self.max_send_buffer_size as usize)
            .max_pending_accept_reset_streams(self.max_pending_accept_reset_streams)
            .max_local_error_reset_streams(self.max_local_error_reset_streams)
            .max_concurrent_reset_streams(self.max_concurrent_reset_streams)
            .reset_stream_duration(self.reset_stream_duration);
        if self.enable_connect_protocol {
            b.enable_connect_protocol();
        }
        b
    }
}

const fn clamp_window(size: u32) -> u32 {
    if size > MAX_WINDOW_SIZE {
        MAX_WINDOW_SIZE
    } else {
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_clamped() {
        let rows = [
            (0, MIN_MAX_FRAME_SIZE),
            (MIN_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE),
            (1 << 20, 1 << 20),
            (u32::MAX, MAX_MAX_FRAME_SIZE),
        ];
        for (input, want) in rows {
            assert_eq!(
                H2ServerConfig::new()
                    .with_max_frame_size(input)
                    .max_frame_size(),
                want
            );
        }
        let c = H2ServerConfig::new()
            .with_initial_stream_window_size(u32::MAX)
            .with_initial_connection_window_size(u32::MAX);
        assert_eq!(c.initial_stream_window_size(), MAX_WINDOW_SIZE);
        assert_eq!(c.initial_connection_window_size(), MAX_WINDOW_SIZE);
        // building the h2 builder from extreme values must not panic
        let _ = c.with_max_send_buffer_size(u32::MAX).builder();
    }
}
