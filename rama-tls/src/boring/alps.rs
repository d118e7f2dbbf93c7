//! ALPS (application-layer protocol settings, the `application_settings` extension Chrome
//! sends for h2): the `boring` crate does not wrap it, so this calls BoringSSL directly.

use crate::types::AlpnList;
use boring::ssl::SslRef;
use foreign_types::ForeignTypeRef;

/// Offers ALPS for each of `protocols` (with empty settings: the ClientHello carries only
/// the protocol list) on one client connection, under the new codepoint (0x44cd) or the old
/// one (0x4469).
pub(crate) fn offer(
    ssl: &mut SslRef,
    protocols: &AlpnList,
    new_codepoint: bool,
) -> Result<(), &'static str> {
    const EMPTY: &[u8] = &[];
    let ptr = ssl.as_ptr();
    for protocol in protocols {
        let id = protocol.as_bytes();
        // SAFETY: `ptr` is the live SSL behind `ssl`, which this function borrows mutably, so
        // nothing else uses it meanwhile; `id` and `EMPTY` are valid for the lengths passed
        // and BoringSSL copies both before returning.
        let added = unsafe {
            boring_sys::SSL_add_application_settings(
                ptr,
                id.as_ptr(),
                id.len(),
                EMPTY.as_ptr(),
                EMPTY.len(),
            )
        };
        if added != 1 {
            return Err("BoringSSL refused an ALPS protocol");
        }
    }
    if !protocols.is_empty() {
        // SAFETY: as above; this only sets a flag on the SSL.
        unsafe { boring_sys::SSL_set_alps_use_new_codepoint(ptr, i32::from(new_codepoint)) };
    }
    Ok(())
}
