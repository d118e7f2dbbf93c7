//! `Either` .. `Either6`: choose one of several services (or streams) at run time while
//! keeping static types.

use super::Service;

macro_rules! define_either {
    ($(#[$doc:meta])* $name:ident: $($variant:ident),+) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name<$($variant),+> {
            $(
                #[doc = concat!("The `", stringify!($variant), "` branch.")]
                $variant($variant),
            )+
        }

        impl<Input, Output, Error, $($variant),+> Service<Input> for $name<$($variant),+>
        where
            Input: Send + 'static,
            Output: Send + 'static,
            Error: Send + 'static,
            $($variant: Service<Input, Output = Output, Error = Error>,)+
        {
            type Output = Output;
            type Error = Error;

            async fn serve(&self, input: Input) -> Result<Output, Error> {
                match self {
                    $(Self::$variant(svc) => svc.serve(input).await,)+
                }
            }
        }
    };
}

define_either!(
    /// One of two values. As a [`Service`] it serves with whichever branch it holds; this is
    /// what an `Option<Layer>` produces.
    Either: A, B
);
define_either!(
    /// One of three values; see [`Either`].
    Either3: A, B, C
);
define_either!(
    /// One of four values; see [`Either`].
    Either4: A, B, C, D
);
define_either!(
    /// One of five values; see [`Either`].
    Either5: A, B, C, D, E
);
define_either!(
    /// One of six values; see [`Either`].
    Either6: A, B, C, D, E, F
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service_fn;
    use std::convert::Infallible;

    #[tokio::test]
    async fn either_serves_with_the_branch_it_holds() {
        let add = service_fn(async |x: i32| Ok::<_, Infallible>(x + 1));
        let neg = service_fn(async |x: i32| Ok::<_, Infallible>(-x));
        let branches = [Either::A(add), Either::B(neg)];
        assert_eq!(branches[0].serve(1).await.unwrap(), 2);
        assert_eq!(branches[1].serve(1).await.unwrap(), -1);
    }
}
