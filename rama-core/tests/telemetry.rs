//! `init_tracing` installs a global subscriber once and reports a second attempt as an error.
//! Its own test binary, so the global subscriber does not leak into other tests.
#![cfg(feature = "telemetry")]

#[test]
fn second_install_is_an_error_not_a_panic() {
    rama_core::telemetry::init_tracing_with_default("warn").unwrap();
    let err = rama_core::telemetry::init_tracing().unwrap_err();
    assert!(
        format!("{err:#}").starts_with("install tracing subscriber"),
        "{err:#}"
    );
    tracing::warn!("logged through the installed subscriber");
}
