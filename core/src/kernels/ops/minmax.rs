//! Elementwise maximum and minimum of two matrices, or of a matrix and a
//! scalar, and the comparison masks their adjoints are made of:
//! for `Y = max(A, B)`, `dA = dY ⊙ [A ≥ B]` and `dB = dY ⊙ [B > A]` (a tie
//! goes to `A`); for `min`, `dA = dY ⊙ [B ≥ A]` and `dB = dY ⊙ [A > B]`.

use crate::{Dim, Matrix, Scalar};

/// 1 where the comparison holds, else 0.
#[inline(always)]
fn indicator<T: Scalar>(holds: bool) -> T {
    if holds { T::ONE } else { T::ZERO }
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← max(a, b)`, elementwise.
    #[inline]
    pub fn set_max(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| if a >= b { a } else { b });
    }

    /// `self ← min(a, b)`, elementwise.
    #[inline]
    pub fn set_min(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| if a <= b { a } else { b });
    }

    /// `self ← max(a, s)`, elementwise.
    #[inline]
    pub fn set_max_scalar(&mut self, a: &Self, s: T) {
        self.set_map_of(a, |a| if a >= s { a } else { s });
    }

    /// `self ← min(a, s)`, elementwise.
    #[inline]
    pub fn set_min_scalar(&mut self, a: &Self, s: T) {
        self.set_map_of(a, |a| if a <= s { a } else { s });
    }

    /// `self ← [a ≥ b]`, elementwise: 1 where it holds, else 0.
    #[inline]
    pub fn set_ge(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| indicator(a >= b));
    }

    /// `self ← [a > b]`, elementwise.
    #[inline]
    pub fn set_gt(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| indicator(a > b));
    }

    /// `self ← [a ≥ s]` (or `[s ≥ a]` when `flip`), elementwise.
    #[inline]
    pub fn set_ge_scalar(&mut self, a: &Self, s: T, flip: bool) {
        self.set_map_of(a, |a| indicator(if flip { s >= a } else { a >= s }));
    }

    /// `self ← [a > s]` (or `[s > a]` when `flip`), elementwise.
    #[inline]
    pub fn set_gt_scalar(&mut self, a: &Self, s: T, flip: bool) {
        self.set_map_of(a, |a| indicator(if flip { s > a } else { a > s }));
    }
}

/// `[a ≥ b]` of two scalars, as 1 or 0.
pub fn ge<T: Scalar>(a: T, b: T) -> T {
    indicator(a >= b)
}

/// `[a > b]` of two scalars, as 1 or 0.
pub fn gt<T: Scalar>(a: T, b: T) -> T {
    indicator(a > b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; C = 4; }

    #[test]
    fn max_and_min_with_their_adjoints() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let (a, b) = (random::<R, C>(&mut g, -1.0, 1.0), random::<R, C>(&mut g, -1.0, 1.0));
            let dy = random::<R, C>(&mut g, -1.0, 1.0);
            let (mut y, mut ga, mut gb, mut t) =
                (Matrix::zeros(), Matrix::zeros(), Matrix::zeros(), Matrix::zeros());
            y.set_max(&a, &b);
            ga.set_ge(&a, &b);
            gb.set_gt(&b, &a);
            let max = |a: &Matrix<R, C, f64>, b: &Matrix<R, C, f64>| {
                let mut y = Matrix::zeros();
                y.set_max(a, b);
                y
            };
            assert_gradient(&a, |a| weighted_sum(&dy, &max(a, &b)), &dy.hadamard(&ga), 1e-7);
            assert_gradient(&b, |b| weighted_sum(&dy, &max(&a, b)), &dy.hadamard(&gb), 1e-7);
            t.set_min(&a, &b);
            assert!(
                y.as_slice()
                    .iter()
                    .zip(t.as_slice())
                    .zip(a.as_slice().iter().zip(b.as_slice()))
                    .all(|((&hi, &lo), (&x, &z))| hi == x.max(z) && lo == x.min(z))
            );
        }
        let a = Matrix::<R, C, f64>::from_fn(|i, j| i as f64 - j as f64);
        let mut m = Matrix::zeros();
        m.set_max_scalar(&a, 0.5);
        assert_eq!((m[(0, 0)], m[(2, 0)]), (0.5, 2.0));
        m.set_ge_scalar(&a, 0.0, true);
        assert_eq!((m[(0, 0)], m[(2, 0)], m[(0, 1)]), (1.0, 0.0, 1.0));
        assert_eq!((ge(1.0, 1.0), gt(1.0, 1.0)), (1.0, 0.0));
    }
}
