//! Helpers for this crate's tests: seeded random matrices and the
//! finite-difference check every gradient rule goes through.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::check::numeric_gradient;
use crate::{Dim, Matrix};

/// Declares named test dimensions without the `dims!` macro (which lives
/// downstream, in the facade crate).
#[macro_export]
#[doc(hidden)]
macro_rules! test_dims {
    ($($name:ident = $size:literal;)*) => {$(
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #[allow(dead_code)]
        struct $name;
        impl $crate::Dim for $name {
            type Size = $crate::typenum::U<$size>;
            const NAME: &'static str = stringify!($name);
        }
    )*};
}

pub fn rng(seed: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(seed)
}

/// Uniform in [lo, hi).
pub fn random<R: Dim, C: Dim>(rng: &mut Pcg64Mcg, lo: f64, hi: f64) -> Matrix<R, C, f64> {
    Matrix::from_fn(|_, _| rng.random_range(lo..hi))
}

/// Asserts that `analytic` is the gradient of `f` at `x`, element by element,
/// against central differences: |a − n| ≤ tol · max(1, |a|, |n|).
#[track_caller]
pub fn assert_gradient<R: Dim, C: Dim>(
    x: &Matrix<R, C, f64>,
    f: impl FnMut(&Matrix<R, C, f64>) -> f64,
    analytic: &Matrix<R, C, f64>,
    tol: f64,
) {
    let numeric = numeric_gradient(x, f, 1e-6);
    assert!(
        analytic.approx_eq(&numeric, tol),
        "gradient mismatch (max abs diff {:e})\nanalytic: {analytic:.6}\nnumeric: {numeric:.6}",
        analytic.max_abs_diff(&numeric)
    );
}

/// `Σ g ⊙ y`: the scalar whose gradient with respect to the inputs of `y` is
/// the vector-Jacobian product with `g`.
pub fn weighted_sum<R: Dim, C: Dim>(g: &Matrix<R, C, f64>, y: &Matrix<R, C, f64>) -> f64 {
    g.as_slice().iter().zip(y.as_slice()).map(|(a, b)| a * b).sum()
}
