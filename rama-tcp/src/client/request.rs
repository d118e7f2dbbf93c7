//! [`TcpRequest`]: what a [`TcpConnector`](super::TcpConnector) connects to.

/// A request for a TCP connection to `authority` (a host name or IP address, and a port):
/// rama-net's transport-neutral [`ConnectRequest`](rama_net::client::ConnectRequest), under
/// the name this crate's connector documents.
///
/// ```
/// use rama_tcp::client::TcpRequest;
///
/// let req = TcpRequest::new("example.com:443".parse().unwrap());
/// assert_eq!(req.authority.to_string(), "example.com:443");
/// ```
pub use rama_net::client::ConnectRequest as TcpRequest;
