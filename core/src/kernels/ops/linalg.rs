//! Norms and traces: `‖x‖` and the norm of each column with their gradient
//! (`x/‖x‖`, 0 at 0), and `tr(A)` with its gradient `s I`.

use crate::{Dim, Matrix, One, Scalar, Vector};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The Euclidean norm of each column of `a`, as a row.
    #[inline]
    pub fn set_norm_cols<K: Dim>(&mut self, a: &Matrix<K, C, T>) {
        for j in 0..C::SIZE {
            self.as_mut_slice()[j] = a.column_iter(j).fold(T::ZERO, |s, x| s + x * x).sqrt();
        }
    }

    /// `self ← x / n`, the gradient of `n = ‖x‖`; 0 where `n` is 0 (a
    /// subgradient: the norm has no derivative at 0).
    #[inline]
    pub fn set_unit(&mut self, x: &Self, n: T) {
        let inv = if n > T::ZERO { T::ONE / n } else { T::ZERO };
        self.set_scale(x, inv);
    }

    /// `self ← x diag(1/n)`: each column of `x` over its norm, 0 where that is 0.
    #[inline]
    pub fn set_unit_cols(&mut self, x: &Self, n: &Matrix<One, C, T>) {
        for (j, &n) in n.as_slice().iter().enumerate() {
            let inv = if n > T::ZERO { T::ONE / n } else { T::ZERO };
            for i in 0..R::SIZE {
                self[(i, j)] = x[(i, j)] * inv;
            }
        }
    }
}

impl<N: Dim, T: Scalar> Matrix<N, N, T> {
    /// The trace, Σᵢ Aᵢᵢ, of a square matrix.
    pub fn trace(&self) -> T {
        (0..N::SIZE).fold(T::ZERO, |s, i| s + self[(i, i)])
    }

    /// `self ← s I`: the adjoint of `y = trace(A)` for `dy = s`.
    #[inline]
    pub fn set_eye(&mut self, s: T) {
        for i in 0..N::SIZE {
            for j in 0..N::SIZE {
                self[(i, j)] = if i == j { s } else { T::ZERO };
            }
        }
    }
}

impl<N: Dim, T: Scalar> Vector<N, T> {
    /// The Euclidean norm `‖x‖`.
    pub fn norm(&self) -> T {
        self.inner(self).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_gradient;
    use crate::{Dim, Matrix, One, Vector};

    crate::test_dims! { R = 3; C = 4; }

    #[test]
    fn trace_and_its_gradient() {
        let a = Matrix::<R, R, f64>::from_fn(|i, j| (i * 3 + j) as f64);
        assert_eq!(a.trace(), 0.0 + 4.0 + 8.0);
        let mut eye = Matrix::<R, R, f64>::zeros();
        eye.set_eye(0.5);
        assert_gradient(&a, |a| 0.5 * a.trace(), &eye, 1e-8);
    }

    #[test]
    fn norms_and_their_gradient() {
        let x = Vector::<R, f64>::from_fn(|i, _| i as f64 + 1.0);
        let n: f64 = (0..R::SIZE).map(|i| ((i + 1) * (i + 1)) as f64).sum::<f64>().sqrt();
        assert!((x.norm() - n).abs() < 1e-15);
        let mut u = Vector::<R, f64>::zeros();
        u.set_unit(&x, x.norm());
        assert_gradient(&x, |x| x.norm(), &u, 1e-8);
        u.set_unit(&Vector::zeros(), 0.0);
        assert!(u.as_slice().iter().all(|&v| v == 0.0), "the gradient at 0 is 0");
        let a = Matrix::<R, C, f64>::from_fn(|i, j| i as f64 - j as f64);
        let mut norms = Matrix::<One, C, f64>::zeros();
        norms.set_norm_cols(&a);
        let mut units = Matrix::zeros();
        units.set_unit_cols(&a, &norms);
        for j in 0..C::SIZE {
            assert!((norms[(0, j)] - a.column(j).norm()).abs() < 1e-15);
            assert!((units[(1, j)] - a[(1, j)] / norms[(0, j)]).abs() < 1e-15);
        }
    }
}
