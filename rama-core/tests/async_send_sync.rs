//! Compile-time checks, in the style of tokio's `async_send_sync.rs`: every public service,
//! layer and error of rama-core is `Send + Sync + 'static`, and every service's future is
//! `Send`, so stacks built from them can be spawned on a multi-threaded runtime.
//!
//! The futures are created and dropped without being polled: what is tested is that this
//! file compiles.

use rama_core::{
    Layer, Service,
    error::{BoxError, OpaqueError},
    extensions::Extensions,
    layer::{
        AddExtensionLayer, ConcurrencyLimitLayer, ConsumeErrLayer, Elapsed, HijackLayer,
        LimitPolicy, LimitReached, MapErrLayer, MapInputLayer, MapOutputLayer, RateLimitLayer,
        RateLimited, TimeoutLayer, TraceErrLayer,
        retry::{ExponentialBackoff, RetryErrors, RetryLayer},
    },
    matcher::{MatcherExt, MatcherRouter, Not},
    service::{BoxService, Either, Either3, Either6},
    service_fn,
};
use std::{convert::Infallible, time::Duration};

fn send<T: Send>(_: &T) {}
fn send_sync_static<T: Send + Sync + 'static>(_: &T) {}

/// The service is `Send + Sync + 'static` and its future for `input` is `Send`.
macro_rules! assert_service {
    ($svc:expr, $input:expr) => {{
        let svc = $svc;
        send_sync_static(&svc);
        let future = svc.serve($input);
        send(&future);
        drop(future);
    }};
}

fn inner() -> impl Service<Extensions, Output = u8, Error = OpaqueError> + Clone {
    service_fn(async |_: Extensions| Ok::<_, OpaqueError>(1))
}

fn infallible() -> impl Service<Extensions, Output = u8, Error = Infallible> + Clone {
    service_fn(async |_: Extensions| Ok::<_, Infallible>(1))
}

#[tokio::test]
async fn services_are_send_sync_and_their_futures_send() {
    let d = Duration::from_secs(1);
    assert_service!(TimeoutLayer::new(d).into_layer(inner()), Extensions::new());
    assert_service!(
        ConcurrencyLimitLayer::new(2).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        RateLimitLayer::new(2, d)
            .with_policy(LimitPolicy::Reject)
            .into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        MapInputLayer::new(|()| Extensions::new()).into_layer(inner()),
        ()
    );
    assert_service!(
        MapOutputLayer::new(|n: u8| n.to_string()).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        MapErrLayer::new(OpaqueError::into_boxed).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        AddExtensionLayer::new(7u32).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        HijackLayer::new((|_: &Extensions| true).and(Not::new(false)), inner()).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        ConsumeErrLayer::new().into_layer(inner()),
        Extensions::new()
    );
    assert_service!(
        ConsumeErrLayer::with_fallback(|_: OpaqueError| 0u8).into_layer(inner()),
        Extensions::new()
    );
    assert_service!(TraceErrLayer::new().into_layer(inner()), Extensions::new());
    assert_service!(
        RetryLayer::new(RetryErrors::new(ExponentialBackoff::new(d, d, 3)))
            .into_layer(service_fn(async |x: u8| Ok::<_, OpaqueError>(x))),
        1u8
    );
    assert_service!(
        MatcherRouter::new(inner()).route(|_: &Extensions| true, inner()),
        Extensions::new()
    );
    assert_service!(inner().boxed(), Extensions::new());
    assert_service!(
        Either::<_, BoxService<Extensions, u8, OpaqueError>>::A(inner()),
        Extensions::new()
    );
    assert_service!(
        Either3::<_, BoxService<Extensions, u8, Infallible>, BoxService<Extensions, u8, Infallible>>::A(
            infallible()
        ),
        Extensions::new()
    );
    // an optional layer needs both branches to agree on the error: BoxError here
    let boxed_err = MapErrLayer::new(OpaqueError::into_boxed).into_layer(inner());
    assert_service!(
        Some(TimeoutLayer::new(d)).into_layer(boxed_err),
        Extensions::new()
    );
    // a whole stack, as a listener would spawn it
    assert_service!(
        (
            ConsumeErrLayer::new(),
            TraceErrLayer::new(),
            TimeoutLayer::new(d),
            ConcurrencyLimitLayer::new(10),
            RateLimitLayer::new(10, d),
            AddExtensionLayer::new("tag"),
        )
            .into_layer(inner()),
        Extensions::new()
    );
}

#[test]
fn layers_errors_and_streams_are_send_sync() {
    let d = Duration::from_secs(1);
    send_sync_static(&TimeoutLayer::new(d));
    send_sync_static(&ConcurrencyLimitLayer::new(1));
    send_sync_static(&RateLimitLayer::new(1, d));
    send_sync_static(&MapInputLayer::new(|x: u8| x));
    send_sync_static(&MapOutputLayer::new(|x: u8| x));
    send_sync_static(&MapErrLayer::new(|x: u8| x));
    send_sync_static(&AddExtensionLayer::new(1u8));
    send_sync_static(&HijackLayer::new(true, inner()));
    send_sync_static(&ConsumeErrLayer::new());
    send_sync_static(&TraceErrLayer::new());
    send_sync_static(&RetryLayer::new(RetryErrors::new(ExponentialBackoff::new(
        d, d, 1,
    ))));

    send_sync_static(&Elapsed::new(d));
    let errors: [BoxError; 0] = [];
    send_sync_static(&errors);
    send_sync_static(&std::marker::PhantomData::<(LimitReached, RateLimited)>);

    let (a, b) = tokio::io::duplex(8);
    let stream: Either6<_, tokio::io::DuplexStream, (), (), (), ()> =
        Either6::A(tokio::io::BufStream::new(a));
    send_sync_static(&stream);
    send_sync_static(&b);
}
