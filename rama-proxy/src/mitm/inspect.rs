//! Inspection of decrypted traffic: an [`Inspector`] sees (and may change) each request
//! before it is forwarded and each response before it goes back; [`InspectLayer`] puts one
//! in front of the MITM's client.
//!
//! Any `Service<Request<Body>>` layered over the client inspects just as well; the
//! [`Inspector`] trait only saves writing the forwarding.
//!
//! ```
//! use rama_core::{Layer, Service, service_fn};
//! use rama_http::{Body, Method, Request, Response, Uri};
//! use rama_proxy::mitm::{InspectLayer, Inspector};
//! use std::convert::Infallible;
//!
//! struct Tag;
//!
//! impl Inspector for Tag {
//!     async fn on_request(&self, req: &mut Request<Body>) -> Option<Response<Body>> {
//!         if req.uri().path() == "/blocked" {
//!             return Some(Response::builder().status(403).body(Body::empty()).unwrap());
//!         }
//!         req.headers_mut().insert("x-inspected", "yes".parse().unwrap());
//!         None // forward it
//!     }
//!
//!     async fn on_response(&self, _method: &Method, _uri: &Uri, res: &mut Response<Body>) {
//!         res.headers_mut().insert("x-seen-by", "mitm".parse().unwrap());
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // the client would be an EasyHttpWebClient; this one answers with the header it got
//! let client = service_fn(async |req: Request<Body>| {
//!     let tag = req.headers().get("x-inspected").cloned();
//!     Ok::<_, Infallible>(Response::new(Body::from(format!("{tag:?}"))))
//! });
//! let svc = InspectLayer::new(Tag).into_layer(client);
//! let res = svc.serve(Request::get("https://a.test/").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(res.headers()["x-seen-by"], "mitm");
//! let blocked = svc.serve(Request::get("https://a.test/blocked").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(blocked.status(), 403);
//! # }
//! ```

use rama_core::{Layer, Service, error::BoxError};
use rama_http::{Body, Method, Request, Response, Uri};
use std::{future::Future, sync::Arc};

/// Sees each decrypted request and its response. Both methods do nothing by default.
pub trait Inspector: Send + Sync + 'static {
    /// Called with each request (absolute `https://` URI) before it is forwarded; change it
    /// at will. Return a response to answer the client without forwarding.
    fn on_request(
        &self,
        req: &mut Request<Body>,
    ) -> impl Future<Output = Option<Response<Body>>> + Send {
        let _ = req;
        async { None }
    }

    /// Called with each response from the target (or the error response the MITM made),
    /// with the method and URI of its request; change it at will. The body streams: wrap
    /// it rather than collecting it, to keep large downloads streaming.
    fn on_response(
        &self,
        method: &Method,
        uri: &Uri,
        res: &mut Response<Body>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (method, uri, res);
        async {}
    }
}

impl<I: Inspector> Inspector for Arc<I> {
    fn on_request(
        &self,
        req: &mut Request<Body>,
    ) -> impl Future<Output = Option<Response<Body>>> + Send {
        (**self).on_request(req)
    }

    fn on_response(
        &self,
        method: &Method,
        uri: &Uri,
        res: &mut Response<Body>,
    ) -> impl Future<Output = ()> + Send {
        (**self).on_response(method, uri, res)
    }
}

/// A [`Layer`] that puts an [`Inspector`] in front of a client; see [`Inspector`] for what it may change.
#[derive(Debug)]
pub struct InspectLayer<I> {
    inspector: Arc<I>,
}

impl<I> Clone for InspectLayer<I> {
    fn clone(&self) -> Self {
        Self {
            inspector: self.inspector.clone(),
        }
    }
}

impl<I> InspectLayer<I> {
    /// A layer with `inspector`.
    #[must_use]
    pub fn new(inspector: I) -> Self {
        Self {
            inspector: Arc::new(inspector),
        }
    }

    /// A layer sharing an inspector held elsewhere (a test reading what it recorded).
    #[must_use]
    pub const fn from_arc(inspector: Arc<I>) -> Self {
        Self { inspector }
    }
}

impl<I, S> Layer<S> for InspectLayer<I> {
    type Service = Inspect<S, I>;

    fn layer(&self, inner: S) -> Self::Service {
        Inspect {
            inner,
            inspector: self.inspector.clone(),
        }
    }

    fn into_layer(self, inner: S) -> Self::Service {
        Inspect {
            inner,
            inspector: self.inspector,
        }
    }
}

/// The service made by [`InspectLayer`]: the inspector around the inner client. Clones
/// share the inspector.
#[derive(Debug)]
pub struct Inspect<S, I> {
    inner: S,
    inspector: Arc<I>,
}

impl<S: Clone, I> Clone for Inspect<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            inspector: self.inspector.clone(),
        }
    }
}

impl<S, I> Inspect<S, I> {
    /// The inspector.
    #[must_use]
    pub const fn inspector(&self) -> &Arc<I> {
        &self.inspector
    }

    /// The wrapped client.
    #[must_use]
    pub const fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S, I> Service<Request<Body>> for Inspect<S, I>
where
    S: Service<Request<Body>, Output = Response<Body>>,
    S::Error: Into<BoxError>,
    I: Inspector,
{
    type Output = Response<Body>;
    type Error = BoxError;

    async fn serve(&self, mut req: Request<Body>) -> Result<Response<Body>, BoxError> {
        if let Some(answer) = self.inspector.on_request(&mut req).await {
            return Ok(answer);
        }
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let mut res = self.inner.serve(req).await.map_err(Into::into)?;
        self.inspector.on_response(&method, &uri, &mut res).await;
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rama_core::service_fn;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<String>>,
    }

    impl Inspector for Recorder {
        async fn on_request(&self, req: &mut Request<Body>) -> Option<Response<Body>> {
            self.seen.lock().unwrap().push(format!("req {}", req.uri()));
            None
        }

        async fn on_response(&self, method: &Method, uri: &Uri, res: &mut Response<Body>) {
            self.seen
                .lock()
                .unwrap()
                .push(format!("res {method} {uri} {}", res.status()));
        }
    }

    struct Silent;
    impl Inspector for Silent {}

    #[tokio::test]
    async fn sees_both_sides_and_errors_pass_through() {
        let recorder = Arc::new(Recorder::default());
        let ok = service_fn(async |_req: Request<Body>| {
            Ok::<_, BoxError>(Response::new(Body::from("x")))
        });
        let svc = InspectLayer::from_arc(recorder.clone()).into_layer(ok);
        let req = Request::post("https://a.test/p?q=1")
            .body(Body::empty())
            .unwrap();
        assert_eq!(svc.serve(req).await.unwrap().status(), 200);
        assert_eq!(
            *recorder.seen.lock().unwrap(),
            [
                "req https://a.test/p?q=1",
                "res POST https://a.test/p?q=1 200 OK"
            ]
        );

        let failing = service_fn(async |_req: Request<Body>| {
            Err::<Response<Body>, BoxError>("upstream down".into())
        });
        let svc = InspectLayer::new(Silent).into_layer(failing);
        let err = svc
            .serve(Request::get("https://a.test/").body(Body::empty()).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "upstream down");
    }
}
