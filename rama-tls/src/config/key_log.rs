//! [`KeyLog`]: where session secrets go, for Wireshark.

use std::path::PathBuf;

/// Where the session secrets of each handshake are written in the NSS key log format, for
/// Wireshark. Off unless asked for: anyone with the file can decrypt the traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyLog {
    /// No key log (the default).
    #[default]
    Disabled,
    /// The file named by the `SSLKEYLOGFILE` environment variable, when it is set.
    FromEnv,
    /// This file (appended to).
    File(PathBuf),
}
