//! Reductions: `sum`, `mean`, `dot`, and sums along rows or columns.
//!
//! Rules: `d Σ A = dy·𝟙𝟙ᵀ`, `d mean A = dy/n·𝟙𝟙ᵀ`, `d ⟨a, b⟩ = (dy·b, dy·a)`,
//! `d (A𝟙) = dY𝟙ᵀ` (each column gets `dY`), `d (𝟙ᵀA) = 𝟙dY` (each row gets `dY`).

use crate::shape::DotShape;
use crate::{Dim, Matrix, One, Scalar, Vector};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The sum of every element.
    pub fn sum(&self) -> T {
        self.as_slice().iter().fold(T::ZERO, |s, &x| s + x)
    }

    /// `Σᵢⱼ selfᵢⱼ otherᵢⱼ`: the sum of the elementwise product, without forming it.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_element(2.0);
    /// assert_eq!(a.inner(&a), 24.0);
    /// ```
    #[inline]
    pub fn inner(&self, other: &Self) -> T {
        crate::loops::dot(self.as_slice(), other.as_slice())
    }

    /// The mean of every element.
    pub fn mean(&self) -> T {
        self.sum() / T::from_usize(Self::LEN)
    }

    /// The sum of each row (a sum over the columns): `[R×C] → [R]`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_fn(|i, j| (3 * i + j) as f32);
    /// assert_eq!(a.row_sums().as_slice(), &[3., 12.]);
    /// assert_eq!(a.col_sums().as_slice(), &[3., 5., 7.]);
    /// ```
    pub fn row_sums(&self) -> Vector<R, T> {
        let mut out = Vector::<R, T>::zeros();
        out.set_row_sums(self);
        out
    }

    /// The sum of each column (per-column sums): `[R×C] → [1×C]`.
    pub fn col_sums(&self) -> Matrix<One, C, T> {
        let mut out = Matrix::<One, C, T>::zeros();
        out.set_col_sums(self);
        out
    }
}

impl<R: Dim, T: Scalar> Vector<R, T> {
    /// `self ← a𝟙`: the sum of each row of `a`, in place.
    #[inline]
    pub fn set_row_sums<C: Dim>(&mut self, a: &Matrix<R, C, T>) {
        for (o, row) in self.as_mut_slice().iter_mut().zip(a.rows()) {
            *o = row.iter().fold(T::ZERO, |s, &x| s + x);
        }
    }
}

impl<C: Dim, T: Scalar> Matrix<One, C, T> {
    /// `self ← 𝟙ᵀa`: the sum of each column of `a`, in place.
    #[inline]
    pub fn set_col_sums<R: Dim>(&mut self, a: &Matrix<R, C, T>) {
        self.set_fill(T::ZERO);
        for row in a.rows() {
            crate::loops::axpy(T::ONE, row, self.as_mut_slice());
        }
    }
}

impl<N: Dim, T: Scalar> Vector<N, T> {
    /// The dot product `⟨self, rhs⟩` of two vectors of one length.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Vector::<U3>::from_slice(&[1., 2., 3.]).unwrap();
    /// assert_eq!(a.dot(&a), 14.0);
    /// ```
    pub fn dot<N2: Dim>(&self, rhs: &Vector<N2, T>) -> T
    where
        (): DotShape<N, N2>,
    {
        crate::loops::dot(self.as_slice(), rhs.as_slice())
    }
}

impl<C: Dim, T: Scalar> Vector<C, T> {
    /// `self ← Aᵀ𝟙`: the sum of each column of `a`, as a column.
    #[inline]
    pub fn set_sum_cols<R: Dim>(&mut self, a: &Matrix<R, C, T>) {
        for j in 0..C::SIZE {
            self[(j, 0)] = a.column_iter(j).fold(T::ZERO, |s, x| s + x);
        }
    }
}

/// The adjoint of `y = Σ A` given `dy`: every element `dy`.
pub fn sum_vjp<R: Dim, C: Dim, T: Scalar>(dy: T) -> Matrix<R, C, T> {
    Matrix::from_element(dy)
}

/// The adjoint of `y = mean A` given `dy`: every element `dy / (R·C)`.
pub fn mean_vjp<R: Dim, C: Dim, T: Scalar>(dy: T) -> Matrix<R, C, T> {
    Matrix::from_element(dy / T::from_usize(Matrix::<R, C, T>::LEN))
}

/// The adjoints of `y = ⟨a, b⟩` given `dy`: `(dy·b, dy·a)`.
pub fn dot_vjp<N: Dim, T: Scalar>(a: &Vector<N, T>, b: &Vector<N, T>, dy: T) -> (Vector<N, T>, Vector<N, T>) {
    (b * dy, a * dy)
}

/// The adjoint of `y = A𝟙` (row sums) given `dy`: `dy` in every column.
pub fn row_sums_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Vector<R, T>) -> Matrix<R, C, T> {
    Matrix::from_fn(|i, _| dy[i])
}

/// The adjoint of `y = 𝟙ᵀA` (column sums) given `dy`: `dy` in every row.
pub fn col_sums_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<One, C, T>) -> Matrix<R, C, T> {
    Matrix::from_fn(|_, j| dy[(0, j)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; C = 4; }

    #[test]
    fn column_sums_as_a_column() {
        let a = Matrix::<R, C, f64>::from_fn(|i, j| (i * 10 + j) as f64);
        let mut s = Vector::<C, f64>::zeros();
        s.set_sum_cols(&a);
        assert_eq!(s.as_slice(), a.col_sums().as_slice());
    }

    #[test]
    fn values_match_the_definitions() {
        let a = Matrix::<R, C, f64>::from_fn(|i, j| (4 * i + j) as f64);
        assert_eq!(a.sum(), 66.0);
        assert_eq!(a.mean(), 5.5);
        assert_eq!(a.row_sums().as_slice(), &[6.0, 22.0, 38.0]);
        assert_eq!(a.col_sums().as_slice(), &[12.0, 15.0, 18.0, 21.0]);
    }

    #[test]
    fn vjps_match_finite_differences() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let a = random::<R, C>(&mut g, -2.0, 2.0);
            let u = random::<R, One>(&mut g, -2.0, 2.0);
            let v = random::<R, One>(&mut g, -2.0, 2.0);
            let dy = 0.7;
            assert_gradient(&a, |a| dy * a.sum(), &sum_vjp(dy), 1e-8);
            assert_gradient(&a, |a| dy * a.mean(), &mean_vjp(dy), 1e-8);
            let (du, dv) = dot_vjp(&u, &v, dy);
            assert_gradient(&u, |u| dy * u.dot(&v), &du, 1e-8);
            assert_gradient(&v, |v| dy * u.dot(v), &dv, 1e-8);
            let dr = random::<R, One>(&mut g, -1.0, 1.0);
            assert_gradient(&a, |a| weighted_sum(&dr, &a.row_sums()), &row_sums_vjp(&dr), 1e-8);
            let dc = random::<One, C>(&mut g, -1.0, 1.0);
            assert_gradient(&a, |a| weighted_sum(&dc, &a.col_sums()), &col_sums_vjp(&dc), 1e-8);
        }
    }
}
