//! Softmax and log-softmax over each column (each column is one example),
//! computed after subtracting the column's maximum so no `exp` overflows.
//!
//! Rules, per column: `d softmax(z) = y ⊙ (dy − ⟨y, dy⟩)`,
//! `d log_softmax(z) = dy − softmax(z)·Σ dy`.

use crate::{Dim, Matrix, Scalar};

/// Columns per block of softmax's row-by-row passes: their maxima and totals
/// live on the stack.
const BLOCK: usize = 64;

/// Maximum of column `j`.
fn column_max<R: Dim, C: Dim, T: Scalar>(z: &Matrix<R, C, T>, j: usize) -> T {
    z.column_iter(j).fold(T::from_f64(f64::NEG_INFINITY), T::max)
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// Softmax of each column: `exp(z − max z) / Σ exp(z − max z)`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let z = Vector::<U2, f32>::from_slice(&[1e4, 0.0]).unwrap();
    /// assert_eq!(z.softmax().as_slice(), &[1.0, 0.0]);
    /// ```
    pub fn softmax(&self) -> Self {
        let mut y = Self::zeros();
        y.set_softmax(self);
        y
    }

    /// Log-softmax of each column: `z − max z − log Σ exp(z − max z)`.
    pub fn log_softmax(&self) -> Self {
        let mut y = Self::zeros();
        y.set_log_softmax(self);
        y
    }

    /// `self ← softmax(z)`, in place. Row by row over blocks of columns
    /// (their maxima and totals on the stack), so each pass reads
    /// contiguous memory and vectorizes; `exp_fast`, so a masked score
    /// (−1e9) costs no slow path of `exp` (it gives an exact 0).
    #[inline]
    pub fn set_softmax(&mut self, z: &Self) {
        let cols = C::SIZE;
        let (z, y) = (z.as_slice(), self.as_mut_slice());
        for j0 in (0..cols).step_by(BLOCK) {
            let w = BLOCK.min(cols - j0);
            let mut m = [T::from_f64(f64::NEG_INFINITY); BLOCK];
            for zr in z.chunks_exact(cols) {
                for (mj, &zj) in m[..w].iter_mut().zip(&zr[j0..j0 + w]) {
                    *mj = mj.max(zj);
                }
            }
            let mut total = [T::ZERO; BLOCK];
            for (zr, yr) in z.chunks_exact(cols).zip(y.chunks_exact_mut(cols)) {
                let row = yr[j0..j0 + w].iter_mut().zip(&zr[j0..j0 + w]).zip(&m[..w]).zip(&mut total[..w]);
                for (((yj, &zj), &mj), tj) in row {
                    let e = (zj - mj).exp_fast();
                    *yj = e;
                    *tj += e;
                }
            }
            for tj in &mut total[..w] {
                *tj = T::ONE / *tj;
            }
            for yr in y.chunks_exact_mut(cols) {
                for (yj, &tj) in yr[j0..j0 + w].iter_mut().zip(&total[..w]) {
                    *yj *= tj;
                }
            }
        }
    }

    /// `self ← y ⊙ (dy − ⟨y, dy⟩)` per column: the adjoint of `y = softmax(z)`,
    /// in row-by-row passes as [`Matrix::set_softmax`].
    #[inline]
    pub fn set_softmax_vjp(&mut self, y: &Self, dy: &Self) {
        let cols = C::SIZE;
        let (y, dy, dz) = (y.as_slice(), dy.as_slice(), self.as_mut_slice());
        for j0 in (0..cols).step_by(BLOCK) {
            let w = BLOCK.min(cols - j0);
            let mut inner = [T::ZERO; BLOCK];
            for (yr, dyr) in y.chunks_exact(cols).zip(dy.chunks_exact(cols)) {
                for ((ij, &a), &b) in inner[..w].iter_mut().zip(&yr[j0..j0 + w]).zip(&dyr[j0..j0 + w]) {
                    *ij += a * b;
                }
            }
            let rows = y.chunks_exact(cols).zip(dy.chunks_exact(cols)).zip(dz.chunks_exact_mut(cols));
            for ((yr, dyr), dzr) in rows {
                let row =
                    dzr[j0..j0 + w].iter_mut().zip(&yr[j0..j0 + w]).zip(&dyr[j0..j0 + w]).zip(&inner[..w]);
                for (((d, &a), &b), &ij) in row {
                    *d = a * (b - ij);
                }
            }
        }
    }

    /// `self ← log_softmax(z)`, in place.
    #[inline]
    pub fn set_log_softmax(&mut self, z: &Self) {
        for j in 0..C::SIZE {
            let lse = log_sum_exp(z.column_iter(j), column_max(z, j));
            for i in 0..R::SIZE {
                self[(i, j)] = z[(i, j)] - lse;
            }
        }
    }

    /// `self ← dy − softmax(z) Σ dy` per column: the adjoint of `log_softmax(z)`, in place.
    #[inline]
    pub fn set_log_softmax_vjp(&mut self, z: &Self, dy: &Self) {
        self.set_softmax(z);
        for j in 0..C::SIZE {
            let total = dy.column_iter(j).fold(T::ZERO, |s, x| s + x);
            for i in 0..R::SIZE {
                self[(i, j)] = dy[(i, j)] - self[(i, j)] * total;
            }
        }
    }
}

/// `log Σ exp(zᵢ)` given the maximum `m` of the `zᵢ`.
impl<R: Dim, T: Scalar> Matrix<R, crate::One, T> {
    /// `log Σ exp(z)` of a vector, computed after subtracting its maximum so
    /// no `exp` overflows.
    pub fn logsumexp(&self) -> T {
        log_sum_exp(self.column_iter(0), column_max(self, 0))
    }
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← [log Σ exp(z)]` of each column of `z`, as a row; stable. Its
    /// adjoint is `softmax(z) diag(dy)`.
    #[inline]
    pub fn set_logsumexp_cols<K: Dim>(&mut self, z: &Matrix<K, C, T>) {
        for j in 0..C::SIZE {
            self.as_mut_slice()[j] = log_sum_exp(z.column_iter(j), column_max(z, j));
        }
    }
}

pub(crate) fn log_sum_exp<T: Scalar>(z: impl Iterator<Item = T>, m: T) -> T {
    m + z.fold(T::ZERO, |s, x| s + (x - m).exp()).ln()
}

/// The adjoint of `Y = softmax(Z)` given `Y` and `dY`: per column `y ⊙ (dy − ⟨y, dy⟩)`.
pub fn softmax_vjp<R: Dim, C: Dim, T: Scalar>(y: &Matrix<R, C, T>, dy: &Matrix<R, C, T>) -> Matrix<R, C, T> {
    let mut dz = Matrix::zeros();
    dz.set_softmax_vjp(y, dy);
    dz
}

/// The adjoint of `Y = log_softmax(Z)` given `Z` and `dY`: per column `dy − softmax(z)·Σ dy`.
pub fn log_softmax_vjp<R: Dim, C: Dim, T: Scalar>(
    z: &Matrix<R, C, T>,
    dy: &Matrix<R, C, T>,
) -> Matrix<R, C, T> {
    let mut dz = Matrix::zeros();
    dz.set_log_softmax_vjp(z, dy);
    dz
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { K = 5; B = 3; }

    #[test]
    fn logsumexp_is_stable_and_its_gradient_is_softmax() {
        let z = Matrix::<K, B, f64>::from_fn(|i, j| (i as f64 - 2.0) * (j as f64 + 0.5));
        let mut row = Matrix::<crate::One, B, f64>::zeros();
        row.set_logsumexp_cols(&z);
        for j in 0..3 {
            let direct: f64 = (0..5).map(|i| z[(i, j)].exp()).sum::<f64>().ln();
            assert!((row[(0, j)] - direct).abs() < 1e-12);
            assert!((z.column(j).logsumexp() - direct).abs() < 1e-12);
        }
        let big = crate::Vector::<K, f32>::from_fn(|i, _| 1e4 + i as f32);
        assert!(
            (big.logsumexp()
                - (1e4
                    + 4.0
                    + (1.0f32 + (-1f32).exp() + (-2f32).exp() + (-3f32).exp() + (-4f32).exp()).ln()))
            .abs()
                < 1e-2
        );
        let mut g = rng(3);
        let x = random::<K, crate::One>(&mut g, -2.0, 2.0);
        assert_gradient(&x, |x| x.logsumexp(), &x.softmax(), 1e-8);
    }

    #[test]
    fn columns_are_distributions_and_match_the_definition() {
        let z = Matrix::<K, B, f64>::from_fn(|i, j| (i as f64 - 2.0) * (j as f64 + 0.5));
        let y = z.softmax();
        for j in 0..3 {
            let total: f64 = (0..5).map(|i| z[(i, j)].exp()).sum();
            for i in 0..5 {
                assert!((y[(i, j)] - z[(i, j)].exp() / total).abs() < 1e-15);
                assert!((z.log_softmax()[(i, j)] - (z[(i, j)] - total.ln())).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn vjps_match_finite_differences() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let z = random::<K, B>(&mut g, -3.0, 3.0);
            let dy = random::<K, B>(&mut g, -1.0, 1.0);
            assert_gradient(&z, |z| weighted_sum(&dy, &z.softmax()), &softmax_vjp(&z.softmax(), &dy), 1e-7);
            assert_gradient(&z, |z| weighted_sum(&dy, &z.log_softmax()), &log_softmax_vjp(&z, &dy), 1e-7);
        }
    }

    #[test]
    fn stable_for_huge_logits_in_f32() {
        let z = Matrix::<K, B, f32>::from_fn(|i, j| if i == j { 1e4 } else { -1e4 });
        let y = z.softmax();
        let l = z.log_softmax();
        assert!(y.as_slice().iter().chain(l.as_slice()).all(|v| v.is_finite()));
        assert_eq!(y[(1, 1)], 1.0);
        assert_eq!(l[(1, 1)], 0.0);
        assert_eq!(l[(0, 1)], -2e4);
    }
}
