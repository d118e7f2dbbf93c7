//! Wire protocols, apart from the public API (as in hyper): `h1` is the HTTP/1.x codec.

pub(crate) mod h1;
