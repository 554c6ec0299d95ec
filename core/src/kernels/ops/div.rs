//! Elementwise division, of two matrices of one shape or of a scalar by a
//! matrix. Its gradient is built from products and quotients by `net!`
//! (`∂a = ∂y ⊘ b`, `∂b = −∂y ⊙ y ⊘ b`): no kernel of its own.

use crate::{Dim, Matrix, Scalar};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← a ⊘ b`, elementwise division.
    #[inline]
    pub fn set_div(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| a / b);
    }

    /// `self ← s ⊘ a`: a scalar divided by each element.
    #[inline]
    pub fn set_scalar_div(&mut self, s: T, a: &Self) {
        self.set_map_of(a, |a| s / a);
    }
}
