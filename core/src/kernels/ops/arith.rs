//! Elementwise arithmetic on equal shapes, and scalars broadcast over a matrix.
//!
//! Rules: `d(A + B) = (dY, dY)`, `d(A − B) = (dY, −dY)`,
//! `d(A ⊙ B) = (dY ⊙ B, dY ⊙ A)`, `d(s·A) = (Σ dY ⊙ A, s·dY)`.

use core::ops::{Add, AddAssign, Mul, MulAssign, Sub, SubAssign};

use crate::shape::{AddShape, HadamardShape, SubShape};
use crate::{Dim, Matrix, Scalar};

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The elementwise (Hadamard) product `self ⊙ rhs` of two matrices of one shape.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Vector::<U3>::from_slice(&[1., 2., 3.]).unwrap();
    /// assert_eq!(a.hadamard(&a).as_slice(), &[1., 4., 9.]);
    /// ```
    pub fn hadamard<R2: Dim, C2: Dim>(&self, rhs: &Matrix<R2, C2, T>) -> Self
    where
        (): HadamardShape<R, C, R2, C2>,
    {
        self.zip_slice(rhs.as_slice(), |a, b| a * b)
    }

    /// `self + s` for every element.
    #[inline]
    pub fn add_scalar(&self, s: T) -> Self {
        self.map(|x| x + s)
    }

    /// `self ← a + b`, in place.
    #[inline]
    pub fn set_add(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| a + b);
    }

    /// `self ← a − b`, in place.
    #[inline]
    pub fn set_sub(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| a - b);
    }

    /// `self ← a ⊙ b`, in place.
    #[inline]
    pub fn set_hadamard(&mut self, a: &Self, b: &Self) {
        self.set_zip(a, b, |a, b| a * b);
    }

    /// `self ← s·a`, in place.
    #[inline]
    pub fn set_scale(&mut self, a: &Self, s: T) {
        self.set_map_of(a, |x| s * x);
    }

    /// `self ← a + s` for every element, in place.
    #[inline]
    pub fn set_add_scalar(&mut self, a: &Self, s: T) {
        self.set_map_of(a, |x| x + s);
    }

    /// `self ← s − a` for every element, in place.
    #[inline]
    pub fn set_scalar_sub(&mut self, s: T, a: &Self) {
        self.set_map_of(a, |x| s - x);
    }

    /// Every element `s`, in place.
    #[inline]
    pub fn set_fill(&mut self, s: T) {
        self.as_mut_slice().fill(s);
    }

    /// `self ← f(a)` elementwise.
    #[inline(always)]
    pub(crate) fn set_map_of(&mut self, a: &Self, f: impl Fn(T) -> T) {
        for (o, &x) in self.as_mut_slice().iter_mut().zip(a.as_slice()) {
            *o = f(x);
        }
    }

    /// `self ← f(a, b)` elementwise.
    #[inline(always)]
    pub(crate) fn set_zip(&mut self, a: &Self, b: &Self, f: impl Fn(T, T) -> T) {
        for ((o, &x), &y) in self.as_mut_slice().iter_mut().zip(a.as_slice()).zip(b.as_slice()) {
            *o = f(x, y);
        }
    }

    /// `self ← self + alpha·x`, in place (the update step of an optimizer).
    pub fn axpy(&mut self, alpha: T, x: &Self) {
        crate::loops::axpy(alpha, x.as_slice(), self.as_mut_slice());
    }

    /// `self ⊙ other` with the other operand given as a slice of the same length.
    fn zip_slice(&self, other: &[T], f: impl Fn(T, T) -> T) -> Self {
        let mut out = Self::zeros();
        for ((o, &a), &b) in out.as_mut_slice().iter_mut().zip(self.as_slice()).zip(other) {
            *o = f(a, b);
        }
        out
    }

    fn zip_slice_in_place(&mut self, other: &[T], f: impl Fn(T, T) -> T) {
        for (a, &b) in self.as_mut_slice().iter_mut().zip(other) {
            *a = f(*a, b);
        }
    }
}

/// The adjoints of `Y = A + B`: `(dY, dY)`.
#[inline]
pub fn add_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<R, C, T>) -> (Matrix<R, C, T>, Matrix<R, C, T>) {
    (dy.clone(), dy.clone())
}

/// The adjoints of `Y = A − B`: `(dY, −dY)`.
pub fn sub_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<R, C, T>) -> (Matrix<R, C, T>, Matrix<R, C, T>) {
    (dy.clone(), -dy)
}

/// The adjoints of `Y = A ⊙ B`: `(dY ⊙ B, dY ⊙ A)`.
pub fn hadamard_vjp<R: Dim, C: Dim, T: Scalar>(
    a: &Matrix<R, C, T>,
    b: &Matrix<R, C, T>,
    dy: &Matrix<R, C, T>,
) -> (Matrix<R, C, T>, Matrix<R, C, T>) {
    (dy.hadamard(b), dy.hadamard(a))
}

/// The adjoints of `Y = s·A`: `(Σ dY ⊙ A, s·dY)` — the scalar's first.
pub fn scale_vjp<R: Dim, C: Dim, T: Scalar>(
    s: T,
    a: &Matrix<R, C, T>,
    dy: &Matrix<R, C, T>,
) -> (T, Matrix<R, C, T>) {
    (crate::loops::dot(dy.as_slice(), a.as_slice()), dy * s)
}

macro_rules! elementwise_operator {
    ($Trait:ident, $method:ident, $Rule:ident, $op:tt, $verb:literal) => {
        #[doc = concat!("Elementwise ", $verb, " of two matrices of one shape.")]
        impl<'a, 'b, R: Dim, C: Dim, R2: Dim, C2: Dim, T: Scalar> $Trait<&'b Matrix<R2, C2, T>> for &'a Matrix<R, C, T>
        where
            (): $Rule<R, C, R2, C2>,
        {
            type Output = Matrix<R, C, T>;
            #[inline]
            fn $method(self, rhs: &'b Matrix<R2, C2, T>) -> Matrix<R, C, T> {
                self.zip_slice(rhs.as_slice(), |a, b| a $op b)
            }
        }

        #[doc = concat!("Elementwise ", $verb, ", reusing the left operand's storage.")]
        impl<'b, R: Dim, C: Dim, R2: Dim, C2: Dim, T: Scalar> $Trait<&'b Matrix<R2, C2, T>> for Matrix<R, C, T>
        where
            (): $Rule<R, C, R2, C2>,
        {
            type Output = Matrix<R, C, T>;
            #[inline]
            fn $method(mut self, rhs: &'b Matrix<R2, C2, T>) -> Matrix<R, C, T> {
                self.zip_slice_in_place(rhs.as_slice(), |a, b| a $op b);
                self
            }
        }

        #[doc = concat!("Elementwise ", $verb, ", reusing the left operand's storage.")]
        impl<R: Dim, C: Dim, R2: Dim, C2: Dim, T: Scalar> $Trait<Matrix<R2, C2, T>> for Matrix<R, C, T>
        where
            (): $Rule<R, C, R2, C2>,
        {
            type Output = Matrix<R, C, T>;
            #[inline]
            fn $method(self, rhs: Matrix<R2, C2, T>) -> Matrix<R, C, T> {
                self $op &rhs
            }
        }

        #[doc = concat!("Elementwise ", $verb, " of two matrices of one shape.")]
        impl<'a, R: Dim, C: Dim, R2: Dim, C2: Dim, T: Scalar> $Trait<Matrix<R2, C2, T>> for &'a Matrix<R, C, T>
        where
            (): $Rule<R, C, R2, C2>,
        {
            type Output = Matrix<R, C, T>;
            #[inline]
            fn $method(self, rhs: Matrix<R2, C2, T>) -> Matrix<R, C, T> {
                self $op &rhs
            }
        }
    };
}

elementwise_operator!(Add, add, AddShape, +, "sum");
elementwise_operator!(Sub, sub, SubShape, -, "difference");

impl<'b, R: Dim, C: Dim, T: Scalar> AddAssign<&'b Matrix<R, C, T>> for Matrix<R, C, T> {
    fn add_assign(&mut self, rhs: &'b Matrix<R, C, T>) {
        self.zip_slice_in_place(rhs.as_slice(), |a, b| a + b);
    }
}

impl<'b, R: Dim, C: Dim, T: Scalar> SubAssign<&'b Matrix<R, C, T>> for Matrix<R, C, T> {
    fn sub_assign(&mut self, rhs: &'b Matrix<R, C, T>) {
        self.zip_slice_in_place(rhs.as_slice(), |a, b| a - b);
    }
}

impl<R: Dim, C: Dim, T: Scalar> MulAssign<T> for Matrix<R, C, T> {
    fn mul_assign(&mut self, s: T) {
        self.apply(|x| *x *= s);
    }
}

/// `matrix * s`: every element scaled.
impl<R: Dim, C: Dim, T: Scalar> Mul<T> for &Matrix<R, C, T> {
    type Output = Matrix<R, C, T>;
    fn mul(self, s: T) -> Matrix<R, C, T> {
        self.map(|x| x * s)
    }
}

/// `matrix * s`: every element scaled, in the matrix's storage.
impl<R: Dim, C: Dim, T: Scalar> Mul<T> for Matrix<R, C, T> {
    type Output = Matrix<R, C, T>;
    fn mul(mut self, s: T) -> Matrix<R, C, T> {
        self *= s;
        self
    }
}

macro_rules! scalar_left {
    ($($t:ty),*) => {$(
        /// `s * matrix`: every element scaled.
        impl<R: Dim, C: Dim> Mul<&Matrix<R, C, $t>> for $t {
            type Output = Matrix<R, C, $t>;
            fn mul(self, a: &Matrix<R, C, $t>) -> Matrix<R, C, $t> {
                a * self
            }
        }

        /// `s * matrix`: every element scaled, in the matrix's storage.
        impl<R: Dim, C: Dim> Mul<Matrix<R, C, $t>> for $t {
            type Output = Matrix<R, C, $t>;
            fn mul(self, a: Matrix<R, C, $t>) -> Matrix<R, C, $t> {
                a * self
            }
        }
    )*};
}

scalar_left!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; C = 4; }

    #[test]
    fn operators_compute_elementwise() {
        let a = Matrix::<R, C, f64>::from_fn(|i, j| (i * 4 + j) as f64);
        let b = Matrix::<R, C, f64>::from_fn(|i, j| 1.0 + (i + j) as f64);
        let at = |m: &Matrix<R, C, f64>| m[(2, 3)];
        assert_eq!(at(&(&a + &b)), 11.0 + 6.0);
        assert_eq!(at(&(&a - &b)), 11.0 - 6.0);
        assert_eq!(at(&a.hadamard(&b)), 66.0);
        assert_eq!(at(&(2.0 * &a)), 22.0);
        assert_eq!(at(&(&a * 0.5)), 5.5);
        assert_eq!(at(&-&a), -11.0);
        assert_eq!(at(&a.add_scalar(1.0)), 12.0);
        assert_eq!(at(&(a.clone() + b.clone())), 17.0);
        let mut c = a.clone();
        c.axpy(-2.0, &b);
        assert_eq!(at(&c), 11.0 - 12.0);
        c += &b;
        c -= &a;
        assert_eq!(at(&c), -6.0);
        c.set_div(&a, &b);
        assert_eq!(at(&c), 11.0 / 6.0);
        c.set_scalar_div(3.0, &b);
        assert_eq!(at(&c), 0.5);
    }

    #[test]
    fn vjps_match_finite_differences() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let a = random::<R, C>(&mut g, -2.0, 2.0);
            let b = random::<R, C>(&mut g, -2.0, 2.0);
            let dy = random::<R, C>(&mut g, -1.0, 1.0);
            let (da, db) = add_vjp(&dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &(a + &b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &(&a + b)), &db, 1e-8);
            let (da, db) = sub_vjp(&dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &(a - &b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &(&a - b)), &db, 1e-8);
            let (da, db) = hadamard_vjp(&a, &b, &dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &a.hadamard(&b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &a.hadamard(b)), &db, 1e-8);
            let s = 1.7;
            let (ds, da) = scale_vjp(s, &a, &dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &(s * a)), &da, 1e-8);
            let h = 1e-6;
            let numeric =
                (weighted_sum(&dy, &((s + h) * &a)) - weighted_sum(&dy, &((s - h) * &a))) / (2.0 * h);
            assert!((ds - numeric).abs() < 1e-8);
            // A scalar added to every element passes dY through unchanged.
            assert_gradient(&a, |a| weighted_sum(&dy, &a.add_scalar(s)), &dy, 1e-8);
        }
    }
}
