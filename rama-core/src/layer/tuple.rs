//! `Layer` for tuples: `(A, B, C).into_layer(svc)` is `A(B(C(svc)))`, first element outermost.
//!
//! Generated for arities 1 to 12; the cap keeps compile times down (nest tuples for more).

use super::Layer;

impl<S, L1> Layer<S> for (L1,)
where
    L1: Layer<S>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1,) = self;
        l1.layer(service)
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1,) = self;
        l1.into_layer(service)
    }
}

impl<S, L1, L2> Layer<S> for (L1, L2)
where
    L2: Layer<S>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2) = self;
        l1.layer(l2.layer(service))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2) = self;
        l1.into_layer(l2.into_layer(service))
    }
}

impl<S, L1, L2, L3> Layer<S> for (L1, L2, L3)
where
    L3: Layer<S>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3) = self;
        l1.layer(l2.layer(l3.layer(service)))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(service)))
    }
}

impl<S, L1, L2, L3, L4> Layer<S> for (L1, L2, L3, L4)
where
    L4: Layer<S>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(service))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(l4.into_layer(service))))
    }
}

impl<S, L1, L2, L3, L4, L5> Layer<S> for (L1, L2, L3, L4, L5)
where
    L5: Layer<S>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(l5.layer(service)))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(l4.into_layer(l5.into_layer(service)))))
    }
}

impl<S, L1, L2, L3, L4, L5, L6> Layer<S> for (L1, L2, L3, L4, L5, L6)
where
    L6: Layer<S>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(l5.layer(l6.layer(service))))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6) = self;
        l1.into_layer(
            l2.into_layer(l3.into_layer(l4.into_layer(l5.into_layer(l6.into_layer(service))))),
        )
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7> Layer<S> for (L1, L2, L3, L4, L5, L6, L7)
where
    L7: Layer<S>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(l5.layer(l6.layer(l7.layer(service)))))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7) = self;
        l1.into_layer(l2.into_layer(
            l3.into_layer(l4.into_layer(l5.into_layer(l6.into_layer(l7.into_layer(service))))),
        ))
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7, L8> Layer<S> for (L1, L2, L3, L4, L5, L6, L7, L8)
where
    L8: Layer<S>,
    L7: Layer<L8::Service>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(l5.layer(l6.layer(l7.layer(l8.layer(service))))))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(
            l4.into_layer(l5.into_layer(l6.into_layer(l7.into_layer(l8.into_layer(service))))),
        )))
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7, L8, L9> Layer<S> for (L1, L2, L3, L4, L5, L6, L7, L8, L9)
where
    L9: Layer<S>,
    L8: Layer<L9::Service>,
    L7: Layer<L8::Service>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9) = self;
        l1.layer(
            l2.layer(l3.layer(l4.layer(l5.layer(l6.layer(l7.layer(l8.layer(l9.layer(service)))))))),
        )
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(l4.into_layer(
            l5.into_layer(l6.into_layer(l7.into_layer(l8.into_layer(l9.into_layer(service))))),
        ))))
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10> Layer<S>
    for (L1, L2, L3, L4, L5, L6, L7, L8, L9, L10)
where
    L10: Layer<S>,
    L9: Layer<L10::Service>,
    L8: Layer<L9::Service>,
    L7: Layer<L8::Service>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10) = self;
        l1.layer(l2.layer(
            l3.layer(
                l4.layer(l5.layer(l6.layer(l7.layer(l8.layer(l9.layer(l10.layer(service))))))),
            ),
        ))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10) = self;
        l1.into_layer(l2.into_layer(l3.into_layer(l4.into_layer(l5.into_layer(
            l6.into_layer(l7.into_layer(l8.into_layer(l9.into_layer(l10.into_layer(service))))),
        )))))
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11> Layer<S>
    for (L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11)
where
    L11: Layer<S>,
    L10: Layer<L11::Service>,
    L9: Layer<L10::Service>,
    L8: Layer<L9::Service>,
    L7: Layer<L8::Service>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(
            l5.layer(l6.layer(l7.layer(l8.layer(l9.layer(l10.layer(l11.layer(service))))))),
        ))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11) = self;
        l1.into_layer(
            l2.into_layer(l3.into_layer(l4.into_layer(l5.into_layer(l6.into_layer(
                l7.into_layer(
                    l8.into_layer(l9.into_layer(l10.into_layer(l11.into_layer(service)))),
                ),
            ))))),
        )
    }
}

impl<S, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12> Layer<S>
    for (L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12)
where
    L12: Layer<S>,
    L11: Layer<L12::Service>,
    L10: Layer<L11::Service>,
    L9: Layer<L10::Service>,
    L8: Layer<L9::Service>,
    L7: Layer<L8::Service>,
    L6: Layer<L7::Service>,
    L5: Layer<L6::Service>,
    L4: Layer<L5::Service>,
    L3: Layer<L4::Service>,
    L2: Layer<L3::Service>,
    L1: Layer<L2::Service>,
{
    type Service = L1::Service;

    fn layer(&self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12) = self;
        l1.layer(l2.layer(l3.layer(l4.layer(l5.layer(
            l6.layer(l7.layer(l8.layer(l9.layer(l10.layer(l11.layer(l12.layer(service))))))),
        )))))
    }

    fn into_layer(self, service: S) -> Self::Service {
        let (l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12) = self;
        l1.into_layer(
            l2.into_layer(l3.into_layer(l4.into_layer(l5.into_layer(l6.into_layer(
                l7.into_layer(l8.into_layer(
                    l9.into_layer(l10.into_layer(l11.into_layer(l12.into_layer(service)))),
                )),
            ))))),
        )
    }
}
