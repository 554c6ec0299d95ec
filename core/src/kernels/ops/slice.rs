//! Rows picked by position: a slice `a[lo..hi]` with its adjoint, which
//! puts the rows back (several slices of one value add into one buffer),
//! and a fixed step `x[k]` (`x[T - 1]`, `x[0]`) with its adjoint.

use crate::{Dim, Matrix, Scalar, Vector};

impl<M: Dim, T: Scalar> Vector<M, T> {
    /// `self ← x[k]`: row `k` of `x`, as a column (a fixed step, `x[T - 1]`).
    ///
    /// # Panics
    /// When `k` is not below `R` (`net!` checks its steps at compile time).
    #[inline]
    pub fn set_row_at<R: Dim>(&mut self, x: &Matrix<R, M, T>, k: usize) {
        self.as_mut_slice().copy_from_slice(&x.as_slice()[k * M::SIZE..(k + 1) * M::SIZE]);
    }

    /// `self ← e_k d`: zero but element `k`, which is `d` (the adjoint of a
    /// vector's step `x[k]`).
    ///
    /// # Panics
    /// When `k` is not below `M`.
    #[inline]
    pub fn set_unpick_element(&mut self, d: T, k: usize) {
        self.as_mut_slice().fill(T::ZERO);
        self.as_mut_slice()[k] = d;
    }
}

impl<L: Dim, C: Dim, T: Scalar> Matrix<L, C, T> {
    /// `self ← a[offset..offset + L]`: `L` rows of `a` from row `offset`.
    ///
    /// # Panics
    /// When `offset + L` exceeds `N` (`net!` checks its slices at compile time).
    #[inline]
    pub fn set_rows_from<N: Dim>(&mut self, a: &Matrix<N, C, T>, offset: usize) {
        let start = offset * C::SIZE;
        self.as_mut_slice().copy_from_slice(&a.as_slice()[start..start + L::SIZE * C::SIZE]);
    }
}

impl<N: Dim, C: Dim, T: Scalar> Matrix<N, C, T> {
    /// `self ←` zero but rows `offset..offset + L`, which are `d`: the
    /// adjoint of [`Matrix::set_rows_from`].
    ///
    /// # Panics
    /// When `offset + L` exceeds `N`.
    #[inline]
    pub fn set_rows_into<L: Dim>(&mut self, d: &Matrix<L, C, T>, offset: usize) {
        let out = self.as_mut_slice();
        out.fill(T::ZERO);
        let start = offset * C::SIZE;
        out[start..start + L::SIZE * C::SIZE].copy_from_slice(d.as_slice());
    }

    /// `self[offset..offset + L] += d`: one more slice's adjoint into the
    /// buffer [`Matrix::set_rows_into`] began.
    ///
    /// # Panics
    /// When `offset + L` exceeds `N`.
    #[inline]
    pub fn add_rows_into<L: Dim>(&mut self, d: &Matrix<L, C, T>, offset: usize) {
        let start = offset * C::SIZE;
        for (o, &v) in self.as_mut_slice()[start..start + L::SIZE * C::SIZE].iter_mut().zip(d.as_slice()) {
            *o += v;
        }
    }

    /// `self ←` zero but row `k`, which is `d` (the adjoint of `x[k]`).
    ///
    /// # Panics
    /// When `k` is not below `N`.
    #[inline]
    pub fn set_unpick_row(&mut self, d: &Vector<C, T>, k: usize) {
        self.as_mut_slice().fill(T::ZERO);
        self.as_mut_slice()[k * C::SIZE..(k + 1) * C::SIZE].copy_from_slice(d.as_slice());
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradient, random, rng, weighted_sum};
    use crate::{Matrix, Vector};

    crate::test_dims! { V = 5; M = 3; B = 4; }

    #[test]
    fn a_fixed_step_is_its_row_and_its_adjoint_puts_it_back() {
        let mut g = rng(11);
        let x = random::<V, M>(&mut g, -1.0, 1.0);
        let mut row = Vector::<M, f64>::zeros();
        row.set_row_at(&x, 4);
        assert_eq!(row.as_slice(), &x.as_slice()[12..15]);
        let d = random::<M, crate::One>(&mut g, -1.0, 1.0);
        let mut dx = Matrix::<V, M, f64>::zeros();
        dx.set_unpick_row(&d, 4);
        let pick = |x: &Matrix<V, M, f64>| {
            let mut r = Vector::<M, f64>::zeros();
            r.set_row_at(x, 4);
            weighted_sum(&d, &r)
        };
        assert_gradient(&x, pick, &dx, 1e-8);
        let mut de = Vector::<V, f64>::zeros();
        de.set_unpick_element(2.5, 1);
        assert_eq!(de.as_slice(), &[0.0, 2.5, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn a_slice_is_its_rows_and_its_adjoint_puts_them_back() {
        crate::test_dims! { N = 7; L = 3; }
        let mut g = rng(7);
        let a = random::<N, B>(&mut g, -1.0, 1.0);
        let mut s = Matrix::<L, B, f64>::zeros();
        s.set_rows_from(&a, 2);
        for i in 0..3 {
            for j in 0..4 {
                assert_eq!(s[(i, j)], a[(i + 2, j)]);
            }
        }
        let d = random::<L, B>(&mut g, -1.0, 1.0);
        let mut da = Matrix::<N, B, f64>::zeros();
        da.set_rows_into(&d, 2);
        let slice = |a: &Matrix<N, B, f64>| {
            let mut s = Matrix::<L, B, f64>::zeros();
            s.set_rows_from(a, 2);
            weighted_sum(&d, &s)
        };
        assert_gradient(&a, slice, &da, 1e-8);
    }
}
