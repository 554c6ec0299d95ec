//! Transpose, and its rule: the adjoint of `Aᵀ` is `dYᵀ`.

use crate::{Dim, Matrix, Scalar};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The transpose `[R×C] → [C×R]`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_fn(|i, j| (3 * i + j) as f32);
    /// let at: Matrix<U3, U2> = a.t();
    /// assert_eq!(at[(2, 1)], a[(1, 2)]);
    /// ```
    pub fn t(&self) -> Matrix<C, R, T> {
        let mut out = Matrix::zeros();
        out.set_transpose(self);
        out
    }

    /// `self ← aᵀ`, in place.
    #[inline]
    pub fn set_transpose(&mut self, a: &Matrix<C, R, T>) {
        for (i, row) in a.rows().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                self[(j, i)] = x;
            }
        }
    }
}

/// The adjoint of `Y = Aᵀ` given `dY`: `dYᵀ`.
pub fn transpose_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<C, R, T>) -> Matrix<R, C, T> {
    dy.t()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; C = 5; }

    #[test]
    fn vjp_matches_finite_differences() {
        let mut g = rng(2);
        let a = random::<R, C>(&mut g, -2.0, 2.0);
        let dy = random::<C, R>(&mut g, -1.0, 1.0);
        assert_gradient(&a, |a| weighted_sum(&dy, &a.t()), &transpose_vjp(&dy), 1e-8);
        assert_eq!(a.t().t(), a);
    }
}
