//! Elementwise functions of a value and a number written in the net
//! (`leaky_relu(x, 0.1)`, `pow(x, -0.5)`): each a scalar function and its
//! derivative, mapped by two generic kernels (`set_map_with`,
//! `set_vjp_with`), so a new one is two small functions here.

use crate::{Dim, Matrix, Scalar};

/// leaky_relu(x, a) = x for x > 0, a·x otherwise.
#[inline(always)]
pub fn leaky_relu<T: Scalar>(x: T, a: T) -> T {
    if x > T::ZERO { x } else { a * x }
}

/// Its derivative: 1 for x > 0, `a` otherwise (taken as `a` at 0).
#[inline(always)]
pub fn leaky_relu_df<T: Scalar>(x: T, a: T) -> T {
    if x > T::ZERO { T::ONE } else { a }
}

/// pow(x, p) = xᵖ, for an exponent written in the net.
#[inline(always)]
pub fn pow<T: Scalar>(x: T, p: T) -> T {
    x.powf(p)
}

/// Its derivative: p·xᵖ⁻¹.
#[inline(always)]
pub fn pow_df<T: Scalar>(x: T, p: T) -> T {
    p * x.powf(p - T::ONE)
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← f(x, a)`, elementwise, for a function of a value and a number
    /// written in the net (`leaky_relu`, or its derivative `leaky_relu_df`).
    #[inline]
    pub fn set_map_with(&mut self, x: &Self, a: T, f: impl Fn(T, T) -> T) {
        self.set_map_of(x, |x| f(x, a));
    }

    /// `self ← dY ⊙ f′(x, a)`: the adjoint of such a function, given its
    /// derivative `df` (`leaky_relu_df`).
    #[inline]
    pub fn set_vjp_with(&mut self, x: &Self, dy: &Self, a: T, df: impl Fn(T, T) -> T) {
        self.set_zip(x, dy, |x, dy| dy * df(x, a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 4; C = 3; }

    #[test]
    fn leaky_relu_and_its_adjoint() {
        let mut g = rng(7);
        let x = random::<R, C>(&mut g, -2.0, 2.0);
        let dy = random::<R, C>(&mut g, -1.0, 1.0);
        let f = |x: &Matrix<R, C, f64>| x.map(|x| if x > 0.0 { x } else { 0.1 * x });
        let mut dx = Matrix::zeros();
        dx.set_vjp_with(&x, &dy, 0.1, leaky_relu_df);
        assert_gradient(&x, |x| weighted_sum(&dy, &f(x)), &dx, 1e-7);
        let mut y = Matrix::zeros();
        y.set_map_with(&x, 0.1, leaky_relu);
        assert!(y.approx_eq(&f(&x), 0.0));
    }

    #[test]
    fn pow_and_its_adjoint() {
        let mut g = rng(3);
        let x = random::<R, C>(&mut g, 0.2, 3.0);
        let dy = random::<R, C>(&mut g, -1.0, 1.0);
        for p in [-0.5, 0.5, 2.0, 3.0] {
            let f = |x: &Matrix<R, C, f64>| x.map(|x| x.powf(p));
            let mut dx = Matrix::zeros();
            dx.set_vjp_with(&x, &dy, p, pow_df);
            assert_gradient(&x, |x| weighted_sum(&dy, &f(x)), &dx, 1e-7);
        }
        let mut y = Matrix::zeros();
        y.set_map_with(&x, 2.0, pow);
        assert!(y.approx_eq(&x.map(|v| v * v), 1e-12));
        assert_eq!(pow(4.0, -0.5), 0.5);
    }
}
