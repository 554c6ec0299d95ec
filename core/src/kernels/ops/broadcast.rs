//! A bias added to every column: `[R×B] + [R] → [R×B]`, whose adjoint sums
//! `dY` over the columns: `d(A + b𝟙ᵀ) = (dY, dY·𝟙)`.

use crate::shape::BiasShape;
use crate::{Dim, Matrix, One, Scalar, Vector};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self + b𝟙ᵀ`: the bias `b` added to every column.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::zeros();
    /// let b = Vector::<U2>::from_slice(&[1., -1.]).unwrap();
    /// assert_eq!(a.add_bias(&b).as_slice(), &[1., 1., 1., -1., -1., -1.]);
    /// ```
    #[inline]
    pub fn add_bias<R2: Dim>(&self, b: &Vector<R2, T>) -> Self
    where
        (): BiasShape<R, C, R2>,
    {
        let mut out = Self::zeros();
        out.add_bias_slice(self, b.as_slice());
        out
    }

    /// `self ← a + b𝟙ᵀ`, in place.
    #[inline]
    pub fn set_add_bias(&mut self, a: &Self, b: &Vector<R, T>) {
        self.add_bias_slice(a, b.as_slice());
    }

    /// `self ← b𝟙ᵀ`: every column `b` (a shared initial state, one per example).
    #[inline]
    pub fn set_broadcast_cols(&mut self, b: &Vector<R, T>) {
        for (i, &b_i) in b.as_slice().iter().enumerate() {
            self.row_mut(i).fill(b_i);
        }
    }

    fn add_bias_slice(&mut self, a: &Self, b: &[T]) {
        for (i, &b_i) in b.iter().enumerate() {
            self.row_mut(i).iter_mut().zip(a.row(i)).for_each(|(o, &x)| *o = x + b_i);
        }
    }

    /// `self ← a diag(r)`, in place.
    #[inline]
    pub fn set_scale_cols(&mut self, a: &Self, r: &Matrix<One, C, T>) {
        for i in 0..R::SIZE {
            self.row_mut(i).iter_mut().zip(a.row(i)).zip(r.as_slice()).for_each(|((o, &x), &s)| *o = x * s);
        }
    }

    /// `self ← diag(s) a`, in place.
    #[inline]
    pub fn set_scale_rows(&mut self, a: &Self, s: &Vector<R, T>) {
        for (i, &k) in s.as_slice().iter().enumerate() {
            self.row_mut(i).iter_mut().zip(a.row(i)).for_each(|(o, &x)| *o = x * k);
        }
    }
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// Column `j` scaled by `r[j]`: `A diag(r)`, for a `[1×C]` row `r`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_element(1.0);
    /// let r = Matrix::<One, U3>::from_slice(&[1., 2., 3.]).unwrap();
    /// assert_eq!(a.scale_cols(&r).as_slice(), &[1., 2., 3., 1., 2., 3.]);
    /// ```
    pub fn scale_cols(&self, r: &Matrix<One, C, T>) -> Self {
        let mut out = Self::zeros();
        out.set_scale_cols(self, r);
        out
    }
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// Row `i` scaled by `s[i]`: `diag(s) A`, for a column `s`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_element(1.0);
    /// let s = Vector::<U2>::from_slice(&[2., -1.]).unwrap();
    /// assert_eq!(a.scale_rows(&s).as_slice(), &[2., 2., 2., -1., -1., -1.]);
    /// ```
    pub fn scale_rows(&self, s: &Vector<R, T>) -> Self {
        let mut out = Self::zeros();
        out.set_scale_rows(self, s);
        out
    }
}

/// The adjoints of `Y = diag(s) A` given `dY`: `(diag(s) dY, Σ_columns dY ⊙ A)`.
pub fn scale_rows_vjp<R: Dim, C: Dim, T: Scalar>(
    a: &Matrix<R, C, T>,
    s: &Vector<R, T>,
    dy: &Matrix<R, C, T>,
) -> (Matrix<R, C, T>, Vector<R, T>) {
    (dy.scale_rows(s), dy.hadamard(a).row_sums())
}

/// The adjoints of `Y = A diag(r)` given `dY`: `(dY diag(r), 𝟙ᵀ(dY ⊙ A))`.
pub fn scale_cols_vjp<R: Dim, C: Dim, T: Scalar>(
    a: &Matrix<R, C, T>,
    r: &Matrix<One, C, T>,
    dy: &Matrix<R, C, T>,
) -> (Matrix<R, C, T>, Matrix<One, C, T>) {
    (dy.scale_cols(r), dy.hadamard(a).col_sums())
}

/// The adjoints of `Y = A + b𝟙ᵀ` given `dY`: `(dY, Σ_columns dY)`.
#[inline]
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
            let (da, ds) = scale_rows_vjp(&a, &b, &dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &a.scale_rows(&b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &a.scale_rows(b)), &ds, 1e-8);
            let r = random::<One, B>(&mut g, -2.0, 2.0);
            let (da, dr) = scale_cols_vjp(&a, &r, &dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &a.scale_cols(&r)), &da, 1e-8);
            assert_gradient(&r, |r| weighted_sum(&dy, &a.scale_cols(r)), &dr, 1e-8);
        }
    }
}
