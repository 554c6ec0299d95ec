//! A bias added to every column: `[R×B] + [R] → [R×B]`, whose adjoint sums
//! `dY` over the columns: `d(A + b𝟙ᵀ) = (dY, dY·𝟙)`.

use crate::shape::BiasShape;
use crate::{Dim, Matrix, Scalar, Vector};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self + b𝟙ᵀ`: the bias `b` added to every column.
    ///
    /// ```
    /// use shapegrad_core::{Matrix, Vector, typenum::{U2, U3}};
    /// let a = Matrix::<U2, U3>::zeros();
    /// let b = Vector::<U2>::from_slice(&[1., -1.]).unwrap();
    /// assert_eq!(a.add_bias(&b).as_slice(), &[1., 1., 1., -1., -1., -1.]);
    /// ```
    pub fn add_bias<R2: Dim>(&self, b: &Vector<R2, T>) -> Self
    where
        (): BiasShape<R, C, R2>,
    {
        let mut out = self.clone();
        for (i, &b_i) in b.as_slice().iter().enumerate() {
            out.row_mut(i).iter_mut().for_each(|x| *x += b_i);
        }
        out
    }
}

/// The adjoints of `Y = A + b𝟙ᵀ` given `dY`: `(dY, Σ_columns dY)`.
pub fn add_bias_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<R, C, T>) -> (Matrix<R, C, T>, Vector<R, T>) {
    (dy.clone(), dy.row_sums())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; B = 5; }

    #[test]
    fn vjp_matches_finite_differences() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let a = random::<R, B>(&mut g, -2.0, 2.0);
            let b = random::<R, crate::One>(&mut g, -2.0, 2.0);
            let dy = random::<R, B>(&mut g, -1.0, 1.0);
            let (da, db) = add_bias_vjp(&dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &a.add_bias(&b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &a.add_bias(b)), &db, 1e-8);
        }
    }
}
