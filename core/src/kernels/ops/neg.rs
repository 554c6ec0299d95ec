//! Unary minus: `−a`, elementwise. Rule: `d(−A) = −dY`.

use core::ops::Neg;

use crate::{Dim, Matrix, Scalar};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← −a`, in place.
    #[inline]
    pub fn set_neg(&mut self, a: &Self) {
        self.set_map_of(a, |x| -x);
    }
}

impl<R: Dim, C: Dim, T: Scalar> Neg for &Matrix<R, C, T> {
    type Output = Matrix<R, C, T>;
    fn neg(self) -> Matrix<R, C, T> {
        self.map(|x| -x)
    }
}

impl<R: Dim, C: Dim, T: Scalar> Neg for Matrix<R, C, T> {
    type Output = Matrix<R, C, T>;
    fn neg(mut self) -> Matrix<R, C, T> {
        self.apply(|x| *x = -*x);
        self
    }
}
