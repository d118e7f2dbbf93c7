//! [`EstablishedClientConnection`]: what a connector returns.

/// A connection a connector established for an input, returned together with that input
/// (which connectors may have enriched with extensions on the way).
#[derive(Debug, Clone)]
pub struct EstablishedClientConnection<Conn, Input> {
    /// The established connection, e.g. a TCP or TLS stream.
    pub conn: Conn,
    /// The input the connection was established for.
    pub input: Input,
}

impl<Conn, Input> EstablishedClientConnection<Conn, Input> {
    /// Pair a connection with its input.
    #[must_use]
    pub const fn new(conn: Conn, input: Input) -> Self {
        Self { conn, input }
    }

    /// Split into the connection and the input.
    #[must_use]
    pub fn into_parts(self) -> (Conn, Input) {
        (self.conn, self.input)
    }

    /// Transform the connection (e.g. wrap it in TLS), keeping the input.
    #[must_use]
    pub fn map_conn<T>(self, f: impl FnOnce(Conn) -> T) -> EstablishedClientConnection<T, Input> {
        EstablishedClientConnection {
            conn: f(self.conn),
            input: self.input,
        }
    }

    /// Transform the input, keeping the connection.
    #[must_use]
    pub fn map_input<T>(self, f: impl FnOnce(Input) -> T) -> EstablishedClientConnection<Conn, T> {
        EstablishedClientConnection {
            conn: self.conn,
            input: f(self.input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_and_split() {
        let e = EstablishedClientConnection::new(1u8, "in");
        let e = e.map_conn(u16::from).map_input(str::len);
        assert_eq!(e.into_parts(), (1u16, 2usize));
    }
}
