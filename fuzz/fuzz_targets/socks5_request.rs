//! Fuzzes the SOCKS5 parsers (greeting, RFC 1929 login, request, reply, UDP header): no
//! panic on any input; whatever decodes re-encodes to bytes that decode to the same value;
//! the async stream readers agree with the slice decoders.
#![no_main]
#![expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]

use libfuzzer_sys::fuzz_target;
use rama_proxy::socks5::proto::{
    MethodSelection, ProtocolError, ProtocolErrorKind, ReadError, Reply, Request, UdpHeader,
    UsernamePasswordRequest,
};
use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls a reader over a byte slice once: a slice never makes it wait.
fn ready<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a reader over a slice returned Pending"),
    }
}

/// The slice decoder and the stream reader must agree: same value, or both fail (a
/// truncated message is `Truncated` for one and `UnexpectedEof` for the other).
fn agree<T: PartialEq + Debug>(
    decoded: &Result<(T, usize), ProtocolError>,
    read: Result<T, ReadError>,
) {
    match (decoded, read) {
        (Ok((a, _)), Ok(b)) if *a == b => {}
        (Err(e), Err(ReadError::Io(_))) if e.is_truncated() => {}
        (Err(a), Err(ReadError::Protocol(b))) if *a == b => {}
        (a, b) => panic!("decode {a:?} vs read {b:?}"),
    }
}

fn round_trip<T: PartialEq + Debug>(
    value: &T,
    encode: impl Fn(&T, &mut Vec<u8>),
    decode: impl Fn(&[u8]) -> Result<(T, usize), ProtocolError>,
) {
    let mut out = Vec::new();
    encode(value, &mut out);
    match decode(&out) {
        Ok((again, used)) if again == *value && used == out.len() => {}
        other => panic!("{value:?} encoded to {out:?}, decoded to {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => {
            let decoded = MethodSelection::decode(input);
            agree(&decoded, ready(MethodSelection::read_from(&mut &input[..])));
            if let Ok((v, _)) = &decoded {
                round_trip(
                    v,
                    |v, out| {
                        let _ = v.encode(out);
                    },
                    MethodSelection::decode,
                );
            }
        }
        1 => {
            let decoded = UsernamePasswordRequest::decode(input);
            agree(
                &decoded,
                ready(UsernamePasswordRequest::read_from(&mut &input[..])),
            );
            if let Ok((v, _)) = &decoded {
                round_trip(
                    v,
                    |v, out| {
                        let _ = v.encode(out);
                    },
                    UsernamePasswordRequest::decode,
                );
            }
        }
        2 => {
            let decoded = Request::decode(input);
            let read = ready(Request::read_from(&mut &input[..]));
            // the reader reads the address before judging the command, so for an unknown
            // command it may fail on the address (or the input's end) instead
            let unknown_command = matches!(
                &decoded,
                Err(e) if matches!(e.kind(), ProtocolErrorKind::UnknownCommand(_))
            );
            if !unknown_command || read.is_ok() {
                agree(&decoded, read);
            }
            if let Ok((v, _)) = &decoded {
                round_trip(v, Request::encode, Request::decode);
            }
            if let Err(e) = &decoded {
                let _ = e.reply_code();
            }
        }
        3 => {
            let decoded = Reply::decode(input);
            agree(&decoded, ready(Reply::read_from(&mut &input[..])));
            if let Ok((v, _)) = &decoded {
                round_trip(v, Reply::encode, Reply::decode);
            }
        }
        _ => {
            if let Ok((v, len)) = UdpHeader::decode(input) {
                if len > input.len() {
                    panic!("header length {len} beyond the datagram");
                }
                round_trip(&v, UdpHeader::encode, UdpHeader::decode);
            }
        }
    }
});
